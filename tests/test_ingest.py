"""Ingestion: FHIR and flat extracts in, validated, pseudonymised, quarantined, reconciled;
loads that are idempotent, incremental and atomic."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.engine import open_lake
from icsight.governance.pseudonymise import pseudonym
from icsight.ingest.load import ingest, load_history, quarantine_path
from icsight.ingest.parsers.fhir import parse_fhir
from icsight.ingest.records import Rejected, Row
from icsight.lake import ANALYTICS, table_path, zone_path
from icsight.model.schema import TABLES
from icsight.synth.export import write_csv, write_fhir
from tests.lakes import TEST_KEY

# Public FHIR examples (aehrc/pathling Synthea bundles, NHS UK Core); provenance in SOURCES.md there
SAMPLES = Path(__file__).parent / "fixtures" / "fhir-samples"
TODAY = dt.date(2026, 11, 22)
PATIENT_HEADER = ("nhs_number,sex,month_of_birth,ethnicity_group,ethnicity_category,lsoa_code,"
                  "practice_code,registration_start,registration_end,date_of_death,given_name,"
                  "family_name,date_of_birth,address_line,postcode\n")


def _patients_csv(path: Path, *rows: str) -> Path:
    path.write_text(PATIENT_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


ALICE = ("9434765919,female,1950-03-01,White,A,E01017540,E81021,2001-01-01,,,Alice,Able,"
         "1950-03-14,1 Test Street,LU1 1AA")
BOB = ("9434765870,male,1960-07-01,Asian,H,E01017540,E81021,2001-01-01,,2025-06-30,Bob,Baker,"
       "1960-07-09,2 Test Street,LU1 1AB")


def _reconciled(report) -> None:
    for row in report.rows():
        assert row["received"] == row["loaded"] + row["quarantined"], row


# --- FHIR from other systems ----------------------------------------------------------------

def test_fhir_samples_map_what_fits_and_quarantine_the_rest_with_reasons():
    files = sorted(SAMPLES.glob("synthea/*.json")) + sorted(SAMPLES.glob("uk-core/*.json"))
    items = list(parse_fhir(files))
    rows = Counter(i.table for i in items if isinstance(i, Row))
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert rows["patients"] == 6  # 4 Synthea + 2 UK Core patients parse
    assert rows["medications"] == 1 and rows["vaccinations"] == 1  # dm+d amoxicillin, flu
    reasons = " | ".join(r.message() for r in rejected)
    assert "coded only as RxNorm" in reasons and "coded only as CVX" in reasons
    assert "Claim resources are not ingested" in reasons
    # the UK Core BP panel: one systolic and one diastolic reading, SNOMED coded
    bp = [i for i in items if isinstance(i, Row) and "BloodPressure" in i.source]
    assert sorted((r.values["snomed_code"], r.values["numeric_value"]) for r in bp) == [
        ("1091811000000102", 94.0), ("72313002", 142.0)]
    # Synthea BP panels coded in LOINC map too
    synthea_bp = [i for i in items if isinstance(i, Row) and "synthea" in i.source
                  and i.values.get("snomed_code") in ("72313002", "1091811000000102")]
    assert len(synthea_bp) > 0 and len(synthea_bp) % 2 == 0
    for r in rejected:  # every rejection names its file, where in it, and why
        assert r.source and r.locator and r.reason


def test_the_two_invalid_uk_core_examples_are_rejected_saying_what_is_wrong():
    broken, profile = sorted((SAMPLES / "uk-core" / "invalid").glob("*.json"))
    (a,), (b,) = list(parse_fhir([broken])), list(parse_fhir([profile]))
    assert isinstance(a, Rejected) and "not valid JSON" in a.reason and "line 10" in a.reason
    assert isinstance(b, Rejected) and b.field == "meta.profile.0"
    assert "AllergyIntolerance" in b.reason


def test_patients_without_an_nhs_number_link_by_local_identifier_unverified(tmp_path):
    report = ingest(tmp_path / "lake", [SAMPLES / "synthea", SAMPLES / "uk-core"],
                    key=TEST_KEY, today=TODAY)
    _reconciled(report)
    patients = open_lake(tmp_path / "lake").table("patients").to_pandas()
    richard = pseudonym(TEST_KEY, "9912003888", "nhs")
    assert patients.set_index("patient_id").loc[richard, "nhs_number_verified"]
    unverified = patients[~patients.nhs_number_verified]
    assert len(unverified) == 4  # the Synthea patients: linked by their Synthea identifiers
    # the UK Core baby's NHS number fails the modulus 11 check: quarantined, with that reason
    quarantine = pq.read_table(quarantine_path(tmp_path / "lake")).to_pandas()
    baby = quarantine[quarantine.source.str.endswith("BabyPatient-Example.json")]
    assert baby.reason.str.contains("modulus 11").all() and len(baby) == 1
    # the baby's record keeps its original payload in the (identifiable) quarantine
    assert '"resourceType": "Patient"' in baby.payload.iloc[0]


# --- round trips from the synthetic population -----------------------------------------------

@pytest.fixture(scope="module")
def sample_extracts(lake_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("extracts")
    return write_csv(lake_dir, out / "csv", sample=150), write_fhir(lake_dir, out / "fhir",
                                                                    sample=150)


def _distinct(table) -> Counter:
    """The table's rows, each with how many times it occurs (so a row lost, or loaded
    twice, shows)."""
    return Counter(map(tuple, table.to_pandas().astype(str).itertuples(index=False)))


def test_csv_extracts_round_trip_with_the_same_pseudonyms(lake_dir, sample_extracts, tmp_path):
    csv_files, _ = sample_extracts
    report = ingest(tmp_path / "lake", csv_files, key=TEST_KEY, today=TODAY)
    _reconciled(report)
    assert report.quarantined == 0, report.problems[:3]
    loaded, source = open_lake(tmp_path / "lake"), open_lake(lake_dir)
    ids = loaded.table("patients").patient_id.to_pandas()
    assert len(ids) == 150
    for name in ("patients", "clinical_events", "apc_spells", "medications"):
        mine = loaded.table(name).drop("cell") if name == "patients" else loaded.table(name)
        theirs = source.table(name)
        theirs = theirs.filter(theirs.patient_id.isin(list(ids)))
        if name == "patients":
            theirs = theirs.drop("cell")
        assert _distinct(mine) == _distinct(theirs), name


def test_fhir_ndjson_round_trips(lake_dir, sample_extracts, tmp_path):
    _, fhir_files = sample_extracts
    report = ingest(tmp_path / "lake", fhir_files, key=TEST_KEY, today=TODAY)
    _reconciled(report)
    # the generator writes no row twice, so nothing is refused as a duplicate (issue 11)
    assert report.quarantined == 0, report.problems[:3]
    loaded, source = open_lake(tmp_path / "lake"), open_lake(lake_dir)
    ids = list(loaded.table("patients").patient_id.to_pandas())
    for name, columns in (("clinical_events", ["patient_id", "date", "snomed_code",
                                               "numeric_value"]),
                          ("vaccinations", ["patient_id", "date", "vaccine", "snomed_code"]),
                          ("medications", ["patient_id", "date", "dmd_code", "quantity"])):
        theirs = source.table(name)
        theirs = theirs.filter(theirs.patient_id.isin(ids)).select(*columns)
        assert _distinct(loaded.table(name).select(*columns)) == _distinct(theirs), name
    # the national data opt-out travels in the Patient resource and survives the round trip
    mine = loaded.raw_table("patients").select("patient_id", "data_opt_out").to_pandas()
    theirs = source.raw_table("patients").select("patient_id", "data_opt_out").to_pandas()
    theirs = theirs[theirs.patient_id.isin(mine.patient_id)]
    assert theirs.data_opt_out.any(), "the sample should hold someone who opted out"
    assert dict(mine.itertuples(index=False)) == dict(theirs.itertuples(index=False))


# --- idempotent, incremental, atomic ---------------------------------------------------------

def _snapshot(lake: Path) -> dict[str, str]:
    return {str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(lake.rglob("*")) if p.is_file()}


def test_the_same_file_twice_changes_nothing(tmp_path):
    source = _patients_csv(tmp_path / "patients.csv", ALICE, BOB)
    first = ingest(tmp_path / "lake", [source], key=TEST_KEY, today=TODAY)
    assert sum(r["loaded"] for r in first.rows()) == 2
    before = _snapshot(tmp_path / "lake")
    again = ingest(tmp_path / "lake", [source], key=TEST_KEY, today=TODAY)
    assert again.rows() == [] and len(again.skipped) == 1
    assert _snapshot(tmp_path / "lake") == before


def test_new_files_append_and_corrections_replace_by_key(tmp_path):
    lake = tmp_path / "lake"
    ingest(lake, [_patients_csv(tmp_path / "patients.csv", ALICE)], key=TEST_KEY, today=TODAY)
    corrected = ALICE.replace("E81021", "E81046")
    report = ingest(lake, [_patients_csv(tmp_path / "patients-2.csv", corrected, BOB)],
                    key=TEST_KEY, today=TODAY)
    (row,) = report.rows()
    assert (row["received"], row["loaded"], row["replaced"]) == (2, 2, 1)
    patients = open_lake(lake).table("patients").to_pandas().set_index("patient_id")
    assert len(patients) == 2
    assert patients.loc[pseudonym(TEST_KEY, "9434765919", "nhs"), "practice_code"] == "E81046"
    assert len(load_history(lake)) == 2


@pytest.fixture
def killed_ingest():
    """Run `ingest` in a subprocess that SIGKILLs itself after writing `after` table files of
    the lake's next version (tests/ingest_crash.py); returns the finished process."""
    def run(lake: Path, sources: list[Path], after: int = 1) -> subprocess.CompletedProcess:
        helper = Path(__file__).parent / "ingest_crash.py"
        return subprocess.run([sys.executable, str(helper), str(after), str(lake),
                               TEST_KEY.hex(), TODAY.isoformat(), *map(str, sources)],
                              capture_output=True)
    return run


def test_a_load_killed_midway_leaves_the_previous_lake(tmp_path, killed_ingest):
    lake = tmp_path / "lake"
    ingest(lake, [_patients_csv(tmp_path / "patients.csv", ALICE)], key=TEST_KEY, today=TODAY)
    before = _snapshot(lake)
    events = tmp_path / "clinical_events.csv"
    events.write_text("nhs_number,date,snomed_code,numeric_value\n"
                      "9434765919,2024-01-05,38341003,\n")
    more = _patients_csv(tmp_path / "patients-2.csv", BOB)
    killed = killed_ingest(lake, [events, more], after=1)
    assert killed.returncode == -9  # SIGKILL after writing the first new table file
    assert _snapshot(lake) == before
    assert open_lake(lake).table("clinical_events").count().execute() == 0
    done = ingest(lake, [events, more], key=TEST_KEY, today=TODAY)
    _reconciled(done)
    assert open_lake(lake).table("clinical_events").count().execute() == 1
    assert open_lake(lake).table("patients").count().execute() == 2


# --- validation ------------------------------------------------------------------------------

def test_bad_rows_are_quarantined_naming_file_row_field_and_reason(tmp_path):
    patients = _patients_csv(tmp_path / "patients.csv", ALICE, BOB,
                             ALICE.replace("9434765919", "9434765918"))  # bad check digit
    events = tmp_path / "clinical_events.csv"
    events.write_text(
        "nhs_number,date,snomed_code,numeric_value\n"
        "9434765919,2024-01-05,38341003,\n"          # fine
        "9434765919,2024-01-05,38341004,\n"          # SNOMED check digit
        "9434765919,2027-01-05,38341003,\n"          # future
        "9434765919,1940-01-05,38341003,\n"          # before birth
        "9434765870,2025-08-01,38341003,\n"          # after death
        "9434765919,05/01/2024,38341003,\n"          # not ISO
        "9434765919,2024-01-05,38341003,high\n"      # not a number
        "9434765919,2024-01-05,,\n"                  # missing code
        "9434765919,2024-01-05,38341003,\n",         # duplicate
        encoding="utf-8")
    report = ingest(tmp_path / "lake", [patients, events], key=TEST_KEY, today=TODAY)
    _reconciled(report)
    q = pq.read_table(quarantine_path(tmp_path / "lake")).to_pandas()
    found = {(Path(s).name, loc.split(" (")[0], f): r
             for s, loc, f, r in zip(q.source, q.locator, q.field, q.reason, strict=True)}
    assert "modulus 11" in found[("patients.csv", "row 3", "nhs_number")]
    assert "Verhoeff" in found[("clinical_events.csv", "row 2", "snomed_code")]
    assert "future" in found[("clinical_events.csv", "row 3", "date")]
    assert "before the person was born" in found[("clinical_events.csv", "row 4", "date")]
    assert "after the person died" in found[("clinical_events.csv", "row 5", "date")]
    assert "not a valid date" in found[("clinical_events.csv", "row 6", "date")]
    assert "not a valid double" in found[("clinical_events.csv", "row 7", "numeric_value")]
    assert "required" in found[("clinical_events.csv", "row 8", "snomed_code")]
    assert "duplicate" in found[("clinical_events.csv", "row 9",
                                 "patient_id,date,snomed_code,numeric_value")]
    assert open_lake(tmp_path / "lake").table("clinical_events").count().execute() == 1


def test_the_analytics_store_holds_no_identifier_that_went_in(tmp_path, lake_dir):
    extracts = write_csv(lake_dir, tmp_path / "csv", sample=300)
    ingest(tmp_path / "lake", extracts, key=TEST_KEY, today=TODAY)
    people = pq.read_table(table_path(tmp_path / "lake", "person_identifiers")).to_pandas()
    assert len(people) == 300
    needles = set(people.nhs_number) | set(people.postcode)
    # (surnames that are also words of the data model, such as White or Black, would match the
    # ethnic group column, so they are left out of the search)
    words = {c for t in TABLES.values() for col in t.columns for c in col.categories}
    needles |= {n for n in set(people.given_name) | set(people.family_name)
                if len(n) > 3 and n not in words}
    # A synthetic address may share its postcode with a practice (published reference data,
    # ODS: the practice's own address), so values of the reference tables are not evidence
    from icsight.model.reference import reference_tables

    published = {str(v) for t in reference_tables().values() for col in t.to_pydict().values()
                 for v in col}
    needles -= published
    analytics = zone_path(tmp_path / "lake", ANALYTICS)
    files = [f for f in sorted(analytics.rglob("*")) if f.is_file()]
    assert len(files) >= 15
    for f in files:
        raw = f.read_bytes()
        for needle in needles:
            assert needle.encode() not in raw, (f.name, needle)
        cells = {str(v) for col in pq.read_table(f).to_pydict().values() for v in col}
        assert not cells & needles, (f.name, sorted(cells & needles))
    # Full dates of birth: a person's own demographic row holds only the month (event dates
    # elsewhere may fall on anyone's birthday by chance, so they are not evidence).
    patients = pq.read_table(table_path(tmp_path / "lake", "patients")).to_pandas()
    patients = patients.set_index("patient_id")
    for pid, born in zip(people.patient_id, people.date_of_birth, strict=True):
        row = {str(v) for v in patients.loc[pid].to_numpy()}
        assert born.day == 1 or str(born) not in row, pid
        assert str(born.replace(day=1)) in row  # the month of birth is what analysts get


def test_cli_ingest_prints_the_reconciliation_and_report(tmp_path):
    source = _patients_csv(tmp_path / "patients.csv", ALICE, ALICE.replace("White", "Purple"))
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(source), "--lake", str(tmp_path / "lake"),
                                  "--today", "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert "received = loaded + quarantined" in result.output
    assert "ethnicity_group" in result.output and "Purple" in result.output
    report = runner.invoke(main, ["ingest", "--report", "--lake", str(tmp_path / "lake")])
    assert report.exit_code == 0 and "patients.csv" in report.output


def test_parquet_extracts_load_like_csv(tmp_path):
    import pyarrow as pa

    table = pa.table({"nhs_number": ["9434765919", "9434765919", "123"],
                      "date": [dt.date(2024, 1, 5), dt.date(2024, 2, 5), dt.date(2024, 2, 5)],
                      "snomed_code": ["38341003", "38341003", "38341003"],
                      "numeric_value": [None, 140.0, None]})
    path = tmp_path / "clinical_events-2024.parquet"
    pq.write_table(table, path)
    report = ingest(tmp_path / "lake", [path], key=TEST_KEY, today=TODAY)
    (row,) = report.rows()
    assert (row["table"], row["received"], row["loaded"], row["quarantined"]) == (
        "clinical_events", 3, 2, 1)
    assert "NHS number" in report.problems[0].reason and report.problems[0].locator == "row 3"
    broken = tmp_path / "apc_spells.parquet"
    broken.write_bytes(b"PAR1 not really")
    (row,) = ingest(tmp_path / "lake", [broken], key=TEST_KEY, today=TODAY).rows()
    assert row["quarantined"] == 1 and row["received"] == 1


def test_cli_export_records_the_identifiable_export(lake_dir, tmp_path):
    from icsight.governance.audit import verify

    log = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(main, ["export", "--lake", str(lake_dir), "--out",
                                       str(tmp_path / "x"), "--sample", "5",
                                       "--audit-log", str(log)])
    assert result.exit_code == 0, result.output
    assert "records.identifiable.export" in log.read_text() and verify(log).ok
