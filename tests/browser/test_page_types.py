"""Every page type (harness.PAGE_TYPES) in Chromium: axe-core finds no serious or critical
accessibility violation; the page loads under its own Content-Security-Policy with no
violation or console error and asks no other host for anything; and it works with JavaScript
switched off.

axe is injected into the page by the test, which the pages' policy rightly forbids: only the
axe test's browser context bypasses the policy (Playwright's `bypass_csp`), and the policy is
checked without the bypass in its own test.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.governance.access import Role
from icsight.services import Service
from icsight.web.views.render import NAVIGATION, navigation_for
from tests.browser.harness import AXE, PAGE_TYPES, SECRET, VIEWPORTS, PageType, serve, watched
from tests.browser.signin import sign_in

# the browser tests in two groups, each run on one worker (docs/testing.md)
pytestmark = pytest.mark.xdist_group("browser-pages")

#: The impacts that fail a page (axe's scale: minor, moderate, serious, critical).
FAILING = ("serious", "critical")
#: axe's rule sets: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and Deque's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" "))}));
}"""

#: Each whitespace-free run of text in a numeric table cell ("1,175,382", "12.4%") that the
#: browser laid out on more than one line.
_BROKEN_NUMBERS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll(".nhsuk-table__cell--numeric")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


def _open(page: Page, kind: PageType) -> None:
    """Sign in as the page type's role (if it has one), open it and check its status."""
    if kind.role:
        sign_in(page, kind.role)
    response = page.goto(kind.path)
    assert response is not None and response.status == kind.status, kind


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v[0])
@pytest.mark.parametrize("kind", PAGE_TYPES, ids=lambda k: k.name)
def test_axe_finds_no_serious_or_critical_violation(browser, live, kind, viewport):
    """At a desktop's width and a phone's (the header and tables change between them).

    At the desktop's width, also: a figure in a numeric column stays whole ("1,175,382", not
    "1,175," above "382"). Table cells may break a long unbroken string anywhere so as to
    reflow at 320 pixels, but not a number, which would be misread. (Checked here, on the
    page axe has just loaded, rather than loading every page once more.)"""
    name, width, height = viewport
    context = browser.new_context(base_url=live.base_url, bypass_csp=True,
                                  viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        _open(page, kind)
        broken = page.evaluate(_BROKEN_NUMBERS) if name == "desktop" else []
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(_RUN_AXE, AXE_TAGS)
    finally:
        context.close()
    _assert_no_failing(violations)
    assert not broken, f"{kind.path} splits {broken[:5]} across lines"


def _assert_no_failing(violations: list[dict]) -> None:
    failing = [v for v in violations if v["impact"] in FAILING]
    assert not failing, "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'][:5])}"
        for v in failing)


@pytest.mark.parametrize("kind", PAGE_TYPES, ids=lambda k: k.name)
def test_the_page_keeps_its_policy_and_asks_no_other_host(browser, live, kind):
    """No bypass here: the page's scripts and styles all load under its policy, with no
    violation and no console error, and every request goes to the server itself."""
    context, watch = watched(browser, live.base_url)
    try:
        page = context.new_page()
        _open(page, kind)
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__violations")
        if kind.design_system:
            # the design system's module script ran (it marks each component it starts)
            expect(page.locator("[data-nhsuk-header-init]")).to_have_count(1)
            # and its stylesheet: the header is NHS blue (#005eb8)
            expect(page.get_by_role("banner")).to_have_css("background-color",
                                                            "rgb(0, 94, 184)")
    finally:
        context.close()
    assert violations == []
    # a refused or missing page's own status is the one error Chromium logs for it
    expected = f"Failed to load resource: the server responded with a status of {kind.status}"
    errors = [e for e in watch.errors if not (kind.status != 200 and e.startswith(expected))]
    assert errors == []
    assert watch.refused == []
    here = urlsplit(live.base_url).netloc
    assert watch.requested and all(urlsplit(url).netloc == here for url in watch.requested)


@pytest.mark.parametrize("kind", PAGE_TYPES, ids=lambda k: k.name)
def test_the_page_works_without_javascript(browser, live, kind):
    """JavaScript off: the whole page is there and shown (heading, navigation, every table
    and its caption, every details' summary), and the design system's script did not run."""
    context, watch = watched(browser, live.base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        _open(page, kind)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # a table in a closed details (a codelist) is shown by its summary, which HTML opens
        tables = page.locator("table:not(details table)")
        for i in range(tables.count()):
            expect(tables.nth(i)).to_be_visible()
            expect(tables.nth(i).locator("caption")).to_be_visible()
        summaries = page.locator("details > summary")
        for i in range(summaries.count()):
            expect(summaries.nth(i)).to_be_visible()
            expect(summaries.nth(i)).not_to_have_text("")
        if kind.design_system:
            assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
            expect(page.locator("[data-nhsuk-header-init]")).to_have_count(0)
            menu = page.get_by_role("navigation", name="Menu")
            shown = navigation_for(Role(kind.role) if kind.role else None)
            for item in shown:
                expect(menu.get_by_role("link", name=item["text"], exact=True)).to_be_visible()
            for item in (i for i in NAVIGATION if i not in shown):
                expect(menu.get_by_role("link", name=item["text"], exact=True)).to_have_count(0)
            expect(page.get_by_role("contentinfo")).to_be_visible()
    finally:
        context.close()
    assert watch.refused == []


def test_the_vendored_axe_is_the_pinned_version_with_its_licence():
    script = (Path(__file__).parents[2] / "scripts" / "vendor_axe.sh").read_text()
    pinned = re.search(r"^VERSION=(\S+)$", script, re.M).group(1)
    assert (AXE.parent / "VERSION").read_text().strip() == pinned
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{pinned}")
    licence = (AXE.parent / "LICENSE").read_text()
    assert licence.startswith("Mozilla Public License, version 2.0")


def test_the_page_types_are_distinct_and_cover_every_navigation_entry():
    """A page type per navigation entry, so a new entry without one fails here (the
    navigation's entries are the site's sections)."""
    names = [k.name for k in PAGE_TYPES]
    assert len(names) == len(set(names))
    paths = {k.path for k in PAGE_TYPES}
    assert {item["href"] for item in NAVIGATION} <= paths


def test_the_watch_sees_a_policy_violation_and_a_request_to_another_host(browser, live):
    """The checks above can fail: a page (made up here, under a policy like the pages') with
    an inline script and an image from another host is caught both ways."""
    context, watch = watched(browser, live.base_url)
    try:
        page = context.new_page()
        strict = {"content-type": "text/html", "content-security-policy": "script-src 'self'"}
        page.route("**/made-up", lambda route: route.fulfill(headers=strict, body=(
            '<!DOCTYPE html><html lang="en"><title>t</title><script>1</script>'
            '<img alt="" src="http://elsewhere.invalid/x.png"></html>')))
        page.goto("/made-up")
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__violations")
    finally:
        context.close()
    assert any(v.startswith("script-src") for v in violations), violations
    assert watch.refused == ["http://elsewhere.invalid/x.png"]


@pytest.mark.parametrize("kind", [k for k in PAGE_TYPES if k.design_system],
                         ids=lambda k: k.name)
def test_the_page_reflows_to_a_narrow_screen(browser, live, kind):
    """At 320 CSS pixels wide nothing needs scrolling sideways (WCAG 2.2 success criterion
    1.4.10, Reflow); tables stack (the design system's responsive tables)."""
    context = browser.new_context(base_url=live.base_url, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        _open(page, kind)
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    assert width <= 320, f"{kind.path} is {width} pixels wide at 320"


def test_the_page_before_any_build_is_accessible_and_keeps_its_policy(browser, lake_dir,
                                                                      tmp_path):
    """The designed 503 a new installation shows before `icsight build` (served over an
    empty results folder): axe, its policy, no other host, and no JavaScript needed."""
    accounts = Accounts(f"sqlite:///{tmp_path / 'icsight.db'}")
    app = create_app(Service(lake_dir, tmp_path / "no-results", tmp_path / "audit.jsonl"),
                     accounts, SECRET, dev=True)
    with serve(app) as base_url:
        context = browser.new_context(base_url=base_url, bypass_csp=True)
        try:
            page = context.new_page()
            assert page.goto("/").status == 503
            page.add_script_tag(path=str(AXE))
            _assert_no_failing(page.evaluate(_RUN_AXE, AXE_TAGS))
        finally:
            context.close()
        for options in ({}, {"java_script_enabled": False}):
            context, watch = watched(browser, base_url, **options)
            try:
                page = context.new_page()
                page.goto("/")
                page.wait_for_load_state("networkidle")
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                expect(page.get_by_text("icsight build")).not_to_have_count(0)
                assert page.evaluate("window.__violations") in ([], None)
            finally:
                context.close()
            assert watch.refused == []
            assert all("status of 503" in e for e in watch.errors), watch.errors
