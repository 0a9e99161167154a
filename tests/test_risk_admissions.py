"""The emergency admission risk model: features worked by hand on a tiny lake, the temporal
split that cannot leak, the metrics against hand-computed values, and the model against its
baseline on a small synthetic lake."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from icsight.engine import open_lake
from icsight.lake import write_manifest, write_table
from icsight.model.reference import reference_tables
from icsight.model.schema import TABLES
from icsight.risk.admissions import load, reasons, score, split_dates, train
from icsight.risk.card import GROUPS, evaluate
from icsight.risk.evaluation import (
    MIN_EACH,
    auroc,
    brier,
    by_group,
    calibration_deciles,
    flag_accuracy,
    summary,
)
from icsight.risk.features import FEATURES, features, labelled, labels
from tests.lakes import event, patient

AS_OF = "2025-03-31"
D = dt.date.fromisoformat


def spell(pid, admitted, method="emergency", discharged=None, sid=[0]):  # noqa: B006
    sid[0] += 1
    return {"patient_id": pid, "spell_id": sid[0], "provider_code": "RC9",
            "admission_date": D(admitted), "discharge_date": D(discharged) if discharged
            else None, "admission_method": method, "patient_classification": "ordinary",
            "primary_diagnosis": "J189", "primary_procedure": None,
            "treatment_function": "300", "discharge_destination": "usual_residence"}


def attendance(pid, arrival, aid=[0]):  # noqa: B006
    aid[0] += 1
    t = dt.datetime.fromisoformat(arrival)
    return {"patient_id": pid, "attendance_id": aid[0], "provider_code": "RC9",
            "department_type": "01", "arrival": t, "departure": t + dt.timedelta(hours=3),
            "acuity": 3, "disposal": "discharged", "chief_complaint": None}


def appointment(pid, day, attended, aid=[0]):  # noqa: B006
    aid[0] += 1
    return {"patient_id": pid, "appointment_id": aid[0], "provider_code": "RC9",
            "appointment_date": D(day), "treatment_function": "320",
            "first_attendance": False, "attended": attended}


def issue(pid, day, bnf):
    return {"patient_id": pid, "date": D(day), "dmd_code": "1", "bnf_code": bnf,
            "quantity": 28.0}


def make_risk_lake(folder: Path, patients, events=(), **tables) -> Path:
    """A tiny lake: `patients`, `clinical_events` and any other table given as rows."""
    out = dict(reference_tables())
    rows = {"patients": patients, "clinical_events": list(events), **tables}
    for name, spec in TABLES.items():
        if name in rows:
            out[name] = pa.Table.from_pylist(list(rows[name]), schema=spec.schema)
        write_table(folder, name, out.get(name, spec.schema.empty_table()))
    write_manifest(folder, {"kind": "test", "reference_date": "2026-03-31",
                            "window_start": "2021-04-01"})
    return folder


HYP, HF, HFRES, DM, DMRES = "59621000", "84114007", "521691000000100", "44054006", "315051004"


def hand_lake(folder: Path, after_as_of: bool = True) -> Path:
    """Patient 1 has everything (worked below); 2 died after the as-of date; 3 joined after
    it; 4 died on it; 5 left on it. With `after_as_of` False, every record dated after the
    as-of date is left out."""
    patients = [
        patient(1, born="1940-06-01"),
        patient(2, born="2000-03-01", sex="male", ethnicity_group="Asian",
                ethnicity_category="H", lsoa_code=None, date_of_death="2025-06-01",
                registration_end="2025-06-01"),
        patient(3, registration_start="2025-04-01"),
        patient(4, date_of_death="2025-03-31", registration_end="2025-03-31"),
        patient(5, registration_end="2025-03-31"),
    ]
    events = [event(1, "2010-01-01", HYP),
              event(1, "2015-01-01", HF), event(1, "2018-01-01", HFRES),  # resolved: off
              event(1, "2020-01-01", DMRES), event(1, "2024-01-01", DM)]  # diagnosed again: on
    spells = [
        spell(1, "2024-03-31", discharged="2024-04-02"),  # a year before: not in 12 months
        spell(1, "2024-04-01", discharged="2024-04-05"),  # 4 days
        spell(1, "2025-03-31"),  # on the as-of date, still in: 1 day
        spell(1, "2024-10-01", "elective", "2024-10-01"),
        spell(5, "2025-02-01"),
    ]
    later = [
        spell(1, "2025-04-01", discharged="2025-04-03"),  # the outcome, not a feature
        spell(1, "2026-04-01"),  # after the outcome year
        spell(1, "2025-05-01", "elective", "2025-05-01"),
        spell(5, "2025-06-01"),  # left the practice on the as-of date: not counted
    ]
    ec = [attendance(1, "2024-04-01T10:00"), attendance(1, "2025-03-31T23:00")]
    ec_later = [attendance(1, "2025-04-01T01:00")]
    op = [appointment(1, "2024-06-01", "attended"), appointment(1, "2024-07-01", "dna"),
          appointment(1, "2024-08-01", "cancelled")]
    op_later = [appointment(1, "2025-04-02", "attended")]
    meds = [issue(1, "2024-05-01", "0212000B0AAAAAA"), issue(1, "2024-06-01", "0212000B0AAABAB"),
            issue(1, "2024-07-01", "0205051R0AAAAAA"),
            issue(1, "2024-03-31", "0601022B0AAAAAA")]  # a year before: not counted
    meds_later = [issue(1, "2025-04-01", "0601022B0AAAAAA")]
    cancer = [{"patient_id": 1, "diagnosis_date": D("2021-01-01"), "site": "C509",
               "stage": "2"}]
    community = [{"patient_id": 1, "contact_id": 1, "service": "urgent_community_response",
                  "start_date": D("2024-12-01"), "end_date": D("2024-12-01"),
                  "within_2_hours": True}]
    deaths = [{"patient_id": 4, "date_of_death": D("2025-03-31"), "underlying_cause": "I219",
               "place_of_death": "home"}]
    deaths_later = [{"patient_id": 2, "date_of_death": D("2025-06-01"),
                     "underlying_cause": "V892", "place_of_death": "other"}]
    if not after_as_of:
        later = ec_later = op_later = meds_later = deaths_later = []
        for p in patients:
            for k in ("registration_end", "date_of_death"):
                if p[k] is not None and p[k] > D(AS_OF):
                    p[k] = None
    return make_risk_lake(folder, patients, events, apc_spells=spells + later,
                          ec_attendances=ec + ec_later, op_appointments=op + op_later,
                          medications=meds + meds_later, cancer_diagnoses=cancer,
                          community_contacts=community, deaths=deaths + deaths_later)


@pytest.fixture
def hand(tmp_path):
    return open_lake(hand_lake(tmp_path / "hand"))


def test_features_worked_by_hand(hand):
    f = features(hand, AS_OF).set_index("patient_id")
    assert list(f.index) == [1, 2]  # 3 joined later, 4 died and 5 left on the as-of date
    one = f.loc[1]
    assert one.age == 84 and one.sex == "female" and one.imd_quintile == 4
    assert (one.hypertension, one.diabetes, one.heart_failure, one.cancer_5y) == (1, 1, 0, 1)
    assert one.ltc_count == 3  # hypertension, diabetes, cancer in the last 5 years
    assert one.emergency_admissions_12m == 2  # 2024-04-01 and 2025-03-31
    assert one.emergency_bed_days_12m == 4 + 1
    assert one.months_since_emergency_admission == 0
    assert one.elective_admissions_12m == 1
    assert one.ae_attendances_12m == 2
    assert (one.outpatient_attendances_12m, one.outpatient_missed_12m) == (1, 1)
    assert one.medicines_12m == 2  # two presentations of one substance count once
    assert one.community_urgent_12m == 1 and one.mental_health_referrals_12m == 0
    two = f.loc[2]
    assert two.age == 25 and two.sex == "male" and two.ethnicity_group == "Asian"
    assert math.isnan(two.imd_quintile) and math.isnan(two.months_since_emergency_admission)
    assert two.ltc_count == 0 and two.emergency_admissions_12m == 0


def test_months_since_emergency_admission(tmp_path):
    # 2024-04-01 to 2025-03-31 is 11 whole months (a day short of 12); 2023-04-01 is out of
    # the 24-month look-back
    lake = open_lake(make_risk_lake(tmp_path, [patient(1), patient(2)], apc_spells=[
        spell(1, "2024-04-01", discharged="2024-04-02"),
        spell(2, "2023-03-31", discharged="2023-04-02")]))
    f = features(lake, AS_OF).set_index("patient_id")
    assert f.loc[1].months_since_emergency_admission == 11
    assert math.isnan(f.loc[2].months_since_emergency_admission)


def test_labels_are_strictly_after_the_as_of_date(hand):
    got = labels(hand, AS_OF).set_index("patient_id")
    # 1: admitted 2025-04-01 (the admission on the as-of date is a feature, not an outcome);
    # 2: died 2025-06-01; 5 was admitted after leaving, but is not registered on the date
    assert got.loc[1].emergency_admission and not got.loc[1].died
    assert got.loc[2].died and not got.loc[2].emergency_admission
    frame = labelled(hand, AS_OF).set_index("patient_id")
    assert frame.emergency_admission.to_dict() == {1: 1, 2: 0}
    assert frame.died.to_dict() == {1: 0, 2: 1}


def test_label_window_ends_12_months_later(tmp_path):
    lake = open_lake(make_risk_lake(tmp_path, [patient(1), patient(2), patient(3)], apc_spells=[
        spell(1, "2026-03-31"), spell(2, "2026-04-01"), spell(3, AS_OF)]))
    frame = labelled(lake, AS_OF).set_index("patient_id")
    assert frame.emergency_admission.to_dict() == {1: 1, 2: 0, 3: 0}


def test_no_feature_reads_a_record_after_the_as_of_date(tmp_path):
    full = features(open_lake(hand_lake(tmp_path / "full")), AS_OF)
    cut = features(open_lake(hand_lake(tmp_path / "cut", after_as_of=False)), AS_OF)
    pd.testing.assert_frame_equal(full, cut)


def test_temporal_split_dates(hand):
    # the hand lake's last day is 2026-03-31
    assert split_dates(hand) == (D("2024-03-31"), D("2025-03-31"), D("2026-03-31"))


# --- metrics -----------------------------------------------------------------------------------


def test_auroc_by_hand():
    # positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ranked right
    assert auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert auroc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)  # a tie counts a half
    assert math.isnan(auroc([1, 1], [0.2, 0.3]))


def test_brier_and_observed_to_expected_by_hand():
    assert brier([0, 1], [0.2, 0.6]) == pytest.approx((0.04 + 0.16) / 2)
    s = summary([0, 1, 1, 0], [0.25, 0.25, 0.5, 0.0])
    assert s["observed_to_expected"] == pytest.approx(2 / 1.0)
    assert (s["people"], s["outcomes"]) == (4, 2)


def test_calibration_groups_by_hand():
    risk = [0.8, 0.1, 0.5, 0.3, 0.7, 0.2, 0.6, 0.4]
    outcome = [1, 0, 0, 0, 1, 0, 1, 1]  # by risk: .1 0, .2 0, .3 0, .4 1, .5 0, .6 1, .7 1, .8 1
    t = calibration_deciles(outcome, risk, groups=4)
    assert t.people.tolist() == [2, 2, 2, 2]
    assert t.mean_predicted.tolist() == pytest.approx([0.15, 0.35, 0.55, 0.75])
    assert t.observed.tolist() == pytest.approx([0.0, 0.5, 0.5, 1.0])


def test_flag_accuracy_by_hand():
    got = flag_accuracy([1, 1, 0, 0, 0], [1, 0, 1, 0, 0])
    assert got["sensitivity"] == pytest.approx(0.5) and got["ppv"] == pytest.approx(0.5)
    assert got["specificity"] == pytest.approx(2 / 3) and got["flagged"] == 2


def test_by_group_covers_every_group_even_empty_ones():
    frame = pd.DataFrame({"sex": ["female"] * 30 + ["male"] * 4,
                          "imd": [1.0] * 20 + [None] * 14,
                          "y": ([1] * 12 + [0] * 18) + [1, 0, 0, 0],
                          "p": np.linspace(0.9, 0.1, 34)})
    t = by_group(frame, "sex", "y", ["p"], ["female", "male", "unknown"])
    assert t.group.tolist() == ["female", "male", "unknown"]
    assert t.people.tolist() == [30, 4, 0]
    assert not math.isnan(t.auroc[0])  # 12 with and 18 without
    assert math.isnan(t.auroc[1])  # fewer than MIN_EACH either way
    assert MIN_EACH == 10
    t = by_group(frame, "imd", "y", ["p"], [1.0, 2.0, None])
    assert t.people.tolist() == [20, 0, 14]


def test_reasons_are_said_as_a_clinician_would():
    names = [f.name for f in FEATURES]
    frame = pd.DataFrame([{n: 0 for n in names}, {n: 0 for n in names}])
    frame.loc[0, ["age", "emergency_admissions_12m", "heart_failure", "medicines_12m"]] = \
        [84, 2, 1, 7]
    frame.loc[1, ["age", "emergency_admissions_12m"]] = [30, 1]
    frame["imd_quintile"] = np.nan
    frame["months_since_emergency_admission"] = np.nan
    frame["sex"], frame["ethnicity_group"] = "male", "White"
    c = np.zeros((2, len(names)))
    c[0, names.index("emergency_admissions_12m")] = 0.9
    c[0, names.index("heart_failure")] = 0.5
    c[0, names.index("age")] = 0.7
    c[0, names.index("medicines_12m")] = 0.1  # fourth: left out
    c[0, names.index("sex")] = 2.0  # never a reason
    c[1, names.index("age")] = -0.4  # lowers the risk: not a reason
    c[1, names.index("emergency_admissions_12m")] = 0.2
    c[1, names.index("copd")] = 0.3  # not on the register: not a reason
    got = reasons(frame, c).tolist()
    assert got == ["2 emergency admissions in the last year; Aged 84; Heart failure",
                   "1 emergency admission in the last year"]


# --- on a small synthetic lake -----------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(lake):
    return train(lake)


def test_model_beats_the_baseline_on_the_validation_year(lake, trained):
    _, validate_as_of, _ = split_dates(lake)
    ev = evaluate(trained, labelled(lake, validate_as_of), validate_as_of)
    lg, bl = (ev.overall.set_index("model").loc[m] for m in ("lightgbm", "baseline"))
    assert lg.auroc > bl.auroc + 0.01
    assert lg.brier < bl.brier
    assert 0.9 < lg.observed_to_expected < 1.1
    # every group of every breakdown is in the table, for both models
    for column, values in GROUPS.items():
        part = ev.groups[ev.groups.breakdown == column]
        assert sorted(part.position.unique()) == list(range(len(values)))
        assert set(part.model) == {"lightgbm", "baseline"}
    assert ev.flag["sensitivity"] > 0.1 and ev.flag["ppv"] > 0.1


def test_contributions_are_lightgbms_own(lake, trained):
    frame = features(lake, split_dates(lake)[1]).sample(2000, random_state=1)
    from icsight.risk.admissions import _matrix

    direct = trained.booster.predict(_matrix(frame), pred_contrib=True)
    np.testing.assert_allclose(trained.contributions(frame), direct[:, :-1], atol=1e-9)
    logit = direct.sum(axis=1)
    np.testing.assert_allclose(trained.risk(frame), 1 / (1 + np.exp(-logit)), rtol=1e-9)


def test_score_everyone_registered_and_the_model_round_trips(lake, trained, tmp_path):
    last = split_dates(lake)[2]
    scored = score(lake, last, trained)
    assert list(scored.columns) == ["patient_id", "practice_code", "risk", "top_reasons",
                                    "last_year_of_life"]
    registered = features(lake, last)
    assert sorted(scored.patient_id) == sorted(registered.patient_id)
    assert scored.risk.between(0, 1).all() and scored.last_year_of_life.dtype == bool
    assert (scored.top_reasons != "").mean() > 0.5
    model = load(trained.save(tmp_path / "model.json"))
    assert model.version == trained.version
    again = score(lake, last, model)
    pd.testing.assert_frame_equal(scored, again)


def test_version_is_the_same_for_the_same_lake_and_settings(lake, trained):
    assert train(lake).version == trained.version


def test_model_card_command(lake_dir, tmp_path):
    from click.testing import CliRunner

    from icsight.cli import main

    card, saved = tmp_path / "model-card.md", tmp_path / "model.json"
    run = CliRunner().invoke(main, ["risk", "card", "--lake", str(lake_dir), "--out",
                                    str(card), "--model", str(saved)])
    assert run.exit_code == 0, run.output
    text = card.read_text()
    model = load(saved)
    assert "learns the generator's assumptions" in text
    assert "icsight risk card --lake" in text and model.version in text
    for heading in ("## By sex, ethnic group and deprivation", "### Ethnic group",
                    "### IMD quintile (1 = most deprived)",
                    "## Likely to be in their last year of life"):
        assert heading in text


def test_card_publishes_counts_as_icsight_does():
    from icsight.risk.card import _count

    assert [_count(n) for n in (0, 1, 7, 8, 12, 13, 17_333)] == [
        "0", "fewer than 8", "fewer than 8", "10", "10", "15", "17,335"]


def test_reasons_only_for_the_patients_asked_about_and_the_same_for_them(lake, trained):
    """The build says the reasons only for the patients its worklists name (the only place
    they are shown): theirs are as when everyone is explained, everyone else's are empty, and
    every risk and flag is unchanged."""
    last = split_dates(lake)[2]
    everyone = score(lake, last, trained)
    asked = everyone.patient_id.iloc[::7].tolist()
    some = score(lake, last, trained, explain=asked)
    pd.testing.assert_frame_equal(some.drop(columns="top_reasons"),
                                  everyone.drop(columns="top_reasons"))
    chosen = some.patient_id.isin(asked)
    assert (some.top_reasons[chosen] == everyone.top_reasons[chosen]).all()
    assert (some.top_reasons[~chosen] == "").all()
    assert (score(lake, last, trained, explain=[]).top_reasons == "").all()


def test_the_build_explains_its_worklists_patients(tmp_path, monkeypatch):
    """results.risk reads the run's worklists to choose whom to explain."""
    from icsight.results import risk as results_risk

    seen = {}

    def fake_score(lake, as_of, model, explain=None):
        seen["explain"] = explain
        return pd.DataFrame({"patient_id": [1], "practice_code": ["A"], "risk": [0.1],
                             "top_reasons": [""], "last_year_of_life": [False]})

    class Model:
        version = "v"

    monkeypatch.setattr(results_risk, "score", fake_score)
    monkeypatch.setattr(results_risk, "model_for", lambda lake, out: (Model(), False))
    monkeypatch.setattr(results_risk, "direct_care_view", lambda lake: lake)
    folder = tmp_path / "run"
    folder.mkdir()
    pd.DataFrame({"patient_id": [5, 5, 9]}).to_parquet(folder / "worklists.parquet")
    results_risk.write_risk_scores(object(), dt.date(2026, 9, 30), folder, tmp_path)
    assert sorted(seen["explain"]) == [5, 9]
    (folder / "worklists.parquet").unlink()
    results_risk.write_risk_scores(object(), dt.date(2026, 9, 30), folder, tmp_path)
    assert seen["explain"] is None  # no worklists in the run: everyone explained
