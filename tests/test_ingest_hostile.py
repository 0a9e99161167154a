"""Hostile input: whatever arrives, parsers never crash, nothing is lost (every record is a row
or a rejection with a reason), and nothing is executed."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icsight.engine import open_lake
from icsight.ingest.load import ingest
from icsight.ingest.parsers.fhir import parse_fhir
from icsight.ingest.parsers.flat import parse_flat
from icsight.ingest.records import Rejected, Row
from icsight.lake import table_path
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
HEADER = "nhs_number,date,snomed_code,numeric_value\n"
GOOD = "9434765919,2024-01-05,38341003,\n"
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _records(path: Path) -> list:
    return list(parse_flat(path))


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_csv_never_crash_and_every_line_is_accounted_for(tmp_path, data):
    path = tmp_path / "clinical_events.csv"
    path.write_bytes(HEADER.encode() + data)
    items = _records(path)
    assert all(isinstance(i, Row | Rejected) for i in items)
    for i in items:
        if isinstance(i, Rejected):
            assert i.reason and i.locator


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_in_a_field_is_data_never_code(tmp_path, text):
    path = tmp_path / "clinical_events.csv"
    cell = '"' + text.replace('"', '""') + '"'
    path.write_text(HEADER + f"9434765919,2024-01-05,38341003,{cell}\n", encoding="utf-8")
    items = [i for i in _records(path)]
    assert len(items) <= 1 or all(isinstance(i, Rejected) for i in items)


@SETTINGS
@given(st.one_of(st.binary(max_size=1500),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                              lambda c: st.lists(c, max_size=4)
                              | st.dictionaries(st.text(max_size=10), c, max_size=4),
                              max_leaves=20).map(lambda v: json.dumps(v).encode())))
def test_any_ndjson_line_is_a_resource_or_a_rejection(tmp_path, line):
    path = tmp_path / "x.ndjson"
    path.write_bytes(line.replace(b"\n", b" ") + b"\n"
                     + b'{"resourceType": "Patient", "id": "p", "birthDate": "2000-01-01"}\n')
    items = list(parse_fhir([path]))
    assert items and all(isinstance(i, Row | Rejected) for i in items)
    assert any(isinstance(i, Row) and i.table == "patients" for i in items)  # not lost


def test_truncated_json_and_wrong_encodings_are_rejected_clearly(tmp_path):
    truncated = tmp_path / "bundle.json"
    truncated.write_text('{"resourceType": "Bundle", "type": "collection", "entry": [{"reso')
    (item,) = parse_fhir([truncated])
    assert isinstance(item, Rejected) and "not valid JSON" in item.reason
    latin1 = tmp_path / "clinical_events.csv"
    latin1.write_bytes((HEADER + GOOD).encode() + "9434765919,2024-01-05,38341003,caf\xe9\n"
                       .encode("latin-1"))
    items = _records(latin1)
    assert isinstance(items[0], Row)
    assert isinstance(items[1], Rejected) and "not valid UTF-8 at byte" in items[1].reason
    utf16 = tmp_path / "patients.csv"
    utf16.write_text("nhs_number,sex\n9434765919,female\n", encoding="utf-16")
    (item,) = _records(utf16)
    assert isinstance(item, Rejected) and "UTF-8" in item.reason
    deep = tmp_path / "deep.json"
    deep.write_text('{"resourceType": "Patient", "x": ' + "[" * 5000 + "]" * 5000 + "}")
    (item,) = parse_fhir([deep])
    assert isinstance(item, Rejected)


def test_a_100_mb_line_is_skipped_without_losing_the_rest(tmp_path):
    path = tmp_path / "clinical_events.csv"
    with open(path, "wb") as f:
        f.write((HEADER + GOOD).encode())
        f.write(b"9434765919,2024-01-05," + b"9" * (100 * 1024 * 1024) + b",\n")
        f.write(b"9434765919,2024-02-05,38341003,\n")
    items = list(parse_flat(path))
    rows = [i for i in items if isinstance(i, Row)]
    (bad,) = [i for i in items if isinstance(i, Rejected)]
    assert len(rows) == 2 and "longer than" in bad.reason and "row 2" in bad.locator
    ndjson = tmp_path / "big.ndjson"
    with open(ndjson, "wb") as f:
        f.write(b'{"resourceType": "Patient", "note": "' + b"x" * (20 * 1024 * 1024) + b'"}\n')
        f.write(b'{"resourceType": "Patient", "id": "ok", "birthDate": "2000-01-01"}\n')
    items = list(parse_fhir([ndjson]))
    assert isinstance(items[0], Rejected) and "longer than" in items[0].reason
    assert isinstance(items[1], Row)


def test_sql_and_html_in_fields_are_stored_as_text_and_harm_nothing(tmp_path):
    path = tmp_path / "patients.csv"
    nasty = "Robert'); DROP TABLE patients;--"
    html = "<script>alert('x')</script>"
    path.write_text(
        "nhs_number,sex,month_of_birth,ethnicity_group,ethnicity_category,given_name,"
        "family_name,date_of_birth,address_line,postcode\n"
        f'9434765919,female,1950-03-01,White,A,"{nasty}",{html},1950-03-14,1 Street,LU1 1AA\n',
        encoding="utf-8")
    report = ingest(tmp_path / "lake", [path], key=TEST_KEY, today=TODAY)
    assert report.quarantined == 0
    import pyarrow.parquet as pq

    ids = pq.read_table(table_path(tmp_path / "lake", "person_identifiers"))
    assert ids.column("given_name").to_pylist() == [nasty]
    assert ids.column("family_name").to_pylist() == [html]
    assert open_lake(tmp_path / "lake").table("patients").count().execute() == 1


def test_a_zip_bomb_is_refused_and_nothing_is_loaded(tmp_path):
    bomb = tmp_path / "extract.zip"
    with (zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z,
          z.open("clinical_events.csv", "w") as member):
        member.write(HEADER.encode())
        zeros = b"0" * (1024 * 1024)
        for _ in range(300):  # 300 MB of zeros, a few hundred KB packed
            member.write(zeros)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    report = ingest(tmp_path / "lake", [bomb], key=TEST_KEY, today=TODAY)
    (refused,) = report.refused
    assert refused.startswith(str(bomb)) and "zip bomb" in refused
    assert report.rows() == [] and not (tmp_path / "lake").exists()


def test_archive_members_cannot_escape_the_archive(tmp_path):
    sneaky = tmp_path / "sneaky.zip"
    with zipfile.ZipFile(sneaky, "w") as z:
        z.writestr("../../clinical_events.csv", HEADER + GOOD)
    report = ingest(tmp_path / "lake", [sneaky], key=TEST_KEY, today=TODAY)
    (refused,) = report.refused
    assert "points outside the archive" in refused and report.rows() == []
    assert not (tmp_path / "lake").exists() and not (tmp_path / "clinical_events.csv").exists()
