"""Benchmark: every worklist for every practice, as a build finds them, beside a naive baseline.

Issue 13's budget (point 7): every worklist for every practice on the default population in at
most 30 s on 2 cores, beside a naive baseline measured in the same command. One command runs
both, each in its own process (so each peak memory is its own), one after the other on the
same lake:

- **optimised**: `results.worklists.write_worklists` as `icsight build` calls it: every list
  (17) for every practice on the lake's reference date, their shortfall against target, and
  the two Parquet tables of the run folder. Inputs several lists use (the hypertension
  cohort, the registers, the eFI, the indicators' patient rows) are computed once.
- **naive**: the lists found practice by practice, as a page would without a build: for each
  practice, every list and its shortfall computed afresh (the same functions, nothing kept
  from one practice to the next except the lake's open files), then that practice's rows
  kept. Timing all 96 practices would take over an hour, so `--naive-practices N` (default 2,
  spread over the list of practices) are timed and the time scaled to every practice: the
  work per practice does not depend on which practice it is (every list is found for the
  whole lake, then filtered), so the scaling is by the number of practices only.

    .venv/bin/python benchmarks/bench_worklists.py --lake data/blmk
        [--naive-practices N]  # time the naive path on N practices, scaled to all
        [--load]               # keep one core busy with another process during both

Each side reports wall seconds, CPU seconds (user and system, every thread of the process:
on a shared machine the fairer comparison) and peak memory. `--load` starts a second process
spinning on one core for the whole measurement, as a test suite or another job would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from _measure import busy_core, cpu_seconds, peak_gb, run_child, setting

BUDGET_SECONDS = 30


def _optimised(lake_path: Path) -> dict:
    """Every list for every practice, as the build writes them."""
    from icsight.engine import open_lake
    from icsight.results.worklists import write_worklists
    from icsight.worklists.catalogue import WORKLISTS

    lake = open_lake(lake_path)
    as_of = dt.date.fromisoformat(lake.reference_date)
    wall, cpu = time.perf_counter(), cpu_seconds()
    with tempfile.TemporaryDirectory() as out:
        written = write_worklists(lake, as_of, Path(out))
    return {"seconds": round(time.perf_counter() - wall, 1),
            "cpu_seconds": round(cpu_seconds() - cpu, 1),
            "peak_gb": peak_gb(), "lists": len(WORKLISTS), "rows": written["rows"]}


def _naive(lake_path: Path, practices: int) -> dict:
    """Every list and its shortfall found afresh for each of `practices` practices (spread
    over the practice list), that practice's rows kept."""
    from icsight.engine import open_lake
    from icsight.worklists.catalogue import find_all, shortfall

    lake = open_lake(lake_path, purpose="direct_care")
    as_of = dt.date.fromisoformat(lake.reference_date)
    codes = sorted(lake.raw_table("practices").select("practice_code").to_pandas()
                   .practice_code.dropna())
    step = max(len(codes) // practices, 1)
    chosen = codes[::step][:practices]
    wall, cpu = time.perf_counter(), cpu_seconds()
    rows = 0
    for code in chosen:
        every = find_all(lake, as_of)  # a page without a build: the lists of the whole lake
        short = shortfall(lake, as_of, rows=every)
        mine, mine_short = every[every.practice_code == code], short[short.practice_code == code]
        rows += len(mine)
        assert len(mine_short) > 0, f"no shortfall for {code}"
    return {"seconds": round(time.perf_counter() - wall, 1),
            "cpu_seconds": round(cpu_seconds() - cpu, 1),
            "peak_gb": peak_gb(), "practices_timed": chosen, "practices_in_lake": len(codes),
            "rows_of_practices_timed": rows}


def _child(lake: Path, mode: str, practices: int) -> dict:
    return run_child([__file__, "--lake", str(lake), "--naive-practices", str(practices),
                      "--child", mode], f"{mode} run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--naive-practices", type=int, default=2,
                        help="time the naive path on this many practices, scaled to all")
    parser.add_argument("--load", action="store_true",
                        help="keep one core busy with another process while measuring")
    parser.add_argument("--child", choices=("optimised", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_practices < 1:
        parser.error("--naive-practices must be 1 or more")
    if args.child == "optimised":
        print(json.dumps(_optimised(args.lake)))
        return 0
    if args.child == "naive":
        print(json.dumps(_naive(args.lake, args.naive_practices)))
        return 0

    from icsight.engine import open_lake

    manifest = open_lake(args.lake).manifest
    load = busy_core() if args.load else None
    try:
        optimised = _child(args.lake, "optimised", args.naive_practices)
        naive = _child(args.lake, "naive", args.naive_practices)
    finally:
        if load is not None:
            load.kill()
            load.wait()
    scale = naive["practices_in_lake"] / len(naive["practices_timed"])
    naive_seconds = naive["seconds"] * scale
    naive_cpu = naive["cpu_seconds"] * scale
    print(json.dumps({
        **setting(args.lake, manifest, args.load),
        "optimised": optimised,
        "naive": naive | {"seconds_for_all_practices": round(naive_seconds, 1),
                          "cpu_seconds_for_all_practices": round(naive_cpu, 1),
                          "scaled_by": round(scale, 2)},
        "speed_up": round(naive_seconds / optimised["seconds"], 1),
        "cpu_speed_up": round(naive_cpu / optimised["cpu_seconds"], 1),
        "budget": {"seconds": BUDGET_SECONDS},
        "within_budget": optimised["seconds"] <= BUDGET_SECONDS,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
