"""Loads that never lose a row: twenty side by side, twenty killed at random moments.

Each scenario runs in real processes (`tests/ingest_crash.py` forks the loads), then checks the
lake against the sources: every row there exactly once, every file in the ledger exactly once,
every load reconciled, and nothing left beside the lake by the dead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from icsight.engine import open_lake
from icsight.ingest.ledger import read_ledger, sha256
from icsight.ingest.load import ingest
from icsight.lake import leftovers, lock_path, previous_path, table_path
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
HELPER = Path(__file__).parent / "ingest_crash.py"
ROWS_PER_FILE = 3
LOADS = 20


def _sources(folder: Path, count: int = LOADS) -> list[Path]:
    """`count` event extracts, each with its own rows (no row is a duplicate of another's)."""
    folder.mkdir()
    out = []
    for i in range(count):
        day = dt.date(2023, 1, 1) + dt.timedelta(days=i * ROWS_PER_FILE)
        lines = "".join(f"9434765919,{day + dt.timedelta(days=j)},38341003,{i}.{j}\n"
                        for j in range(ROWS_PER_FILE))
        path = folder / f"clinical_events-{i:02d}.csv"
        path.write_text("nhs_number,date,snomed_code,numeric_value\n" + lines)
        out.append(path)
    return out


def _helper(*args: str) -> list[dict]:
    env = {**os.environ, "ICSIGHT_LAKE_LOCK_TIMEOUT": "120",
           "PYTHONPATH": os.pathsep.join([str(HELPER.parent.parent / "src"),
                                          str(HELPER.parent.parent)])}
    done = subprocess.run([sys.executable, str(HELPER), *args], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _assert_nothing_lost(lake: Path, sources: list[Path]) -> None:
    events = pq.read_table(table_path(lake, "clinical_events"))
    assert events.num_rows == ROWS_PER_FILE * len(sources)  # no row lost, none twice
    assert sorted(events.column("numeric_value").to_pylist()) == sorted(
        float(f"{i}.{j}") for i in range(len(sources)) for j in range(ROWS_PER_FILE))
    ledger = read_ledger(lake)
    assert set(ledger["files"]) == {sha256(s) for s in sources}
    loaded = [r for load in ledger["loads"] for r in load["rows"]]
    assert sum(r["loaded"] for r in loaded) == events.num_rows
    assert all(r["received"] == r["loaded"] + r["quarantined"] for r in loaded)
    assert {Path(r["source"]).name for r in loaded} == {s.name for s in sources}
    assert open_lake(lake).table("clinical_events").count().execute() == events.num_rows


def _assert_nothing_left_beside(lake: Path) -> None:
    beside = {p.name for p in lake.parent.iterdir()}
    assert beside == {lake.name, lock_path(lake).name}, beside
    assert leftovers(lake) == [] and not previous_path(lake).exists()


def test_twenty_loads_at_once_into_one_lake_lose_no_row_and_no_ledger_entry(tmp_path):
    sources = _sources(tmp_path / "drop")
    lake = tmp_path / "lakes" / "lake"
    results = _helper("--concurrent", str(lake), TEST_KEY.hex(), TODAY.isoformat(),
                      *map(str, sources))
    assert [r["exit"] for r in results] == [0] * LOADS
    _assert_nothing_lost(lake, sources)
    assert len(read_ledger(lake)["loads"]) == LOADS
    _assert_nothing_left_beside(lake)


def test_twenty_loads_killed_at_random_moments_then_one_clean_load_lose_nothing(tmp_path):
    sources = _sources(tmp_path / "drop")
    lake = tmp_path / "lakes" / "lake"
    results = _helper("--killed", "20261201", str(lake), TEST_KEY.hex(), TODAY.isoformat(),
                      *map(str, sources))
    kinds = {r["how"].split(":")[0] for r in results}
    assert kinds == {"after-write", "between-renames", "after-copies", "timer"}
    assert sum(r["exit"] == -9 for r in results) >= LOADS // 2  # the kills were real
    report = ingest(lake, sources, key=TEST_KEY, today=TODAY)  # the clean load after
    assert report.refused == []
    _assert_nothing_lost(lake, sources)
    _assert_nothing_left_beside(lake)
