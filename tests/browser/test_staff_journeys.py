"""The journeys of people who sign in, in Chromium, through the pages as a person uses them:
each role signs in with the form and out with the header's link; a programme lead drills from
a place to a PCN to a practice; an analyst reads a chart's table, writes commentary and finds
it in the board paper's PDF; the public and a clinician are refused the data-quality page."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from icsight.governance.access import Role
from icsight.model.reference import practices
from tests.browser.harness import PASSWORD, account

# the browser tests in two groups, each run on one worker (docs/testing.md)
pytestmark = pytest.mark.xdist_group("browser-journeys")

#: A programme with one indicator in the browser tests' build (bowel screening): its board
#: paper is short enough to make in a test.
PAPER_PROGRAMME, PAPER_METRIC = "cancer", "SCREEN_BOWEL"


def _sign_in(page: Page, role: str, back_to: str = "/") -> None:
    """Sign in with the sign-in page's form, as a person does."""
    page.goto(f"/sign-in?next={back_to}")
    page.get_by_label("Username").fill(account(role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _header(page: Page):
    return page.locator("header")


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_signs_in_with_the_form_and_out_from_the_header(page, live, role):
    _sign_in(page, role, back_to="/programmes")
    expect(page).to_have_url(re.compile(r"/programmes$"))  # back where they started
    expect(_header(page)).to_contain_text(f"{account(role)} ({role})")
    _header(page).get_by_role("link", name="Sign out").click()
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    expect(_header(page).get_by_role("link", name="Sign in")).to_be_visible()
    # the session has ended: a staff page now asks to sign in
    assert page.goto("/data-quality").status == 401


def test_a_wrong_password_is_named_in_the_error_summary(page, live):
    page.goto("/sign-in")
    page.get_by_label("Username").fill(account("analyst"))
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(page).to_have_title(re.compile("^Error:"))
    expect(_header(page).get_by_role("link", name="Sign in")).to_be_visible()


def test_drill_from_a_place_to_a_pcn_to_a_practice(page, live):
    """From a programme, down the ODS hierarchy, each step's parent named in the breadcrumbs."""
    example = practices().slice(0, 1).to_pylist()[0]
    page.goto("/programmes/ltc")
    page.locator("#drill-down").locator("xpath=following-sibling::ul[1]").get_by_role(
        "link", name=example["place"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(example["place"])
    page.locator(f'a[href="/pcns/{example["pcn_code"]}"]').first.click()
    expect(page).to_have_url(re.compile(f"/pcns/{example['pcn_code']}$"))
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs).to_contain_text(example["place"])
    page.locator(f'a[href="/practices/{example["practice_code"]}"]').first.click()
    expect(page).to_have_url(re.compile(f"/practices/{example['practice_code']}$"))
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text(
        example["place"])


def test_a_charts_table_is_read_from_the_page(page, live):
    """The SPC chart's data table sits with the chart, and holds the build's months."""
    page.goto("/indicators/CVDP007HYP")
    figure = page.locator("figure").first
    expect(figure.locator("svg").first).to_be_attached()
    figure.locator("summary").first.click()
    table = figure.get_by_role("table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    icb = live.published[(live.published.indicator_id == "CVDP007HYP")
                         & (live.published.breakdown == "icb")].sort_values("period_end")
    assert rows.count() == len(icb)  # one row a month
    # the last row's value is the published BLMK value of the latest month
    cells = rows.last.locator("td").all_inner_texts()
    latest = icb.value.iloc[-1]
    assert any(c.strip().endswith(f"{latest:,.1f}") for c in cells), cells


def test_an_analysts_commentary_is_in_the_board_paper(page, live):
    _sign_in(page, "analyst", back_to=f"/programmes/{PAPER_PROGRAMME}/commentary")
    section = page.locator(f"#metric-{PAPER_METRIC}")
    words = "Uptake rose after the GP text reminders; Luton lags and has a plan."
    section.get_by_role("textbox").fill(words)
    section.get_by_role("button", name=re.compile("Save commentary")).click()
    expect(page.locator(f"#metric-{PAPER_METRIC}")).to_contain_text(words)
    paper = page.request.get(f"/programmes/{PAPER_PROGRAMME}/report.pdf")
    assert paper.status == 200 and paper.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(paper.body())).pages)
    assert "GP text reminders" in re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("clinician", 403), ("public", 403)])
def test_the_data_quality_page_is_refused_below_analyst(page, live, role, status):
    if role:
        _sign_in(page, role)
    response = page.goto("/data-quality")
    assert response.status == status
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if status == 401:
        expect(page.get_by_role("main").get_by_role("link", name=re.compile("[Ss]ign in"))
               ).to_be_visible()


def test_an_analyst_reads_the_data_quality_page(page, live):
    _sign_in(page, "analyst", back_to="/data-quality")
    expect(page).to_have_url(re.compile("/data-quality$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
