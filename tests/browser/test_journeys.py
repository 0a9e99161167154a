"""The main journeys in a real browser (Debian's Chromium, driven by Playwright): the public
overview without signing in, a programme, an indicator and its table, its CSV download, the
API reference, each role signing in and out, the keyboard alone, and JavaScript switched off.

Journeys follow links and keys as a person would, rather than opening URLs, so a broken link,
a lost focus or a page that needs JavaScript fails here. The checks of every page type (axe,
the Content-Security-Policy, other hosts) are in test_page_types.py.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from playwright.sync_api import Locator, Page, expect

from icsight.governance.access import Role
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES
from icsight.web.views.pages import POPULATION_INDICATOR, WITHHELD
from icsight.web.views.render import NAVIGATION, navigation_for
from tests.browser.harness import watched
from tests.browser.signin import sign_in, sign_out

# the browser tests in two groups, each run on one worker (docs/testing.md)
pytestmark = pytest.mark.xdist_group("browser-journeys")

INDICATOR = "CVDP007HYP"
PROGRAMME = catalogue()[INDICATOR].programme

#: The focused element: where it is, what it is, and whether the browser shows it as focused.
#: Its look with focus is compared with its look after blur (then focus is put back, so the
#: next Tab goes on from it): a focus style must change something a person can see.
_FOCUSED = """() => {
  const e = document.activeElement;
  const look = () => { const s = getComputedStyle(e);
    return [s.outlineStyle, s.outlineColor, s.outlineWidth, s.boxShadow, s.backgroundColor,
            s.color, s.textDecorationLine].join("|"); };
  const focused = look(), visible = e.matches(":focus-visible");
  e.blur(); const blurred = look(); e.focus();
  return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className.baseVal ?? e.className,
          href: e.getAttribute("href"), text: (e.textContent || "").trim(),
          inMain: !!e.closest("main"), inHeader: !!e.closest("header"),
          shown: visible && focused !== blurred};
}"""


def _tab(page: Page, key: str = "Tab") -> dict:
    page.keyboard.press(key)
    return page.evaluate(_FOCUSED)


def _tab_to(page: Page, wanted, limit: int = 400) -> list[dict]:
    """Press Tab until the focused element is `wanted` (a predicate); every element passed
    on the way must show its focus. The elements passed, the wanted one last."""
    stops = []
    for _ in range(limit):
        stop = _tab(page)
        stops.append(stop)
        assert stop["shown"], f"focus is not visible on {stop}"
        if wanted(stop):
            return stops
    raise AssertionError(f"Tab never reached the element after {limit} presses")


def _follow(page: Page) -> None:
    """Press Enter on the focused link, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _href(href: str):
    return lambda stop: (stop["href"] or "").split("?")[0] == href


def _read_table(page: Page, caption: str) -> tuple[list[str], list[list[str]]]:
    """The table named by its caption (its accessible name) as a person reads it: the column
    headers, and each row's cells (row header first) as shown."""
    table = page.get_by_role("table", name=re.compile("^" + re.escape(caption)))
    expect(table).to_be_visible()
    headers = [" ".join(t.split()) for t in table.get_by_role("columnheader").all_inner_texts()]
    rows = [[" ".join(t.split()) for t in row.locator("th, td").all_inner_texts()]
            for row in table.locator("tbody").get_by_role("row").all()]
    return headers, rows


def _latest(table: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    rows = table[(table.indicator_id == indicator_id) & table.breakdown.isin(["icb", "place"])]
    return rows[rows.period_end == rows.period_end.max()].set_index("group")


def _count(value: float) -> str:
    return WITHHELD if pd.isna(value) else f"{value:,.0f}"


def _withheld_indicator(published: pd.DataFrame) -> str:
    built = published.indicator_id.unique()
    found = [i for i in built if _latest(published, i).suppressed.any()]
    assert found, "the test build withholds no place figure: the test would prove nothing"
    return found[0]


def _account(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Account")


def _expect_signed_out(page: Page) -> None:
    """No one is signed in: the account links offer only "Sign in"."""
    account = _account(page)
    expect(account.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    expect(account.get_by_role("link", name="Sign out")).to_have_count(0)


def test_the_public_overview_needs_no_sign_in(page, live):
    response = page.goto("/")
    assert response.status == 200
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name=re.compile("icsight"))).to_be_visible()
    menu = page.get_by_role("navigation", name="Menu")
    for item in NAVIGATION:
        link = menu.get_by_role("link", name=item["text"], exact=True)
        if "roles" in item:  # staff pages are not offered to the public
            expect(link).to_have_count(0)
        else:
            expect(link).to_be_visible()
    _expect_signed_out(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("BLMK population health overview")
    _, rows = _read_table(page, "People registered")
    population = _latest(live.published, POPULATION_INDICATOR)
    assert {row[0]: row[1] for row in rows} == {
        group: _count(row.denominator) for group, row in population.iterrows()}


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(page):
    page.goto("/")
    first = _tab(page)
    assert "nhsuk-skip-link" in first["cls"] and first["shown"]
    box = page.locator(".nhsuk-skip-link").bounding_box()
    assert box and box["y"] >= 0 and box["x"] >= 0  # on screen once focused
    page.keyboard.press("Enter")
    assert page.url.endswith("#maincontent")
    assert page.evaluate("document.activeElement.id") == "maincontent"
    assert _tab(page)["inMain"], "the next Tab after the skip link is not in the content"


def test_keyboard_only_from_the_top_to_an_indicators_codes_and_csv(page, live):
    """Tab from the top: the skip link, the header, the navigation in order, then the
    content; Enter follows links, opens a codelist and starts the download."""
    page.goto("/")
    stops = _tab_to(page, lambda stop: stop["inMain"])
    assert "nhsuk-skip-link" in stops[0]["cls"]
    navigation = [s["href"] for s in stops if "nhsuk-header__navigation-link" in s["cls"]]
    assert navigation == [item["href"] for item in navigation_for(None)]
    assert all(s["inHeader"] for s in stops[1:-1])  # nothing else on the way
    page.goto("/")
    _tab_to(page, _href("/programmes"))
    _follow(page)
    expect(page).to_have_url(re.compile("/programmes$"))
    _tab_to(page, _href(f"/programmes/{PROGRAMME}"))
    _follow(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(PROGRAMMES[PROGRAMME])
    _tab_to(page, _href(f"/indicators/{INDICATOR}"))
    _follow(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(catalogue()[INDICATOR].title)
    # a codelist's summary ("hyp_cod (12 codes)"), past the charts' data tables
    summary = _tab_to(page, lambda stop: stop["tag"] == "summary"
                      and re.search(r"\(\d+ codes?\)", stop["text"] or ""))[-1]
    page.keyboard.press("Enter")
    opened = page.locator("details[open]")
    expect(opened).to_have_count(1)
    name = summary["text"].split(" (")[0]
    expect(opened.get_by_role("table", name=f"Codes in {name}")).to_be_visible()
    _tab_to(page, lambda stop: "format=csv" in (stop["href"] or ""))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")


def test_a_programme_is_found_from_the_programmes_page(page, live):
    page.goto("/programmes")
    _, rows = _read_table(page, "Work programmes")
    assert [row[0] for row in rows] == list(PROGRAMMES.values())
    page.get_by_role("link", name=PROGRAMMES[PROGRAMME], exact=True).click()
    expect(page).to_have_url(re.compile(f"/programmes/{PROGRAMME}$"))
    headers, rows = _read_table(page, f"{PROGRAMMES[PROGRAMME]}: latest values by place")
    assert headers[:2] == ["Indicator", "BLMK"]
    places = sorted(_latest(live.published, INDICATOR).query("breakdown == 'place'").index)
    assert headers[2:2 + len(places)] == places
    built = next(row for row in rows if row[0] == catalogue()[INDICATOR].title)
    signal = built[headers.index("BLMK variation")]
    assert re.match(r"(Common cause|Special cause)", signal), signal


def test_an_indicators_table_reads_the_published_figures(page, live):
    page.goto(f"/indicators/{INDICATOR}")
    headers, rows = _read_table(page, catalogue()[INDICATOR].title)
    numerator, denominator = headers.index("Numerator"), headers.index("Denominator")
    shown = {row[0]: (row[numerator], row[denominator]) for row in rows}
    expected = _latest(live.published, INDICATOR)
    assert shown == {group: (_count(row.numerator), _count(row.denominator))
                     for group, row in expected.iterrows()}


def test_an_indicators_csv_downloads_with_the_tables_header_row(page, live):
    page.goto(f"/indicators/{INDICATOR}")
    with page.expect_download() as download:
        page.locator('a[href*="format=csv"]').first.click()
    path = download.value.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == list(live.published.columns)
    expected = live.published[live.published.indicator_id == INDICATOR]
    assert len(rows) - 1 == len(expected) > 0
    assert {row[0] for row in rows[1:]} == {INDICATOR}


def test_the_api_reference_is_reached_from_the_navigation(page):
    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="API").click()
    expect(page).to_have_url(re.compile("/api/v1/docs$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("icsight API")
    expect(page.get_by_role("heading", name="POST /api/v1/login")).to_be_visible()
    page.get_by_role("link", name="/api/v1/openapi.json").click()
    assert '"openapi"' in page.locator("body").inner_text()


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_signs_in_and_out(page, live, role):
    user = live.users[role]
    page.goto("/")
    _expect_signed_out(page)
    session = sign_in(page, role)
    assert (session["user"], session["role"]) == (user, role)
    page.reload()
    expect(_account(page)).to_contain_text(f"{user} ({role})")
    page.goto(f"/indicators/{INDICATOR}")  # the session holds from page to page
    expect(_account(page)).to_contain_text(f"{user} ({role})")
    sign_out(page)
    page.reload()
    _expect_signed_out(page)
    assert page.request.get("/api/v1/session").json()["role"] == "public"


def test_the_public_sees_withheld_figures_and_a_signed_in_analyst_the_exact_ones(page, live):
    indicator_id = _withheld_indicator(live.published)
    title = catalogue()[indicator_id].title
    page.goto(f"/indicators/{indicator_id}")
    headers, rows = _read_table(page, title)
    numerator = headers.index("Numerator")
    withheld = _latest(live.published, indicator_id).query("suppressed").index
    public = {row[0]: row[numerator] for row in rows}
    assert all(public[group] == WITHHELD for group in withheld)
    sign_in(page, "analyst")
    page.reload()
    _, rows = _read_table(page, title)
    exact = _latest(live.exact, indicator_id)
    analyst = {row[0]: row[numerator] for row in rows}
    assert analyst == {group: _count(row.numerator) for group, row in exact.iterrows()}
    assert all(analyst[group] != WITHHELD for group in withheld)


def test_without_javascript_a_reader_gets_from_the_overview_to_the_csv(browser, live):
    """JavaScript off: the pages are whole, the navigation and skip link work, a codelist
    opens (HTML's own details) and the download is an ordinary link."""
    context, watch = watched(browser, live.base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
        assert "nhsuk-skip-link" in _tab(page)["cls"]
        page.keyboard.press("Enter")
        assert page.url.endswith("#maincontent")
        assert _tab(page)["inMain"]
        page.get_by_role("navigation", name="Menu").get_by_role(
            "link", name="Programmes").click()
        page.get_by_role("link", name=PROGRAMMES[PROGRAMME], exact=True).click()
        # the programme page names the indicator in its contents, its table and its section's
        # heading: the journey follows the table's link
        page.get_by_role("table").get_by_role(
            "link", name=catalogue()[INDICATOR].title, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(catalogue()[INDICATOR].title)
        page.locator("summary").first.click()
        expect(page.locator("details[open]")).to_have_count(1)
        with page.expect_download() as download:
            page.locator('a[href*="format=csv"]').first.click()
        header = download.value.path().read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == list(live.published.columns)
        assert not watch.errors and not watch.refused
    finally:
        context.close()
