"""Planning in the results store (issue 14, point 5; issue 15, point 2): the build projects the
population, demand and capacity to 2043, publishes them under the disclosure rules, and grows
the waiting lists' referrals by the principal projection.

The publishing rules are checked on hand-made frames with answers worked by hand; the build on
the session's 60,000-person lake, recomputed from the stored runs and from the planning
functions themselves.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from icsight.engine import open_lake
from icsight.governance.access import ANONYMOUS, AccessDeniedError, Principal, Role
from icsight.planning.demand import baseline_rates, packaged_scenario, project
from icsight.planning.population import BLMK, PLACES
from icsight.planning.waiting_lists.from_demand import referrals_from_demand
from icsight.results.planning import (
    FILES,
    publish_capacity,
    publish_demand,
    publish_list_inflation,
    publish_waterfall,
    withheld_areas,
)
from icsight.results.store import build, latest_run
from icsight.results.waiting_lists import INPUTS, lists_from_inputs
from icsight.services.errors import NotFoundError
from icsight.services.projections import PlanningResultsService

ANALYST = Principal("ana", Role.ANALYST)
BEDFORD, CENTRAL, LUTON, MK = PLACES


def _demand(baselines: dict[str, dict[str, float]], **columns: float) -> pd.DataFrame:
    """A demand summary with one year (2043): `baselines[pod][area]`, every percentile
    column `columns` (default the baseline)."""
    rows = []
    for pod, by_area in baselines.items():
        for area, base in by_area.items():
            row = {"scenario": "Principal", "place": area, "pod": pod, "year": 2043,
                   "baseline": float(base)}
            for c in ("mean", "p10", "p50", "p90"):
                row[c] = float(columns.get(c, base))
            rows.append(row)
    return pd.DataFrame(rows)


# --- disclosure control, by hand ---------------------------------------------------------------

def test_a_small_baseline_is_withheld_with_another_so_blmk_cannot_give_it_back():
    # A&E: Bedford's 5 is small; BLMK (605) less the three others published would give it
    # back, so a second figure of the relation must go too. Outpatients: nothing small.
    demand = _demand({"ae": {BEDFORD: 5, CENTRAL: 100, LUTON: 200, MK: 300, BLMK: 605},
                      "op_first": {BEDFORD: 50, CENTRAL: 100, LUTON: 200, MK: 300,
                                   BLMK: 650}})
    hidden = withheld_areas(demand)
    assert (BEDFORD, "ae") in hidden
    assert len({key for key in hidden if key[1] == "ae"}) >= 2
    assert not {key for key in hidden if key[1] == "op_first"}


def test_published_demand_is_rounded_to_5_withholding_1_to_7_and_what_a_withheld_baseline_fed():
    demand = _demand({"ae": {BEDFORD: 5, CENTRAL: 100, LUTON: 200, MK: 300, BLMK: 605},
                      "op_first": {BEDFORD: 1003, CENTRAL: 100, LUTON: 200, MK: 300,
                                   BLMK: 1603}})
    demand.loc[demand.place == CENTRAL, ["p10", "p50", "mean"]] = [6.6, 12.4, 2.4]
    demand.loc[demand.place == LUTON, "p90"] = 0.0
    shown = publish_demand(demand).set_index(["place", "pod"])
    assert shown.loc[(BEDFORD, "ae")][["baseline", "p50", "p90"]].isna().all()
    assert bool(shown.loc[(BEDFORD, "ae"), "suppressed"])
    row = shown.loc[(CENTRAL, "op_first")]
    # 6.6 rounds to 7 (withheld), 12.4 to 10, 2.4 to 2 (withheld), 100 stays
    assert np.isnan(row.p10) and row.p50 == 10 and np.isnan(row["mean"]) and row.baseline == 100
    assert shown.loc[(LUTON, "op_first"), "p90"] == 0  # a zero identifies no one
    assert shown.loc[(BEDFORD, "op_first"), "baseline"] == 1005
    assert not shown.loc[(BEDFORD, "op_first"), "suppressed"]


def test_the_published_waterfall_rounds_the_levels_and_its_steps_still_add_up():
    steps = ["baseline", "demographic", "health status", "non-demographic growth"]
    levels = [100.0, 112.4, 110.1, 131.7]
    frame = pd.DataFrame({"scenario": "Principal", "place": BLMK, "pod": "ae",
                          "horizon": 2043, "order": range(4), "step": steps,
                          "change": np.diff([0.0, *levels]), "level": levels})
    shown = publish_waterfall(frame, hidden=set())
    assert shown.level.tolist() == [100, 110, 110, 130]
    assert shown.change.tolist() == [100, 10, 0, 20]
    assert shown.change.sum() == shown.level.iloc[-1]
    withheld = publish_waterfall(frame, hidden={(BLMK, "ae")})
    assert withheld[["change", "level"]].isna().all().all() and withheld.suppressed.all()


def test_published_capacity_is_withheld_for_an_area_with_any_withheld_baseline():
    frame = pd.DataFrame({"scenario": "Principal", "place": [BEDFORD, LUTON],
                          "measure": "beds", "year": 2043, "baseline": [10.04, 20.06],
                          "mean": [11.0, 22.0], "p10": [10.0, 21.0], "p50": [11.0, 22.04],
                          "p90": [12.0, 23.0]})
    shown = publish_capacity(frame, hidden={(BEDFORD, "elective")}).set_index("place")
    assert shown.loc[BEDFORD, ["baseline", "p50"]].isna().all()
    assert shown.loc[LUTON, ["baseline", "p50"]].tolist() == [20.1, 22.0]
    assert shown.suppressed.tolist() == [True, False]


def test_the_published_list_inflation_is_the_published_pyramid_and_withheld_with_it():
    day = "2026-09-30"
    table = pd.DataFrame({"date": day, "place": LUTON, "age_band": "0-4",
                          "sex": ["persons", "female", "male"],
                          "registered": [33, 21, 12], "residents": [30.0, 15.0, 15.0]})
    pyramid = pd.DataFrame({"period_end": day, "breakdown": "place", "group": LUTON,
                            "sex": ["female", "male"], "age_band": "0-4",
                            "people": [20.0, 10.0], "suppressed": False})
    shown = publish_list_inflation(table, pyramid).set_index("sex")
    assert shown.registered.tolist() == [30, 20, 10]
    assert shown.loc["female", "difference"] == 5 and shown.loc["persons", "ratio"] == 1.0
    pyramid.loc[pyramid.sex == "male", "people"] = np.nan  # withheld in the pyramid
    shown = publish_list_inflation(table, pyramid).set_index("sex")
    assert np.isnan(shown.loc["male", "registered"]) and np.isnan(
        shown.loc["persons", "registered"])
    assert shown.loc["female", "registered"] == 20
    assert shown.suppressed.tolist() == [True, False, True]


# --- the build -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def planned(lake_dir, tmp_path_factory):
    """A one-indicator build with planning and waiting lists on the session's lake."""
    out = tmp_path_factory.mktemp("planned")
    run = build(open_lake(lake_dir), out, months=1, ids=["RTT_18WK"], worklists=False,
                planning=True)
    return out, run


def test_the_build_writes_every_planning_table_with_its_provenance(planned):
    _, run = planned
    said = json.loads((run / "provenance.json").read_text())["planning"]
    assert said["runs"] == 256 and said["seed"] == 1 and said["years"] == [2023, 2043]
    assert set(said["scenarios"]) == {"principal", "mitigated"}
    assert said["baseline_window"][1] == said["as_of"]
    for name, (exact, published) in FILES.items():
        if name in ("forecasts", "backtest"):  # only with --forecasts
            assert not (run / exact).exists()
            continue
        assert (run / exact).is_file(), name
        assert published is None or (run / published).is_file(), name
    assert not (run / "published_planning_demand_runs.parquet").exists()  # analysts only


def test_each_stored_percentile_is_the_percentile_of_the_stored_runs_summed_over_places(planned):
    _, run = planned
    demand = pd.read_parquet(run / FILES["demand"][0])
    runs = pd.read_parquet(run / FILES["demand_runs"][0])
    for scenario, pod, year in (("Principal", "ae", 2043), ("Mitigated", "non_elective", 2035),
                                ("Principal", "op_first", 2023)):
        some = runs[(runs.scenario == scenario) & (runs.pod == pod) & (runs.year == year)]
        assert set(some.place) == set(PLACES) and some.run.nunique() == 256
        totals = some.groupby("run").activity.sum()
        row = demand[(demand.scenario == scenario) & (demand.place == BLMK)
                     & (demand.pod == pod) & (demand.year == year)].iloc[0]
        assert row.p10 == pytest.approx(np.percentile(totals, 10))
        assert row.p50 == pytest.approx(np.percentile(totals, 50))
        assert row.p90 == pytest.approx(np.percentile(totals, 90))
        # never the sum of the places' percentiles (they differ once there is spread)
        by_place = some.groupby("place").activity.quantile(0.9).sum()
        assert row.p90 <= by_place + 1e-9


def test_the_published_demand_has_no_figure_from_1_to_7_and_counts_in_fives(planned):
    _, run = planned
    shown = pd.read_parquet(run / FILES["demand"][1])
    for column in ("baseline", "mean", "p10", "p50", "p90"):
        values = shown[column].dropna()
        assert not values.between(1, 7).any(), column
        assert (values % 5 == 0).all(), column


def test_the_published_list_inflation_matches_the_published_pyramid(planned):
    _, run = planned
    shown = pd.read_parquet(run / FILES["list_inflation"][1])
    pyramid = pd.read_parquet(run / "published_population.parquet")
    female = pyramid[(pyramid.breakdown == "place") & (pyramid.group == LUTON)
                     & (pyramid.sex == "female")].set_index("age_band").people
    mine = shown[(shown.place == LUTON) & (shown.sex == "female")].set_index("age_band")
    pd.testing.assert_series_equal(mine.registered.reindex(female.index), female,
                                   check_names=False)


def test_the_waiting_lists_referrals_come_from_the_principal_projection(planned, lake):
    _, run = planned
    said = json.loads((run / "provenance.json").read_text())
    assert "demand projection" in said["waiting_lists"]["referrals"]
    assert "Principal" in said["waiting_lists"]["referrals"]
    as_of = dt.date.fromisoformat(said["planning"]["as_of"])
    # recomputed apart from the build: the same projection, the same growth rule
    projection = project(baseline_rates(lake, as_of), packaged_scenario("principal"),
                         runs=256, seed=1)
    expected = referrals_from_demand(lake, projection, weeks=52, as_of=as_of)
    stored = lists_from_inputs(run / INPUTS)
    for i, key in enumerate(zip(stored.treatment_function, stored.provider_code,
                                strict=True)):
        mine = expected[(expected.treatment_function == key[0])
                        & (expected.provider_code == key[1])].sort_values("week")
        np.testing.assert_allclose(stored.referrals[i], mine.referrals.to_numpy())


def test_without_planning_the_lists_follow_their_trend_and_no_planning_table_is_written(
        lake_dir, tmp_path):
    run = build(open_lake(lake_dir), tmp_path, months=1, ids=["RTT_18WK"], worklists=False)
    said = json.loads((run / "provenance.json").read_text())
    assert "planning" not in said  # a partial build leaves planning out by default
    assert said["waiting_lists"]["referrals"].startswith("the straight line")
    assert not list(run.glob("*planning*"))


def test_a_build_too_early_in_the_lake_for_a_baseline_year_says_why_and_goes_on(lake_dir,
                                                                                  tmp_path):
    lake = open_lake(lake_dir)
    first = dt.date.fromisoformat(lake.data_window()[0])
    early = (first + dt.timedelta(days=100)).isoformat()
    run = build(lake, tmp_path, months=1, as_of=early, ids=["RTT_18WK"], worklists=False,
                waiting_lists=False, planning=True)
    said = json.loads((run / "provenance.json").read_text())["planning"]
    assert "starts before the lake's data" in said["skipped"]
    assert not list(run.glob("*planning*"))


# --- the service -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def service(planned, tmp_path_factory):
    out, _ = planned
    return PlanningResultsService(out, tmp_path_factory.mktemp("audit") / "audit.jsonl")


def test_the_public_see_published_figures_and_analysts_the_exact_ones(service, planned):
    _, run = planned
    public = service.demand(ANONYMOUS, scenario="principal", place=BLMK, pod="ae")
    exact = service.demand(ANALYST, scenario="PRINCIPAL", place=BLMK, pod="ae")
    assert len(public) == len(exact) == 21  # 2023-2043
    assert all(r["p50"] % 5 == 0 for r in public)
    stored = pd.read_parquet(run / FILES["demand"][0])
    first = stored[(stored.place == BLMK) & (stored.pod == "ae")
                   & (stored.scenario == "Principal")].iloc[0]
    assert exact[0]["p50"] == pytest.approx(first.p50)


def test_only_analysts_get_the_runs_and_asking_is_audited(service):
    runs = service.runs(ANALYST, scenario="principal", pod="ae", year=2043)
    assert len(runs) == 256 * len(PLACES)
    with pytest.raises(AccessDeniedError):
        service.runs(ANONYMOUS, scenario="principal")
    log = service.audit_log.read_text()
    assert "planning runs" in log and "aggregates.unsuppressed" in log


@pytest.mark.parametrize("call", [
    lambda s: s.demand(ANONYMOUS, place="Bedfordshire"),
    lambda s: s.demand(ANONYMOUS, pod="ambulance"),
    lambda s: s.demand(ANONYMOUS, scenario="optimistic"),
    lambda s: s.population(ANONYMOUS, year=2050),
    lambda s: s.capacity(ANONYMOUS, measure="helipads"),
    lambda s: s.forecasts(ANONYMOUS),  # this build has none
])
def test_an_unknown_filter_or_a_missing_table_is_not_found_saying_what_there_is(service,
                                                                                 call):
    with pytest.raises(NotFoundError, match=r"no |one of|--forecasts"):
        call(service)


def test_the_pyramid_bands_the_single_years_and_blmk_sums_the_places(service):
    blmk = service.pyramid(ANONYMOUS, BLMK)
    places = [service.pyramid(ANONYMOUS, p) for p in PLACES]
    assert set(blmk.year) == {2023, 2043} and blmk.age_band.nunique() == 19
    for year in (2023, 2043):
        total = sum(p[p.year == year].people.sum() for p in places)
        assert blmk[blmk.year == year].people.sum() == pytest.approx(total)
    single = service.population(ANONYMOUS, variant="ons-2022", place=LUTON, year=2043)
    in_band = sum(r["people"] for r in single if 85 <= r["age"] <= 89 and r["sex"] == "male")
    luton = service.pyramid(ANONYMOUS, LUTON)
    got = luton[(luton.year == 2043) & (luton.age_band == "85-89") & (luton.sex == "male")]
    assert got.people.iloc[0] == pytest.approx(in_band)


def test_what_the_mitigators_save_is_the_paired_difference_of_the_two_scenarios(service):
    saved = service.savings(ANALYST, place=BLMK, measure="beds")
    principal = {r["year"]: r["mean"] for r in
                 service.capacity(ANALYST, scenario="principal", place=BLMK, measure="beds")}
    mitigated = {r["year"]: r["mean"] for r in
                 service.capacity(ANALYST, scenario="mitigated", place=BLMK, measure="beds")}
    for row in saved:  # means subtract (percentiles do not)
        assert row["mean"] == pytest.approx(principal[row["year"]] - mitigated[row["year"]])
    assert saved[-1]["year"] == 2043 and saved[-1]["p50"] > 0  # the mitigators save beds


def test_the_run_folder_is_the_latest(planned):
    out, run = planned
    assert latest_run(out) == run
