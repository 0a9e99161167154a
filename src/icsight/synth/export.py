"""Write a synthetic lake out as the files real sources send, so the ingestion path the
product uses is exercised end to end (`icsight export`, then `icsight ingest`).

- **CSV**: one extract per canonical table, in the format `icsight.ingest.flat` reads: the
  canonical columns with `nhs_number` in place of `patient_id`, and for `patients` the
  identifiable fields.
- **FHIR**: UK Core-shaped NDJSON, one file per resource type: Patient (NHS number, name,
  birth date, address, ethnic category, GP practice), Condition and Observation (from
  `clinical_events`: codes with a value are observations), MedicationRequest (dm+d) and
  Immunization.

A sample takes the first `sample` patients by pseudonym (a stable, unbiased choice) and all of
their records.

The files hold names, addresses and NHS numbers (synthetic, but shaped like the real thing and
handled as it would be): each is created 0600 and a new output folder 0700 from the start, by
the system call that makes them, never made private after the fact.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from icsight.lake import ANALYTICS, table_path
from icsight.model.schema import OPT_OUT_EXTENSION_URL, TABLES

IDENTIFIABLE_COLUMNS = ("given_name", "family_name", "date_of_birth", "address_line",
                        "postcode")
PATIENT_LEVEL = [name for name, t in TABLES.items()
                 if t.zone == ANALYTICS and "patient_id" in t.column_names]
_FILE_MODE, _DIR_MODE = 0o600, 0o700


def _private_folder(out: Path) -> None:
    """Create `out` 0700 (its parents as usual); an existing folder is left as it is."""
    if not out.is_dir():
        out.parent.mkdir(parents=True, exist_ok=True)
        out.mkdir(mode=_DIR_MODE, exist_ok=True)


def _private_file(path: Path) -> int:
    """Create (or empty) `path` 0600 and return its descriptor; a symlink is not followed.
    A file left by an earlier export is emptied and made 0600 before anything is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, _FILE_MODE)
    os.fchmod(fd, _FILE_MODE)
    return fd


def _connect(lake: Path, sample: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ids = table_path(lake, "person_identifiers")
    limit = f"LIMIT {int(sample)}" if sample else ""
    con.sql(f"""CREATE TABLE people AS SELECT * FROM '{ids}' WHERE nhs_number IS NOT NULL
                ORDER BY patient_id {limit}""")
    return con


def write_csv(lake_dir: str | Path, out_dir: str | Path, sample: int | None = None
              ) -> list[Path]:
    """Per-table CSV extracts of the lake (or a sample of its patients); returns the files."""
    lake, out = Path(lake_dir), Path(out_dir)
    _private_folder(out)
    con = _connect(lake, sample)
    written = []
    for name in PATIENT_LEVEL:
        columns = [c for c in TABLES[name].column_names if c != "patient_id"]
        extra = [f"p.{c}" for c in IDENTIFIABLE_COLUMNS] if name == "patients" else []
        select = ", ".join(["p.nhs_number", *[f"t.{c}" for c in columns], *extra])
        path = out / f"{name}.csv"
        os.close(_private_file(path))
        # into the file just made 0600: DuckDB's default (a temporary file renamed over an
        # existing one) would replace it with a file of the default mode
        con.sql(f"""COPY (SELECT {select} FROM '{table_path(lake, name)}' t
                          JOIN people p USING (patient_id) ORDER BY ALL)
                    TO '{path}' (HEADER, DELIMITER ',', USE_TMP_FILE false)""")
        written.append(path)
    return written


def write_fhir(lake_dir: str | Path, out_dir: str | Path, sample: int | None = None
               ) -> list[Path]:
    """UK Core-shaped NDJSON (one file per resource type) for the lake's patients (or a
    sample); returns the files."""
    lake, out = Path(lake_dir), Path(out_dir)
    _private_folder(out)
    con = _connect(lake, sample)
    a = {name: table_path(lake, name) for name in
         ("patients", "clinical_events", "medications", "vaccinations")}
    files = {}

    def emit(kind: str, resource: dict) -> None:
        if kind not in files:
            files[kind] = os.fdopen(_private_file(out / f"{kind}.ndjson"), "w",
                                    encoding="utf-8")
        files[kind].write(json.dumps(resource, default=str) + "\n")

    try:
        for row in con.sql(f"""SELECT p.*, t.sex, t.ethnicity_category, t.practice_code,
                                      t.date_of_death, t.data_opt_out
                               FROM people p JOIN '{a["patients"]}' t USING (patient_id)
                               ORDER BY p.patient_id""").fetchall():
            emit("Patient", _patient(dict(zip(_columns(con, a), row, strict=True))))
        for nhs, day, code, value in con.sql(f"""
                SELECT p.nhs_number, e.date, e.snomed_code, e.numeric_value
                FROM '{a["clinical_events"]}' e JOIN people p USING (patient_id)
                ORDER BY ALL""").fetchall():
            emit(*_event(nhs, day, code, value))
        for nhs, day, dmd, quantity in con.sql(f"""
                SELECT p.nhs_number, m.date, m.dmd_code, m.quantity
                FROM '{a["medications"]}' m JOIN people p USING (patient_id)
                ORDER BY ALL""").fetchall():
            emit("MedicationRequest", _medication(nhs, day, dmd, quantity))
        for nhs, day, vaccine, code, dose in con.sql(f"""
                SELECT p.nhs_number, v.date, v.vaccine, v.snomed_code, v.dose_number
                FROM '{a["vaccinations"]}' v JOIN people p USING (patient_id)
                ORDER BY ALL""").fetchall():
            emit("Immunization", _immunization(nhs, day, vaccine, code, dose))
    finally:
        for f in files.values():
            f.close()
    return [out / f"{k}.ndjson" for k in files]


def _columns(con, a: dict) -> list[str]:
    return [*con.sql("SELECT * FROM people LIMIT 0").columns, "sex", "ethnicity_category",
            "practice_code", "date_of_death", "data_opt_out"]


def _ref(nhs: str) -> dict:
    return {"reference": f"Patient/{nhs}"}


def _patient(p: dict) -> dict:
    resource = {
        "resourceType": "Patient", "id": p["nhs_number"],
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": p["nhs_number"]}],
        "name": [{"use": "official", "family": p["family_name"], "given": [p["given_name"]]}],
        "gender": p["sex"] if p["sex"] in ("female", "male") else "unknown",
        "birthDate": str(p["date_of_birth"]),
        "address": [{"line": [p["address_line"]], "postalCode": p["postcode"]}],
        "extension": [{
            "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
            "valueCodeableConcept": {"coding": [{
                "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
                "code": p["ethnicity_category"]}]}}],
        "generalPractitioner": [{"identifier": {
            "system": "https://fhir.nhs.uk/Id/ods-organization-code",
            "value": p["practice_code"]}}],
    }
    if p["date_of_death"] is not None:
        resource["deceasedDateTime"] = str(p["date_of_death"])
    # the opt-out travels with the record, so a lake loaded from these files keeps it
    resource["extension"].append({"url": OPT_OUT_EXTENSION_URL,
                                  "valueBoolean": bool(p["data_opt_out"])})
    return resource


def _event(nhs: str, day, code: str, value) -> tuple[str, dict]:
    concept = {"coding": [{"system": "http://snomed.info/sct", "code": code}]}
    if value is None:
        return "Condition", {"resourceType": "Condition", "subject": _ref(nhs), "code": concept,
                             "onsetDateTime": str(day)}
    return "Observation", {"resourceType": "Observation", "status": "final",
                           "subject": _ref(nhs), "code": concept, "effectiveDateTime": str(day),
                           "valueQuantity": {"value": value}}


def _medication(nhs: str, day, dmd: str, quantity) -> dict:
    resource = {"resourceType": "MedicationRequest", "status": "completed", "intent": "order",
                "subject": _ref(nhs), "authoredOn": str(day),
                "medicationCodeableConcept": {"coding": [{"system": "https://dmd.nhs.uk",
                                                          "code": dmd}]}}
    if quantity is not None:
        resource["dispenseRequest"] = {"quantity": {"value": quantity}}
    return resource


def _immunization(nhs: str, day, vaccine: str, code: str, dose) -> dict:
    term = {"influenza": "Influenza vaccine", "hpv": "Human papillomavirus (HPV) vaccine",
            "pneumococcal": "Pneumococcal vaccine"}[vaccine]
    resource = {"resourceType": "Immunization", "status": "completed", "patient": _ref(nhs),
                "occurrenceDateTime": str(day),
                "vaccineCode": {"coding": [{"system": "http://snomed.info/sct", "code": code,
                                            "display": term}]}}
    if dose is not None:
        resource["protocolApplied"] = [{"doseNumberPositiveInt": int(dose)}]
    return resource
