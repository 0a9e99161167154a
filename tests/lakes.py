"""Tiny hand-made lakes for rule tests: a few patients, written in the canonical schemas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from icsight.lake import write_manifest, write_table
from icsight.model.reference import reference_tables
from icsight.model.schema import TABLES

#: The pseudonymisation key of every generated test lake (not a secret).
TEST_KEY = b"icsight-test-key-0123456789abcdef-not-secret"
PRACTICE, LSOA = "E81021", "E01015693"  # a Bedford practice; a Luton LSOA (IMD quintile 4)


def patient(pid: int, born: str = "1960-01-01", **fields) -> dict:
    row = {
        "patient_id": pid, "sex": "female", "month_of_birth": dt.date.fromisoformat(born),
        "ethnicity_group": "White", "ethnicity_category": "A", "lsoa_code": LSOA,
        "practice_code": PRACTICE, "registration_start": dt.date(2000, 1, 1),
        "registration_end": None, "date_of_death": None, "care_home": False,
        "housebound": False, "data_opt_out": False, "nhs_number_verified": True,
    }
    for k, v in fields.items():
        row[k] = dt.date.fromisoformat(v) if k in _DATES and isinstance(v, str) else v
    return row


_DATES = {"registration_start", "registration_end", "date_of_death"}


def event(pid: int, date: str, code: str, value: float | None = None) -> dict:
    return {"patient_id": pid, "date": dt.date.fromisoformat(date), "snomed_code": code,
            "numeric_value": value}


def make_lake(folder: Path, patients: list[dict], events: list[dict],
              reference_date: str = "2025-03-31") -> Path:
    tables = dict(reference_tables())
    tables["patients"] = pa.Table.from_pylist(patients, schema=TABLES["patients"].schema)
    tables["clinical_events"] = pa.Table.from_pylist(events,
                                                     schema=TABLES["clinical_events"].schema)
    for name, spec in TABLES.items():
        write_table(folder, name, tables.get(name, spec.schema.empty_table()))
    write_manifest(folder, {"kind": "test", "reference_date": reference_date,
                            "window_start": "2020-04-01"})
    return folder
