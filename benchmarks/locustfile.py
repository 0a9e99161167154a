"""The load test's users (Locust): people reading the web pages and downloading tables.

Run by `benchmarks/bench_load.py`, which starts the server, sets the environment below and
reads Locust's statistics; on its own:

    ICSIGHT_BENCH_PAGES=benchmarks/pages.json .venv/bin/locust -f benchmarks/locustfile.py \
        --headless -u 20 -r 20 -t 2m --host http://127.0.0.1:8000

Each simulated user opens a page type chosen by its weight, reads it for half a second to a
second and a half (think time), and goes on. Every request is named by its page type, so that
Locust's percentiles are per page type, not per URL. A response that is not 200, or a page
that is not a whole HTML page, counts as an error.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

#: page type -> (weight, [paths]): written by bench_load.py from the build being served.
PAGES: dict[str, tuple[int, list[str]]] = json.loads(
    Path(os.environ["ICSIGHT_BENCH_PAGES"]).read_text(encoding="utf-8"))


class Reader(HttpUser):
    """Someone reading icsight in a browser: a page, a pause, another page."""

    wait_time = between(0.5, 1.5)

    @task
    def open_a_page(self) -> None:
        kind = random.choices(list(PAGES), weights=[w for w, _ in PAGES.values()])[0]
        path = random.choice(PAGES[kind][1])
        with self.client.get(path, name=kind, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path}: HTTP {response.status_code}")
            elif "html" in response.headers.get("content-type", "") \
                    and "</html>" not in response.text:
                response.failure(f"{path}: not a whole page")
