"""Red team (issue 9), loads: a careless or hostile supplier's files that no earlier list
named. Whatever arrives, nothing crashes, every record is a row or a rejection with a named
reason, counts reconcile, no NHS number reaches the analytics zone, and an opt-out is never
lost (NHS England, "National data opt-out operational policy guidance")."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import pytest

from icsight.engine import open_lake
from icsight.ingest.load import IngestError, ingest
from icsight.ingest.parsers.fhir import NHS_NUMBER_SYSTEM, OPT_OUT_EXTENSION
from icsight.lake import zone_path
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
NHS = "9434765919"
EVENTS = "nhs_number,date,snomed_code,numeric_value\n"
GOOD = f"{NHS},2024-01-05,38341003,\n"


def _load(tmp_path: Path, *sources: Path):
    report = ingest(tmp_path / "lake", list(sources), key=TEST_KEY, today=TODAY)
    for tally in report.tallies.values():
        assert tally.received == tally.loaded + tally.quarantined
    for problem in report.problems:
        assert problem.reason and problem.locator
    return report


def _analytics_bytes(lake: Path) -> bytes:
    folder = zone_path(lake, "analytics")
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def _patient(nhs: str = NHS, system: str = NHS_NUMBER_SYSTEM, **extra) -> dict:
    return {"resourceType": "Patient", "id": "p1", "birthDate": "1960-02-03",
            "identifier": [{"system": system, "value": nhs}], **extra}


def _ndjson(path: Path, *resources: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    return path


def _opted_out(lake: Path) -> list:
    return open_lake(lake).table("patients").execute()["data_opt_out"].tolist()


# --- CSV -------------------------------------------------------------------------------------

def test_nul_bytes_in_a_csv_are_a_named_rejection_and_the_rest_loads(tmp_path):
    path = tmp_path / "clinical_events.csv"
    path.write_bytes((EVENTS + GOOD).encode() + f"{NHS},2024-01-06,3834\x001003,\n".encode()
                     + b"\x00\x00\x00\n" + f"{NHS},2024-01-07,38341003,\n".encode())
    report = _load(tmp_path, path)
    assert sum(t.loaded for t in report.tallies.values()) == 2
    assert report.quarantined == 2


def test_a_header_with_a_million_columns_is_refused_by_name_not_loaded(tmp_path):
    path = tmp_path / "clinical_events.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + GOOD)
    report = _load(tmp_path, path)
    assert not any(t.loaded for t in report.tallies.values())
    assert report.quarantined + len(report.refused) >= 1


def test_an_excel_byte_order_mark_does_not_lose_the_first_column(tmp_path):
    path = tmp_path / "clinical_events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (EVENTS + GOOD).encode())
    report = _load(tmp_path, path)
    loaded = sum(t.loaded for t in report.tallies.values())
    assert loaded == 1 or (report.quarantined == 1 and "nhs_number" in
                           report.problems[0].reason)


def test_formula_in_every_column_of_a_patient_file_is_stored_as_text_or_refused(tmp_path):
    path = tmp_path / "patients.csv"
    formula = "=HYPERLINK(\"http://x\",\"y\")"
    path.write_text(
        "nhs_number,sex,month_of_birth,ethnicity_group,ethnicity_category,given_name,"
        "family_name,date_of_birth,address_line,postcode\n"
        + ",".join(f'"{c}"' for c in ["=1+1", "+female", "-1950-03-01", "@White", "=A",
                                      formula.replace('"', '""'), "@SUM(A1)", "=1950-03-14",
                                      "\t=1", "\r=1"]) + "\n"
        + f"{NHS},female,1950-03-01,White,A,=cmd|' /C calc'!A0,+Smith,1950-03-14,-1 St,"
          "@LU1 1AA\n", encoding="utf-8")
    report = _load(tmp_path, path)
    assert report.quarantined >= 1  # the row of formulas in coded fields is refused
    assert b"=1+1" not in _analytics_bytes(tmp_path / "lake")


def test_a_csv_in_utf_16_without_a_bom_is_rejected_not_read_as_garbage(tmp_path):
    path = tmp_path / "clinical_events.csv"
    path.write_bytes((EVENTS + GOOD).encode("utf-16-le"))
    report = _load(tmp_path, path)
    assert not any(t.loaded for t in report.tallies.values())


# --- FHIR ------------------------------------------------------------------------------------

def test_an_nhs_number_under_another_identifier_system_never_reaches_the_analytics_zone(
        tmp_path):
    for system in ("http://fhir.nhs.net/Id/nhs-number", "urn:oid:2.16.840.1.113883.2.1.4.1",
                   NHS_NUMBER_SYSTEM.upper()):
        lake_folder = tmp_path / system.replace("/", "_").replace(":", "_")
        lake_folder.mkdir()
        _load(lake_folder, _ndjson(lake_folder / "patients.ndjson", _patient(system=system)))
        if (lake_folder / "lake").exists():
            assert NHS.encode() not in _analytics_bytes(lake_folder / "lake"), system


@pytest.mark.parametrize("extension", [
    [{"url": OPT_OUT_EXTENSION, "valueString": "true"}],
    [{"url": OPT_OUT_EXTENSION, "valueBoolean": "true"}],
    [{"url": OPT_OUT_EXTENSION, "valueBoolean": 1}],
    [{"url": OPT_OUT_EXTENSION, "valueBoolean": True},
     {"url": OPT_OUT_EXTENSION, "valueBoolean": False}],
    # a retired or foreign copy of the extension must neither clear nor be silently ignored
    [{"url": "https://example.org/old/Extension-icsight-NationalDataOptOut",
      "valueBoolean": False}],
    [{"url": OPT_OUT_EXTENSION + "-v2", "valueBoolean": False}],
])
def test_an_opt_out_sent_in_a_wrong_or_conflicting_form_is_quarantined_never_dropped(
        tmp_path, extension):
    _load(tmp_path, _ndjson(tmp_path / "a.ndjson",
                            _patient(extension=[{"url": OPT_OUT_EXTENSION,
                                                 "valueBoolean": True}])))
    assert _opted_out(tmp_path / "lake") == [True]
    report = _load(tmp_path, _ndjson(tmp_path / "b.ndjson", _patient(extension=extension)))
    assert report.quarantined == 1 and "opt-out" in report.problems[0].reason
    assert _opted_out(tmp_path / "lake") == [True]


def test_reference_cycles_unknown_types_and_self_references_are_named_rejections(tmp_path):
    path = _ndjson(
        tmp_path / "bundle.ndjson",
        _patient(link=[{"other": {"reference": "Patient/p1"}, "type": "seealso"}]),
        {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Observation/o2"},
         "status": "final", "code": {"coding": [{"system": "http://snomed.info/sct",
                                                  "code": "38341003"}]},
         "effectiveDateTime": "2024-01-05", "hasMember": [{"reference": "Observation/o2"}]},
        {"resourceType": "Observation", "id": "o2", "subject": {"reference": "Observation/o1"},
         "status": "final", "code": {"coding": [{"system": "http://snomed.info/sct",
                                                  "code": "38341003"}]},
         "effectiveDateTime": "2024-01-05", "hasMember": [{"reference": "Observation/o1"}]},
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "#c1"}},
        {"resourceType": "EvilResource", "id": "x"},
        {"resourceType": ["Patient"], "id": "y"},
        {"resourceType": "Patient", "id": {"$ne": 1}, "birthDate": "1960-01-01"},
    )
    report = _load(tmp_path, path)
    assert sum(t.loaded for t in report.tallies.values()) == 1  # the one real Patient
    assert report.quarantined >= 5


# --- archives --------------------------------------------------------------------------------

def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return path


@pytest.mark.parametrize("names", [
    (unicodedata.normalize("NFC", "clinical_events-caf\u00e9.csv"),
     unicodedata.normalize("NFD", "clinical_events-caf\u00e9.csv")),
    ("clinical_events.csv", "CLINICAL_EVENTS.csv"),
    ("clinical_events.csv", "./clinical_events.csv"),
    ("clinical_events.csv", "x/../clinical_events.csv"),
])
def test_archive_members_whose_names_collide_after_normalising_lose_no_row(tmp_path, names):
    first, second = (EVENTS + GOOD, EVENTS + f"{NHS},2024-03-05,38341003,\n")
    archive = _zip(tmp_path / "drop.zip", dict(zip(names, (first, second), strict=True)))
    report = _load(tmp_path, archive)
    received = sum(t.received for t in report.tallies.values())
    # Both rows accounted for (loaded, or quarantined with a reason), or the archive refused
    # whole: never one silently lost under the other's name.
    assert received == 2 or (received == 0 and report.refused), (report.rows(), report.refused)


def test_an_archive_of_very_many_tiny_members_is_refused_or_loaded_in_full(tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(20_000):
            z.writestr(f"clinical_events-{i}.csv", EVENTS)
    report = _load(tmp_path, archive)
    assert report.refused or len(report.tallies) == 20_000


def test_a_sparse_tar_member_is_refused_or_read_within_the_limits(tmp_path):
    archive = tmp_path / "sparse.tar"
    data = (EVENTS + GOOD).encode()
    with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("clinical_events.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    raw = bytearray(archive.read_bytes())
    raw[156] = ord("S")  # GNU sparse type, with no sparse map: a lying header
    archive.write_bytes(bytes(raw))
    report = _load(tmp_path, archive)
    assert report.refused or sum(t.loaded for t in report.tallies.values()) <= 1


# --- the lake itself -------------------------------------------------------------------------

def test_a_lake_that_is_a_symlink_is_refused_or_written_only_at_its_target(tmp_path):
    real = tmp_path / "real"
    _load(real, _ndjson(tmp_path / "a.ndjson", _patient()))
    link = tmp_path / "link"
    link.symlink_to(real / "lake")
    path = tmp_path / "clinical_events.csv"
    path.write_text(EVENTS + GOOD)
    try:
        ingest(link, [path], key=TEST_KEY, today=TODAY)
    except IngestError as e:
        assert "lake" in str(e)
    assert link.is_symlink() and (real / "lake").is_dir()
    lake = open_lake(real / "lake")
    assert lake.table("patients").count().execute() == 1
    assert lake.table("clinical_events").count().execute() in (0, 1)


def test_a_drop_folder_gaining_files_after_the_load_began_loads_them_next_time(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "clinical_events-1.csv").write_text(EVENTS + GOOD)
    _ndjson(drop / "patients.ndjson", _patient())
    _load(tmp_path, drop)
    (drop / "clinical_events-2.csv").write_text(EVENTS + f"{NHS},2024-06-05,38341003,\n")
    os.utime(drop / "clinical_events-1.csv")  # touched, unchanged: still skipped
    report = _load(tmp_path, drop)
    assert sum(t.loaded for t in report.tallies.values()) == 1 and len(report.skipped) == 2


@pytest.mark.parametrize("cell", [" false", "FALSE ", "nope", "n/a", "-", "?", "unknown"])
def test_a_csv_opt_out_cell_that_is_not_an_explicit_false_never_clears_an_opt_out(
        tmp_path, cell):
    _load(tmp_path, _ndjson(tmp_path / "a.ndjson",
                            _patient(extension=[{"url": OPT_OUT_EXTENSION,
                                                 "valueBoolean": True}])))
    path = tmp_path / "patients.csv"
    path.write_text(f'nhs_number,data_opt_out\n{NHS},"{cell}"\n')
    report = _load(tmp_path, path)
    cleared = _opted_out(tmp_path / "lake") == [False]
    assert not cleared or cell.strip().lower() == "false", (cell, report.rows())
    assert report.quarantined == (0 if cell.strip().lower() == "false" else 1)
