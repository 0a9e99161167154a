"""Fixtures for the browser tests: one Chromium for the session, the build once per session,
a live server per module, and pages in fresh contexts that record every request and console
error (`harness.watched`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.harness import (
    CHROMIUM,
    Site,
    Watch,
    build_site,
    chromium_missing,
    serve,
    watched,
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole session (starting one costs seconds)."""
    missing = chromium_missing()
    if missing:
        pytest.fail(missing)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(lake_dir, tmp_path_factory) -> Site:
    """A three-month build of a few indicators over the session's test lake, one account per
    role."""
    return build_site(lake_dir, tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def live(site) -> Iterator[Site]:
    """`site` served on a free port for this module's tests; its `base_url` is set."""
    with serve(site.app) as base_url:
        site.base_url = base_url
        yield site


@pytest.fixture
def context(browser, live) -> Iterator[tuple[BrowserContext, Watch]]:
    """A fresh context (no cookies) on the live server, and what its pages did."""
    context, watch = watched(browser, live.base_url)
    yield context, watch
    context.close()


@pytest.fixture
def page(context) -> Page:
    """A page in a fresh context on the live server."""
    return context[0].new_page()
