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


#: Indicators of one calendar month's rare events (a first cancer treatment, a first autism
#: assessment appointment: a few a month per 10,000 people), which a small generated lake can
#: hold none of; the lake's own files must then confirm it. indicator -> (table, date column)
MONTHLY_RARE = {"CANCER_62D": ("cancer_pathways", "first_treatment_date"),
                "AUTISM_13WK": ("autism_referrals", "first_appointment_date")}


def assert_absent_only_for_want_of_events(missing: set[str], folder: Path, first: str,
                                          last: str) -> None:
    """Every indicator in `missing` (from a small lake's results) is a monthly rare one with
    none of its events from `first` to `last` in the lake's files."""
    import pandas as pd
    import pyarrow.parquet as pq

    from icsight.lake.layout import table_path

    assert missing <= set(MONTHLY_RARE), missing
    for indicator_id in missing:
        table, column = MONTHLY_RARE[indicator_id]
        days = pd.to_datetime(pq.read_table(table_path(folder, table)).to_pandas()[column])
        assert not ((days >= first) & (days <= last)).any(), indicator_id
