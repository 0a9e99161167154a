# icsight: two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

DEMO_DIR ?= data/blmk
DEMO_KEY := data/demo-pseudonym.key

.PHONY: demo serve test lint install vendor java postgres chromium screenshots pango bench bench-build bench-single bench-scaling bench-worklists bench-risk bench-waiting-lists bench-demand bench-load docs docs-calibration clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra spark --python $(PYTHON)
	touch $@

install: $(VENV)/.installed pango

# The NHS.UK design system's CSS, JavaScript, assets and licence, from npm (pinned in the
# script). The result is committed, so install, test and serve need neither npm nor a network;
# run this to refresh or upgrade them (docs/web.md).
vendor:
	bash scripts/vendor_frontend.sh
	bash scripts/vendor_charts.sh
	bash scripts/vendor_axe.sh

# Spark needs a Java runtime: Debian's OpenJDK 17, installed if the machine has none.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing a Java runtime for Spark (openjdk-17-jre-headless)"; \
	  (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless) || { \
	    echo "Could not install Java: install a Java 17 runtime, then run make test again"; \
	    exit 1; }; }

# Board papers' PDF (WeasyPrint) lays out text with Pango: Debian's libraries, installed if
# missing (install depends on this, so `icsight report` works after `make install`).
pango:
	@{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || { \
	  echo "Installing Pango for the board papers' PDF (libpango-1.0-0 libpangoft2-1.0-0)"; \
	  (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0) || { \
	    echo "Could not install Pango: install libpango-1.0-0 and libpangoft2-1.0-0, then run make install again"; \
	    exit 1; }; }

# The application database's tests run on PostgreSQL as well as SQLite: Debian's server
# package, installed if missing (the tests start a throwaway server of their own, on a free
# port as an unprivileged user; the package's own cluster is not used).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing PostgreSQL for the application database tests (postgresql)"; \
	  (apt-get update -qq && apt-get install -y -qq postgresql) || { \
	    echo "Could not install PostgreSQL: install Debian's postgresql package, then run make test again"; \
	    exit 1; }; }

# The browser tests (tests/browser) drive Debian's Chromium through Playwright, by its path:
# installed here if missing, never downloaded by Playwright itself (docs/testing.md).
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Chromium for the browser tests (chromium)"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) || { \
	    echo "Could not install Chromium: install Debian's chromium package (/usr/bin/chromium), then run make test again"; \
	    exit 1; }; }

# A PNG of every page type (tests/browser/harness.py's PAGE_TYPES) at desktop and phone widths,
# in screenshots/, from a small generated build; LAKE=data/blmk uses that lake instead.
screenshots: install chromium
	$(RUN)/python scripts/screenshots.py $(if $(LAKE),--lake $(LAKE))

# The demo key is generated locally, outside git (data/ is ignored): a real deployment keeps
# its key in a secrets store and passes it as ICSIGHT_PSEUDONYM_KEY or ICSIGHT_PSEUDONYM_KEY_FILE.
$(DEMO_KEY):
	mkdir -p $(dir $@)
	(umask 077; $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@)

demo: install $(DEMO_KEY)
	ICSIGHT_PSEUDONYM_KEY_FILE=$(DEMO_KEY) $(RUN)/icsight synth --out $(DEMO_DIR)
	@# the calibration summary: a count, and one line per target out of tolerance at the start,
	@# middle or end of the window (the demo goes on either way; docs/calibration.md has the table)
	-$(RUN)/icsight synth --check $(DEMO_DIR) --summary
	$(RUN)/icsight indicators --lake $(DEMO_DIR) --out $(DEMO_DIR)/cvdp007hyp.csv
	$(RUN)/icsight indicators --lake $(DEMO_DIR) --id all --out $(DEMO_DIR)/indicators.csv
	$(RUN)/icsight build --lake $(DEMO_DIR) --months 36 --forecasts --out data/results
	$(RUN)/icsight export --lake $(DEMO_DIR) --format fhir --sample 2000 --out data/extracts/fhir
	ICSIGHT_PSEUDONYM_KEY_FILE=$(DEMO_KEY) $(RUN)/icsight ingest data/extracts/fhir \
		--lake data/ingested
	@$(MAKE) --no-print-directory serve

# Serve the demo build at http://127.0.0.1:8000 until Ctrl+C, with a new sign-in for each role
# printed once (accounts in the demo's own database in data/; a new session secret each start).
serve: install $(DEMO_KEY)
	ICSIGHT_PSEUDONYM_KEY_FILE=$(DEMO_KEY) ICSIGHT_DATABASE_URL=sqlite:///$(abspath data/demo-app.db) \
	ICSIGHT_SESSION_SECRET=$$($(PYTHON) -c "import secrets; print(secrets.token_hex(32))") \
		$(RUN)/icsight serve --lake $(DEMO_DIR) --results data/results --dev --demo-accounts

test: install java postgres chromium
	$(RUN)/ruff check .
	$(RUN)/lint-imports
	$(RUN)/python -m pytest -q -n 2 --dist loadgroup

lint: install
	$(RUN)/ruff check .

bench: install
	$(RUN)/python benchmarks/bench_synth.py

# the build against the naive month-by-month build (idle, then with one core kept busy), one
# indicator against hand-written SQL, and growth with the population: docs/benchmarks.md
BENCH_LAKE ?= $(DEMO_DIR)
bench-build: install
	$(RUN)/python benchmarks/bench_catalogue.py --lake $(BENCH_LAKE) --naive-months 6
	$(RUN)/python benchmarks/bench_catalogue.py --lake $(BENCH_LAKE) --naive-months 6 --load

bench-single: install
	$(RUN)/python benchmarks/bench_single.py --lake $(BENCH_LAKE)

bench-scaling: install
	$(RUN)/python benchmarks/bench_scaling.py --work data/scaling

# every worklist for every practice (the build's step) against finding them practice by
# practice (2 practices timed, scaled to all): docs/benchmarks.md
bench-worklists: install
	$(RUN)/python benchmarks/bench_worklists.py --lake $(BENCH_LAKE) --naive-practices 2

# training the emergency admission risk model and scoring everyone, each beside a naive
# baseline: docs/benchmarks.md
bench-risk: install
	$(RUN)/python benchmarks/bench_risk.py --lake $(BENCH_LAKE) --naive-practices 2

# a year of the weekly waiting-list simulation, every treatment function x provider, 100 runs,
# beside a patient-by-patient loop (3 lists x 2 runs timed, scaled to all): docs/benchmarks.md
bench-waiting-lists: install
	$(RUN)/python benchmarks/bench_waiting_lists.py --lake $(BENCH_LAKE) --naive-lists 3 --naive-runs 2

# the demand projection to 2043 (every place, point of delivery and year, 256 runs) beside a
# naive run-by-run loop (4 runs timed, scaled): docs/planning-demand.md
bench-demand: install
	$(RUN)/python benchmarks/bench_demand.py --lake $(BENCH_LAKE) --scenario mitigated --runs 256 --naive-runs 4

# The web application under 20 users for 2 minutes (Locust), after `make demo` has built
# data/results; BUSY=1 keeps one core busy meanwhile (a shared machine)
bench-load: install
	$(RUN)/python benchmarks/bench_load.py --lake $(DEMO_DIR) --results data/results $(if $(BUSY),--busy)

docs: install
	$(RUN)/python -m icsight.model.docs > docs/data-model.md
	$(RUN)/python -m icsight.cli.docs > docs/cli.md
	$(RUN)/python -m icsight.settings > docs/settings.md
	$(RUN)/python -m tests.spec.render
	$(RUN)/python -m icsight.indicators.catalogue docs/indicators.md

# The calibration page needs a lake: a 100,000-person one, generated for it (about a minute).
CALIBRATION_LAKE ?= data/calibration-100k
docs-calibration: install $(DEMO_KEY)
	ICSIGHT_PSEUDONYM_KEY_FILE=$(DEMO_KEY) $(RUN)/icsight synth --population 100000 \
		--out $(CALIBRATION_LAKE)
	$(RUN)/python -m icsight.cli.calibration_page $(CALIBRATION_LAKE) > docs/calibration.md

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache
