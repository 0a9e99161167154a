"""Benchmark: the whole indicator catalogue x 36 month ends x every breakdown.

Issue 3's budget: at most 60 s and 8 GB for the default 1.05M population on 2 cores, beside a
naive baseline that recomputes each month separately. Today's `icsight build` *is* that naive
baseline (one query per indicator and month); this script measures it so the vectorised
all-months version, when it lands, is reported in the same run against it.

    .venv/bin/python benchmarks/bench_catalogue.py --lake data/blmk [--months 36]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

BUDGET_SECONDS, BUDGET_GB = 60, 8.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--months", type=int, default=36)
    args = parser.parse_args()
    from icsight.engine import open_lake
    from icsight.indicators.catalogue import catalogue
    from icsight.results.store import build

    lake = open_lake(args.lake)
    n = len(catalogue())
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        build(lake, out, months=args.months)
        naive = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(json.dumps({
        "lake": str(args.lake),
        "population_target": lake.manifest.get("population_target"),
        "indicators": n,
        "months": args.months,
        "naive_seconds": round(naive, 1),
        "naive_seconds_per_indicator_month": round(naive / (n * args.months), 3),
        "peak_gb": round(peak_gb, 2),
        "optimised_seconds": None,
        "budget": {"seconds": BUDGET_SECONDS, "peak_gb": BUDGET_GB},
        "within_budget": naive <= BUDGET_SECONDS and peak_gb <= BUDGET_GB,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
