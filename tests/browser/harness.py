"""The browser tests' harness, shared with `scripts/screenshots.py`: a small build with an
account for each role, the application served by uvicorn on a free port in a thread, the
list of page types, and Chromium from Debian (never a browser Playwright downloads).

Adding a page type to every browser check (axe, the Content-Security-Policy, no other host,
no JavaScript, screenshots) is one line in `PAGE_TYPES`.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.cli import main
from icsight.governance.access import Role
from icsight.indicators.catalogue import catalogue
from icsight.model.reference import practices
from icsight.results import latest_run
from icsight.services import Service
from icsight.web.views.profiles import place_slug

__all__ = ["AXE", "BUILT", "CHROMIUM", "NOT_BUILT", "PAGE_TYPES", "PASSWORD", "SECRET",
           "VIEWPORTS", "PageType", "Site", "Watch", "account", "build_site", "chromium_missing",
           "serve", "watched"]

#: Debian's Chromium (`make chromium` installs it); Playwright drives it by this path.
CHROMIUM = "/usr/bin/chromium"
#: axe-core, vendored from npm by scripts/vendor_axe.sh (with its MPL-2.0 licence).
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
PASSWORD = "correct horse battery staple"  # test-only accounts on a throwaway database
SECRET = "5be0c2d94f1a7e83b6d05f2c9a4e71d8c3b69f0a2e5d7c41"  # random-looking, test-only

#: One indicator of each programme and the registered list (population by place), and one
#: with few events per place (virtual wards), so that the public is shown some figures
#: withheld: small enough to build in seconds, and every programme page has a built indicator.
BUILT = ("CVDP007HYP", "LD_PREVALENCE", "EMERG_ADM_RATE", "SCREEN_BOWEL", "HPV_BY_14",
         "RTT_18WK", "VIRTUAL_WARD")
NOT_BUILT = next(i for i in catalogue() if i not in BUILT)


@dataclass(frozen=True)
class PageType:
    """One kind of page, by an example of it. `role` is who is signed in to see it (None:
    the public); `design_system` says it has the NHS.UK header, skip link and footer."""

    name: str
    path: str
    status: int = 200
    role: str | None = None
    design_system: bool = True


#: A practice of the reference list, its PCN and place: the profiles' examples.
EXAMPLE = practices().slice(0, 1).to_pylist()[0]

#: Every page type there is now. A page type to come adds its line here.
PAGE_TYPES: tuple[PageType, ...] = (
    PageType("overview", "/"),
    PageType("programmes", "/programmes"),
    PageType("programme", "/programmes/ltc"),
    PageType("programme-analyst", "/programmes/ltc", role="analyst"),
    PageType("inequalities", "/programmes/ltc/inequalities"),
    PageType("strategy", "/strategy"),
    PageType("areas", "/places"),
    PageType("place-profile", f"/places/{place_slug(EXAMPLE['place'])}"),
    PageType("pcn-profile", f"/pcns/{EXAMPLE['pcn_code']}"),
    PageType("practice-profile", f"/practices/{EXAMPLE['practice_code']}"),
    PageType("search", "/search?q=luton"),
    PageType("sign-in", "/sign-in"),
    PageType("sign-out", "/sign-out", role="clinician"),
    PageType("commentary", "/programmes/cancer/commentary", role="analyst"),
    PageType("commentary-history", "/programmes/cancer/commentary/SCREEN_BOWEL",
             role="analyst"),
    PageType("data-quality", "/data-quality", role="analyst"),
    PageType("data-quality-refused", "/data-quality", status=401),
    PageType("admin", "/admin", role="admin"),
    PageType("saved-views", "/saved-views", role="analyst"),
    PageType("save-a-page", "/saved-views/new?path=%2Fprogrammes", role="analyst"),
    PageType("indicator", "/indicators/CVDP007HYP"),
    PageType("indicator-analyst", "/indicators/CVDP007HYP", role="analyst"),
    PageType("indicator-not-built", f"/indicators/{NOT_BUILT}"),
    PageType("not-found", "/no/such/page", status=404),
    PageType("api-docs", "/api/v1/docs"),
    PageType("worklists", "/worklists", role="clinician"),  # the clinician's practice's
    PageType("worklist", f"/worklists/{EXAMPLE['practice_code']}/hypertension-above-target",
             role="clinician"),
    PageType("worklist-refused", "/worklists", status=403, role="analyst"),
    PageType("provider-benchmarks", "/provider-benchmarks"),
    PageType("provider-benchmarks-service", "/provider-benchmarks/130"),
    PageType("waiting-lists", "/waiting-lists"),
    PageType("waiting-list", "/waiting-lists/110/RC9"),
    PageType("waiting-list-what-if",
             "/waiting-lists/110/RC9?extra_sessions_percent=20&insourcing_per_week=5"),
    PageType("waiting-list-what-if-error", "/waiting-lists/110/RC9?extra_sessions_percent=900",
             status=422),
    PageType("waiting-list-expected-wait", "/waiting-lists/110/RC9/expected-wait"),
    PageType("planning", "/planning"),
    PageType("planning-analyst", "/planning?place=Luton", role="analyst"),
    PageType("planning-demand", "/planning/demand/non_elective?place=Luton"),
    PageType("planning-waterfall", "/planning/waterfall?scenario=mitigated&pod=non_elective"),
    PageType("planning-capacity", "/planning/capacity?scenario=principal&place=BLMK"),
    PageType("planning-population", "/planning/population?place=Milton+Keynes"),
    PageType("planning-not-found", "/planning/demand/no_such_pod", status=404),
)


#: (name, width, height): a desktop, and a phone (the design system's smallest breakpoint).
VIEWPORTS = (("desktop", 1280, 800), ("mobile", 375, 812))


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None: Debian's Chromium is installed by
    `make chromium` (and so by `make test`)."""
    if shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package)"
    return None


@dataclass
class Site:
    """A build served to the browser: the app, its accounts (username per role), and the
    published (suppressed) and exact tables of its latest run."""

    app: FastAPI
    users: dict[str, str]
    published: pd.DataFrame
    exact: pd.DataFrame
    base_url: str = ""


def build_site(lake_dir: Path, folder: Path, months: int = 3) -> Site:
    """Build `BUILT` over `months` from the lake at `lake_dir` into `folder`, with one account
    per role (a clinician at the profiles' example practice, whose worklists the page types
    show), and the app over it.

    The app runs with `dev=True`, as `make serve` does: its session cookie is then not
    marked Secure, since the test server speaks plain HTTP on 127.0.0.1."""
    results = folder / "results"
    done = CliRunner().invoke(main, ["build", "--lake", str(lake_dir), "--months", str(months),
                                     "--out", str(results), "--id", ",".join(BUILT),
                                     "--planning"])
    if done.exit_code != 0:
        raise RuntimeError(f"icsight build failed: {done.output}")
    accounts = Accounts(f"sqlite:///{folder / 'icsight.db'}")
    users = {}
    for role in Role:
        user = account(role.value)
        practice = EXAMPLE["practice_code"] if role is Role.CLINICIAN else None
        accounts.add(user, PASSWORD, role.value, practice_code=practice)
        users[role.value] = user
    app = create_app(Service(lake_dir, results, folder / "audit.jsonl"), accounts, SECRET,
                     dev=True)
    run = latest_run(results)
    return Site(app, users, pd.read_parquet(run / "published_values.parquet"),
                pd.read_parquet(run / "indicator_values.parquet"))


def account(role: str) -> str:
    """The test account of `role` (one per role, made by `build_site`)."""
    return f"{role}-user"


@contextmanager
def serve(app: FastAPI, timeout: float = 30.0) -> Iterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1 in a thread; yields its base URL.

    The socket is bound here and handed to uvicorn, so no other process can take the port
    between choosing and binding it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


#: Added to every page before its own scripts: a Content-Security-Policy violation is an
#: event on the document (the console message's wording is Chromium's own and may change).
_LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI}`);
});
"""


@dataclass
class Watch:
    """What the pages of one browser context did: every URL requested, those refused for
    naming another host, and console errors and uncaught exceptions."""

    requested: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watched(browser: Browser, base_url: str, **options) -> tuple[BrowserContext, Watch]:
    """A new browser context at `base_url` (Playwright's options passed on) whose requests
    to any other host are refused and recorded, with console errors recorded."""
    context = browser.new_context(base_url=base_url, **options)
    watch = Watch()
    here = urlsplit(base_url).netloc

    def route(route) -> None:
        url = route.request.url
        watch.requested.append(url)
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != here:
            watch.refused.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    context.add_init_script(_LISTEN)

    def on_page(page: Page) -> None:
        page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))

    context.on("page", on_page)
    return context, watch
