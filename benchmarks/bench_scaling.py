"""Benchmark: how generation and the build grow with the population.

For each population size, `icsight synth --population N` then the build of `icsight build
--months 36` without the worklists and the risk model (the whole catalogue, every breakdown,
SPC, inequalities, the results store: issue 10's budget, as `bench_catalogue.py` times it),
each in its own child process so its peak memory (maximum resident set size) is its own. The
report gives wall seconds, CPU seconds (the child's user and system time, every thread) and
peak GB per step and size, and per million registered people: growth no faster than linear
shows as flat (or falling) per-million figures. On a shared machine the CPU seconds are the
steadier figure.

    .venv/bin/python benchmarks/bench_scaling.py --work /tmp/scaling \\
        [--populations 250000,1000000,3000000] [--months 36] [--reuse]

`--reuse` builds on a lake already in `--work` for a size (from an earlier run) instead of
generating it again (its generation is then not timed). Lakes and results stay in `--work`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# The catalogue build as `icsight build` runs it, without the worklists, waiting lists,
# planning and the risk model (they have their own benchmarks and do not belong to issue 10's
# budget).
_BUILD = ("import sys; from icsight.engine import open_lake; "
          "from icsight.results.store import build; "
          "build(open_lake(sys.argv[1]), sys.argv[2], months=int(sys.argv[3]), "
          "worklists=False, waiting_lists=False, planning=False, risk=False)")


def _measured(command: list[str]) -> dict:
    """Run `command` as a child: wall seconds, CPU seconds and its own peak memory (GB)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONHASHSEED": "0"})
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{child.stderr.read().decode()[-3000:]}")
    child.stderr.close()
    return {"seconds": round(seconds, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_gb": round(usage.ru_maxrss / 1024**2, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, required=True,
                        help="folder for the generated lakes and results")
    parser.add_argument("--populations", default="250000,1000000,3000000",
                        help="registered people per size, comma-separated")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--reuse", action="store_true",
                        help="build on a lake already generated in --work for a size")
    args = parser.parse_args()
    icsight = [sys.executable, "-m", "icsight.cli"]
    rows = []
    for population in (int(p) for p in args.populations.split(",")):
        lake, results = args.work / f"lake-{population}", args.work / f"results-{population}"
        row: dict = {"population": population}
        if not (args.reuse and (lake / "manifest.json").is_file()):
            row["synth"] = _measured([*icsight, "synth", "--population", str(population),
                                      "--out", str(lake)])
        row["build"] = _measured([sys.executable, "-c", _BUILD, str(lake), str(results),
                                  str(args.months)])
        millions = population / 1e6
        for step in ("synth", "build"):
            if step in row:
                row[step] |= {"seconds_per_million": round(row[step]["seconds"] / millions, 1),
                              "cpu_seconds_per_million":
                                  round(row[step]["cpu_seconds"] / millions, 1),
                              "gb_per_million": round(row[step]["peak_gb"] / millions, 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(json.dumps({"cores": os.cpu_count(), "months": args.months, "sizes": rows},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
