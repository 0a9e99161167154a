"""Hand-made referral-to-treatment pathways and a lake holding them, for the waiting-list
spec tests (queues, the weekly simulation, `icsight plan waiting-lists`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from icsight.lake.writer import write_table
from icsight.model.schema import TABLES
from tests.lakes import make_lake, patient


def pathway(pid: int, start: str, stop: str | None = None, status: str | None = None,
            provider: str = "RX1", function: str = "110") -> dict:
    """One pathway (its patient has the same id): open while `stop` is None."""
    return {"patient_id": pid, "pathway_id": pid, "provider_code": provider,
            "treatment_function": function, "clock_start": dt.date.fromisoformat(start),
            "clock_stop": dt.date.fromisoformat(stop) if stop else None,
            "status": status or ("waiting" if stop is None else "admitted"),
            "diagnostic_wait_start": None, "diagnostic_test_date": None}


def rtt_lake(folder: Path, pathways: list[dict], as_of: str,
             died: dict[int, str] | None = None, left: dict[int, str] | None = None) -> Path:
    """A lake with one patient per pathway, `died` and `left` (patient id: day) applied."""
    people = [patient(p["patient_id"]) for p in pathways]
    for person in people:
        pid = person["patient_id"]
        if pid in (died or {}):
            person["date_of_death"] = dt.date.fromisoformat(died[pid])
        if pid in (left or {}):
            person["registration_end"] = dt.date.fromisoformat(left[pid])
    folder = make_lake(folder, people, [], reference_date=as_of)
    write_table(folder, "rtt_pathways",
                pa.Table.from_pylist(pathways, schema=TABLES["rtt_pathways"].schema))
    return folder
