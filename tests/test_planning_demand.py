"""Spec of the demand projection (icsight.planning.demand) on the tiny lake of
tests/demand_lake.py, with every answer worked by hand: the baseline rates, a one-run
projection whose distributions have no width, the waterfall, the health-status adjustment,
seeds and percentiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from icsight.engine import open_lake
from icsight.planning.demand import (
    BANDS,
    POD_IDS,
    Projection,
    baseline_rates,
    packaged_scenario,
    percentiles,
    project,
    scenario_from_dict,
)
from icsight.planning.demand.health_status import health_status_factors
from icsight.planning.demand.projection import years_from_mid_2000
from icsight.planning.population import BLMK, PLACES
from tests.demand_lake import DAY, demand_lake


@pytest.fixture(scope="module")
def rates(tmp_path_factory):
    lake = open_lake(demand_lake(tmp_path_factory.mktemp("demand") / "lake"))
    return baseline_rates(lake, DAY)


def _row(rates, place, band, sex, pod):
    found = rates[(rates.place == place) & (rates.age_band == band) & (rates.sex == sex)
                  & (rates.pod == pod)]
    assert len(found) == 1
    return found.iloc[0]


# --- baseline rates ----------------------------------------------------------------------------

def test_the_baseline_has_a_row_for_every_place_band_sex_and_point_of_delivery(rates):
    assert len(rates) == 4 * 19 * 2 * 13
    assert rates.attrs["window"] == ("2024-03-31", "2025-03-31")
    # activity only where the lake has it: 16 cells
    assert (rates.activity > 0).sum() == 16


@pytest.mark.parametrize(("place", "band", "sex", "pod", "activity", "registered"), [
    # women 70-74 in Bedford: people 1 and 2 registered on 31 March 2025 (person 5 died in
    # December, so is not on the list, but her October admission counts: she was registered
    # when admitted); emergency admissions of people 1 and 5 (person 1's admission on
    # 31 March 2024 is the day before the year; person 2's maternity spell is not
    # non-elective)
    ("Bedford Borough", "70-74", "female", "non_elective", 2, 2),
    ("Bedford Borough", "70-74", "female", "non_elective_bed_days", 5 + 3, 2),
    # person 1's elective stay from 29 March, still open: 2 nights to 31 March
    ("Bedford Borough", "70-74", "female", "elective", 1, 2),
    ("Bedford Borough", "70-74", "female", "elective_bed_days", 2, 2),
    ("Bedford Borough", "70-74", "female", "day_case", 1, 2),
    ("Bedford Borough", "70-74", "female", "ae", 1, 2),  # 23:30 on the year's last day
    ("Bedford Borough", "70-74", "female", "cancer_referrals", 1, 2),  # upgrade left out
    ("Bedford Borough", "70-74", "female", "community", 1, 2),
    # men 30-34 in Bedford: person 3, and person 6 (registered from October: his May
    # admission is not counted, but he is on the list)
    ("Bedford Borough", "30-34", "male", "non_elective", 0, 2),
    ("Bedford Borough", "30-34", "male", "ae", 1, 2),  # 10 June; not 31 March 2024 or 1 April
    ("Bedford Borough", "30-34", "male", "op_first", 1, 2),
    ("Bedford Borough", "30-34", "male", "msk", 1, 2),  # that first was T&O
    ("Bedford Borough", "30-34", "male", "op_follow_up", 1, 2),  # the DNA is not activity
    ("Bedford Borough", "30-34", "male", "mh_referrals", 1, 2),
    ("Bedford Borough", "30-34", "female", "maternity", 1, 1),
    ("Bedford Borough", "30-34", "female", "op_first", 1, 1),
    ("Bedford Borough", "30-34", "female", "msk", 0, 1),  # her first was not T&O
    ("Luton", "70-74", "male", "non_elective", 1, 1),
    ("Luton", "70-74", "male", "non_elective_bed_days", 0, 1),  # in and out the same day
])
def test_baseline_counts_activity_of_registered_people_by_the_indicators_rule(
        rates, place, band, sex, pod, activity, registered):
    row = _row(rates, place, band, sex, pod)
    assert row.activity == activity
    assert row.registered == registered
    assert row.rate == pytest.approx(activity / registered)


def test_people_of_unrecorded_sex_are_left_out_and_counted(rates):
    # person 8's A&E attendance: ONS projects women and men only
    assert rates.attrs["activity_left_out"]["ae"] == 1
    assert rates[rates.pod == "ae"].activity.sum() == 2


# --- a one-run projection with no uncertainty, by hand --------------------------------------

def _scenario(**changes) -> dict:
    raw = {
        "schema_version": 1, "name": "Hand-worked", "version": "1", "horizon": 2043,
        "random_variation": "none",
        "population": {"variants": {"ons-2022": 1.0}},
        "health_status": {
            "enabled": False,
            "share_in_good_health": {"distribution": "fixed", "value": 0.5},
            "life_expectancy_65_gain_per_year": {"female": 0.1, "male": 0.1}},
        "non_demographic_growth": [{
            "name": "All", "pods": list(POD_IDS), "source": "test",
            "rate": {"distribution": "normal", "p10": 0.01, "p90": 0.01}}],
        "mitigators": [{
            "name": "Avoidable", "pods": ["non_elective"], "source": "test",
            "reduction": {"distribution": "lognormal", "p10": 0.2, "p90": 0.2},
            "starts": 2026, "full_by": 2033}],
    }
    raw.update(changes)
    return raw


#: ONS 2022-based residents aged 70-74 (sum of the single years), from the packaged files
BEDFORD_WOMEN_70 = {2024: 4074.942, 2025: 4086.468, 2030: 4556.573, 2043: 5537.972}
LUTON_MEN_70 = {2024: 3013.640, 2025: 3042.830, 2030: 3495.608, 2043: 3941.401}
#: the baseline's middle, 29 September 2024, on the mid-year scale: 91 of 365 days past
#: 30 June 2024
BASE = 2024 + 91 / 365


def _grown(people: dict, year: int) -> float:
    at_base = people[2024] + (people[2025] - people[2024]) * 91 / 365
    return people[year] / at_base


def test_the_baseline_sits_at_the_middle_of_its_year():
    import datetime as dt

    assert years_from_mid_2000(dt.date(2024, 9, 29)) == pytest.approx(BASE)
    assert years_from_mid_2000(dt.date(2024, 6, 30)) == 2024
    assert years_from_mid_2000(dt.date(2025, 3, 1)) == pytest.approx(2024 + 244 / 365)


def test_a_run_with_no_uncertainty_is_the_hand_worked_product(rates):
    run = project(rates, scenario_from_dict(_scenario()), runs=1, seed=5)
    summary = run.summary()

    def value(place, pod, year):
        row = summary[(summary.place == place) & (summary.pod == pod) & (summary.year == year)]
        assert len(row) == 1
        return row.iloc[0]

    # 2043: the mitigator in full (1 - 0.2); 2030: 5 of its 8 steps (2026-2033)
    for year, mitigated in ((2043, 1 - 0.2), (2030, 1 - 0.2 * 5 / 8), (2025, 1.0)):
        ndg = 1.01 ** (year - BASE)
        bedford = 2 * _grown(BEDFORD_WOMEN_70, year) * ndg * mitigated
        luton = 1 * _grown(LUTON_MEN_70, year) * ndg * mitigated
        for place, expected in (("Bedford Borough", bedford), ("Luton", luton),
                                (BLMK, bedford + luton), ("Milton Keynes", 0.0)):
            row = value(place, "non_elective", year)
            assert row.p10 == row.p50 == row.p90 == pytest.approx(expected, rel=1e-9)
    # bed days are not in the mitigator: they grow with the population and the 1% a year
    bed_days = value("Bedford Borough", "non_elective_bed_days", 2043)
    assert bed_days.p50 == pytest.approx(8 * _grown(BEDFORD_WOMEN_70, 2043)
                                         * 1.01 ** (2043 - BASE), rel=1e-9)
    assert value(BLMK, "non_elective", 2043).baseline == 3
    # 2043 by hand: 2 x (5537.972 / 4077.8156 = 1.358073) x (1.01^18.750685 = 1.205116)
    # x 0.8 = 2.61862
    assert value("Bedford Borough", "non_elective", 2043).p50 == pytest.approx(2.61862,
                                                                                abs=1e-5)


def test_the_waterfall_runs_from_the_baseline_to_the_horizon_by_hand(rates):
    run = project(rates, scenario_from_dict(_scenario()), runs=1, seed=5)
    steps = run.waterfall()
    bedford = steps[(steps.place == "Bedford Borough") & (steps.pod == "non_elective")]
    assert list(bedford.step) == ["baseline", "demographic", "health status",
                                  "non-demographic growth", "mitigator: Avoidable",
                                  "random variation"]
    grown = 2 * _grown(BEDFORD_WOMEN_70, 2043)
    ndg = grown * 1.01 ** (2043 - BASE)
    expected = [2, grown - 2, 0, ndg - grown, -0.2 * ndg, 0]
    assert list(bedford.change) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert bedford.change.sum() == pytest.approx(bedford.level.iloc[-1])
    assert set(bedford.horizon) == {2043}
    blmk = steps[(steps.place == BLMK) & (steps.pod == "non_elective")]
    places = steps[steps.place.isin(PLACES) & (steps.pod == "non_elective")]
    assert list(blmk.change) == pytest.approx(list(places.groupby("order").change.sum()))


# --- the health-status adjustment --------------------------------------------------------------

def test_health_status_reads_the_rate_of_a_younger_age_by_hand():
    # bands 50-54, 55-59, 60-64 with rates 1, 2, 4 (middles 52.5, 57.5, 62.5); half of a gain
    # of 0.2 years a year, 10 years on: 1 year younger. 56.5 reads 1 + 4/5 x 1 = 1.8 (factor
    # 0.9); 61.5 reads 2 + 4/5 x 2 = 3.6 (0.9); 50-54 is below from_age 55: 1
    rates = np.array([[[1.0, 2.0, 4.0]]])  # one point of delivery, one sex
    factors = health_status_factors(rates, np.array([50, 55, 60]), 55, np.array([0.5]),
                                    np.array([0.2]), np.array([0.0, 10.0]))
    assert factors.shape == (1, 2, 1, 1, 3)
    assert factors[0, 0, 0, 0] == pytest.approx([1, 1, 1])  # the baseline year itself
    assert factors[0, 1, 0, 0] == pytest.approx([1, 0.9, 0.9])


def test_health_status_leaves_bands_without_activity_alone():
    rates = np.array([[[0.0, 0.0, 3.0]], [[0.0, 0.0, 0.0]]])
    factors = health_status_factors(rates, np.array([50, 55, 60]), 0, np.array([1.0]),
                                    np.array([0.5]), np.array([10.0]))
    # 60-64 reads 57.5 (rate 0): all of its activity is gone
    assert factors[0, 0, 0, 0] == pytest.approx([1, 1, 0])
    assert factors[0, 0, 1, 0] == pytest.approx([1, 1, 1])


def test_health_status_with_no_share_in_good_health_changes_nothing(rates):
    off = project(rates, scenario_from_dict(_scenario()), runs=1, seed=5).runs
    raw = _scenario()
    raw["health_status"] = {**raw["health_status"], "enabled": True,
                            "share_in_good_health": {"distribution": "fixed", "value": 0.0}}
    on = project(rates, scenario_from_dict(raw), runs=1, seed=5).runs
    assert on == pytest.approx(off)


# --- runs, seeds and percentiles ----------------------------------------------------------------

def test_the_same_seed_gives_the_same_runs_and_a_run_does_not_depend_on_how_many(rates):
    scenario = packaged_scenario("mitigated")
    first = project(rates, scenario, runs=16, seed=42).runs
    again = project(rates, scenario, runs=16, seed=42).runs
    assert np.array_equal(first, again)
    fewer = project(rates, scenario, runs=4, seed=42).runs
    assert np.array_equal(fewer, first[:4])
    other = project(rates, scenario, runs=16, seed=43).runs
    assert not np.array_equal(first, other)


def test_percentiles_are_in_order_and_vary(rates):
    run = project(rates, packaged_scenario("mitigated"), runs=256, seed=1)
    summary = run.summary()
    assert len(summary) == 5 * 13 * 21  # areas x points of delivery x 2023-2043
    assert (summary.p10 <= summary.p50).all() and (summary.p50 <= summary.p90).all()
    blmk = summary[(summary.place == BLMK) & (summary.pod == "non_elective")
                   & (summary.year == 2043)].iloc[0]
    assert blmk.p10 < blmk.p90  # Poisson variation and the parameters' spread


def test_bed_days_move_with_their_admissions_draw(rates):
    raw = _scenario(random_variation="poisson", mitigators=[])
    run = project(rates, scenario_from_dict(raw), runs=64, seed=9)
    k_adm, k_days = run.pods.index("non_elective"), run.pods.index("non_elective_bed_days")
    bedford = run.runs[:, :, 0, :]
    # in Bedford every admission and bed day is in one cell: 4 nights an admission, per run
    assert bedford[..., k_days] == pytest.approx(4 * bedford[..., k_adm])
    assert np.all(bedford[..., k_adm] == np.round(bedford[..., k_adm]))  # whole admissions
    assert len(np.unique(bedford[:, -1, k_adm])) > 1


def test_percentiles_are_taken_over_run_totals_never_summed(rates):
    # hostile: Bedford's runs are 0, 0, 10 and Luton's 10, 0, 0: each place's p50 is 0, but
    # the runs' BLMK totals are 10, 0, 10, whose p50 is 10
    runs = np.zeros((3, 1, 4, 1))
    runs[:, 0, 0, 0] = [0, 0, 10]
    runs[:, 0, 2, 0] = [10, 0, 0]
    made = Projection(scenario=packaged_scenario("principal"), pods=("ae",), years=[2043],
                      baseline=np.zeros((4, 1)), runs=runs, steps=[], seed=0,
                      window=("2024-03-31", "2025-03-31"))
    summary = made.summary().set_index("place")
    assert summary.loc["Bedford Borough", "p50"] == 0
    assert summary.loc["Luton", "p50"] == 0
    assert summary.loc[BLMK, "p50"] == 10
    assert summary.loc[BLMK, "mean"] == pytest.approx(20 / 3)  # means do add up
    # numpy's linear percentile: p10 of 1, 2, 3 is at position 0.1 x (3 - 1) = 0.2: 1.2
    assert percentiles(np.array([[1.0], [2.0], [3.0]]))[:, 0] == pytest.approx([1.2, 2, 2.8])


# --- distributions ------------------------------------------------------------------------------

@pytest.mark.parametrize("distribution", ["normal", "lognormal"])
def test_a_distribution_has_the_p10_and_p90_it_is_given(distribution):
    raw = _scenario()
    raw["non_demographic_growth"][0]["rate"] = {"distribution": distribution, "p10": 0.01,
                                                "p90": 0.03}
    rate = scenario_from_dict(raw).non_demographic_growth[0].rate
    rng = np.random.default_rng(0)
    draws = np.array([rate.draw(rng) for _ in range(40_000)])
    # 40,000 draws: each percentile within 0.0003 (about 4 standard errors)
    assert np.percentile(draws, [10, 90]) == pytest.approx([0.01, 0.03], abs=3e-4)
    middle = 0.02 if distribution == "normal" else math.sqrt(0.01 * 0.03)
    assert np.median(draws) == pytest.approx(middle, abs=3e-4)


def test_the_packaged_scenarios_are_valid_and_cover_every_point_of_delivery():
    for name in ("principal", "mitigated"):
        scenario = packaged_scenario(name)
        covered = [p for g in scenario.non_demographic_growth for p in g.pods]
        assert sorted(covered) == sorted(POD_IDS)
        assert scenario.horizon == 2043
        assert all(g.source for g in scenario.non_demographic_growth)
    mitigated = packaged_scenario("mitigated")
    assert [m.name for m in mitigated.mitigators] == [
        "Avoidable emergency admissions", "Virtual wards (older people)",
        "Outpatient follow-up reduction"]
    assert mitigated.mitigators[0].reduction.bounds() == (0.05, 0.20)  # "up to 20%"
    assert len(BANDS) == 19


@pytest.mark.parametrize(("ages", "kept"), [((70, 90), 0.5), ((75, 90), 1.0), ((0, 69), 1.0)])
def test_a_mitigator_applies_only_to_the_bands_its_ages_name(rates, ages, kept):
    # Bedford's non-elective admissions are all women aged 70-74: a band counts when its
    # youngest age (70) is within the mitigator's ages
    raw = _scenario(mitigators=[{
        "name": "Older people", "pods": ["non_elective"], "source": "test", "ages": list(ages),
        "reduction": {"distribution": "fixed", "value": 0.5}, "starts": 2023, "full_by": 2023}])
    plain = project(rates, scenario_from_dict(_scenario(mitigators=[])), runs=1).summary()
    mitigated = project(rates, scenario_from_dict(raw), runs=1).summary()
    pick = (plain.place == "Bedford Borough") & (plain.pod == "non_elective")
    assert list(mitigated[pick].p50) == pytest.approx(list(plain[pick].p50 * kept))


def test_each_run_uses_one_population_variant_with_the_given_chances(rates):
    def bedford_2043(variants):
        raw = _scenario(population={"variants": variants})
        run = project(rates, scenario_from_dict(raw), runs=200, seed=11)
        return run.runs[:, -1, 0, run.pods.index("non_elective")]

    ons = bedford_2043({"ons-2022": 1.0})
    housing = bedford_2043({"housing-led": 1.0})
    assert np.all(ons == ons[0]) and np.all(housing == housing[0])
    assert housing[0] > ons[0]  # Bedford builds more homes than ONS's trend houses
    mixed = bedford_2043({"ons-2022": 0.75, "housing-led": 0.25})
    on_ons = np.isclose(mixed, ons[0])
    assert np.all(on_ons | np.isclose(mixed, housing[0]))
    assert 0.6 < on_ons.mean() < 0.9  # 3 in 4 expected; 200 runs: within 4 standard errors
