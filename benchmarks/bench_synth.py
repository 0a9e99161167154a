"""Benchmark: generate the default BLMK population (issue budget: <= 2 min, <= 6 GB, 2 cores).

Each step runs in its own child process so that its peak memory (max RSS) is measured alone.
Beside the generator we run a baseline in the same command: reading every Parquet file of the
generated lake and writing it again, the I/O floor for producing that output. The ratio
generation / baseline says how much the simulation itself costs on top of the writing.

    .venv/bin/python benchmarks/bench_synth.py [--population N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_SECONDS, BUDGET_GB = 120, 6.0

GENERATE = """
import sys
from icsight.synth.generate import generate_lake
generate_lake(sys.argv[1], int(sys.argv[2]), seed=1, reference_date="2026-09-30",
              key=b"benchmark-key-0123456789abcdef-not-secret")
"""
REWRITE = """
import sys, pathlib
import pyarrow.parquet as pq
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in sorted(src.rglob("*.parquet")):
    out = dst / f.relative_to(src)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pq.read_table(f), out, compression="zstd", row_group_size=1_000_000)
"""


def run_child(code: str, *args: str) -> tuple[float, float]:
    """Run `code` in a fresh Python; return (seconds, peak RSS in GB) of that child alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # The kernel reports the largest child so far; the generator runs first, so its figure is
    # its own. (A later, smaller child cannot be told apart: its figure is not reported.)
    return seconds, (peak_kb if peak_kb > before else float("nan")) / 1024 / 1024


def main() -> int:
    from icsight.synth.context import BLMK_POPULATION

    parser = argparse.ArgumentParser()
    # the default population, as `icsight synth` makes it (the published list on the
    # reference date)
    parser.add_argument("--population", type=int, default=BLMK_POPULATION)
    parser.add_argument("--keep", type=Path, help="keep the generated lake here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="icsight-bench-"))
    lake = args.keep or work / "lake"
    try:
        gen_s, gen_gb = run_child(GENERATE, str(lake), str(args.population))
        base_s, _ = run_child(REWRITE, str(lake), str(work / "copy"))
        rows = json.loads((lake / "manifest.json").read_text())["rows"]
        total_rows = sum(rows.values())
        size_mb = sum(f.stat().st_size for f in lake.rglob("*.parquet")) / 1e6
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(work / "copy", ignore_errors=True)
    report = {
        "population": args.population,
        "cores": os.cpu_count(),
        "rows": total_rows,
        "parquet_mb": round(size_mb, 1),
        "generate_seconds": round(gen_s, 1),
        "generate_peak_gb": round(gen_gb, 2),
        "baseline_rewrite_seconds": round(base_s, 1),
        "ratio_generate_to_rewrite": round(gen_s / base_s, 2),
        "budget": {"seconds": BUDGET_SECONDS, "peak_gb": BUDGET_GB},
        "within_budget": gen_s <= BUDGET_SECONDS and gen_gb <= BUDGET_GB,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
