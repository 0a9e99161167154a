"""Benchmark: identifiable records for direct care, today's services against the old path.

One command times both, warm, in one process on the same lake, for a clinician of the chosen
practice (by default the practice with most registered patients: the longest list):

- **old**: the approach `icsight.api.service` took before the services, reimplemented here
  faithfully: per request a fresh `open_lake`, `lake.table("patients")` (which numbers and
  caches the whole patients table with its `cell` column) filtered to the patient or practice,
  and a full read of `person_identifiers` filtered in pandas;
- **new**: `icsight.services.Service`, whose lake is opened once per purpose and reused, reading
  the stored patients columns (`Lake.raw_table`) and only the identifiers asked for
  (`icsight.governance.identifiable`).

Each is timed as the median of `--repeat` requests after 2 warm-ups, for one patient's
identifiable record and one practice's list. Both write to a throwaway audit log.

    ICSIGHT_PSEUDONYM_KEY=... .venv/bin/python benchmarks/bench_records.py --lake /tmp/blmk-default
        [--repeat 20] [--practice CODE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from icsight.engine import open_lake
from icsight.governance.access import Principal, Role, authorise
from icsight.lake import table_path
from icsight.model.registration import registered_and_alive_sql
from icsight.services import Service

WARM_UPS = 2


class OldRecords:
    """The records path as it was before the services (one lake opened per call)."""

    def __init__(self, lake_dir: Path, audit_log: Path) -> None:
        self.lake_dir, self.audit_log = lake_dir, audit_log

    def _registered(self, practice_code=None, patient_id=None) -> pd.DataFrame:
        lake = open_lake(self.lake_dir, purpose="direct_care")
        patients = lake.table("patients").select("patient_id", "practice_code",
                                                 "registration_end", "date_of_death",
                                                 "data_opt_out")
        practices = lake.table("practices").select("practice_code", "pcn_code")
        t = patients.left_join(practices, "practice_code").drop("practice_code_right")
        if practice_code is not None:
            t = t.filter(t.practice_code == practice_code)
        if patient_id is not None:
            t = t.filter(t.patient_id == patient_id)
        return t.filter(t.registration_end.isnull(), t.date_of_death.isnull()).to_pandas()

    def _identifiers(self, ids) -> pd.DataFrame:
        people = pq.read_table(table_path(self.lake_dir, "person_identifiers")).to_pandas()
        return people[people.patient_id.isin(list(ids))]

    def _authorise_practice(self, who, action, practice_code) -> None:
        practices = open_lake(self.lake_dir).table("practices").to_pandas() \
            .set_index("practice_code")
        authorise(who, action, self.audit_log, f"practice {practice_code}", practice_code,
                  practices.loc[practice_code, "pcn_code"])

    def practice_patients(self, who, practice_code) -> list[dict]:
        self._authorise_practice(who, "records.identifiable.list", practice_code)
        registered = self._registered(practice_code=practice_code)
        people = self._identifiers(registered.patient_id)
        return json.loads(people.to_json(orient="records", date_format="iso"))

    def identifiable_record(self, who, patient_id) -> dict:
        found = self._registered(patient_id=patient_id)
        practice, pcn = (None, None) if found.empty else (found.practice_code.iloc[0],
                                                          found.pcn_code.iloc[0])
        authorise(who, "records.identifiable.view", self.audit_log, f"patient {patient_id}",
                  practice, pcn)
        people = self._identifiers([patient_id])
        return json.loads(people.to_json(orient="records", date_format="iso"))[0]


def _choose(lake_dir: Path, practice: str | None) -> tuple[str, int, int]:
    """A practice (the largest unless named), one of its registered patients, its list size."""
    lake = open_lake(lake_dir)
    day = f"DATE '{lake.reference_date}'"
    where = registered_and_alive_sql(day)
    sizes = lake.sql(f"SELECT practice_code, count(*) AS n, min(patient_id) AS pid "
                     f"FROM patients WHERE {where} GROUP BY 1 ORDER BY n DESC")
    row = sizes[sizes.practice_code == practice].iloc[0] if practice else sizes.iloc[0]
    return row.practice_code, int(row.pid), int(row.n)


def _median_ms(request: Callable[[], object], repeat: int) -> tuple[float, object]:
    for _ in range(WARM_UPS):
        answer = request()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = request()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--practice", default=None)
    args = parser.parse_args()

    practice, patient, size = _choose(args.lake, args.practice)
    who = Principal("bench-clinician", Role.CLINICIAN, practice_code=practice)
    print(f"lake {args.lake}: practice {practice} ({size:,} registered), patient {patient}; "
          f"median of {args.repeat} warm requests after {WARM_UPS} warm-ups")
    with tempfile.TemporaryDirectory() as tmp:
        old = OldRecords(args.lake, Path(tmp) / "old-audit.jsonl")
        new = Service(args.lake, Path(tmp) / "results", Path(tmp) / "new-audit.jsonl").records
        rows = []
        for label, old_call, new_call in (
            ("one patient's identifiable record",
             lambda: old.identifiable_record(who, patient),
             lambda: new.identifiable_record(who, patient)),
            ("one practice's list",
             lambda: old.practice_patients(who, practice),
             lambda: new.practice_patients(who, practice)),
        ):
            old_ms, old_answer = _median_ms(old_call, args.repeat)
            new_ms, new_answer = _median_ms(new_call, args.repeat)
            same = _ids(old_answer) == _ids(new_answer)
            rows.append((label, old_ms, new_ms, same))
    print("\n| request | old (ms) | new (ms) | old / new | same patients |")
    print("| --- | ---: | ---: | ---: | --- |")
    for label, old_ms, new_ms, same in rows:
        print(f"| {label} | {old_ms:,.1f} | {new_ms:,.1f} | {old_ms / new_ms:,.1f} | "
              f"{'yes' if same else 'NO'} |")
    print("\n(same patients: whether both answers name the same people; the services count "
          "registration on the lake's reference date, the old path on null end dates)")
    return 0


def _ids(answer: dict | list[dict]) -> set[int]:
    rows = answer if isinstance(answer, list) else [answer]
    return {row["patient_id"] for row in rows}


if __name__ == "__main__":
    raise SystemExit(main())
