"""Capacity from the demand projection (icsight.planning.capacity): Erlang's formulas against
textbook values and exact arithmetic, beds from bed days at an occupancy, theatre and clinic
sessions, whole-time equivalents and the paired savings, each worked by hand; and the
assumptions file refusing hostile figures with the field named."""

from __future__ import annotations

import tomllib
from fractions import Fraction
from math import factorial

import numpy as np
import pytest

from icsight.model.reference import data_path
from icsight.planning.capacity import (
    Capacity,
    CapacityAssumptionsError,
    assumptions_from_dict,
    beds_at_occupancy,
    capacity,
    capacity_of_activity,
    clinic_sessions,
    clinic_slots,
    delay_table,
    erlang_b,
    erlang_c,
    occupied_beds,
    packaged_assumptions,
    savings,
    servers_for_occupancy,
    theatre_sessions,
    whole_time_equivalents,
)
from icsight.planning.capacity.measures import Measure
from icsight.planning.demand import POD_IDS, baseline_rates, packaged_scenario, project
from icsight.planning.population import PLACES
from tests.demand_lake import DAY, demand_lake


def _erlang_c_exactly(c: int, a: int) -> Fraction:
    """The textbook sum, in exact fractions: a^c/c! x c/(c-a) over (sum_{k<c} a^k/k! + that)."""
    top = Fraction(a**c, factorial(c)) * Fraction(c, c - a)
    return top / (sum(Fraction(a**k, factorial(k)) for k in range(c)) + top)


# --- Erlang ---------------------------------------------------------------------------------

def test_erlang_b_and_c_against_hand_worked_values():
    # B(1, a) = a / (1 + a); B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2
    assert erlang_b(1, 3.0) == pytest.approx(0.75)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    # one server (M/M/1): the chance of waiting is the occupancy itself
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    # two servers, one erlang: C = 2 x 0.2 / (2 - 1 x 0.8) = 1/3 (= 2 rho^2 / (1 + rho))
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # the textbook call-centre case: 10 erlangs on 11 agents, 68.2% of callers wait
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=5e-5)


def test_erlang_c_agrees_with_exact_arithmetic_even_for_a_thousand_beds():
    for c, a in ((5, 3), (30, 25), (100, 92)):
        assert erlang_c(c, a) == pytest.approx(float(_erlang_c_exactly(c, a)), rel=1e-12)
    # 920^1000 / 1000! overflows any float; the recursion does not
    exact = float(_erlang_c_exactly(1000, 920))
    assert 0 < exact < 0.01
    assert erlang_c(1000, 920.0) == pytest.approx(exact, rel=1e-9)


def test_erlang_is_vectorised_element_by_element():
    servers = np.array([[1], [2], [11]])
    loads = np.array([0.5, 1.0, 10.0])
    got = erlang_c(servers, loads)
    assert got.shape == (3, 3)
    for i, c in enumerate([1, 2, 11]):
        for j, a in enumerate(loads):
            assert got[i, j] == pytest.approx(float(erlang_c(c, a)))
    assert got[1, 1] == pytest.approx(1 / 3)


def test_erlang_c_at_or_above_capacity_everyone_waits_and_with_no_load_nobody_does():
    assert erlang_c(10, 10.0) == 1.0 and erlang_c(10, 12.0) == 1.0
    assert erlang_c(10, 0.0) == 0.0 and erlang_c(0, 0.0) == 0.0


@pytest.mark.parametrize(("servers", "load"), [(-1, 1.0), (2.5, 1.0), (3, -0.1),
                                               (3, float("nan"))])
def test_erlang_refuses_impossible_queues(servers, load):
    with pytest.raises(ValueError):
        erlang_c(servers, load)


def test_servers_for_occupancy_rounds_up_to_whole_beds():
    assert servers_for_occupancy(92.0, 0.92) == 100  # not 101 through rounding
    assert servers_for_occupancy(92.1, 0.92) == 101
    assert servers_for_occupancy(0.0, 0.85) == 0
    for occupancy in (0, 1, 1.5, -0.2):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            servers_for_occupancy(10.0, occupancy)


# --- beds -------------------------------------------------------------------------------------

def test_beds_from_bed_days_at_an_occupancy():
    # 36,500 nights a year is 100 beds occupied on average; at 85%, 100 / 0.85 = 117.65 beds
    assert occupied_beds(36_500, 365) == pytest.approx(100)
    assert beds_at_occupancy(36_500, 0.85, 365) == pytest.approx(117.647, abs=1e-3)
    assert beds_at_occupancy(np.array([3650.0, 7300.0]), 0.92, 365) == pytest.approx(
        [10 / 0.92, 20 / 0.92])


@pytest.mark.parametrize("occupancy", [0, 1, 1.1, -0.5])
def test_beds_refuse_an_occupancy_outside_0_to_1(occupancy):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        beds_at_occupancy(100, occupancy)


def test_delay_table_by_hand():
    # one erlang at 50% occupancy: 2 beds, and C(2, 1) = 1/3; a 2-bed ward at 50% is the same
    # queue; at 80%, 1 / 0.8 = 1.25 rounds up to 2 beds too
    table = delay_table({"here": 1.0}, [0.5, 0.8], ward_beds=2)
    assert list(table.beds) == [2, 2]
    assert list(table.p_wait_pooled) == pytest.approx([1 / 3, 1 / 3])
    # a 2-bed ward at 80% carries 1.6 erlangs: B(2, 1.6) = 1.28 / 3.88, C = 2B / (2 - 1.6(1-B))
    b = (1.6**2 / 2) / (1 + 1.6 + 1.6**2 / 2)
    assert table.p_wait_one_ward.iloc[1] == pytest.approx(2 * b / (2 - 1.6 * (1 - b)))
    with pytest.raises(ValueError):
        delay_table({"here": 1.0}, [1.0], ward_beds=2)


# --- sessions and staff -----------------------------------------------------------------------

def test_theatre_and_clinic_sessions_by_hand():
    a = packaged_assumptions()
    # 100 elective x 0.85 / 2 per session + 200 day cases x 0.6 / 4 = 42.5 + 30
    assert theatre_sessions(100, 200, a.theatres) == pytest.approx(72.5)
    # 7% do not attend: 930 attendances need 1,000 slots; 1,000 / 8 + 2,000 / 16 sessions
    assert clinic_slots(930, a.clinics) == pytest.approx(1000)
    assert clinic_sessions(930, 1860, a.clinics) == pytest.approx(125 + 125)


def test_whole_time_equivalents_by_hand():
    groups = assumptions_from_dict(_raw(workforce=[{"name": "Nurses", "drivers": [
        {"measure": "beds", "wte_per_unit": 0.82, "source": "[E] x"},
        {"measure": "ae", "wte_per_unit": 0.001, "source": "[E] y"}]}])).workforce
    wte = whole_time_equivalents({"beds": np.array([100.0, 10.0]),
                                  "ae": np.array([5000.0, 0.0])}, groups)
    assert wte["Nurses"] == pytest.approx([82 + 5, 8.2])
    with pytest.raises(KeyError, match="'ae'"):
        whole_time_equivalents({"beds": np.array([1.0])}, groups)


def test_capacity_of_activity_by_hand():
    a = packaged_assumptions()
    activity = np.zeros(len(POD_IDS))
    figures = {"non_elective_bed_days": 27_375, "elective_bed_days": 9_125, "elective": 100,
               "day_case": 200, "op_first": 930, "op_follow_up": 1860, "ae": 5000,
               "maternity": 280}
    for pod, value in figures.items():
        activity[POD_IDS.index(pod)] = value
    measures, values = capacity_of_activity(activity, POD_IDS, a, 0.8)
    got = dict(zip([m.id for m in measures], values, strict=True))
    assert got["beds_occupied"] == pytest.approx(100)  # 36,500 nights / 365
    assert got["beds"] == pytest.approx(125)  # at 80%
    assert got["theatre_sessions"] == pytest.approx(72.5)
    assert got["clinic_sessions"] == pytest.approx(250)
    # consultants: 72.5 x 0.00635 + 250 x 0.00317 + 125 x 0.04 + 5000 x 0.0002 + 280 x 0.002
    assert got["wte:consultants"] == pytest.approx(
        72.5 * 0.00635 + 250 * 0.00317 + 5 + 1 + 0.56)
    # midwives come with deliveries: 280 / 28 is about 10 WTE of the group's figure
    assert got["wte:nurses_and_midwives"] == pytest.approx(
        125 * 0.82 + 72.5 * 0.0089 + 250 * 0.0026 + 5000 * 0.001 + 280 * 0.0357)


# --- from a projection ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rates(tmp_path_factory):
    from icsight.engine import open_lake

    return baseline_rates(open_lake(demand_lake(tmp_path_factory.mktemp("cap") / "lake")), DAY)


def test_capacity_of_the_tiny_lakes_baseline_and_runs(rates):
    a = packaged_assumptions()
    projected = project(rates, packaged_scenario("mitigated"), runs=16, seed=5)
    needed = capacity(projected, a, occupancy=0.85)
    beds = needed.measure_index("beds")
    # the baseline's nights: Bedford 5 + 3 non-elective and 2 elective (tests/demand_lake.py);
    # Luton's one emergency stay has 0 nights
    bedford = PLACES.index("Bedford Borough")
    assert needed.baseline[bedford, beds] == pytest.approx(10 / 365 / 0.85)
    assert needed.baseline[:, beds].sum() == pytest.approx(10 / 365 / 0.85)
    # every run's beds from that run's own bed days
    runs = projected.runs
    nights = (runs[..., projected.pods.index("non_elective_bed_days")]
              + runs[..., projected.pods.index("elective_bed_days")])
    assert needed.runs[..., beds] == pytest.approx(nights / 365 / 0.85)
    # BLMK's percentiles are of the runs' sums of the places, never sums of percentiles
    summary = needed.summary()
    blmk = summary[(summary.place == "BLMK") & (summary.measure == "beds")
                   & (summary.year == 2043)].iloc[0]
    by_run = needed.runs[:, -1, :, beds].sum(axis=1)
    assert [blmk.p10, blmk.p50, blmk.p90] == pytest.approx(
        np.percentile(by_run, [10, 50, 90]))
    assert len(summary) == 5 * len(needed.measures) * 21


def test_savings_pair_the_runs_and_take_percentiles_of_the_differences():
    def made(name, beds_by_run, seed=1):
        runs = np.zeros((3, 1, len(PLACES), 1))
        runs[:, 0, 0, 0] = beds_by_run
        return Capacity(scenario=name, seed=seed, years=[2043],
                        measures=[Measure("beds", "Beds", "beds")],
                        baseline=np.zeros((len(PLACES), 1)), runs=runs, occupancy=0.92,
                        assumptions="test")

    principal = made("Principal", [10.0, 20.0, 30.0])
    mitigated = made("Mitigated", [9.0, 12.0, 29.0])
    saved = savings(principal, mitigated)
    row = saved[saved.place == PLACES[0]].iloc[0]
    # run by run: 1, 8, 1 saved; the p50 is 1, not the 20 - 12 = 8 of subtracting p50s
    assert row.p50 == pytest.approx(1.0)
    assert row["mean"] == pytest.approx(10 / 3)
    assert row.p90 == pytest.approx(np.percentile([1, 8, 1], 90))
    blmk = saved[saved.place == "BLMK"].iloc[0]
    assert blmk.p50 == pytest.approx(1.0)  # the other places are 0 in every run
    with pytest.raises(ValueError, match="same seed"):
        savings(principal, made("Other seed", [9.0, 12.0, 29.0], seed=2))


def test_mitigation_saves_beds_in_every_run_of_the_tiny_lake(rates):
    a = packaged_assumptions()
    quiet = {"random_variation": "none"}
    principal = packaged_scenario("principal").model_copy(update=quiet)
    mitigated = packaged_scenario("mitigated").model_copy(update=quiet)
    base = capacity(project(rates, principal, runs=8, seed=3), a)
    less = capacity(project(rates, mitigated, runs=8, seed=3), a)
    beds = less.measure_index("beds")
    # without chance variation the pairs differ only by the mitigators, which only take away
    paired = base.runs[:, -1, :, beds] - less.runs[:, -1, :, beds]
    assert (paired.sum(axis=1) > 0).all()
    saved = savings(base, less)
    blmk = saved[(saved.place == "BLMK") & (saved.measure == "beds") & (saved.year == 2043)]
    assert blmk.p50.iloc[0] == pytest.approx(np.percentile(paired.sum(axis=1), 50))


# --- the assumptions file -----------------------------------------------------------------------

def _raw(**changes) -> dict:
    raw = tomllib.loads(data_path("planning", "capacity.toml").read_text(encoding="utf-8"))
    raw.update(changes)
    return raw


def test_the_packaged_assumptions_load_and_mark_every_source():
    a = packaged_assumptions()
    assert a.beds.occupancy == 0.92
    assert [g.name for g in a.workforce] == ["Consultants", "Nurses and midwives",
                                             "Allied health professionals",
                                             "Administrative and clerical"]
    for group in a.workforce:
        for driver in group.drivers:
            assert "[S]" in driver.source or "[E]" in driver.source


@pytest.mark.parametrize(("change", "says"), [
    ({"beds": {"occupancy": 1.0}}, "beds.occupancy: Input should be less than 1"),
    ({"beds": {"occupancy": 0}}, "beds.occupancy: Input should be greater than 0"),
    ({"beds": {"delay_table_occupancies": [0.9, 1.2]}},
     "beds.delay_table_occupancies: an occupancy must lie strictly between 0 and 1, not 1.2"),
    ({"beds": {"source": "NHS England"}}, "beds.source: a source must say [S]"),
    ({"clinics": {"did_not_attend_rate": 1}}, "clinics.did_not_attend_rate: Input should be"),
    ({"theatres": {"elective_cases_per_session": 0}},
     "theatres.elective_cases_per_session: Input should be greater than 0"),
    ({"workforce": [{"name": "Consultants", "drivers": [
        {"measure": "beds", "wte_per_unit": -0.04, "source": "[E] x"}]}]},
     "workforce[0] ('Consultants').drivers[0].wte_per_unit: Input should be greater than or "
     "equal to 0"),
    ({"workforce": [{"name": "GPs", "drivers": [
        {"measure": "gp_appointments", "wte_per_unit": 0.001, "source": "[E] x"}]}]},
     "workforce[0] ('GPs').drivers[0].measure: unknown measure 'gp_appointments'"),
    ({"occupancy": 0.9}, "occupancy: unknown field"),
])
def test_hostile_assumptions_are_refused_naming_the_field(change, says):
    raw = _raw()
    for key, value in change.items():
        raw[key] = {**raw[key], **value} if isinstance(value, dict) and key in raw else value
    with pytest.raises(CapacityAssumptionsError) as refused:
        assumptions_from_dict(raw, "mine.toml")
    assert f"mine.toml: {says}" in str(refused.value)
