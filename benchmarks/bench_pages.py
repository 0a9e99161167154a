"""Benchmark: each web page's single-user time over a build, in process (no network).

A first look before issue 12's load test (20 users, p95 at most 300 ms): the first page after
start-up, then each page type ten times, median and slowest, as the public sees them.

    .venv/bin/python benchmarks/bench_pages.py --lake data/blmk --results data/results
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
import warnings

from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.services import Service

PAGES = ("/", "/programmes", "/programmes/ltc", "/indicators/CVDP007HYP",
         "/indicators/EMERG_ADM_RATE", "/no-such-page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    folder = tempfile.mkdtemp()
    app = create_app(Service(args.lake, args.results, f"{folder}/audit.jsonl"),
                     Accounts(f"sqlite:///{folder}/icsight.db"), secrets.token_hex(32))
    client = TestClient(app, base_url="https://testserver")
    started = time.perf_counter()
    client.get("/")
    print(f"first page after start-up: {(time.perf_counter() - started) * 1000:.0f} ms")
    for path in PAGES:
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - began) * 1000)
        print(f"{path:30} {response.status_code}  median {statistics.median(times):4.0f} ms  "
              f"slowest {max(times):4.0f} ms  {len(response.content) // 1024} KB")


if __name__ == "__main__":
    main()
