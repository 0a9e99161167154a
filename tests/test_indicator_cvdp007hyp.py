"""CVDP007HYP patient by patient: the same rules as its spec (tests/spec/indicators/), read
from `cvdp007hyp_patients`, one row per patient in the denominator, with the outcome of each."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from icsight.engine import open_lake
from icsight.indicators.programmes.cvdprevent import cvdp007hyp, cvdp007hyp_patients
from icsight.stats.proportions import wilson
from tests.lakes import event, make_lake, patient
from tests.spec.indicators.cvdp007hyp import HYPRES, SYS, bp, hyp


def outcome(tmp_path: Path, patients, events, as_of="2025-03-31") -> dict[int, bool]:
    """{patient_id: treated_to_target} for the patients in the denominator."""
    lake = open_lake(make_lake(tmp_path, patients, events))
    df = cvdp007hyp_patients(lake, as_of).to_pandas()
    return dict(zip(df.patient_id, df.treated_to_target, strict=True))


def test_reading_under_threshold_counts(tmp_path):
    assert outcome(tmp_path, [patient(1)], [hyp(1), *bp(1, "2024-06-01", 130, 80)]) == {1: True}


def test_no_reading_in_12_months_is_in_denominator_not_numerator(tmp_path):
    # 2024-03-31 is exactly a year before: outside the window, which starts the next day
    got = outcome(tmp_path, [patient(1), patient(2)],
                  [hyp(1), hyp(2), *bp(1, "2024-03-31", 120, 70), *bp(2, "2024-04-01", 120, 70)])
    assert got == {1: False, 2: True}


def test_two_readings_on_one_day_take_lowest_of_each(tmp_path):
    events = [hyp(1), *bp(1, "2024-09-01", 150, 70), *bp(1, "2024-09-01", 130, 95)]
    assert outcome(tmp_path, [patient(1)], events) == {1: True}  # 130/70


def test_latest_day_wins_even_if_higher(tmp_path):
    events = [hyp(1), *bp(1, "2024-09-01", 120, 70), *bp(1, "2025-01-01", 150, 95)]
    assert outcome(tmp_path, [patient(1)], events) == {1: False}


def test_age_80_boundary_uses_the_higher_threshold(tmp_path):
    # On 2025-03-31 someone born in April 1945 is 79; born in March 1945, 80.
    patients = [patient(1, born="1945-04-01"), patient(2, born="1945-03-01")]
    events = [hyp(1), hyp(2), *bp(1, "2025-01-10", 145, 88), *bp(2, "2025-01-10", 145, 88)]
    assert outcome(tmp_path, patients, events) == {1: False, 2: True}


def test_resolved_hypertension(tmp_path):
    patients = [patient(i) for i in (1, 2, 3)]
    events = [
        hyp(1, "2010-01-01"), event(1, "2020-01-01", HYPRES),  # resolved: out
        hyp(2, "2010-01-01"), event(2, "2020-01-01", HYPRES), hyp(2, "2022-01-01"),  # back: in
        hyp(3, "2020-01-01"), event(3, "2020-01-01", HYPRES),  # same day: out
        *bp(2, "2024-10-01", 120, 70),
    ]
    assert outcome(tmp_path, patients, events) == {2: True}


def test_reading_exactly_at_threshold(tmp_path):
    patients = [patient(i) for i in (1, 2, 3)]
    events = [hyp(1), hyp(2), hyp(3), *bp(1, "2024-12-01", 140, 90),
              *bp(2, "2024-12-01", 141, 90), *bp(3, "2024-12-01", 140, 91)]
    assert outcome(tmp_path, patients, events) == {1: True, 2: False, 3: False}


def test_home_thresholds_apply_from_june_2024(tmp_path):
    # 137/84 at home: above 135/85 (home, from June 2024) but within 140/90 (clinic rules)
    after = outcome(tmp_path / "a", [patient(1)], [hyp(1), *bp(1, "2025-01-01", 137, 84, True)])
    before = outcome(tmp_path / "b", [patient(1)], [hyp(1), *bp(1, "2023-12-01", 137, 84, True)],
                     as_of="2024-03-31")
    assert after == {1: False} and before == {1: True}


def test_a_day_with_clinic_and_home_readings_uses_clinic_thresholds(tmp_path):
    events = [hyp(1), *bp(1, "2025-01-01", 137, 84, home=True), *bp(1, "2025-01-01", 139, 86)]
    assert outcome(tmp_path, [patient(1)], events) == {1: True}


def test_systolic_without_diastolic_that_day_is_not_a_reading(tmp_path):
    events = [hyp(1), *bp(1, "2024-12-01", 150, 95), event(1, "2025-01-01", SYS, 120)]
    assert outcome(tmp_path, [patient(1)], events) == {1: False}


def test_invalid_systolic_is_discarded(tmp_path):
    events = [hyp(1), *bp(1, "2025-01-01", 150, 95), *bp(1, "2025-03-01", 45, 70)]
    assert outcome(tmp_path, [patient(1)], events) == {1: False}


def test_who_is_not_in_the_denominator(tmp_path):
    patients = [
        patient(1, registration_end="2025-01-01"),  # deregistered before the as-of date
        patient(2, date_of_death="2025-02-01", registration_end="2025-02-01"),  # died
        patient(3, born="2007-06-01"),  # 17
        patient(4, registration_start="2025-04-01"),  # registers after the as-of date
        patient(5),  # diagnosed after the as-of date
        patient(6, registration_end="2025-04-30"),  # leaves after: still counted
    ]
    events = [hyp(i) for i in (1, 2, 3, 4, 6)] + [hyp(5, "2025-04-02")]
    assert outcome(tmp_path, patients, events) == {6: False}


def test_breakdowns_and_wilson_on_a_known_case(tmp_path):
    patients = [patient(1), patient(2, sex="male"), patient(3, born="1940-01-01"), patient(4)]
    events = [hyp(i) for i in (1, 2, 3, 4)] + [
        *bp(1, "2025-01-01", 120, 70), *bp(2, "2025-01-01", 120, 70),
        *bp(3, "2025-01-01", 148, 80), *bp(4, "2025-01-01", 160, 100)]
    lake = open_lake(make_lake(tmp_path, patients, events))
    out = cvdp007hyp(lake, "2025-03-31")
    assert list(out.columns) == ["indicator_id", "period_end", "breakdown", "group", "numerator",
                                 "denominator", "value", "lower_ci", "upper_ci", "method",
                                 "denominator_basis"]
    assert (out.method == "proportion (Wilson)").all()
    assert (out.denominator_basis == "period-end list").all()
    icb = out[out.breakdown == "icb"].iloc[0]
    assert (icb.group, icb.numerator, icb.denominator, icb.value) == ("BLMK", 3, 4, 75.0)
    z = 1.959963984540054
    lower = (6 + z * z - z * np.sqrt(z * z + 12 * 0.25)) / (2 * (4 + z * z))
    assert icb.lower_ci == pytest.approx(100 * lower, rel=1e-12)
    sex = out[out.breakdown == "sex"].set_index("group")
    assert sex.loc["female", "numerator"] == 2 and sex.loc["female", "denominator"] == 3
    assert sex.loc["male", "value"] == 100.0
    ages = out[out.breakdown == "age_band"].set_index("group")
    assert ages.loc["80+", "numerator"] == 1 and ages.loc["60-79", "denominator"] == 3
    place = out[out.breakdown == "place"]
    assert list(place.group) == ["Bedford Borough"]  # from the practice, not the LSOA
    imd = out[out.breakdown == "imd_quintile"]
    assert list(imd.group) == ["4"]
    assert set(out.breakdown) == {"icb", "place", "pcn", "practice", "imd_quintile",
                                  "imd_decile", "core20", "ethnicity_group", "age_band", "sex"}
    assert list(out[out.breakdown == "core20"].group) == ["Rest"]  # Luton 007A: quintile 4
    assert (out.period_end == "2025-03-31").all()


ACCEPTANCE = Path(__file__).resolve().parent / "acceptance"


def test_wilson_reproduces_phe_indicator_methods():
    cases = json.loads((ACCEPTANCE / "phe_proportion.json").read_text())["cases"]
    checked = 0
    for case in cases:
        exp = case.get("expected", {})
        if exp.get("method") != "Wilson" or "lower95_0cl" not in exp:
            continue
        x, n = case["input"]["x"], case["input"]["n"]
        m = case["params"].get("multiplier", 1)
        for conf, lo, hi in ((0.95, "lower95_0cl", "upper95_0cl"),
                             (0.998, "lower99_8cl", "upper99_8cl")):
            lower, upper = wilson(x, n, conf)
            assert m * lower == pytest.approx(exp[lo], rel=1e-8), case["id"]
            assert m * upper == pytest.approx(exp[hi], rel=1e-8), case["id"]
        checked += 1
    assert checked >= 10
