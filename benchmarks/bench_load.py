"""Benchmark: the web application under 20 concurrent users (issue 12's load test).

Budget: on the default build (~1.05M people, 36 months), 20 concurrent users for 2 minutes
across the page types, p95 at most 300 ms for every page type and no errors; the first page
after start-up within 2 seconds. Beside each page type's 20-user figures, its single-user
time measured in the same run (one user for `--single` seconds first), so that a slow page
shows as slow alone, not only under load.

    .venv/bin/python benchmarks/bench_load.py --lake data/blmk --results data/results \
        [--users 20] [--duration 120] [--single 30] [--busy]

The server is `icsight serve` in its own process, as `make demo` runs it (one uvicorn worker);
Locust (`benchmarks/locustfile.py`) runs headless in another. `--busy` keeps one core busy
with another job for the whole run (a shared machine): report the figures idle and busy.
Page types are those the server answers with 200 when the run begins; a type that does not
exist in this version is listed as absent, not counted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pandas as pd

from icsight.indicators.definition import PROGRAMMES
from icsight.results import latest_run

BUDGET_P95_MS = 300
BUDGET_FIRST_PAGE_S = 2.0
BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=120, help="seconds under load")
    parser.add_argument("--single", type=int, default=30, help="seconds with one user")
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="icsight-load-"))
    busy = _busy_job() if args.busy else None
    port = _free_port()
    began = time.perf_counter()
    server = _serve(args.lake, args.results, port, folder)
    try:
        ready = _wait_until_listening(port, server) - began
        first_began = time.perf_counter()
        _get(f"http://127.0.0.1:{port}/")
        first = time.perf_counter() - first_began
        # the load is measured on the server as it runs all day: once it has made the
        # public pages it makes at start-up (ICSIGHT_WARM_PAGES), reported beside it
        warmed = _wait_until_warmed(folder / "server.log", server) - began
        pages, absent = _page_types(args.results, port)
        (folder / "pages.json").write_text(json.dumps(pages), encoding="utf-8")
        single = _locust(folder, port, 1, args.single, "single")
        loaded = _locust(folder, port, args.users, args.duration, "load")
        peak = _peak_memory(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if busy is not None:
            busy.terminate()
    _report(ready, first, single, loaded, absent, args)
    print(f"public pages all made {warmed:.0f} s after start-up (ICSIGHT_WARM_PAGES)")
    print(f"server's peak memory {peak / 1024:.0f} MB (its log: {folder / 'server.log'})")


def _peak_memory(pid: int) -> float:
    """The server's peak resident memory so far, in kB (Linux's VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1])
    return float("nan")


def _busy_job() -> subprocess.Popen:
    """Another job on the machine: one core spinning."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(lake: str, results: str, port: int, folder: Path) -> subprocess.Popen:
    env = os.environ | {"ICSIGHT_SESSION_SECRET": secrets.token_hex(32),
                        "ICSIGHT_DATABASE_URL": f"sqlite:///{folder / 'app.db'}"}
    return subprocess.Popen(
        [str(BIN / "icsight"), "serve", "--lake", lake, "--results", results,
         "--port", str(port), "--audit-log", str(folder / "audit.jsonl")],
        env=env, stdout=open(folder / "server.log", "w"), stderr=subprocess.STDOUT)


def _wait_until_listening(port: int, server: subprocess.Popen, limit: float = 120) -> float:
    """The moment the server accepts connections (it failed if it exited first)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}): see its log")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return time.perf_counter()
        time.sleep(0.02)
    raise SystemExit(f"the server did not listen within {limit:.0f} s")


def _wait_until_warmed(log: Path, server: subprocess.Popen, limit: float = 900) -> float:
    """The moment the server says it has made its public pages (`icsight serve`'s line)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}): see {log}")
        text = log.read_text(encoding="utf-8", errors="replace")
        if "public pages in the background in" in text or "No pages made at start" in text:
            return time.perf_counter()
        time.sleep(0.5)
    raise SystemExit(f"the server had not made its public pages within {limit:.0f} s")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def _page_types(results: str, port: int) -> tuple[dict, list[str]]:
    """Each page type's weight and example paths, from the build being served; the types
    this version does not answer are returned apart."""
    run = latest_run(results)
    published = pd.read_parquet(run / "published_values.parquet",
                                columns=["indicator_id", "breakdown", "group"])
    groups = {kind: sorted(published.loc[published["breakdown"] == kind, "group"].unique())
              for kind in ("place", "pcn", "practice")}
    indicators = sorted(published["indicator_id"].unique())
    practices = groups["practice"][:: max(1, len(groups["practice"]) // 40)]
    candidates = {
        "overview": (3, ["/"]),
        "programmes": (1, ["/programmes"]),
        "programme": (3, [f"/programmes/{p}" for p in PROGRAMMES]),
        "indicator": (4, [f"/indicators/{i}" for i in indicators]),
        "strategy": (1, ["/strategy"]),
        "place profile": (2, [f"/places/{_quote(p)}" for p in groups["place"]]),
        "PCN profile": (2, [f"/pcns/{p}" for p in groups["pcn"]]),
        "practice profile": (3, [f"/practices/{p}" for p in practices]),
        "search": (1, ["/search?q=" + q for q in ("luton", "hypertension", "E81")]),
        "indicator CSV": (1, [f"/api/v1/indicators/{i}/values?format=csv&breakdown=place"
                              for i in indicators]),
        "API docs": (1, ["/api/v1/docs"]),
    }
    present, absent = {}, []
    for kind, (weight, paths) in candidates.items():
        if paths and _get(f"http://127.0.0.1:{port}{paths[0]}") == 200:
            present[kind] = (weight, paths)
        else:
            absent.append(kind)
    return present, absent


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _locust(folder: Path, port: int, users: int, seconds: int, name: str) -> dict:
    """Locust's per-page-type statistics for `users` users over `seconds`."""
    prefix = folder / name
    with open(f"{prefix}.log", "w") as log:  # Locust's own summary, kept beside its CSV
        subprocess.run(
            [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")),
             "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
             "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
             "--loglevel", "WARNING"],
            env=os.environ | {"ICSIGHT_BENCH_PAGES": str(folder / "pages.json")},
            check=False, stdout=subprocess.DEVNULL, stderr=log)
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def _report(ready: float, first: float, single: dict, loaded: dict, absent: list[str],
            args: argparse.Namespace) -> None:
    print(f"Load test: {args.users} users for {args.duration} s"
          f"{' with one core busy' if args.busy else ''}; budget p95 <= {BUDGET_P95_MS} ms, "
          "no errors")
    print(f"server listening after {ready:.1f} s; first page after start-up {first:.2f} s "
          f"(budget {BUDGET_FIRST_PAGE_S:.0f} s): "
          f"{'met' if first <= BUDGET_FIRST_PAGE_S else 'NOT met'}")
    print(f"{'page type':<18}{'1 user p50':>11}{'p95':>7}{'20 users p50':>14}{'p95':>7}"
          f"{'requests':>10}{'errors':>8}")
    worst, errors = 0.0, 0
    for name, row in loaded.items():
        if name == "Aggregated":
            continue
        alone = single.get(name, {})
        p95 = float(row["95%"])
        worst, errors = max(worst, p95), errors + int(row["Failure Count"])
        print(f"{name:<18}{_ms(alone.get('Median Response Time')):>11}"
              f"{_ms(alone.get('95%')):>7}{_ms(row['Median Response Time']):>14}"
              f"{_ms(row['95%']):>7}{row['Request Count']:>10}{row['Failure Count']:>8}")
    total = loaded.get("Aggregated", {})
    print(f"{'all':<18}{'':>18}{_ms(total.get('Median Response Time')):>14}"
          f"{_ms(total.get('95%')):>7}{total.get('Request Count', '-'):>10}"
          f"{total.get('Failure Count', '-'):>8}")
    if absent:
        print("not in this version (not loaded): " + ", ".join(absent))
    met = worst <= BUDGET_P95_MS and errors == 0
    print(f"worst p95 {worst:.0f} ms, {errors} errors: budget {'met' if met else 'NOT met'}")


def _ms(value: str | None) -> str:
    """Locust's milliseconds as a whole number ('-' when the page type was not asked for)."""
    return "-" if value in (None, "", "N/A") else f"{float(value):.0f}"


if __name__ == "__main__":
    main()
