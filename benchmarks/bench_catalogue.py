"""Benchmark: the whole indicator catalogue x 36 month ends x every breakdown.

Issue 10's budget: at most 45 s and 4 GB for the default 1.05M population on 2 cores, and at
least 10 times faster than a naive baseline that recomputes each month separately. One command
runs both, each in
its own process (so each peak memory is its own), one after the other on the same lake:

- **optimised**: `icsight build` as shipped: every indicator's 36-month series in one query
  against a table of period ends, registers, cohorts and the population counted once per build;
  then SPC, inequalities (SII/RII) and the results store with provenance, as a user gets it.
- **naive**: the same build, the same definitions, but each month computed separately
  (`build(..., one_query=False)`).

Both builds pass `worklists=False, risk=False`: issue 10's budget is the indicator catalogue
with SPC, inequalities and the results store. `build()` by default also writes the practices'
worklists (issue 13) and trains and scores the emergency admission risk model; those have
their own benchmarks (`bench_worklists.py`, `bench_risk.py`), and timing them here would also
scale them with the months of the naive build, which they do not depend on.

    .venv/bin/python benchmarks/bench_catalogue.py --lake data/blmk [--months 36]
        [--naive-months N]   # time the naive build on N months only and scale it to --months
        [--load]             # keep one core busy with another process during both builds

Real machines are shared: `--load` starts a second process spinning on one core for the
whole measurement (both builds alike), as a test suite or another job would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _measure import busy_core, cpu_seconds, peak_gb, run_child

BUDGET_SECONDS, BUDGET_GB, BUDGET_SPEED_UP = 45, 4.0, 10


def _run(lake: Path, months: int, one_query: bool) -> dict:
    """One build in this process: seconds (wall and CPU) and peak memory."""
    from icsight.engine import open_lake
    from icsight.indicators.catalogue import catalogue
    from icsight.results.store import build

    started, cpu = time.perf_counter(), cpu_seconds()
    with tempfile.TemporaryDirectory() as out:
        # the catalogue only: worklists, waiting lists, planning and the risk model have
        # their own benchmarks
        build(open_lake(lake), out, months=months, one_query=one_query, worklists=False,
              waiting_lists=False, planning=False, risk=False)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "indicators": len(catalogue()), "months": months,
            "peak_gb": peak_gb()}


def _child(lake: Path, months: int, mode: str) -> dict:
    return run_child([__file__, "--lake", str(lake), "--months", str(months), "--child", mode],
                     f"{mode} build")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--naive-months", type=int, default=None,
                        help="time the naive build on this many months and scale to --months")
    parser.add_argument("--load", action="store_true",
                        help="keep one core busy with another process while measuring")
    parser.add_argument("--child", choices=("optimised", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run(args.lake, args.months, args.child == "optimised")))
        return 0

    from icsight.engine import open_lake

    manifest = open_lake(args.lake).manifest
    naive_months = args.naive_months or args.months
    load = busy_core() if args.load else None
    try:
        optimised = _child(args.lake, args.months, "optimised")
        naive = _child(args.lake, naive_months, "naive")
    finally:
        if load is not None:
            load.kill()
            load.wait()
    naive_seconds = naive["seconds"] * args.months / naive_months
    naive_cpu = naive["cpu_seconds"] * args.months / naive_months
    print(json.dumps({
        "lake": str(args.lake),
        "population_target": manifest.get("population_target"),
        "cores": os.cpu_count(),
        "load": "one core kept busy by another process" if args.load else "none added",
        "load_average_at_end": list(os.getloadavg()),
        "indicators": optimised["indicators"],
        "months": args.months,
        "optimised": optimised,
        "naive": naive | {"seconds_for_all_months": round(naive_seconds, 1),
                          "cpu_seconds_for_all_months": round(naive_cpu, 1),
                          "scaled_from_months": naive_months},
        "speed_up": round(naive_seconds / optimised["seconds"], 1),
        "cpu_speed_up": round(naive_cpu / optimised["cpu_seconds"], 1),
        "budget": {"seconds": BUDGET_SECONDS, "peak_gb": BUDGET_GB,
                   "speed_up": BUDGET_SPEED_UP},
        "within_budget": optimised["seconds"] <= BUDGET_SECONDS
        and optimised["peak_gb"] <= BUDGET_GB
        and naive_seconds / optimised["seconds"] >= BUDGET_SPEED_UP,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
