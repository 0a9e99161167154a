"""The planning pages (issue 14, point 5): /planning, /planning/demand/{pod}, /planning/waterfall,
/planning/capacity and /planning/population, on a build of the 60,000-person test lake with
the planning tables (`build(..., planning=True)`).

The pages' figures are checked against what the service serves each reader (published below
analyst, exact for analysts). Three copies of the build's run, changed by hand, check what the
lake is too large to show: a withheld baseline (every figure projected from it shown as
"withheld", never 0), a run with monthly forecasts (a build with forecasts takes minutes: a
small forecast table is written instead, its figures worked by hand below) and a run without
planning tables (the unavailable page). The charts are checked on hand-made rows.
"""

from __future__ import annotations

import json
import re
import shutil
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import pytest

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.charts import chart_description, chart_table
from icsight.charts.planning import (
    demand_fan_chart,
    forecast_chart,
    pyramid_change_chart,
    scenario_change_chart,
    waterfall_chart,
)
from icsight.governance.access import ANONYMOUS, Principal, Role
from icsight.results import latest_run
from icsight.services import Service
from tests.accounts import PASSWORD, SECRET
from tests.test_web_pages import Page, _assert_designed_page
from tests.web_forms import client, signed_in

ANALYST = Principal("ana", Role.ANALYST)


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _interval(row: dict) -> str:
    return f"{_money(row['p50'])} [{_money(row['p10'])} to {_money(row['p90'])}]"


@pytest.fixture(scope="module")
def built(lake_dir, tmp_path_factory):
    """The test lake built for one month of one indicator, with the planning tables."""
    from icsight.engine import open_lake
    from icsight.results.store import build

    folder = tmp_path_factory.mktemp("planweb")
    # for planning, as `icsight build` opens it: the national data opt-out applies
    build(open_lake(lake_dir, purpose="planning"), folder / "results", months=1,
          ids=["RTT_18WK"], planning=True)
    return folder


def _app(lake_dir, folder, results):
    accounts = Accounts(f"sqlite:///{folder / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    service = Service(lake_dir, results, folder / "audit.jsonl")
    return create_app(service, accounts, SECRET), service


@pytest.fixture(scope="module")
def site(lake_dir, built):
    app, service = _app(lake_dir, built, built / "results")
    return {"app": app, "service": service.projections, "public": client(app),
            "analyst": signed_in(app, "ana")}


def _copy(built, name: str):
    """A copy of the build's results store, to change by hand; (folder, its run)."""
    folder = built / name
    shutil.copytree(built / "results", folder / "results")
    return folder, latest_run(folder / "results")


# --- /planning ---------------------------------------------------------------------------------

def test_the_planning_home_shows_growth_and_the_scenarios_side_by_side(site):
    response = site["public"].get("/planning")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    service = site["service"]
    # growth of BLMK's residents 2023-2043, summed by hand from the service's population
    for variant, column in (("ons-2022", "Growth: ONS"), ("housing-led", "Growth: housing-led")):
        people = {year: pd.DataFrame(service.population(ANONYMOUS, variant=variant,
                                                        year=year)).people.sum()
                  for year in (2023, 2043)}
        growth = f"{(people[2043] / people[2023] - 1) * 100:+.1f}%"
        table = page.table("Residents in 2023 and 2043")
        head = table["rows"][0]
        blmk = next(r for r in table["rows"] if r[0] == "BLMK")
        assert blmk[head.index(column)] == growth
    # ONS's principal projection grows BLMK by about 14%, the housing-led one by about 25%
    # (issue 14, point 1: the strategy's own statement)
    assert blmk[head.index("Growth: ONS")].startswith("+14.")
    assert blmk[head.index("Growth: housing-led")].startswith(("+24.", "+25."))
    rows = service.demand(ANONYMOUS, place="BLMK")
    horizon = {(r["scenario"], r["pod"]): r for r in rows if r["year"] == 2043}
    table = page.table("Activity a year, BLMK")
    shown = {r[0]: r[1:] for r in table["rows"][1:]}
    row = shown["Non-elective admissions (admissions)"]
    assert row == [_money(horizon[("Principal", "non_elective")]["baseline"]),
                   _interval(horizon[("Principal", "non_elective")]),
                   _interval(horizon[("Mitigated", "non_elective")])]
    assert len(shown) == len({pod for _, pod in horizon})
    # what the build says of itself
    build = service.build()
    assert "256 Monte Carlo runs from seed 1" in response.text
    for version in build["scenarios"].values():
        assert version in response.text
    day = pd.Timestamp(build["baseline_window"][1])
    assert f"12 months to {day.day} {day:%B %Y}" in response.text
    # in the header's navigation, as the current section
    assert ('<a class="nhsuk-header__navigation-link" href="/planning" aria-current="page">'
            in response.text)


def test_the_scenarios_are_drawn_side_by_side_as_change_from_the_baseline(site):
    """The planning home's chart: each point of delivery's median change from the baseline
    year to 2043 and its 10th to 90th percentile, in per cent, under both scenarios, worked
    out here from the service's published figures; drawn on the server, with its table."""
    response = site["public"].get("/planning?place=Luton")
    assert response.status_code == 200
    page = Page(response.text)
    rows = site["service"].demand(ANONYMOUS, place="Luton")
    horizon = {(r["scenario"], r["pod"]): r for r in rows if r["year"] == 2043}
    table = page.table("Data for the chart: Demand in 2043, Luton")
    head = table["rows"][0]
    assert head == ["Point of delivery", "Principal: median change", "Principal: 8 runs in 10",
                    "Mitigated: median change", "Mitigated: 8 runs in 10"]
    shown = {r[0]: r for r in table["rows"][1:]}
    assert len(shown) == len({pod for _, pod in horizon})

    def change(value, baseline):
        return f"{100 * (value / baseline - 1):+.1f}%"

    nel = shown["Non-elective admissions"]
    for scenario in ("Principal", "Mitigated"):
        figures = horizon[(scenario, "non_elective")]
        at = head.index(f"{scenario}: median change")
        assert nel[at] == change(figures["p50"], figures["baseline"])
        assert nel[at + 1] == (f"{change(figures['p10'], figures['baseline'])} to "
                               f"{change(figures['p90'], figures['baseline'])}")
    # the mitigations take emergency admissions below the principal scenario's
    assert float(nel[3].rstrip("%")) < float(nel[1].rstrip("%"))
    assert '<svg' in response.text and 'id="chart-scenario-change"' in response.text


def test_the_place_picker_is_a_get_form_that_works_without_javascript(site):
    page = site["public"].get("/planning").text
    form = re.search(r'<form action="/planning" method="get"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no GET form on the planning home"
    assert 'name="place"' in form.group(1)
    for area in ("BLMK", "Bedford Borough", "Central Bedfordshire", "Luton", "Milton Keynes"):
        assert f'<option value="{area}"' in form.group(1)
    # what the browser sends when the form is submitted
    response = site["public"].get("/planning?" + urlencode({"place": "Central Bedfordshire"}))
    assert response.status_code == 200
    rows = site["service"].demand(ANONYMOUS, place="Central Bedfordshire", pod="ae")
    at = {r["scenario"]: r for r in rows if r["year"] == 2043}
    table = Page(response.text).table("Activity a year, Central Bedfordshire")
    ae = next(r for r in table["rows"] if r[0].startswith("A&E attendances"))
    assert ae[2:] == [_interval(at["Principal"]), _interval(at["Mitigated"])]
    assert re.search(r'<option value="Central Bedfordshire" selected', response.text)
    # each point of delivery links to its own page for the same area
    link = '/planning/demand/ae?place=Central+Bedfordshire'
    assert f'href="{link}"' in response.text
    assert "A&amp;E attendances: demand to 2043" in site["public"].get(link).text


def test_analysts_see_exact_figures_and_the_public_the_published(site):
    exact = {r["scenario"]: r for r in site["service"].demand(ANALYST, place="Luton",
                                                              pod="op_follow_up")
             if r["year"] == 2043}
    published = {r["scenario"]: r for r in site["service"].demand(ANONYMOUS, place="Luton",
                                                                  pod="op_follow_up")
                  if r["year"] == 2043}
    assert exact["Principal"]["p50"] != published["Principal"]["p50"]  # else no test
    assert published["Principal"]["p50"] % 5 == 0
    mine = site["analyst"].get("/planning/demand/op_follow_up?place=Luton").text
    theirs = site["public"].get("/planning/demand/op_follow_up?place=Luton").text
    assert _interval(exact["Principal"]) in mine and _interval(exact["Principal"]) not in theirs
    assert _interval(published["Principal"]) in theirs
    assert "signed in as an analyst" in mine and "signed in as an analyst" not in theirs


# --- /planning/demand/{pod} -------------------------------------------------------------------

def test_the_demand_page_draws_both_scenarios_with_their_table_and_the_baseline(site):
    response = site["public"].get("/planning/demand/non_elective?place=Milton Keynes")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    rows = site["service"].demand(ANONYMOUS, place="Milton Keynes", pod="non_elective")
    table = page.table("Data for the chart: Non-elective admissions, Milton Keynes")
    head = table["rows"][0]
    assert head == ["Year", "Principal: median", "Principal: low to high",
                    "Mitigated: median", "Mitigated: low to high"]
    years = {r[0]: r for r in table["rows"][1:]}
    assert sorted(years) == [str(y) for y in range(2023, 2044)]
    for row in rows:
        shown = years[str(row["year"])]
        at = head.index(f"{row['scenario']}: median")
        assert shown[at] == _money(row["p50"])
        assert shown[at + 1] == f"{_money(row['p10'])} to {_money(row['p90'])}"
    # the text alternative says where the baseline year is and what it was
    caption = re.search(r'id="chart-fan-demand-caption"[^>]*>(.*?)</figcaption>',
                        response.text, re.S).group(1)
    assert f"marked with a vertical line: {_money(rows[0]['baseline'])}" in caption
    assert '<svg' in response.text  # drawn on the server: no JavaScript needed
    # the spec kept beside it marks the baseline's mid-year (the year to 30 September 2026
    # has its middle on 31 March 2026: mid-year 2025.75)
    spec = json.loads(re.search(r'id="chart-fan-demand-spec"[^>]*>(.*?)</script>',
                                response.text, re.S).group(1))
    marks = [v for v in spec["datasets"].values() if v and "baseline" in v[0]]
    window = site["service"].build()["baseline_window"]
    assert window == ["2025-09-30", "2026-09-30"]
    assert marks and marks[0][0]["year"] == 2025.75


def test_without_forecasts_the_demand_page_says_there_are_none(site):
    text = site["public"].get("/planning/demand/ae?place=Luton").text
    assert "The latest build made no monthly forecasts" in text
    text = site["public"].get("/planning/demand/ae").text
    assert "choose a place to see its forecast" in text


#: A hand-made forecast of Luton's A&E attendances: the chosen model's mean 400 + 5h in month
#: h (h = 1 is October 2026), its 80% interval 20 either side, the planning path handed over
#: to a projection of 450 a month, the projection's share (h - 12) / 12 from month 13.
def _forecast_rows() -> pd.DataFrame:
    rows = []
    for model, chosen, offset in (("AutoETS", True, 0.0), ("SeasonalNaive", False, 555.0)):
        for h in range(1, 25):
            mean = 400.0 + 5 * h + offset
            weight = max(0.0, (h - 12) / 12)
            rows.append({"place": "Luton", "pod": "ae",
                         "month": pd.Timestamp(2026, 10, 1) + pd.DateOffset(months=h - 1),
                         "h": h, "model": model, "mean": mean, "lo_80": mean - 20,
                         "hi_80": mean + 20, "lo_95": mean - 40, "hi_95": mean + 40,
                         "chosen": chosen, "projection_p10": 430.0, "projection_p50": 450.0,
                         "projection_p90": 470.0, "weight": weight,
                         "path": (1 - weight) * mean + weight * 450.0,
                         "path_lo_80": (1 - weight) * (mean - 20) + weight * 430.0,
                         "path_hi_80": (1 - weight) * (mean + 20) + weight * 470.0})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def forecast_site(lake_dir, built):
    folder, run = _copy(built, "forecasts")
    forecasts = _forecast_rows()
    forecasts.to_parquet(run / "planning_forecasts.parquet", index=False)
    forecasts.to_parquet(run / "published_planning_forecasts.parquet", index=False)
    scores = pd.DataFrame({"place": ["Luton", "Luton"], "pod": ["ae", "ae"],
                           "model": ["AutoETS", "SeasonalNaive"], "mase": [0.84, 1.0],
                           "coverage_80": [0.75, 0.5], "coverage_95": [0.95, 0.875],
                           "forecasts": [72, 72], "chosen": [True, False]})
    scores.to_parquet(run / "planning_backtest.parquet", index=False)
    scores.to_parquet(run / "published_planning_backtest.parquet", index=False)
    app, _ = _app(lake_dir, folder, folder / "results")
    return client(app)


def test_the_forecast_section_shows_the_chosen_models_months_and_the_hand_over(forecast_site):
    response = forecast_site.get("/planning/demand/ae?place=Luton")
    assert response.status_code == 200
    page = Page(response.text)
    table = page.table("Data for the chart: A&E attendances, Luton, month by month")
    assert table["rows"][0] == ["Month", "Forecast", "80% interval", "Planning path",
                                "Projection's share"]
    months = table["rows"][1:]
    assert len(months) == 24
    # month 1: 405 (385 to 425), the path the forecast itself, the projection's share 0
    assert months[0] == ["Oct 2026", "405", "385 to 425", "405", "0%"]
    # month 18 (March 2028): 490, share 6/12: path 0.5 x 490 + 0.5 x 450 = 470
    assert months[17] == ["Mar 2028", "490", "470 to 510", "470", "50%"]
    # month 24 (September 2028): the projection alone, 450
    assert months[23] == ["Sep 2028", "520", "500 to 540", "450", "100%"]
    assert "AutoETS" in response.text
    assert "960" not in " ".join(" ".join(r) for r in months)  # the other model's 405 + 555
    scores = page.table("Back-test")
    assert scores["rows"][1:] == [["AutoETS (chosen)", "0.84", "75%", "95%"],
                                  ["SeasonalNaive", "1.00", "50%", "88%"]]
    # a place and point of delivery with no forecast in the table says so
    text = forecast_site.get("/planning/demand/ae?place=Bedford Borough").text
    assert "There is no monthly forecast of A&amp;E attendances in Bedford Borough" in text


# --- withheld figures --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def withheld_site(lake_dir, built):
    """Luton's maternity baseline withheld in the published tables, as the build withholds a
    baseline of 1 to 7: every figure projected from it withheld, and Luton's capacity."""
    folder, run = _copy(built, "withheld")
    values = ["baseline", "mean", "p10", "p50", "p90"]
    demand = pd.read_parquet(run / "published_planning_demand.parquet")
    hit = (demand.place == "Luton") & (demand.pod == "maternity")
    demand.loc[hit, values] = np.nan
    demand.loc[hit, "suppressed"] = True
    demand.to_parquet(run / "published_planning_demand.parquet", index=False)
    waterfall = pd.read_parquet(run / "published_planning_waterfall.parquet")
    hit = (waterfall.place == "Luton") & (waterfall.pod == "maternity")
    waterfall.loc[hit, ["change", "level"]] = np.nan
    waterfall.loc[hit, "suppressed"] = True
    waterfall.to_parquet(run / "published_planning_waterfall.parquet", index=False)
    for name in ("capacity", "savings"):
        table = pd.read_parquet(run / f"published_planning_{name}.parquet")
        hit = table.place == "Luton"
        table.loc[hit, [c for c in values if c in table]] = np.nan
        table.loc[hit, "suppressed"] = True
        table.to_parquet(run / f"published_planning_{name}.parquet", index=False)
    app, _ = _app(lake_dir, folder, folder / "results")
    return {"public": client(app), "analyst": signed_in(app, "ana")}


def test_a_withheld_figure_is_shown_as_withheld_never_as_0(withheld_site):
    public = withheld_site["public"]
    home = Page(public.get("/planning?place=Luton").text)
    row = next(r for r in home.table("Activity a year, Luton")["rows"]
               if r[0].startswith("Maternity"))
    assert row[1:] == ["withheld", "withheld", "withheld"]
    change = next(r for r in home.table("Data for the chart: Demand in 2043, Luton")["rows"]
                  if r[0].startswith("Maternity"))
    assert change[1:] == ["withheld"] * 4
    response = public.get("/planning/demand/maternity?place=Luton")
    assert response.status_code == 200
    table = Page(response.text).table("Data for the chart: Maternity: deliveries, Luton")
    cells = [c for r in table["rows"][1:] for c in r[1:]]
    assert cells and set(cells) == {"withheld"}
    assert "(its activity is withheld)" in response.text
    waterfall = public.get("/planning/waterfall?place=Luton&pod=maternity")
    assert waterfall.status_code == 200
    assert "This waterfall is withheld to protect privacy" in waterfall.text
    steps = Page(waterfall.text).table("Change factors: Maternity")["rows"][1:]
    assert steps[0] == ["Baseline", "", "withheld"]
    assert all(r[2] == "withheld" for r in steps)
    assert all(r[1] in ("", "withheld") for r in steps)
    capacity = Page(public.get("/planning/capacity?place=Luton").text)
    beds = next(r for r in capacity.table("What the Principal scenario needs")["rows"]
                if r[0].startswith("General and acute beds at"))
    assert beds[1:] == ["withheld", "withheld", "withheld"]
    saved = next(r for r in capacity.table("Saved by the mitigations")["rows"]
                 if r[0].startswith("General and acute beds at"))
    assert saved[1:] == ["withheld", "withheld"]
    # the analyst still sees the exact figures
    mine = withheld_site["analyst"].get("/planning?place=Luton").text
    row = next(r for r in Page(mine).table("Activity a year, Luton")["rows"]
               if r[0].startswith("Maternity"))
    assert "withheld" not in row and re.match(r"[\d,]+ \[", row[2])


# --- /planning/waterfall -----------------------------------------------------------------------

def test_the_waterfall_adds_up_from_the_baseline_to_2043(site):
    response = site["public"].get("/planning/waterfall?scenario=mitigated&place=BLMK"
                                  "&pod=non_elective")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    steps = site["service"].waterfall(ANONYMOUS, "mitigated", "BLMK", "non_elective")
    table = page.table("Data for the chart: Non-elective admissions, BLMK, Mitigated")
    rows = table["rows"][1:]
    assert len(rows) == len(steps) + 1  # each step and the 2043 level
    assert rows[0] == ["Baseline", "", _money(steps[0]["level"])]
    for shown, step in zip(rows[1:-1], steps[1:], strict=True):
        assert shown[1] == f"{step['change']:+,.0f}" and shown[2] == _money(step["level"])
    assert rows[-1] == ["2043", "", _money(steps[-1]["level"])]
    # published steps are differences of rounded levels, so they add up exactly
    assert steps[0]["level"] + sum(s["change"] for s in steps[1:]) == steps[-1]["level"]
    assert any(s["step"].startswith("mitigator:") for s in steps)
    # the defaults: the principal scenario, BLMK, non-elective admissions
    default = site["public"].get("/planning/waterfall").text
    assert "Non-elective admissions, BLMK, Principal scenario" in default


# --- /planning/capacity ------------------------------------------------------------------------

def test_the_capacity_page_shows_2030_and_2043_and_what_the_mitigations_save(site):
    response = site["public"].get("/planning/capacity?scenario=principal&place=Bedford Borough")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    service = site["service"]
    rows = service.capacity(ANONYMOUS, scenario="principal", place="Bedford Borough",
                            measure="beds")
    at = {r["year"]: r for r in rows}
    table = page.table("What the Principal scenario needs, Bedford Borough")
    beds = next(r for r in table["rows"] if r[0] == rows[0]["label"])

    def tenth(row: dict) -> str:
        return f"{row['p50']:,.1f} [{row['p10']:,.1f} to {row['p90']:,.1f}]"

    assert beds[1:] == [f"{rows[0]['baseline']:,.1f}", tenth(at[2030]), tenth(at[2043])]
    sessions = service.capacity(ANONYMOUS, scenario="principal", place="Bedford Borough",
                                measure="theatre_sessions")
    row = next(r for r in table["rows"] if r[0] == sessions[0]["label"])
    assert row[-1] == _interval(next(r for r in sessions if r["year"] == 2043))
    measures = {r["label"] for r in service.capacity(ANONYMOUS, scenario="principal",
                                                     place="Bedford Borough")}
    assert {r[0] for r in table["rows"][1:]} == measures
    assert any(m.endswith("whole-time equivalents") for m in measures)
    saved = {r["year"]: r for r in service.savings(ANONYMOUS, place="Bedford Borough",
                                                   measure="beds")}
    shown = next(r for r in page.table("Saved by the mitigations, Bedford Borough")["rows"]
                 if r[0] == rows[0]["label"])
    assert shown[1:] == [tenth(saved[2030]), tenth(saved[2043])]
    mitigated = site["public"].get("/planning/capacity?scenario=Mitigated&place=Bedford Borough")
    assert "What the Mitigated scenario needs, Bedford Borough" in mitigated.text


# --- /planning/population ----------------------------------------------------------------------

def test_the_population_page_draws_2023_against_2043_with_list_inflation(site):
    response = site["public"].get("/planning/population?place=Luton")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    pyramid = site["service"].pyramid(ANONYMOUS, place="Luton")
    people = {(r.year, r.age_band, r.sex): r.people for r in pyramid.itertuples()}
    table = page.table("Data for the chart: Luton, ONS 2022-based")
    assert table["rows"][0] == ["Age band", "Female 2023", "Female 2043", "Male 2023",
                                "Male 2043"]
    youngest, oldest = table["rows"][1], table["rows"][-1]
    assert youngest == ["0-4", *(_money(people[(y, "0-4", s)]) for s in ("female", "male")
                                 for y in (2023, 2043))]
    assert oldest[0] == "90+"
    inflation = [r for r in site["service"].list_inflation(ANONYMOUS, place="Luton")
                 if r["sex"] == "persons"]
    first = next(r for r in inflation if r["age_band"] == "0-4")
    listed = page.table("Registered patients on")
    assert listed["rows"][1] == ["0-4", _money(first["registered"]),
                                 _money(first["residents"]), f"{first['difference']:+,.0f}",
                                 f"{first['ratio'] * 100:.1f}"]
    assert first["registered"] % 5 == 0  # the published pyramid's count
    housing = Page(site["public"].get("/planning/population?place=Luton&variant=housing-led")
                   .text)
    assert housing.table("Data for the chart: Luton, Housing-led")


# --- what cannot be shown ----------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/planning?place=Atlantis",
    "/planning/demand/no_such_pod",
    "/planning/demand/ae?place=Atlantis",
    "/planning/waterfall?scenario=wishful",
    "/planning/waterfall?pod=no_such_pod",
    "/planning/waterfall?place=Atlantis",
    "/planning/capacity?scenario=wishful",
    "/planning/capacity?place=Atlantis",
    "/planning/population?place=Atlantis",
    "/planning/population?variant=wishful",
])
def test_unknown_places_points_of_delivery_scenarios_and_variants_are_not_found(site, path):
    response = site["public"].get(path)
    assert response.status_code == 404
    _assert_designed_page(response)
    assert "Page not found" in response.text


@pytest.fixture(scope="module")
def unplanned_site(lake_dir, built):
    folder, run = _copy(built, "unplanned")
    for path in run.glob("*planning_*.parquet"):
        path.unlink()
    app, _ = _app(lake_dir, folder, folder / "results")
    return client(app)


@pytest.mark.parametrize("path", ["/planning", "/planning/demand/ae", "/planning/waterfall",
                                  "/planning/capacity", "/planning/population"])
def test_a_build_without_planning_tables_says_so(unplanned_site, path):
    response = unplanned_site.get(path)
    assert response.status_code == 503
    assert "No planning figures yet" in response.text
    assert "icsight build --planning" in response.text


# --- the charts, on hand-made rows ------------------------------------------------------------

def test_the_fan_chart_tables_both_scenarios_and_says_what_is_withheld():
    rows = pd.DataFrame({"scenario": ["Principal", "Principal", "Mitigated", "Mitigated"],
                         "year": [2023, 2024, 2023, 2024],
                         "p10": [900.0, 950.0, 880.0, np.nan],
                         "p50": [1000.0, 1050.0, 990.0, np.nan],
                         "p90": [1100.0, 1150.0, 1090.0, np.nan]})
    chart = demand_fan_chart(rows, title="Things, BLMK", measure_name="Things a year",
                             baseline=1010.0, baseline_year=2023.75)
    chart.to_dict()  # a valid Vega-Lite spec
    assert chart_table(chart) == [
        {"Year": "2023", "Principal: median": "1,000", "Principal: low to high": "900 to 1,100",
         "Mitigated: median": "990", "Mitigated: low to high": "880 to 1,090"},
        {"Year": "2024", "Principal: median": "1,050",
         "Principal: low to high": "950 to 1,150", "Mitigated: median": "withheld",
         "Mitigated: low to high": "withheld"}]
    text = chart_description(chart)
    assert "baseline year is marked with a vertical line: 1,010." in text
    assert "Principal: median 1,050 in 2024, 8 runs in 10 between 950 and 1,150." in text
    assert "Mitigated: median 990 in 2023" in text  # its last figure not withheld
    assert "1 figure(s) withheld" in text


def test_the_scenario_chart_tables_the_change_in_per_cent_and_what_is_withheld():
    rows = pd.DataFrame([
        {"label": "Admissions", "scenario": "Principal", "baseline": 200.0, "p10": 210.0,
         "p50": 230.0, "p90": 260.0},
        {"label": "Admissions", "scenario": "Mitigated", "baseline": 200.0, "p10": 180.0,
         "p50": 190.0, "p90": 205.0},
        {"label": "Bed days", "scenario": "Principal", "baseline": 40.0, "p10": np.nan,
         "p50": np.nan, "p90": np.nan},
        {"label": "Bed days", "scenario": "Mitigated", "baseline": 40.0, "p10": 44.0,
         "p50": 50.0, "p90": np.nan}])
    chart = scenario_change_chart(rows, title="Things", horizon=2043)
    chart.to_dict()  # a valid Vega-Lite spec
    assert chart_table(chart) == [
        {"Point of delivery": "Admissions", "Principal: median change": "+15.0%",
         "Principal: 8 runs in 10": "+5.0% to +30.0%", "Mitigated: median change": "-5.0%",
         "Mitigated: 8 runs in 10": "-10.0% to +2.5%"},
        {"Point of delivery": "Bed days", "Principal: median change": "withheld",
         "Principal: 8 runs in 10": "withheld", "Mitigated: median change": "+25.0%",
         "Mitigated: 8 runs in 10": "withheld"}]
    words = chart_description(chart)
    assert "Principal: the most growth Admissions (+15.0%)" in words
    assert "Mitigated: the most growth Bed days (+25.0%), the least Admissions (-5.0%)" in words
    assert "1 figure(s) withheld" in words


def test_the_waterfall_chart_tables_each_step_and_the_horizon():
    rows = pd.DataFrame({"order": [0, 1, 2], "step": ["baseline", "demographic",
                                                      "health status"],
                         "change": [100.0, 30.0, -10.0], "level": [100.0, 130.0, 120.0]})
    chart = waterfall_chart(rows, title="Things", measure_name="Things a year", horizon=2043)
    chart.to_dict()
    assert chart_table(chart) == [
        {"Step": "Baseline", "Change": "", "Level after": "100"},
        {"Step": "Demographic", "Change": "+30", "Level after": "130"},
        {"Step": "Health status", "Change": "-10", "Level after": "120"},
        {"Step": "2043", "Change": "", "Level after": "120"}]
    assert chart_description(chart).startswith(
        "Waterfall of Things: from a baseline of 100 to 120 in 2043; the steps: "
        "demographic +30, health status -10.")


def test_the_pyramid_chart_compares_two_years_with_the_growth_of_the_over_80s():
    rows = pd.DataFrame({"year": [2023] * 4 + [2043] * 4,
                         "age_band": ["0-4", "0-4", "80-84", "80-84"] * 2,
                         "sex": ["female", "male"] * 4,
                         "people": [100, 100, 50, 50, 110, 90, 100, 100]})
    chart = pyramid_change_chart(rows, title="Somewhere", first=2023, last=2043)
    chart.to_dict()
    assert chart_table(chart) == [
        {"Age band": "0-4", "Female 2023": "100", "Female 2043": "110", "Male 2023": "100",
         "Male 2043": "90"},
        {"Age band": "80-84", "Female 2023": "50", "Female 2043": "100", "Male 2023": "50",
         "Male 2043": "100"}]
    # 300 -> 400 people (+33.3%); aged 80 and over 100 -> 200 (+100.0%)
    assert ("300 people in 2023, 400 in 2043 (+33.3%). Aged 80 and over: 100 to 200 "
            "(+100.0%).") in chart_description(chart)


def test_the_forecast_chart_tables_the_forecast_and_the_planning_path():
    rows = _forecast_rows()
    rows = rows[rows.chosen & (rows.h <= 2)]
    chart = forecast_chart(rows, title="A&E, Luton", measure_name="Attendances a month",
                           model="AutoETS")
    chart.to_dict()
    assert chart_table(chart) == [
        {"Month": "Oct 2026", "Forecast": "405", "80% interval": "385 to 425",
         "Planning path": "405", "Projection's share": "0%"},
        {"Month": "Nov 2026", "Forecast": "410", "80% interval": "390 to 430",
         "Planning path": "410", "Projection's share": "0%"}]


# --- kept and warmed ---------------------------------------------------------------------------

def test_a_planning_page_is_made_once_per_build_and_principal_then_kept(site):
    app = site["app"]
    cache = app.state.page_cache
    before = len(cache)
    first = site["public"].get("/planning/capacity?place=Luton")
    assert first.status_code == 200 and len(cache) == before + 1
    again = site["public"].get("/planning/capacity?place=Luton")
    assert again.status_code == 200 and len(cache) == before + 1
    assert again.text.split("nonce=")[0] == first.text.split("nonce=")[0]
    # the analyst's page (exact figures) is kept apart from the public's
    site["analyst"].get("/planning/capacity?place=Luton")
    assert len(cache) == before + 2
    # a page that is not found is never kept
    assert site["public"].get("/planning/capacity?place=Atlantis").status_code == 404
    assert len(cache) == before + 2


def test_the_planning_pages_are_warmed_after_the_public_site_when_the_build_has_them(site):
    from icsight.planning.demand import POD_IDS
    from icsight.web.warm import pages_to_warm

    services = site["app"].state.services
    main = pages_to_warm(services, "main")
    planning = [p for p in main if p.startswith("/planning")]
    assert planning == ["/planning", *(f"/planning/demand/{pod}" for pod in POD_IDS),
                        "/planning/waterfall", "/planning/capacity", "/planning/population"]
    last_inequalities = max(i for i, p in enumerate(main) if p.endswith("/inequalities"))
    assert main.index("/planning") > last_inequalities
    # each is a page the public can open (what warming would keep)
    for path in ("/planning", f"/planning/demand/{POD_IDS[0]}", "/planning/population"):
        assert site["public"].get(path).status_code == 200, path
