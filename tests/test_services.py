"""The services directly: every role against records, aggregates and planning as the access
matrix says, one long-lived engine per purpose, the one registration rule, and audited denials
of another practice's patient."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import icsight.services.engines as engines
from icsight.governance.access import MATRIX, AccessDeniedError, Principal, Role
from icsight.governance.audit import verify
from icsight.governance.identifiable import Grant, read_identifiers
from icsight.governance.purpose import Purpose
from icsight.lake import read_manifest, table_path
from icsight.services import NotFoundError, Service

#: operation -> the action it needs (so the roles allowed come from the policy itself).
ACTIONS = {
    "catalogue": "catalogue.read",
    "indicator_values": "aggregates.suppressed",
    "patient_record": "records.pseudonymised",
    "planning_extract": "extract.planning",
    "practice_patients": "records.identifiable.list",
    "identifiable_record": "records.identifiable.view",
    "identifiable_export": "records.identifiable.export",
    "audit_entries": "audit.read",
}


def _who(role: Role, practice: str) -> Principal:
    if role == Role.CLINICIAN:
        return Principal("svc-cli", role, practice_code=practice)
    return Principal(f"svc-{role}", role)


def _call(service: Service, s: dict, who: Principal, operation: str):
    return {
        "catalogue": lambda: service.aggregates.catalogue(who),
        "indicator_values": lambda: service.aggregates.indicator_values(who, "CVDP007HYP"),
        "patient_record": lambda: service.records.patient_record(who, s["own"]),
        "planning_extract": lambda: service.planning.planning_extract(who, "patients"),
        "practice_patients": lambda: service.records.practice_patients(who, s["mine"]),
        "identifiable_record": lambda: service.records.identifiable_record(who, s["own"]),
        "identifiable_export": lambda: service.records.identifiable_export(who, s["mine"]),
        "audit_entries": lambda: service.admin.audit_entries(who),
    }[operation]()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("operation", list(ACTIONS))
def test_every_role_against_every_service_as_the_matrix_says(setting, role, operation):
    who = _who(role, setting["mine"])
    if role in MATRIX[ACTIONS[operation]]:
        assert _call(setting["service"], setting, who, operation) is not None
    else:
        with pytest.raises(AccessDeniedError):
            _call(setting["service"], setting, who, operation)


def test_one_engine_per_purpose_is_opened_once_and_reused(setting, monkeypatch):
    opened = []
    real = engines.open_lake

    def counting(path, purpose):
        opened.append(purpose)
        return real(path, purpose=purpose)

    monkeypatch.setattr(engines, "open_lake", counting)
    service = Service(setting["service"].lake_dir, setting["service"].results_dir,
                      setting["tmp"] / "engines-audit.jsonl")
    clinician = Principal("svc-cli", Role.CLINICIAN, practice_code=setting["mine"])
    analyst = Principal("svc-ana", Role.ANALYST)
    for _ in range(5):
        service.records.identifiable_record(clinician, setting["own"])
        service.records.practice_patients(clinician, setting["mine"])
        service.planning.planning_extract(analyst, "apc_spells")
    assert opened == [Purpose.DIRECT_CARE, Purpose.PLANNING]
    assert all(isinstance(p, Purpose) for p in opened)


def test_a_patient_not_registered_on_the_reference_date_is_not_listed(setting, tmp_path):
    """Someone whose registration starts the day after the lake's reference date has no null
    end date and no death, yet is not on the list that day (the one rule, not the old one)."""
    lake = tmp_path / "lake"
    shutil.copytree(setting["service"].lake_dir, lake)
    reference = dt.date.fromisoformat(read_manifest(lake)["reference_date"])
    path = table_path(lake, "patients")
    patients = pq.read_table(path).to_pandas()
    late = patients.index[patients.patient_id == setting["own"]][0]
    patients.loc[late, "registration_start"] = reference + dt.timedelta(days=1)
    schema = pq.read_schema(path)
    pq.write_table(pa.Table.from_pandas(patients, schema=schema, preserve_index=False), path)
    service = Service(lake, setting["service"].results_dir, tmp_path / "audit.jsonl")
    clinician = Principal("svc-cli", Role.CLINICIAN, practice_code=setting["mine"])
    people = pq.read_table(table_path(lake, "person_identifiers")).to_pandas()
    own = people.nhs_number[people.patient_id == setting["own"]].iloc[0]
    listed = {p["nhs_number"] for p in service.records.practice_patients(clinician,
                                                                        setting["mine"])}
    assert listed and own not in listed
    with pytest.raises(AccessDeniedError):  # not on the list: no longer their patient
        service.records.identifiable_record(clinician, setting["own"])


def test_another_practices_patient_is_denied_and_audited(setting, tmp_path):
    service = Service(setting["service"].lake_dir, setting["service"].results_dir,
                      tmp_path / "audit.jsonl")
    clinician = Principal("svc-cli", Role.CLINICIAN, practice_code=setting["mine"])
    with pytest.raises(AccessDeniedError, match="direct care of your own patients"):
        service.records.identifiable_record(clinician, setting["other"])
    with pytest.raises(AccessDeniedError, match="direct care of your own patients"):
        service.records.practice_patients(clinician, setting["theirs"])
    log = [json.loads(line) for line in service.audit_log.read_text().splitlines()]
    assert [(e["action"], e["resource"]) for e in log] == [
        ("DENIED records.identifiable.view", f"patient {setting['other']}"),
        ("DENIED records.identifiable.list", f"practice {setting['theirs']}")]
    assert verify(service.audit_log).ok


def test_planning_allow_list_lives_in_the_service(setting):
    analyst = Principal("svc-ana", Role.ANALYST)
    with pytest.raises(NotFoundError, match="no planning extract"):
        setting["service"].planning.planning_extract(analyst, "medications")


def test_identifiers_are_read_only_under_a_grant(setting):
    with pytest.raises(TypeError):
        Grant(Principal("x", Role.ANALYST), "records.identifiable.view", "patient 1")
    with pytest.raises(TypeError):
        read_identifiers(setting["service"].lake_dir, [setting["own"]], None)


@pytest.mark.parametrize("patient_id", [2**63, -(2**63) - 1, 10**30])
def test_a_patient_id_outside_64_bits_is_no_patient(setting, patient_id):
    service = setting["service"]
    with pytest.raises(NotFoundError):
        service.patient_record(Principal("ana", Role.ANALYST), patient_id)
    clinician = Principal("cli", Role.CLINICIAN, practice_code=setting["mine"])
    with pytest.raises(AccessDeniedError):
        service.identifiable_record(clinician, patient_id)


def test_the_registered_list_finds_a_practice_or_nobody():
    from icsight.services.records import RegisteredList

    found = RegisteredList(pa.table({"patient_id": pa.array([30, -5, 12], pa.int64()),
                                     "practice_code": ["E81021", None, "E81038"]}))
    assert found.practice_of(12) == ["E81038"]
    assert found.practice_of(30) == ["E81021"]
    assert found.practice_of(-5) == [None]  # registered, practice unknown
    assert found.practice_of(13) == [] and found.practice_of(99) == [] and \
        found.practice_of(-2**63) == []


@pytest.mark.parametrize("operation", ["practice_patients", "identifiable_record",
                                       "identifiable_export"])
def test_a_role_that_may_never_see_identifiers_is_refused_before_any_lake_is_opened(
        tmp_path, operation):
    # No lake exists here: a refusal that opened one would fail another way, and a refusal
    # that costs a lake scan is a cheap way for anyone to spend the server's time.
    service = Service(tmp_path / "no-lake", tmp_path / "results", tmp_path / "audit.jsonl")
    who = Principal("svc-analyst", Role.ANALYST)
    with pytest.raises(AccessDeniedError):
        _call(service, {"own": 1, "mine": "K83001"}, who, operation)
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [e["action"] for e in entries] == [f"DENIED {ACTIONS[operation]}"]
    assert service.engines.lake_dir.exists() is False
