"""The web pages on the NHS.UK design system: every page is a whole, accessible page of the
design system (header, skip link, one h1, tables with captions and scoped headers) that loads
nothing from another host; unknown ids get the designed 404 page; and the public never sees
a number the build's published (suppressed) table withholds."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.cli import main
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES
from icsight.results import latest_run
from icsight.services import Service
from icsight.web.views import STATIC
from icsight.web.views.pages import POPULATION_INDICATOR, WITHHELD
from tests.accounts import PASSWORD, SECRET

#: One indicator of each programme, the registered list (population by place), and one
#: with few events per place (virtual wards), so that some place figures are withheld.
BUILT = ("CVDP007HYP", "LD_PREVALENCE", "EMERG_ADM_RATE", "SCREEN_BOWEL", "HPV_BY_14",
         "RTT_18WK", "VIRTUAL_WARD")
NOT_BUILT = next(i for i in catalogue() if i not in BUILT)


@pytest.fixture(scope="module")
def site(lake_dir, tmp_path_factory):
    """The app over a build of `BUILT` (three months) from the test lake, and an analyst."""
    folder = tmp_path_factory.mktemp("web")
    results = folder / "results"
    done = CliRunner().invoke(main, ["build", "--lake", str(lake_dir), "--months", "3",
                                     "--out", str(results), "--id", ",".join(BUILT)])
    assert done.exit_code == 0, done.output
    accounts = Accounts(f"sqlite:///{folder / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    app = create_app(Service(lake_dir, results, folder / "audit.jsonl"), accounts, SECRET)
    run = latest_run(results)
    return {"app": app, "public": TestClient(app, base_url="https://testserver"),
            "published": pd.read_parquet(run / "published_values.parquet"),
            "exact": pd.read_parquet(run / "indicator_values.parquet")}


def _pages() -> list[str]:
    return (["/", "/programmes"] + [f"/programmes/{p}" for p in PROGRAMMES]
            + [f"/programmes/{p}/inequalities" for p in PROGRAMMES]
            + [f"/indicators/{i}" for i in BUILT] + [f"/indicators/{NOT_BUILT}"])


class Page(HTMLParser):
    """A page's elements, and each table's caption and rows of cell texts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.tables: list[dict] = []
        self.h1: list[str] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._in_h1 = False
        self._spans: list[bool] = []  # for each open span, whether it is hidden
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "span":  # a responsive table's column names, hidden from screen readers
            self._spans.append(attributes.get("aria-hidden") == "true")
        if tag == "table":
            self.tables.append({"caption": None, "rows": [], "th": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
            if tag == "th":
                self.tables[-1]["th"].append(attributes)
        elif tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "span" and self._spans:
            self._spans.pop()
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if any(self._spans):
            return
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_h1:
            self.h1[-1] += data

    def table(self, caption_start: str) -> dict:
        return next(t for t in self.tables if (t["caption"] or "").startswith(caption_start))


def _assert_designed_page(response) -> Page:
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    page = Page(text)
    tags = [tag for tag, _ in page.elements]
    assert re.search(r'<html lang="en"', text)
    assert any(tag == "header" and "nhsuk-header" in a.get("class", "")
               for tag, a in page.elements)
    skip = [a for tag, a in page.elements if tag == "a" and "nhsuk-skip-link" in
            a.get("class", "")]
    assert skip and skip[0]["href"] == "#maincontent"
    assert any(tag == "main" and a.get("id") == "maincontent" for tag, a in page.elements)
    assert tags.index("a") < tags.index("header")  # the skip link comes first
    assert len(page.h1) == 1 and page.h1[0].strip()
    assert any(tag == "footer" for tag in tags)
    for table in page.tables:
        assert table["caption"], "a table without a caption"
        assert table["th"] and all(th.get("scope") in ("col", "row") for th in table["th"])
    # every asset from this server: no scheme, no //host
    for tag, a in page.elements:
        for name in ("src", "href"):
            url = a.get(name) or ""
            assert not re.match(r"(https?:)?//", url), f"{tag} {name}={url}"
    policy = response.headers["content-security-policy"]
    assert "http" not in policy and "*" not in policy
    assert "default-src 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    inline = [a for tag, a in page.elements if tag == "script" and "src" not in a]
    assert inline and all(a.get("nonce") == nonce for a in inline)
    return page


@pytest.mark.parametrize("path", _pages())
def test_every_page_is_a_whole_design_system_page(site, path):
    response = site["public"].get(path)
    assert response.status_code == 200, response.text[:500]
    _assert_designed_page(response)


def test_every_asset_a_page_names_is_served_from_here(site):
    client = site["public"]
    named = set()
    for path in ("/", "/indicators/CVDP007HYP"):
        for _, a in Page(client.get(path).text).elements:
            for name in ("src", "href"):
                if (a.get(name) or "").startswith("/static/"):
                    named.add(a[name])
    css = client.get("/static/nhsuk/nhsuk-frontend.min.css")
    named |= set(re.findall(r"url\((/static/[^)]+)\)", css.text))
    assert "/static/nhsuk/nhsuk-frontend.min.css" in named and "/static/icsight.js" in named
    for url in sorted(named):
        assert client.get(url).status_code == 200, url
    # the stylesheet asks no other host for anything: no web font (Frutiger is licensed for
    # nhs.uk only; the text falls back to the system's sans-serif)
    script = client.get("/static/nhsuk/nhsuk-frontend.min.js").text
    for text in (css.text, script):
        assert not re.search(r"https?://", text)
    assert "@font-face" not in css.text


def test_static_files_may_be_cached_pages_and_data_may_not(site):
    client = site["public"]
    css = client.get(_stylesheet(client))
    assert css.status_code == 200 and css.headers["cache-control"] == "public, max-age=86400"
    for path in ("/", "/api/v1/indicators", "/static/nhsuk/no-such-file.css"):
        assert client.get(path).headers["cache-control"] == "no-store", path


def _stylesheet(client) -> str:
    import re

    page = client.get("/").text
    return next(h for h in re.findall(r'href="([^"]+\.css)"', page) if h.startswith("/static/"))


def test_the_vendored_design_system_is_the_pinned_version_with_its_licence():
    script = (Path(__file__).parent.parent / "scripts" / "vendor_frontend.sh").read_text()
    pinned = re.search(r"^VERSION=(\S+)$", script, re.M).group(1)
    assert (STATIC / "nhsuk" / "VERSION").read_text().strip() == pinned
    licence = (STATIC / "nhsuk" / "LICENSE.txt").read_text()
    assert f"nhsuk-frontend {pinned}" in licence and "MIT" in licence
    assert f"version=\"{pinned}\"" in (STATIC / "nhsuk" / "nhsuk-frontend.min.js").read_text()


@pytest.mark.parametrize("path", ["/indicators/NO_SUCH_THING", "/programmes/nope",
                                  "/no/such/page", "/indicators/%3Cscript%3E"])
def test_unknown_ids_and_paths_get_the_designed_404_page(site, path):
    response = site["public"].get(path)
    assert response.status_code == 404
    page = _assert_designed_page(response)
    assert page.h1 == ["Page not found"]
    assert "<script>" not in response.text  # the page's own scripts have attributes
    assert "Traceback" not in response.text


def test_the_api_keeps_its_json_404(site):
    response = site["public"].get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def _latest(table: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    rows = table[(table.indicator_id == indicator_id)
                 & table.breakdown.isin(["icb", "place"])]
    return rows[rows.period_end == rows.period_end.max()].set_index("group")


def _count(value: float) -> str:
    return WITHHELD if pd.isna(value) else f"{value:,.0f}"


def _with_suppressed_places(published: pd.DataFrame) -> list[str]:
    return [i for i in BUILT
            if _latest(published, i).suppressed.any()]


def test_the_public_indicator_page_shows_the_published_figures_only(site):
    """Each place's numerator and denominator on the page are the published table's, and a
    withheld row shows none of its exact numbers."""
    published, exact = site["published"], site["exact"]
    withheld = _with_suppressed_places(published)
    assert withheld, "the test build has no withheld place: the test would prove nothing"
    for indicator_id in BUILT:
        page = Page(site["public"].get(f"/indicators/{indicator_id}").text)
        title = catalogue()[indicator_id].title
        rows = page.table(title)["rows"][1:]
        shown = {row[0]: row for row in rows}
        expected = _latest(published, indicator_id)
        assert set(shown) == set(expected.index)
        for group, row in expected.iterrows():
            _place, _value, _interval, numerator, denominator, _signal = shown[group]
            assert (numerator, denominator) == (_count(row.numerator), _count(row.denominator))
            if row.suppressed:
                secret = _latest(exact, indicator_id).loc[group]
                assert f"{secret.numerator:,.0f}" not in shown[group][1:]
                assert all(WITHHELD in cell for cell in shown[group][1:3])


def test_an_analyst_sees_the_exact_figures_the_public_does_not(site):
    client = TestClient(site["app"], base_url="https://testserver")
    token = client.get("/api/v1/session").json()["csrf_token"]
    r = client.post("/api/v1/login", json={"username": "ana", "password": PASSWORD},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    indicator_id = _with_suppressed_places(site["published"])[0]
    page = Page(client.get(f"/indicators/{indicator_id}").text)
    rows = {row[0]: row for row in
            page.table(catalogue()[indicator_id].title)["rows"][1:]}
    for group, row in _latest(site["exact"], indicator_id).iterrows():
        assert rows[group][3:5] == [_count(row.numerator), _count(row.denominator)]
    assert "ana (analyst)" in client.get("/").text


def test_the_overview_shows_the_published_population_and_every_programme(site):
    response = site["public"].get("/")
    page = Page(response.text)
    population = _latest(site["published"], POPULATION_INDICATOR)
    rows = {row[0]: row[1] for row in page.table("People registered")["rows"][1:]}
    assert rows == {group: _count(row.denominator) for group, row in population.iterrows()}
    for key, name in PROGRAMMES.items():
        table = page.table(f"{name}: latest BLMK value")
        titles = [row[0] for row in table["rows"][1:]]
        assert titles == [i.title for i in catalogue().values() if i.programme == key]
        assert f'href="/programmes/{key}"' in response.text


def test_variation_is_told_in_words_and_a_shape_not_colour_alone(site):
    text = site["public"].get("/programmes/ltc").text
    signals = re.findall(r'<strong class="nhsuk-tag[^"]*icsight-signal">(.*?)</strong>',
                         text, re.S)
    assert signals
    built = [s for s in signals if "No SPC chart" not in s]
    assert built, "the built indicator has no SPC signal on its programme page"
    for signal in built:
        assert "<svg" in signal and 'aria-hidden="true"' in signal
        words = re.sub(r"<[^>]+>", "", signal).strip()
        assert re.match(r"(Common cause|Special cause)", words), words


def test_the_indicator_page_lists_its_codes_and_links_its_downloads(site):
    client = site["public"]
    text = client.get("/indicators/CVDP007HYP").text
    ind = catalogue()["CVDP007HYP"]
    assert ind.codelists
    for name in ind.codelists:
        assert f"Codes in {name}" in text
    links = re.findall(r'href="(/api/v1/indicators/CVDP007HYP/values\?[^"]+)"', text)
    assert any("format=csv" in link for link in links)
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        if "format=csv" in link:  # the whole table in the one file, not its first page
            lines = response.text.strip().splitlines()
            assert len(lines) - 1 == int(response.headers["x-total-count"]) > 0, link
            assert "link" not in response.headers, link
    csv_page = client.get("/api/v1/indicators/CVDP007HYP/values?format=csv")
    assert csv_page.headers["content-type"].startswith("text/csv")


def test_the_overview_services_serve_each_role_its_own_figures(site):
    """`latest_values` is the published table below analyst and the exact one for analysts;
    `variation` carries signals only, never a value or a limit."""
    from icsight.governance.access import ANONYMOUS, Principal, Role

    services = site["app"].state.services.aggregates
    for who, table in ((ANONYMOUS, site["published"]),
                       (Principal("ana", Role.ANALYST), site["exact"])):
        served = pd.DataFrame(services.latest_values(who))
        for indicator_id in BUILT:
            expected = _latest(table, indicator_id)
            mine = served[served.indicator_id == indicator_id].set_index("group")
            assert mine.numerator.sort_index().fillna(-1).tolist() == \
                expected.numerator.sort_index().fillna(-1).tolist()
    signals = services.variation(ANONYMOUS)
    assert signals and {r["indicator_id"] for r in signals} <= set(BUILT)
    assert not {"value", "mean", "lower_process_limit", "upper_process_limit"} & set(signals[0])


def test_no_signal_is_given_to_the_public_beside_a_withheld_figure(site):
    """An SPC signal comes from the exact series: below analyst it is given only where the
    figure it describes is published; an analyst gets every signal."""
    from icsight.governance.access import ANONYMOUS, Principal, Role

    services = site["app"].state.services.aggregates
    published = site["published"]
    key = ["indicator_id", "breakdown", "group"]
    latest = pd.concat([_latest(published, i).reset_index() for i in BUILT])
    withheld = {tuple(r) for r in latest.loc[latest.suppressed, key].itertuples(index=False)}
    shown = {tuple(r) for r in latest.loc[~latest.suppressed, key].itertuples(index=False)}
    assert withheld, "the test build has no withheld place: the test would prove nothing"
    public = {(r["indicator_id"], r["breakdown"], r["group"])
              for r in services.variation(ANONYMOUS)}
    analyst = {(r["indicator_id"], r["breakdown"], r["group"])
               for r in services.variation(Principal("ana", Role.ANALYST))}
    assert public and not public & withheld and public <= shown
    assert withheld & analyst  # the analyst's signals include those the public is not given


def test_before_any_build_the_pages_say_so_in_the_design(lake_dir, tmp_path):
    """No results yet: the overview is a designed 503 saying what to do, an indicator page
    still shows its definition, and nothing is a stack trace."""
    accounts = Accounts(f"sqlite:///{tmp_path / 'icsight.db'}")
    app = create_app(Service(lake_dir, tmp_path / "no-results", tmp_path / "audit.jsonl"),
                     accounts, SECRET)
    client = TestClient(app, base_url="https://testserver")
    overview = client.get("/")
    assert overview.status_code == 503
    assert "icsight build" in overview.text
    _assert_designed_page(overview)
    indicator = client.get("/indicators/CVDP007HYP")
    assert indicator.status_code == 200 and "icsight build" in indicator.text
    _assert_designed_page(indicator)
    assert "<h2>Definition</h2>" in indicator.text


def test_a_download_asks_for_the_whole_table_not_the_apis_first_page():
    """The API pages by 1,000 rows unless asked: a link names the table's length, up to
    the API's longest page."""
    from icsight.api.tables import MAX_LIMIT
    from icsight.web.views.pages import LONGEST_PAGE, _downloads

    assert LONGEST_PAGE == MAX_LIMIT
    rows = [{"breakdown": "place" if i % 5 == 0 else "practice"} for i in range(2_500)]
    limits = [int(re.search(r"limit=(\d+)", d["href"]).group(1)) for d in _downloads("X", rows)]
    assert limits == [2_500, 500, 2_500]
    many = [{"breakdown": "practice"}] * (LONGEST_PAGE + 1)
    assert all(f"limit={LONGEST_PAGE}" in d["href"] for d in _downloads("X", many)[::2])
