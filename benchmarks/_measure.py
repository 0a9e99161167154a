"""What the benchmarks share: CPU seconds and peak memory of this process, a child process run
for one side of a comparison (so each side's peak memory is its own), and a second process
keeping one core busy (`--load`: real machines are shared).

The benchmarks are scripts (`python benchmarks/bench_X.py`), so this module is imported by
name from their folder."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys


def cpu_seconds() -> float:
    """CPU seconds of this process so far, every thread (DuckDB's too): on a shared machine
    a fairer figure than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_gb() -> float:
    """The largest resident memory of this process so far, in GB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2)


def run_child(command: list[str], what: str) -> dict:
    """Run `command` (this interpreter and a script's arguments) and return the JSON its last
    line of output prints; stop with its error output if it fails (`what` names the side)."""
    done = subprocess.run([sys.executable, *command], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONHASHSEED": "0"})
    if done.returncode != 0:
        raise SystemExit(f"the {what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def busy_core() -> subprocess.Popen:
    """Another process keeping one core busy (a pure-Python spin) until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def setting(lake, manifest: dict, loaded: bool) -> dict:
    """What a report says about where it was measured: the lake, its population and date, the
    cores, the load average at the end and whether a core was kept busy."""
    return {"lake": str(lake), "population_target": manifest.get("population_target"),
            "as_of": manifest.get("reference_date"), "cores": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "load": "one core kept busy by another process" if loaded else "none added"}
