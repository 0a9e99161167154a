"""Worklists patient by patient: tiny hand-made lakes, answers worked out by hand from each
list's rule (`icsight.worklists.indicator_lists`), with the hostile cases (no LSOA, died,
deregistered, several readings on one day)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest

from icsight.engine import open_lake
from icsight.lake import write_manifest, write_table
from icsight.model.reference import reference_tables
from icsight.model.schema import TABLES
from icsight.worklists.catalogue import WORKLISTS, find, find_all, shortfall
from icsight.worklists.indicator_lists import hypertension_step
from icsight.worklists.priority import load_weights
from tests.spec.indicators._saba import AST, BECLOMETASONE, SALBUTAMOL
from tests.spec.indicators.cvdp007hyp import bp, hyp
from tests.spec.indicators.hf_mra import SPIRO
from tests.spec.indicators.hf_sglt2i import DAPA, HF
from tests.spec.indicators.ld_prevalence import INTELLECTUAL_DISABILITY
from tests.spec.indicators.smi_health_checks import checks, smi
from tests.spec.rows import event, medication, patient, screening, vaccination

AS_OF = "2025-03-31"
DIABETES = "111552007"  # DM_COD
LVSD = "134401001"  # HFLVSD_COD
RAMIPRIL = ("0", "0205051R0AAAAAA")
AMLODIPINE = ("0", "0206020A0AAAAAA")
INDAPAMIDE = ("0", "0202010P0AAAAAA")
CORE20_LSOA = "E01015698"  # Luton 017A: IMD 2019 quintile 1 (deciles 1-2)


def lake_of(folder: Path, patients: list[dict], records: list[dict]):
    """A lake of `patients` and `records` (rows of `tests.spec.rows`, tagged with their table;
    untagged rows are clinical events), with the packaged reference tables."""
    tables: dict[str, list[dict]] = {"patients": list(patients)}
    for record in records:
        record = dict(record)
        tables.setdefault(record.pop("_table", "clinical_events"), []).append(record)
    written = dict(reference_tables())
    for name, rows in tables.items():
        written[name] = pa.Table.from_pylist(rows, schema=TABLES[name].schema)
    for name, spec in TABLES.items():
        write_table(folder, name, written.get(name, spec.schema.empty_table()))
    write_manifest(folder, {"kind": "test", "reference_date": AS_OF,
                            "window_start": "2019-04-01"})
    return open_lake(folder)


def rows_of(tmp_path, list_id, patients, records, as_of=AS_OF) -> dict:
    """{patient_id: row (a dict, facts parsed)} of one list."""
    out = find(list_id, lake_of(tmp_path, patients, records), as_of)
    rows = {}
    for row in out.to_dict("records"):
        row["facts"] = json.loads(row["facts"])
        rows[row["patient_id"]] = row
    return rows


def test_catalogue_lists_every_list_once_with_valid_metadata():
    assert list(WORKLISTS) == [
        "hypertension-no-bp", "hypertension-above-target", "hypertension-high-risk",
        "cyp-asthma-saba-or-no-ics", "heart-failure-no-sglt2i", "heart-failure-no-mra",
        "smi-health-checks", "screening-cervical-overdue", "screening-breast-overdue",
        "screening-bowel-overdue", "hpv-incomplete", "learning-disability-health-check",
        "care-home-residents", "housebound", "palliative-care-register",
        "moderate-severe-frailty", "multiple-long-term-conditions"]
    for wl in WORKLISTS.values():
        assert wl.description and wl.source and wl.suggested_action, wl.id
    assert "no public codelist" in WORKLISTS["learning-disability-health-check"].caveat.lower()
    assert "alcohol" in WORKLISTS["smi-health-checks"].caveat.lower()


# --- hypertension --------------------------------------------------------------------------------

def test_no_bp_in_12_months(tmp_path):
    patients = [patient(1), patient(2), patient(3),
                patient(4, date_of_death="2025-02-01", registration_end="2025-02-01"),
                patient(5, registration_end="2025-01-01")]
    records = [hyp(i) for i in (1, 2, 3, 4, 5)] + [
        *bp(1, "2024-01-01", 150, 80),  # over a year ago: out of the window on 2025-01-01
        *bp(2, "2024-04-01", 130, 80)]  # inside the window (it starts 2024-04-01)
    got = rows_of(tmp_path, "hypertension-no-bp", patients, records)
    assert set(got) == {1, 3}  # 4 died, 5 deregistered: in no denominator, on no list
    assert got[1]["days_overdue"] == 89  # 2025-01-01 to 2025-03-31
    assert got[1]["facts"]["Last BP"] == "150/80 on 2024-01-01 (over 12 months ago)"
    assert got[3]["facts"]["Last BP"] == "none recorded"
    assert got[3]["days_overdue"] is None or str(got[3]["days_overdue"]) == "<NA>"
    assert got[1]["steps_to_standard"] == 1 and got[1]["counts_towards_target"]
    assert got[1]["clinical_risk"] == 0.5


def test_above_target_with_readings_and_treatment_step(tmp_path):
    patients = [patient(i) for i in range(1, 7)]
    records = [hyp(i) for i in range(1, 7)] + [
        *bp(1, "2025-01-01", 160, 95), medication(1, "2025-02-01", *RAMIPRIL),
        *bp(2, "2025-01-01", 138, 88),  # at target: not listed
        # two readings on one day: the lowest systolic and diastolic, 130/70, at target
        *bp(4, "2025-01-01", 150, 70), *bp(4, "2025-01-01", 130, 95),
        # two readings on one day, both above: 145/92
        *bp(5, "2025-01-01", 150, 95), *bp(5, "2025-01-01", 145, 92),
        *bp(6, "2025-03-01", 150, 85), medication(6, "2025-01-01", *RAMIPRIL),
        medication(6, "2025-01-01", *AMLODIPINE), medication(6, "2025-01-01", *INDAPAMIDE),
        medication(6, "2025-01-01", *SPIRO),
        medication(6, "2024-06-01", *SPIRO)]  # an older issue changes nothing
    got = rows_of(tmp_path, "hypertension-above-target", patients, records)
    assert set(got) == {1, 3, 5, 6}  # 3 has no reading: not at target either
    one = got[1]
    assert one["facts"]["Last BP"] == "160/95 on 2025-01-01 (clinic)"
    assert one["facts"]["Target"] == "140/90 or below (clinic)"
    assert one["facts"]["Treatment step"] == "1 (NICE NG136)"
    assert one["facts"]["Current medicines"] == "ACE inhibitor (last issued 2025-02-01)"
    assert "step 2" in one["suggested_action"]
    # 20 mmHg over 140 is half of 40, 5 over 90 a quarter of 20: 0.4 + 0.6 x 0.5
    assert one["clinical_risk"] == pytest.approx(0.7)
    assert one["days_overdue"] == 89 and one["steps_to_standard"] == 2
    assert got[5]["facts"]["Last BP"] == "145/92 on 2025-01-01 (clinic)"
    assert got[5]["clinical_risk"] == pytest.approx(0.4 + 0.6 * 5 / 40)
    assert got[3]["steps_to_standard"] == 1 and "blood pressure check" in got[3][
        "suggested_action"]
    assert got[6]["facts"]["Treatment step"] == "4 (NICE NG136)"
    assert "specialist" in got[6]["suggested_action"].lower()


@pytest.mark.parametrize(("classes", "step"), [
    (set(), 0), ({"Beta blocker"}, 0), ({"ARB"}, 1), ({"ACE inhibitor", "ARB"}, 1),
    ({"ACE inhibitor", "CCB"}, 2), ({"ARB", "CCB", "Thiazide-like diuretic"}, 3),
    ({"ARB", "CCB", "Thiazide-like diuretic", "Beta blocker"}, 4),
    ({"CCB", "Thiazide-like diuretic", "MRA"}, 2)])
def test_treatment_step(classes, step):
    assert hypertension_step(classes) == step


def test_high_risk_is_not_at_target_with_diabetes_ckd_or_heart_failure(tmp_path):
    patients = [patient(i) for i in (1, 2, 3, 4)]
    records = [hyp(i) for i in (1, 2, 3, 4)] + [
        *bp(1, "2025-01-01", 160, 95), event(1, "2020-01-01", DIABETES),
        *bp(2, "2025-01-01", 160, 95),  # no comorbidity: not listed
        *bp(3, "2025-01-01", 120, 70), event(3, "2020-01-01", DIABETES),  # at target
        event(4, "2020-01-01", HF)]  # no reading, heart failure
    got = rows_of(tmp_path, "hypertension-high-risk", patients, records)
    assert set(got) == {1, 4}
    assert got[1]["facts"]["Also on"] == "Diabetes"
    assert got[1]["clinical_risk"] == pytest.approx(0.9)  # 0.7 + 0.2
    assert got[4]["reasons"] == ("No blood pressure recorded in the last 12 months; High "
                                 "cardiovascular risk: Heart failure")


# --- children and young people with asthma -------------------------------------------------------

def test_cyp_asthma_three_relievers_or_no_preventer(tmp_path):
    born = "2014-06-01"  # 10 on 2025-03-31
    patients = [patient(i, born=born) for i in (1, 2, 3)] + [patient(4, born="2004-01-01")]
    saba = [medication(1, d, *SALBUTAMOL) for d in ("2024-05-01", "2024-09-01", "2025-01-01")]
    records = [event(i, "2018-01-01", AST) for i in (1, 2, 3, 4)] + saba + [
        medication(1, "2025-01-01", *BECLOMETASONE),
        medication(2, "2025-01-01", *SALBUTAMOL),  # one reliever, no preventer
        medication(3, "2025-01-01", *SALBUTAMOL), medication(3, "2024-12-01", *BECLOMETASONE),
        *[medication(4, d, *SALBUTAMOL) for d in ("2024-05-01", "2024-09-01", "2025-01-01")]]
    got = rows_of(tmp_path, "cyp-asthma-saba-or-no-ics", patients, records)
    assert set(got) == {1, 2}  # 3 is controlled; 4 is 21
    assert got[1]["counts_towards_target"] and got[1]["reasons"] == (
        "3 reliever (SABA) inhalers in 12 months")
    assert got[1]["clinical_risk"] == pytest.approx(0.6)
    assert got[1]["facts"]["Last inhaled corticosteroid"] == "2025-01-01"
    assert not got[2]["counts_towards_target"]  # no indicator counts a missing preventer
    assert got[2]["reasons"] == "No inhaled corticosteroid issued in 12 months"
    assert got[2]["clinical_risk"] == pytest.approx(0.4)


# --- heart failure --------------------------------------------------------------------------------

def test_heart_failure_lists_by_medicine(tmp_path):
    patients = [patient(1), patient(2), patient(3)]
    records = [event(i, "2015-01-01", HF) for i in (1, 2, 3)] + [
        medication(1, "2025-01-15", *DAPA), event(2, "2016-01-01", LVSD),
        medication(3, "2024-06-01", *DAPA)]  # stopped: last issue over 6 months ago
    lake = lake_of(tmp_path, patients, records)
    no_sglt2i = find("heart-failure-no-sglt2i", lake, AS_OF).set_index("patient_id")
    no_mra = find("heart-failure-no-mra", lake, AS_OF).set_index("patient_id")
    assert set(no_sglt2i.index) == {2, 3} and set(no_mra.index) == {1, 2, 3}
    # 2: neither medicine, and LVSD: 0.6 + 0.2 + 0.2
    assert no_sglt2i.loc[2, "clinical_risk"] == pytest.approx(1.0)
    assert no_mra.loc[1, "clinical_risk"] == pytest.approx(0.6)  # on an SGLT2i
    assert no_sglt2i.loc[2, "days_overdue"] == (dt.date(2025, 3, 31) - dt.date(2015, 1, 1)).days
    # 3 stopped: overdue from 6 months after the last issue, 2024-12-01
    assert no_sglt2i.loc[3, "days_overdue"] == 120
    assert json.loads(no_sglt2i.loc[3, "facts"])["Last SGLT2i"] == "2024-06-01 (stopped?)"


# --- SMI checks -----------------------------------------------------------------------------------

def test_smi_lists_the_missing_checks(tmp_path):
    patients = [patient(1), patient(2), patient(3)]
    records = [smi(i) for i in (1, 2, 3)] + checks(1) + checks(
        2, skip=("bp", "cholesterol", "glucose", "alcohol", "smoking")) + checks(
        3, skip=("alcohol",)) + [event(3, "2023-06-01", "160573003", 1.0)]
    got = rows_of(tmp_path, "smi-health-checks", patients, records)
    assert set(got) == {2, 3}
    assert got[2]["facts"]["Missing checks"] == ("Blood pressure, Cholesterol (lipids), "
                                                 "HbA1c or blood glucose, Alcohol consumption, "
                                                 "Smoking status")
    assert got[2]["clinical_risk"] == round(5 / 6, 3) and got[2]["steps_to_standard"] == 2
    assert got[3]["facts"]["Missing checks"] == "Alcohol consumption"
    assert got[3]["steps_to_standard"] == 1
    assert got[3]["days_overdue"] == 303  # alcohol recorded 2023-06-01, due by 2024-06-01


# --- screening and HPV ----------------------------------------------------------------------------

def test_screening_overdue(tmp_path):
    young = "1990-01-01"  # 35
    patients = [patient(1, born=young), patient(2, born=young), patient(3, born=young),
                patient(4, born=young, sex="male"), patient(5, born="1960-01-01", sex="male")]
    records = [screening(1, "2021-10-01", "cervical"), screening(2, "2021-09-30", "cervical"),
               screening(3, "2020-01-01", "cervical", event="ceased", result=None),
               screening(5, "2022-01-01", "bowel")]
    lake = lake_of(tmp_path, patients, records)
    cervical = find("screening-cervical-overdue", lake, AS_OF).set_index("patient_id")
    assert list(cervical.index) == [2]  # 1 screened in 3.5 years; 3 ceased; 4 male
    assert cervical.loc[2, "days_overdue"] == 1  # due 2025-03-30
    bowel = find("screening-bowel-overdue", lake, AS_OF).set_index("patient_id")
    assert list(bowel.index) == [5] and bowel.loc[5, "days_overdue"] == 273  # due 2024-07-01
    breast = find("screening-breast-overdue", lake, AS_OF)
    assert breast.empty  # nobody is a woman aged 53-70


def test_hpv_incomplete(tmp_path):
    fourteen, thirteen = "2010-06-01", "2011-06-01"
    patients = [patient(1, born=fourteen), patient(2, born=fourteen), patient(3, born=thirteen)]
    records = [vaccination(1, "2023-10-01", "hpv")]
    got = rows_of(tmp_path, "hpv-incomplete", patients, records)
    assert set(got) == {2}
    assert got[2]["facts"] == {"Age": "14", "HPV doses": "0"}


def test_learning_disability_invitation_list(tmp_path):
    patients = [patient(1, born="1995-01-01"), patient(2, born="2015-01-01"),
                patient(3, date_of_death="2025-01-01", registration_end="2025-01-01")]
    records = [event(i, "2010-01-01", INTELLECTUAL_DISABILITY) for i in (1, 2, 3)]
    got = rows_of(tmp_path, "learning-disability-health-check", patients, records)
    assert set(got) == {1}  # 2 is 10; 3 died
    assert not got[1]["counts_towards_target"]


# --- priority and shortfall -----------------------------------------------------------------------

def test_priority_weighs_risk_core20_and_overdue_and_says_how(tmp_path):
    patients = [patient(1, lsoa_code=CORE20_LSOA), patient(2, lsoa_code=None), patient(3)]
    records = [hyp(i) for i in (1, 2, 3)] + [
        r for i in (1, 2, 3) for r in bp(i, "2024-01-01", 150, 80)]
    got = rows_of(tmp_path, "hypertension-no-bp", patients, records)
    # risk 0.5 x 0.5 = 0.25; 89 days / 365 x 0.3 = 0.07315...; CORE20 adds 0.2
    assert got[1]["core20"] is True and got[1]["priority"] == pytest.approx(0.523)
    assert got[1]["priority_explained"] == ("risk 0.50 x 0.5 + CORE20 0.2 + 89 days overdue / "
                                            "365 (at most 1) x 0.3 = 0.523")
    assert got[2]["core20"] is None and got[2]["priority"] == pytest.approx(0.323)
    assert "LSOA unknown 0" in got[2]["priority_explained"]
    assert got[3]["core20"] is False and "not CORE20 0" in got[3]["priority_explained"]


@pytest.mark.parametrize(("text", "message"), [
    ("schema_version = 1\n[weights]\nclinical_risk = -1\ncore20 = 0\noverdue = 0\n"
     "[overdue]\nfull_after_days = 365\nunknown_days = 0\n", "clinical_risk"),
    ("schema_version = 1\n[weights]\nclinical_risk = 0\ncore20 = 0\noverdue = 0\n"
     "[overdue]\nfull_after_days = 365\nunknown_days = 0\n", "at least one"),
    ("schema_version = 1\n[weights]\nclinical_risk = 1\ncore20 = 0\noverdue = 0\nage = 1\n"
     "[overdue]\nfull_after_days = 365\nunknown_days = 0\n", "unknown keys"),
    ("schema_version = 1\n[weights]\nclinical_risk = 1\ncore20 = 0\noverdue = 0\n"
     "[overdue]\nfull_after_days = 0\nunknown_days = 0\n", "full_after_days"),
    ("schema_version = 2\n[weights]\nclinical_risk = 1\ncore20 = 0\noverdue = 0\n"
     "[overdue]\nfull_after_days = 1\nunknown_days = 0\n", "schema_version"),
    ("schema_version = 1\n[weights]\nclinical_risk = 1\ncore20 = 0\noverdue = 0\n"
     "[overdue]\nfull_after_days = 1\nunknown_days = 0\n[lists.no-such-list]\n"
     "clinical_risk = 1\ncore20 = 0\noverdue = 0\n", "no such lists"),
])
def test_priority_file_is_checked(tmp_path, text, message):
    path = tmp_path / "priority.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_weights(path, known_lists=set(WORKLISTS))


def test_packaged_priority_file_loads():
    weights = load_weights(known_lists=set(WORKLISTS))
    assert (weights.default.clinical_risk, weights.default.core20,
            weights.default.overdue) == (0.5, 0.2, 0.3)


def test_weights_for_one_list_replace_the_default(tmp_path):
    path = tmp_path / "priority.toml"
    path.write_text("schema_version = 1\n[weights]\nclinical_risk = 0.5\ncore20 = 0.2\n"
                    "overdue = 0.3\n[overdue]\nfull_after_days = 100\nunknown_days = 0\n"
                    "[lists.hypertension-no-bp]\nclinical_risk = 1\ncore20 = 0\noverdue = 0\n")
    lake = lake_of(tmp_path / "lake", [patient(1)], [hyp(1), *bp(1, "2024-01-01", 150, 80)])
    rows = find_all(lake, AS_OF, ["hypertension-no-bp", "hypertension-above-target"],
                    load_weights(path))
    by_list = rows.set_index("list_id").priority
    assert by_list["hypertension-no-bp"] == pytest.approx(0.5)  # risk only
    # default weights, 89 days of 100 (at most 1): 0.25 + 0.3 x 0.89
    assert by_list["hypertension-above-target"] == pytest.approx(0.25 + 0.3 * 0.89)


def test_shortfall_counts_what_the_target_needs_and_takes_one_action_first(tmp_path):
    # 5 on the register, 1 at target: 80% of 5 is 4, so 3 more; the two without a reading
    # need one BP check each, then the highest priority of those above target
    patients = [patient(i) for i in range(1, 6)]
    records = [hyp(i) for i in range(1, 6)] + [
        *bp(1, "2025-01-01", 120, 70), *bp(2, "2025-01-01", 200, 100),
        *bp(3, "2025-03-01", 145, 91)]
    lake = lake_of(tmp_path, patients, records)
    out = shortfall(lake, AS_OF, ["hypertension-above-target"]).iloc[0]
    assert (out.numerator, out.denominator, out.target, out.needed) == (1, 5, 80.0, 3)
    assert out.rows_counting == 4 and out.reachable
    assert out.fastest == [4, 5, 2]  # 4, 5: no reading; 2 is further above target than 3
