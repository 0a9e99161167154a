"""Opt-outs and identity that stick: an update changes only the fields it carries, and FHIR
identity conflicts are quarantined with a named reason (issue 9, "Why" 3 and 7)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icsight.governance.pseudonymise import pseudonym
from icsight.ingest.load import ingest
from icsight.ingest.parsers.fhir import NHS_NUMBER_SYSTEM, OPT_OUT_EXTENSION, parse_fhir
from icsight.ingest.report import LoadReport
from icsight.ingest.stage import stage
from icsight.lake import table_path
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
ALICE_NHS, BOB_NHS = "9434765919", "9434765870"
ALICE = pseudonym(TEST_KEY, ALICE_NHS, "nhs")
BOB = pseudonym(TEST_KEY, BOB_NHS, "nhs")
FULL_HEADER = ("nhs_number,sex,month_of_birth,ethnicity_group,ethnicity_category,lsoa_code,"
               "practice_code,registration_start,data_opt_out,given_name,family_name,"
               "date_of_birth,address_line,postcode")
ALICE_ROW = (f"{ALICE_NHS},female,1950-03-01,White,A,E01017540,E81021,2001-01-01,true,Alice,"
             "Able,1950-03-14,1 Test Street,LU1 1AA")


def _csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def _load(lake: Path, *files: Path):
    report = ingest(lake, list(files), key=TEST_KEY, today=TODAY)
    assert all(p.locator != "file" for p in report.problems), report.problems
    for row in report.rows():
        assert row["received"] == row["loaded"] + row["quarantined"], row
    return report


def _patient(lake: Path, pid: int) -> dict:
    rows = pq.read_table(table_path(lake, "patients")).to_pylist()
    return next(r for r in rows if r["patient_id"] == pid)


def _identifiers(lake: Path, pid: int) -> dict:
    rows = pq.read_table(table_path(lake, "person_identifiers")).to_pylist()
    return next(r for r in rows if r["patient_id"] == pid)


def _fhir_patient(pid: str, nhs: str | list[str] | None = ALICE_NHS, opt_out: bool | None = None,
                  **extra) -> dict:
    numbers = [nhs] if isinstance(nhs, str) else (nhs or [])
    patient = {"resourceType": "Patient", "id": pid, "birthDate": "1950-03-14",
               "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": n} for n in numbers],
               **extra}
    if opt_out is not None:
        patient["extension"] = [{"url": OPT_OUT_EXTENSION,
                                 "valueBoolean": opt_out}]
    return patient


def _condition(ref: str, cid: str = "c1") -> dict:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": ref},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
            "onsetDateTime": "2020-01-01"}


def _ndjson(path: Path, *resources: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    return path


def _bundle(path: Path, *entries: tuple[str, dict]) -> Path:
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": url, "resource": r} for url, r in entries]}
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _reasons(report) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in report.problems]


# --- an update changes only what it carries ----------------------------------------------

def test_a_csv_correction_without_the_opt_out_name_or_address_columns_keeps_them(tmp_path):
    lake = tmp_path / "lake"
    _load(lake, _csv(tmp_path / "patients.csv", FULL_HEADER, ALICE_ROW))
    _load(lake, _csv(tmp_path / "patients-2.csv",
                     "nhs_number,sex,month_of_birth,ethnicity_group,ethnicity_category",
                     f"{ALICE_NHS},female,1950-03-01,Asian,H"))
    alice = _patient(lake, ALICE)
    assert alice["data_opt_out"] is True
    assert (alice["ethnicity_category"], alice["lsoa_code"], alice["practice_code"]) == (
        "H", "E01017540", "E81021")
    who = _identifiers(lake, ALICE)
    assert (who["given_name"], who["family_name"], who["address_line"], who["postcode"]) == (
        "Alice", "Able", "1 Test Street", "LU1 1AA")
    assert who["date_of_birth"] == dt.date(1950, 3, 14)


def test_a_blank_opt_out_cell_keeps_the_opt_out_and_only_an_explicit_false_clears_it(tmp_path):
    lake = tmp_path / "lake"
    _load(lake, _csv(tmp_path / "patients.csv", FULL_HEADER, ALICE_ROW))
    _load(lake, _csv(tmp_path / "patients-2.csv", "nhs_number,data_opt_out", f"{ALICE_NHS},"))
    assert _patient(lake, ALICE)["data_opt_out"] is True
    _load(lake, _csv(tmp_path / "patients-3.csv", "nhs_number,data_opt_out", f"{ALICE_NHS},false"))
    assert _patient(lake, ALICE)["data_opt_out"] is False


def test_an_explicit_blank_in_a_name_column_clears_the_name_but_not_the_address(tmp_path):
    lake = tmp_path / "lake"
    _load(lake, _csv(tmp_path / "patients.csv", FULL_HEADER, ALICE_ROW))
    _load(lake, _csv(tmp_path / "patients-2.csv", "nhs_number,given_name", f"{ALICE_NHS},"))
    who = _identifiers(lake, ALICE)
    assert who["given_name"] is None and who["address_line"] == "1 Test Street"


def test_a_fhir_patient_without_the_opt_out_extension_keeps_the_lake_s_values(tmp_path):
    lake = tmp_path / "lake"
    _load(lake, _csv(tmp_path / "patients.csv", FULL_HEADER, ALICE_ROW))
    _load(lake, _ndjson(tmp_path / "Patient.ndjson", _fhir_patient(
        "a1", name=[{"family": "Able-Smith", "given": ["Alice"]}])))
    alice = _patient(lake, ALICE)
    assert (alice["data_opt_out"], alice["sex"]) == (True, "female")
    # nor does it blank what FHIR did not say: area, practice, registration, ethnicity
    assert (alice["lsoa_code"], alice["practice_code"], alice["registration_start"],
            alice["ethnicity_category"]) == ("E01017540", "E81021", dt.date(2001, 1, 1), "A")
    who = _identifiers(lake, ALICE)
    assert (who["family_name"], who["address_line"]) == ("Able-Smith", "1 Test Street")


def test_a_fhir_opt_out_extension_saying_false_clears_the_opt_out(tmp_path):
    lake = tmp_path / "lake"
    _load(lake, _csv(tmp_path / "patients.csv", FULL_HEADER, ALICE_ROW))
    _load(lake, _ndjson(tmp_path / "Patient.ndjson", _fhir_patient("a1", opt_out=False)))
    assert _patient(lake, ALICE)["data_opt_out"] is False


def test_a_new_fhir_patient_gets_the_defaults(tmp_path):
    lake = tmp_path / "lake"
    _load(lake, _ndjson(tmp_path / "Patient.ndjson", _fhir_patient("b1", BOB_NHS)))
    bob = _patient(lake, BOB)
    assert (bob["data_opt_out"], bob["care_home"], bob["housebound"], bob["sex"],
            bob["ethnicity_category"]) == (False, False, False, "unknown", "Z")


OPT_OUT_SAYS = st.sampled_from([None, True, False])  # no extension, or explicit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.booleans(), updates=st.lists(st.tuples(OPT_OUT_SAYS, st.booleans()),
                                             min_size=1, max_size=5))
def test_an_opt_out_changes_only_when_a_record_says_so(first, updates):
    """Any sequence of FHIR updates (with or without the extension, with or without a name)
    after a first record: the opt-out is the last explicit value, the name the last given."""
    resources = [_fhir_patient("a1", opt_out=first, name=[{"family": "First"}])]
    for i, (says, named) in enumerate(updates):
        extra = {"name": [{"family": f"Name{i}"}]} if named else {}
        resources.append(_fhir_patient("a1", opt_out=says, **extra))
    report = LoadReport("test", Path("nowhere"))
    staged = stage(parse_fhir_resources(resources), TEST_KEY, TODAY, Path("/nonexistent"),
                   report)
    assert report.problems == []
    expected = next((s for s, _ in reversed(updates) if s is not None), first)
    assert staged.rows["patients"][-1]["data_opt_out"] is expected
    names = ["First"] + [f"Name{i}" for i, (_, named) in enumerate(updates) if named]
    assert staged.identifiers[ALICE]["family_name"] == names[-1]


def parse_fhir_resources(resources: list[dict]):
    """The FHIR parser over resources written to a throwaway NDJSON file."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = _ndjson(Path(folder) / "Patient.ndjson", *resources)
        return list(parse_fhir([path]))


# --- FHIR identity conflicts ---------------------------------------------------------------

def test_two_different_nhs_numbers_on_one_patient_are_quarantined_with_its_references(tmp_path):
    report = _load(tmp_path / "lake", _ndjson(
        tmp_path / "all.ndjson", _fhir_patient("a1", [ALICE_NHS, BOB_NHS]),
        _condition("Patient/a1")))
    assert ("identifier", "two different NHS numbers on one Patient") in _reasons(report)
    assert any(f == "subject" and "names two different patients" in r
               for f, r in _reasons(report))
    assert len(report.problems) == 2


def test_one_nhs_number_written_two_ways_on_one_patient_is_one_number(tmp_path):
    spaced, wide = "943 476 5919", "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19"
    report = _load(tmp_path / "lake", _ndjson(tmp_path / "p.ndjson",
                                              _fhir_patient("a1", [spaced, wide])))
    assert report.problems == []
    assert _identifiers(tmp_path / "lake", ALICE)["nhs_number"] == ALICE_NHS


def test_one_full_url_for_two_patients_quarantines_both_and_what_refers_to_it(tmp_path):
    url = "urn:uuid:5f1c7c0e-0000-4000-8000-000000000001"
    report = _load(tmp_path / "lake", _bundle(
        tmp_path / "b.json", (url, _fhir_patient("a1", ALICE_NHS)),
        (url, _fhir_patient("b1", BOB_NHS)), ("urn:uuid:c", _condition(url))))
    reasons = _reasons(report)
    assert sum(1 for f, r in reasons if f == "id" and url in r) == 2
    assert any(f == "subject" and url in r for f, r in reasons)
    assert not table_path(tmp_path / "lake", "patients").exists() or pq.read_table(
        table_path(tmp_path / "lake", "patients")).num_rows == 0


def test_one_patient_id_with_two_nhs_numbers_across_files_is_quarantined(tmp_path):
    report = _load(tmp_path / "lake",
                   _ndjson(tmp_path / "a.ndjson", _fhir_patient("p1", ALICE_NHS)),
                   _ndjson(tmp_path / "b.ndjson", _fhir_patient("p1", BOB_NHS)))
    assert [f for f, r in _reasons(report) if "Patient/p1" in r] == ["id", "id"]


def test_one_patient_id_with_another_nhs_number_in_a_later_load_is_quarantined(tmp_path):
    lake = tmp_path / "lake"
    _load(lake, _ndjson(tmp_path / "a.ndjson", _fhir_patient("p1", ALICE_NHS)))
    report = _load(lake, _ndjson(tmp_path / "b.ndjson", _fhir_patient("p1", BOB_NHS),
                                 _condition("Patient/p1")))
    reasons = _reasons(report)
    assert ("id", "Patient/p1 was loaded before as a different person (another NHS number or "
            "identifier): one FHIR Patient id must stay one person") in reasons
    assert any(f == "subject" and "quarantined for an identity conflict" in r
               for f, r in reasons)
    ids = {r["patient_id"] for r in pq.read_table(table_path(lake, "patients")).to_pylist()}
    assert ids == {ALICE}


def test_a_reference_to_a_patient_loaded_earlier_resolves_to_that_person(tmp_path):
    lake = tmp_path / "lake"
    _load(lake, _ndjson(tmp_path / "a.ndjson", _fhir_patient("p1", ALICE_NHS)))
    report = _load(lake, _ndjson(tmp_path / "Condition.ndjson", _condition("Patient/p1")))
    assert report.problems == []
    events = pq.read_table(table_path(lake, "clinical_events")).to_pylist()
    assert [e["patient_id"] for e in events] == [ALICE]


def test_a_reference_to_a_patient_never_loaded_is_quarantined_not_invented(tmp_path):
    report = _load(tmp_path / "lake", _ndjson(tmp_path / "c.ndjson", _condition("Patient/zz")))
    ((field, reason),) = _reasons(report)
    assert field == "subject" and "Patient/zz, a patient in neither this load" in reason


def test_colliding_contained_ids_and_contained_subjects_are_quarantined(tmp_path):
    twin = {"resourceType": "Medication", "id": "m"}
    colliding = _condition("Patient/p1") | {"contained": [twin, dict(twin)]}
    contained_subject = _condition("#p", "c2")
    report = _load(tmp_path / "lake", _ndjson(tmp_path / "x.ndjson",
                                              _fhir_patient("p1"), colliding, contained_subject))
    reasons = _reasons(report)
    assert ("contained", "two contained resources share the id 'm'") in reasons
    assert any(f == "subject" and "contained resource (#p)" in r for f, r in reasons)
    assert len(reasons) == 2


def test_a_reason_never_prints_a_reference_whose_id_is_an_nhs_number(tmp_path):
    """Some exports use the NHS number as the Patient id; reasons reach the console."""
    report = _load(tmp_path / "lake", _ndjson(tmp_path / "c.ndjson",
                                              _condition(f"Patient/{ALICE_NHS}")))
    ((field, reason),) = _reasons(report)
    assert field == "subject" and ALICE_NHS not in reason
    assert reason.startswith("refers to a reference holding an NHS number")
