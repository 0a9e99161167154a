"""Waiting lists reach users (issue 15, points 3 and 5): the results store, the services, the
API (JSON, CSV, errors), the pages and the what-if, on the hand-made lake of tests/wl_web.py,
whose published figures are worked by hand there:

* 110 at RX1: 40 waiting, 20 within 18 weeks, 10 for 52 weeks or more (the unpublished 18-52
  residual is 10, so nothing is secondarily withheld): published as 40, 20 (50.0%) and 10;
  72 clock starts in the year (1.38 a week; 70 once rounded to 5: 1.3 a week), 52 treated
  (1 a week; 50 once rounded: 0.96, shown 1.0).
* 130 at RX2: 3 waiting, all within 18 weeks, none over 52: the 3s are withheld; 0 over 52
  is shown (a zero identifies no one); nobody treated, so capacity 0.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.cli import main
from icsight.governance.access import ANONYMOUS, Principal, Role
from icsight.results import latest_run
from icsight.services import Service
from icsight.services.waiting_lists import WhatIfError
from tests.accounts import PASSWORD, SECRET
from tests.test_web_pages import _assert_designed_page
from tests.web_forms import client, signed_in
from tests.wl_web import wl_lake

ANALYST = Principal("ana", Role.ANALYST)
LIST = "/waiting-lists/110/RX1"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wlweb")
    wl_lake(folder / "lake")
    done = CliRunner().invoke(main, ["build", "--lake", str(folder / "lake"), "--months", "1",
                                     "--out", str(folder / "results"), "--id", "RTT_18WK"])
    assert done.exit_code == 0, done.output
    return folder


@pytest.fixture(scope="module")
def service(built) -> Service:
    return Service(built / "lake", built / "results", built / "audit.jsonl")


@pytest.fixture(scope="module")
def app(built, service, tmp_path_factory):
    accounts = Accounts(f"sqlite:///{tmp_path_factory.mktemp('db') / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    return create_app(service, accounts, SECRET)


# --- the results store ------------------------------------------------------------------------

def test_the_build_writes_the_three_tables_exact_and_published_with_provenance(built):
    run = latest_run(built / "results")
    said = json.loads((run / "provenance.json").read_text())["waiting_lists"]
    assert said["as_of"] == "2025-03-31" and said["lists"] == 2
    assert (said["weeks"], said["runs"], said["seed"]) == (52, 100, 1)
    for exact, published in zip(said["tables"].values(), said["published"].values(),
                                strict=True):
        assert (run / exact).is_file() and (run / published).is_file()
    queues = pd.read_parquet(run / said["tables"]["queues"]).set_index("provider_code")
    assert queues.loc["RX1", ["queue_size", "within_18_weeks", "over_52_weeks"]].tolist() == [
        40, 20, 10]
    assert queues.loc["RX2", ["queue_size", "within_18_weeks", "over_52_weeks"]].tolist() == [
        3, 3, 0]
    trajectories = pd.read_parquet(run / said["tables"]["trajectories"])
    assert sorted(trajectories.week.unique()) == list(range(1, 53))
    assert set(trajectories.measure) == {"list_size", "percent_within_18_weeks",
                                         "over_52_weeks", "over_65_weeks", "over_78_weeks"}
    assert trajectories.week_ending.iloc[0] == "2025-04-07"


def test_a_build_can_leave_the_waiting_lists_out(built, tmp_path):
    from icsight.engine import open_lake
    from icsight.results.store import build

    run = build(open_lake(built / "lake"), tmp_path, months=1, ids=["RTT_18WK"],
                worklists=False, waiting_lists=False)
    assert "waiting_lists" not in json.loads((run / "provenance.json").read_text())
    assert not list(run.glob("*waiting_list*"))


def test_the_published_queues_are_the_hand_worked_figures(service):
    rows = {r["provider_code"]: r for r in service.waiting_lists.queues(ANONYMOUS)}
    big, small = rows["RX1"], rows["RX2"]
    assert (big["queue_size"], big["within_18_weeks"], big["over_52_weeks"]) == (40, 20, 10)
    assert big["percent_within_18_weeks"] == 50.0
    assert (big["demand_weekly"], big["capacity_weekly"]) == (1.3, 1.0)
    assert big["treatment_function_name"] == "Trauma and orthopaedics"
    assert small["queue_size"] is None and small["within_18_weeks"] is None
    assert small["percent_within_18_weeks"] is None and small["mean_wait_weeks"] is None
    assert small["over_52_weeks"] == 0 and small["suppressed"] is True
    assert "target_queue_size" not in big  # the formulas' targets are for analysts
    exact = {r["provider_code"]: r for r in service.waiting_lists.queues(ANALYST)}
    assert exact["RX2"]["queue_size"] == 3
    assert exact["RX1"]["demand_weekly"] == pytest.approx(72 / 52)


def test_published_trajectories_withhold_small_counts_and_round_the_rest(service):
    exact = pd.DataFrame(service.waiting_lists.trajectories(ANALYST))
    shown = pd.DataFrame(service.waiting_lists.trajectories(ANONYMOUS))
    key = ["treatment_function", "provider_code", "week", "measure"]
    both = exact.merge(shown, on=key, suffixes=("_exact", "_shown"))
    counts = both[both.measure != "percent_within_18_weeks"]
    for p in ("p10", "p50", "p90"):
        value = counts[f"{p}_exact"].round()
        small = (value >= 1) & (value <= 7)
        assert counts.loc[small, f"{p}_shown"].isna().all()
        rest = counts[~small]
        assert (rest[f"{p}_shown"] == (rest[f"{p}_exact"].round() / 5).round() * 5).all()
    # RX2's 3 waiting in week 1: withheld, and so is its % within 18 weeks that week
    week1 = shown[(shown.provider_code == "RX2") & (shown.week == 1)].set_index("measure")
    assert week1.p50.isna()["list_size"] and week1.p50.isna()["percent_within_18_weeks"]


# --- expected waits read against the list they came from ----------------------------------

def test_the_expected_wait_is_the_simulated_wait_of_the_list(service):
    waits = pd.DataFrame(service.waiting_lists.expected_waits(ANALYST, "110", "RX1"))
    assert list(waits.priority) == ["P1", "P2", "P3", "P4", "any"]
    # clinical priority first: a P1 never waits longer than a P2, nor a P2 than a P3
    by = waits.set_index("priority")
    assert by.median_weeks["P1"] <= by.median_weeks["P2"] <= by.median_weeks["P3"]
    # 110 at RX1 treats 1 a week and has 40 waiting with 1.38 referred a week: its load is
    # over 1, so fewer than 92 in 100 referred now are treated within the year
    assert by.p92_more_than["any"]
    # 130 at RX2 treats nobody: nobody referred now is treated within the year
    none = pd.DataFrame(service.waiting_lists.expected_waits(ANONYMOUS, "130", "RX2"))
    assert none.median_more_than.all() and (none.median_weeks == 52).all()
    assert "referred" not in none  # the simulated counts are for analysts


# --- the what-if -----------------------------------------------------------------------------

def test_a_what_if_with_more_sessions_shortens_the_list_and_is_repeatable(service):
    got = service.waiting_lists.what_if(ANALYST, "110", "RX1", 100, "2025-04-01", 0)
    assert got["baseline_treatments_per_week"] == 1.0
    assert got["planned_treatments_per_week"] == 2.0  # 100% more of 1 a week
    last = {name: next(r for r in got[name]["trajectories"]
                       if r["week"] == 52 and r["measure"] == "list_size")
            for name in ("baseline", "what_if")}
    # 2 treated a week against 1.38 referred: the list falls; with 1 a week it grows
    assert last["what_if"]["p50"] < 40 < last["baseline"]["p50"]
    again = service.waiting_lists.what_if(ANALYST, "110", "RX1", 100, "2025-04-01", 0)
    assert again["what_if"] == got["what_if"]  # seeded


@pytest.mark.parametrize(("args", "field", "words"), [
    ((-5, None, 0), "extra_sessions_percent", "from 0 to 200"),
    ((500, None, 0), "extra_sessions_percent", "from 0 to 200"),
    (("lots", None, 0), "extra_sessions_percent", "must be a number"),
    ((0, "2027-01-01", 5), "start", "outside the simulated weeks"),
    ((0, "31/12/2025", 5), "start", "must be a date"),
    ((0, None, -1), "insourcing_per_week", "from 0 to 1,000"),
])
def test_an_impossible_plan_names_the_field(service, args, field, words):
    with pytest.raises(WhatIfError, match=words) as caught:
        service.waiting_lists.what_if(ANONYMOUS, "110", "RX1", *args)
    assert caught.value.field == field


def test_more_sessions_of_a_list_that_treats_nobody_is_refused_saying_what_to_do(service):
    with pytest.raises(WhatIfError, match="insourcing_per_week") as caught:
        service.waiting_lists.what_if(ANONYMOUS, "130", "RX2", 50, None, 0)
    assert caught.value.field == "extra_sessions_percent"
    bought = service.waiting_lists.what_if(ANONYMOUS, "130", "RX2", 0, None, 2)
    assert bought["planned_treatments_per_week"] == 2.0


# --- the API ---------------------------------------------------------------------------------

def test_the_api_serves_the_queues_as_json_and_csv(app):
    browser = client(app)
    got = browser.get("/api/v1/waiting-lists")
    assert got.status_code == 200
    rows = {r["provider_code"]: r for r in got.json()["rows"]}
    assert rows["RX1"]["queue_size"] == 40 and rows["RX2"]["queue_size"] is None
    text = browser.get("/api/v1/waiting-lists?format=csv")
    assert text.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(text.text)))
    by = {r["provider_code"]: r for r in table}
    assert by["RX1"]["queue_size"] == "40.0" and by["RX2"]["queue_size"] == ""


def test_the_api_filters_trajectories_and_expected_waits(app):
    browser = client(app)
    got = browser.get("/api/v1/waiting-lists/trajectories?treatment_function=110"
                      "&provider_code=RX1&measure=over_52_weeks&limit=100").json()
    assert got["total"] == 52
    assert {(r["provider_code"], r["measure"]) for r in got["rows"]} == {
        ("RX1", "over_52_weeks")}
    waits = browser.get("/api/v1/waiting-lists/expected-waits?provider_code=RX2").json()
    assert [r["priority"] for r in waits["rows"]] == ["P1", "P2", "P3", "P4", "any"]
    bad = browser.get("/api/v1/waiting-lists/trajectories?measure=queue")
    assert bad.status_code == 422


def test_the_api_what_if_answers_and_refuses_with_the_field_named(app):
    browser = client(app)
    ok = browser.get("/api/v1/waiting-lists/110/RX1/what-if?insourcing_per_week=1")
    assert ok.status_code == 200 and ok.json()["planned_treatments_per_week"] == 2.0
    bad = browser.get("/api/v1/waiting-lists/110/RX1/what-if?start=2030-01-01")
    assert bad.status_code == 422
    detail = bad.json()["detail"][0]
    assert detail["loc"] == ["query", "start"] and "outside the simulated weeks" in detail["msg"]
    unknown = browser.get("/api/v1/waiting-lists/999/RX1/what-if")
    assert unknown.status_code == 404
    assert "/api/v1/waiting-lists/{treatment_function}/{provider_code}/what-if" in \
        browser.get("/api/v1/openapi.json").json()["paths"]


# --- the pages -------------------------------------------------------------------------------

def _cells(html: str) -> list[str]:
    """Each table cell's text (without the heading a responsive table repeats in it)."""
    html = re.sub(r'<span class="nhsuk-table__heading"[^>]*>.*?</span>', "", html,
                  flags=re.S)
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, re.S)]


def test_the_index_lists_each_list_with_published_figures(app):
    page = client(app).get("/waiting-lists")
    _assert_designed_page(page)
    cells = _cells(page.text)
    assert "Trauma and orthopaedics (110)" in " ".join(cells)
    start = next(i for i, c in enumerate(cells) if "Trauma and orthopaedics (110)" in c)
    assert cells[start + 2:start + 5] == ["40", "50.0%", "10"]
    small = next(i for i, c in enumerate(cells) if "Ophthalmology (130)" in c)
    assert cells[small + 2:small + 5] == ["withheld", "withheld", "0"]
    assert 'href="/waiting-lists/110/RX1"' in page.text


def test_the_list_page_has_fan_charts_with_their_tables(app, service):
    page = client(app).get(LIST)
    _assert_designed_page(page)
    assert page.text.count('class="icsight-chart"') == 2
    # the chart's table holds the published median of week 52
    last = next(r for r in service.waiting_lists.trajectories(ANONYMOUS, "110", "RX1",
                                                              "list_size") if r["week"] == 52)
    assert f"{last['p50']:,.0f}" in _cells(page.text)
    assert '<form action="/waiting-lists/110/RX1#what-if" method="get"' in page.text


def test_the_what_if_form_works_without_javascript_and_says_what_is_wrong(app):
    browser = client(app)
    page = browser.get(f"{LIST}?extra_sessions_percent=100&start=&insourcing_per_week=")
    _assert_designed_page(page)
    assert "2.0 a week with the change" in page.text
    assert page.text.count('class="icsight-chart"') == 3
    wrong = browser.get(f"{LIST}?extra_sessions_percent=900")
    assert wrong.status_code == 422
    assert "nhsuk-error-summary" in wrong.text and 'href="#extra_sessions_percent"' in wrong.text
    assert 'value="900"' in wrong.text  # the answer given is kept to correct


def test_the_expected_wait_page_says_the_lists_own_waits_in_plain_words(app, service):
    page = client(app).get(f"{LIST}/expected-wait")
    _assert_designed_page(page)
    wait = next(w for w in service.waiting_lists.expected_waits(ANONYMOUS, "110", "RX1")
                if w["priority"] == "any")
    # 110 at RX1 treats 1 a week, and P1-P3 referrals (half of 1.38 a week) and the P1-P3
    # people waiting take every slot: a P4 is never treated, so fewer than half of those
    # referred now are treated within the 52 weeks
    assert (wait["median_weeks"], wait["median_more_than"]) == (52, True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.text))
    assert ("Most people referred to Trauma and orthopaedics at RX1 now are expected to wait "
            "more than 52 weeks for treatment") in text
    # the table by priority: a P1 is treated within a few weeks, a P4 not within the year
    cells = _cells(page.text)
    p1 = cells.index("P1: within 72 hours")
    assert cells[p1 + 1] != "more than 52"
    p4 = cells.index("P4: can wait more than 3 months")
    assert cells[p4 + 1:p4 + 3] == ["more than 52", "more than 52"]


def test_the_expected_wait_in_words_worked_by_hand():
    from icsight.web.views.waiting_lists import wait_sentence

    quick = {"median_weeks": 9, "median_more_than": False, "p92_weeks": 20,
             "p92_more_than": False}
    assert wait_sentence("Ophthalmology at RX2", quick, 52) == [
        "Most people referred to Ophthalmology at RX2 now are expected to be treated within "
        "9 weeks.", "92 in every 100 are expected to be treated within 20 weeks."]
    long_tail = {**quick, "median_weeks": 1, "p92_weeks": 52, "p92_more_than": True}
    assert wait_sentence("X", long_tail, 52) == [
        "Most people referred to X now are expected to be treated within 1 week.",
        "Some will wait more than 52 weeks: fewer than 92 in every 100 are expected to be "
        "treated within the 52 weeks we can look ahead."]
    assert wait_sentence("X", None, 52) == [
        "There is not enough to say how long people referred to X wait."]


def test_an_unknown_list_is_not_found_and_analysts_see_exact_counts(app):
    browser = client(app)
    assert browser.get("/waiting-lists/999/RX1").status_code == 404
    analyst = signed_in(app, "ana")
    cells = _cells(analyst.get("/waiting-lists").text)
    small = next(i for i, c in enumerate(cells) if "Ophthalmology (130)" in c)
    assert cells[small + 2:small + 5] == ["3", "100.0%", "0"]


# --- the planned-care board report ---------------------------------------------------------

def _report_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_planned_care_report_has_a_waiting_list_section_with_its_table(service):
    from icsight.reports.paper import build_paper
    from icsight.reports.render import to_html, to_pdf

    paper = build_paper(service, None, "2025-03", "planned")
    section = paper.sections[0].waiting_lists
    assert section is not None and section["weeks"] == 52
    first, second = section["rows"]  # largest list first; the withheld one after it
    assert (first["waiting"], first["within"], first["over_52"]) == ("40", "50.0%", "10")
    assert second["waiting"].startswith("withheld")
    ends = {r["measure"]: r for r in service.waiting_lists.trajectories(
        ANONYMOUS, "110", "RX1", last_week=True)}
    assert first["waiting_then"] == f"{ends['list_size']['p50']:,.0f}"
    # the published lists only: 40 waiting, 20 (50.0%) within 18 weeks, 10 over 52; 110 at
    # RX1 is expected to grow (1.38 referred a week, 1 treated)
    assert section["summary"][0].startswith("2 waiting lists (treatment function at "
                                            "provider) on 2025-03-31: 40 people waiting on "
                                            "the 1 list whose figures are published, 50.0%")
    assert "and 10 for 52 weeks or more" in section["summary"][0]
    assert section["summary"][1].startswith("With today's capacity, 1 of the 1 list with "
                                            "published figures is expected to be longer")
    html = to_html(paper)
    text = _report_text(html)
    assert "Waiting lists now and in 52 weeks with today's capacity" in text
    assert to_pdf(html).startswith(b"%PDF")
    assert "Trauma and orthopaedics at RX1 (110 RX1) 40 50.0% 10" in text
    # the other programmes' sections have no waiting lists
    whole = build_paper(service, None, "2025-03")
    assert [s.programme_id for s in whole.sections if s.waiting_lists] == ["planned"]


# --- the fan chart -------------------------------------------------------------------------

def test_the_fan_chart_is_valid_vega_lite_and_its_table_says_what_is_withheld():
    from icsight.charts import chart_description, chart_table, trajectory_chart

    rows = pd.DataFrame({"week_ending": ["2025-04-07", "2025-04-14"], "p10": [None, 10.0],
                         "p50": [5.0, 20.0], "p90": [15.0, 30.0]})
    chart = trajectory_chart(rows, title="People waiting: X", measure_name="People waiting")
    chart.to_dict()  # validates against the Vega-Lite schema
    assert chart_table(chart) == [
        {"Week ending": "7 Apr 2025", "Low": "withheld", "Median": "5", "High": "15"},
        {"Week ending": "14 Apr 2025", "Low": "10", "Median": "20", "High": "30"}]
    assert "from 5 in the first week to 20 in the last" in chart_description(chart)
    base = pd.DataFrame({"week_ending": ["2025-04-07", "2025-04-14"], "p50": [6.0, 25.0]})
    compared = trajectory_chart(rows, title="With the change", measure_name="People waiting",
                                baseline=base)
    compared.to_dict()
    assert chart_table(compared)[1] == {"Week": "2", "Median": "20", "Low to high": "10 to 30",
                                        "Without change": "25"}
    assert "Without the change (today's capacity) the median in the last week is 25" in \
        chart_description(compared)


def test_the_unpublished_18_to_52_week_residual_is_protected_too():
    from icsight.results.waiting_lists import publish_queues

    # list A: 30 waiting, 20 within 18 weeks, 8 for 52+: the 18-52 residual (2) could be
    # worked out from three published counts, so the smallest that can protect it, the 8, is
    # withheld as well (then 52+ and the residual could be any split of 10). List B: 12
    # waiting, 12 within 18 weeks, 0 over 52: nothing small, all shown.
    queues = pd.DataFrame({
        "treatment_function": ["110", "130"], "provider_code": ["RX1", "RX1"],
        "queue_size": [30, 12], "within_18_weeks": [20, 12], "over_52_weeks": [8, 0],
        "percent_within_18_weeks": [100 * 20 / 30, 100.0], "mean_wait_weeks": [20.0, 3.0],
        "demand_weekly": [1.0, 0.5], "capacity_weekly": [1.0, 0.1], "load": [1.0, 5.0],
        "pressure": [2.2, 0.3]})
    got = publish_queues(queues, history_weeks=52).set_index("treatment_function")
    assert got.loc["110", "queue_size"] == 30 and got.loc["110", "within_18_weeks"] == 20
    assert pd.isna(got.loc["110", "over_52_weeks"]) and got.loc["110", "suppressed"]
    assert got.loc["110", "percent_within_18_weeks"] == pytest.approx(66.7)
    assert got.loc["130", ["queue_size", "within_18_weeks", "over_52_weeks"]].tolist() == [
        10, 10, 0]  # 12 rounded to the nearest 5
    # 0.1 a week is 5.2 treatments in the year: withheld; 0.5 a week (26) rounds to 25
    assert pd.isna(got.loc["130", "capacity_weekly"])
    assert got.loc["130", "demand_weekly"] == round(25 / 52, 1)
