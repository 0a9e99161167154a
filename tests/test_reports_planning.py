"""The system board report's planning section (issue 14, point 5): BLMK's population 2023 to
2043 under ONS's projection and the housing-led variant, each point of delivery's 2043 median
and p10 to p90 under both scenarios against the baseline year, and the beds and staff needed
in 2043 with what the mitigated scenario saves; every figure read here against the service
(`services.projections`) the section says it comes from, published unless an analyst asks,
and a build without planning tables saying so."""

from __future__ import annotations

import io
import json
import re
import shutil
from html import unescape

import pandas as pd
import pytest
from pypdf import PdfReader

from icsight.engine import open_lake
from icsight.governance.access import ANONYMOUS, Principal, Role
from icsight.planning.demand import POD_IDS
from icsight.planning.population import BLMK
from icsight.reports.paper import NO_PLANNING, build_paper
from icsight.reports.render import to_html, to_pdf
from icsight.results import latest_run
from icsight.results.store import build
from icsight.services import Service

ANALYST = Principal("ana", Role.ANALYST)
WTE = ["wte:consultants", "wte:nurses_and_midwives", "wte:allied_health_professionals",
       "wte:administrative_and_clerical"]


@pytest.fixture(scope="module")
def built(lake_dir, tmp_path_factory):
    """A build of the test lake with its planning tables, its month and the service."""
    folder = tmp_path_factory.mktemp("planreport")
    run = build(open_lake(lake_dir, purpose="planning"), folder / "results", months=1,
                ids=["RTT_18WK"], planning=True)
    month = json.loads((run / "provenance.json").read_text())["period_ends"][-1][:7]
    service = Service(lake_dir, folder / "results", folder / "audit.jsonl")
    return {"folder": folder, "month": month, "service": service, "lake": lake_dir}


@pytest.fixture(scope="module")
def paper(built):
    return build_paper(built["service"], None, built["month"])


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _interval(row: dict, places: int = 0) -> str:
    return (f"{row['p50']:,.{places}f} ({row['p10']:,.{places}f} to "
            f"{row['p90']:,.{places}f})")


def test_the_population_rows_are_blmk_residents_summed_from_the_projection(built, paper):
    plan = paper.planning
    assert (plan["first"], plan["horizon"]) == (2023, 2043)
    people = pd.DataFrame([*built["service"].projections.population(ANONYMOUS, year=2023),
                           *built["service"].projections.population(ANONYMOUS, year=2043)])
    rows = {r["variant"]: r for r in plan["population"]}
    assert list(rows) == ["ons-2022", "housing-led"]
    for variant, row in rows.items():
        mine = people[people.variant == variant]
        total = mine.groupby("year").people.sum()
        older = mine[mine.age >= 80].groupby("year").people.sum()
        assert (row["first"], row["horizon"]) == pytest.approx((total[2023], total[2043]))
        assert row["horizon_text"] == f"{total[2043]:,.0f}"
        assert row["change"] == f"{100 * (total[2043] / total[2023] - 1):+.1f}%"
        assert row["older_change"] == f"{100 * (older[2043] / older[2023] - 1):+.1f}%"
    # the figures: ONS +14% (over-80s +79%); the housing-led variant about +25%
    ons, housing = rows["ons-2022"], rows["housing-led"]
    assert 0.13 < ons["horizon"] / ons["first"] - 1 < 0.15
    assert 0.75 < ons["older_horizon"] / ons["older_first"] - 1 < 0.83
    assert 0.23 < housing["horizon"] / housing["first"] - 1 < 0.27
    assert plan["summary"][0].startswith(
        f"BLMK's residents are projected to go from {ons['first_text']} in 2023 to "
        f"{ons['horizon_text']} in 2043 ({ons['change']}) on ONS's 2022-based projection, "
        f"and to {housing['horizon_text']} ({housing['change']}) on the housing-led")


def test_each_point_of_delivery_is_the_published_2043_median_and_interval(built, paper):
    activity = {r["pod"]: r for r in paper.planning["activity"]}
    assert list(activity) == list(POD_IDS)
    for pod, row in activity.items():
        served = {r["scenario"].lower(): r for r in built["service"].projections.demand(
            ANONYMOUS, place=BLMK, pod=pod) if r["year"] == 2043}
        for scenario in ("principal", "mitigated"):
            figures = served[scenario]
            assert all(figures[p] % 5 == 0 for p in ("p10", "p50", "p90", "baseline"))
            assert row[scenario] == _interval(figures), (pod, scenario)
            assert row[f"{scenario}_change"] == \
                f"{100 * (figures['p50'] / figures['baseline'] - 1):+.1f}%"
        assert row["baseline"] == f"{served['principal']['baseline']:,.0f}"


def test_beds_and_staff_needed_and_what_the_mitigated_scenario_saves(built, paper):
    capacity = {r["measure"]: r for r in paper.planning["capacity"]}
    assert list(capacity) == ["beds", *WTE]
    projections = built["service"].projections
    for measure, row in capacity.items():
        places = 1 if measure.startswith("wte:") else 0
        need = {r["scenario"].lower(): r for r in projections.capacity(
            ANONYMOUS, place=BLMK, measure=measure) if r["year"] == 2043}
        saved = next(r for r in projections.savings(ANONYMOUS, place=BLMK, measure=measure)
                     if r["year"] == 2043)
        assert row["principal"] == _interval(need["principal"], places)
        assert row["mitigated"] == _interval(need["mitigated"], places)
        assert row["saved"] == _interval(saved, places)
        assert row["baseline"] == f"{need['principal']['baseline']:,.{places}f}"
    beds = capacity["beds"]
    p50 = beds["principal"].split(" ")[0]
    assert (f"In 2043 the principal scenario needs {p50} general and acute beds at 92% "
            "occupancy") in paper.planning["summary"][-1]
    assert f"the mitigated scenario needs {beds['saved'].split(' ')[0]} fewer" in \
        paper.planning["summary"][-1]


def test_an_analyst_asking_for_exact_figures_gets_them(built, paper):
    exact = build_paper(built["service"], None, built["month"], who=ANALYST, published=False)
    rows = {r["pod"]: r for r in exact.planning["activity"]}
    served = {r["scenario"].lower(): r for r in built["service"].projections.demand(
        ANALYST, place=BLMK, pod="non_elective_bed_days") if r["year"] == 2043}
    assert rows["non_elective_bed_days"]["principal"] == _interval(served["principal"])
    published = {r["pod"]: r["principal"] for r in paper.planning["activity"]}
    assert any(rows[pod]["principal"] != published[pod] for pod in POD_IDS)
    # an analyst who asks for the published paper gets the public's figures
    shared = build_paper(built["service"], None, built["month"], who=ANALYST, published=True)
    assert shared.planning["activity"] == paper.planning["activity"]


def test_the_section_and_its_tables_are_in_the_html_and_the_pdf(paper):
    html = to_html(paper)
    part = html[html.index('<section class="part" id="planning"'):
                html.index('<section class="part" id="inequalities"')]
    captions = re.findall(r"<caption>(.*?)</caption>", part)
    assert [unescape(c) for c in captions] == [
        "BLMK residents, 2023 and 2043",
        "BLMK activity by point of delivery: the baseline year and 2043 under each scenario "
        "(median, 8 runs in 10 in brackets)",
        "Non-elective admissions, BLMK: each year to 2043 under each scenario (median, and the "
        "10th to 90th percentile of the runs)",
        "BLMK beds and staff (whole-time equivalents) needed in 2043, and what the mitigated "
        "scenario saves"]
    years = len({r["year"] for r in paper.planning["fan"]["rows"]})
    assert part.count('<th scope="row">') == 2 + len(POD_IDS) + years + 1 + len(WTE)
    text = _text(part)
    nel = next(r for r in paper.planning["activity"] if r["pod"] == "non_elective")
    assert (f"Non-elective admissions {nel['baseline']} {nel['principal']} "
            f"{nel['principal_change']} {nel['mitigated']} {nel['mitigated_change']}") in text
    assert "Activity is rounded to the nearest 5" in text
    pdf = PdfReader(io.BytesIO(to_pdf(html)))
    words = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Planning to 2043: population, demand and capacity" in words
    assert "BLMK residents, 2023 and 2043" in words


def test_emergency_admissions_are_drawn_year_by_year_beside_a_table_of_every_year(built,
                                                                                 paper):
    """The section's chart: BLMK's non-elective admissions in every projected year under both
    scenarios (the published median and p10 to p90 the service serves), the baseline year
    marked, drawn as inline SVG with a text alternative and a table of every year."""
    fan = paper.planning["fan"]
    served = built["service"].projections.demand(ANONYMOUS, place=BLMK, pod="non_elective")
    assert fan["rows"] == [{k: r[k] for k in ("scenario", "year", "p10", "p50", "p90")}
                           for r in served]
    assert fan["baseline"] == served[0]["baseline"] and fan["baseline"] % 5 == 0
    assert 2025 < fan["baseline_year"] < 2027  # the year to 30 September 2026's middle
    html = to_html(paper)
    figure = html[html.index('<figure id="planning-fan">'):]
    figure = figure[:figure.index("</figure>")]
    assert "<svg" in figure and 'role="img"' in figure
    described = re.search(r'aria-label="([^"]*)"', figure).group(1)
    assert unescape(described).startswith("Fan chart of Non-elective admissions, BLMK")
    table = html[html.index('<table class="chart-table" id="planning-fan-table">'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert len(rows) - 1 == len({r["year"] for r in served})  # a heading row, then each year
    horizon = {r["scenario"]: r for r in served if r["year"] == 2043}
    last = [unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", rows[-1])]
    assert last[0] == "2043"
    for scenario, row in horizon.items():
        assert f"{row['p50']:,.0f}" in last and row["p50"] % 5 == 0, scenario


def test_a_programme_paper_has_no_planning_section(built):
    paper = build_paper(built["service"], None, built["month"], "planned")
    assert paper.planning is None
    assert 'id="planning"' not in to_html(paper)


@pytest.mark.parametrize(("planning", "says"), [
    (None, NO_PLANNING),
    ({"skipped": "the baseline year (2021-04-01 to 2022-03-31) starts before the lake's "
                 "data"},
     "The latest build made no planning projections: the baseline year (2021-04-01 to "
     "2022-03-31) starts before the lake's data."),
])
def test_a_build_without_planning_tables_says_so(built, tmp_path, planning, says):
    shutil.copytree(built["folder"] / "results", tmp_path / "results")
    run = latest_run(tmp_path / "results")
    for table in run.glob("*planning_*.parquet"):
        table.unlink()
    provenance = json.loads((run / "provenance.json").read_text())
    if planning is None:
        del provenance["planning"]
    else:
        provenance["planning"] = planning
    (run / "provenance.json").write_text(json.dumps(provenance))
    service = Service(built["lake"], tmp_path / "results", tmp_path / "audit.jsonl")
    paper = build_paper(service, None, built["month"])
    assert paper.planning == {"missing": says}
    html = to_html(paper)
    part = html[html.index('id="planning"'):html.index('id="inequalities"')]
    assert says in unescape(part) and "<table" not in part
