"""Warming the kept pages at start-up, so that people do not wait for pages to be made.

A page of figures is made once per build and principal and then kept (`views.cache`); making
one the first time costs from a tenth of a second (the programmes list) to two seconds (an
indicator page draws three charts on the server). `icsight serve` therefore makes the public
pages itself when it starts: the overview before it listens (the page almost everyone opens
first), and the rest in a background thread afterwards, in the order people reach them.

The background thread gives way to people: while any request from outside is being answered
it waits, so warming uses only the time the server would otherwise spend idle (one page in
the making, at most, is finished first). Its requests go through the whole application,
as the public's would (the same guard, suppression and kept-page keys), over an in-process
transport, never the network.

`ICSIGHT_WARM_PAGES` says which pages: `all` (the default: also every PCN and practice
profile), `main` (overview, programmes, inequalities, strategy, areas, place profiles, every
indicator page and, when the build projected demand, the planning pages for BLMK) or `none`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import quote

import httpx
from fastapi import FastAPI

from icsight.governance.access import ANONYMOUS
from icsight.indicators.definition import PROGRAMMES
from icsight.planning.demand import POD_IDS
from icsight.services import Service
from icsight.web.views.profiles import place_slug

__all__ = ["SCOPES", "WARM_HEADER", "CountInFlight", "InFlight", "Warmer", "pages_to_warm",
           "warm_at_start"]

log = logging.getLogger(__name__)

SCOPES = ("all", "main", "none")
#: The header the warming requests carry, so that they are not counted as people's.
WARM_HEADER = "x-icsight-warm"


def pages_to_warm(services: Service, scope: str = "all") -> list[str]:
    """The public pages to make at start-up, most visited first: [] for `none`, and before
    any build (nothing would be kept)."""
    if scope not in SCOPES:
        raise ValueError(f"ICSIGHT_WARM_PAGES must be one of {', '.join(SCOPES)}, not {scope!r}")
    if scope == "none" or services.aggregates.build_marker() is None:
        return []
    built = sorted({row["indicator_id"] for row in services.aggregates.latest_values(ANONYMOUS)})
    areas = services.areas.hierarchy(ANONYMOUS)
    places = sorted({row["place"] for row in areas})
    paths = ["/", "/programmes", *(f"/programmes/{p}" for p in PROGRAMMES), "/strategy",
             "/places", *(f"/places/{place_slug(p)}" for p in places),
             *(f"/indicators/{quote(i)}" for i in built),
             *(f"/programmes/{p}/inequalities" for p in PROGRAMMES)]
    if services.projections.build():  # a build that projected demand to 2043
        paths += ["/planning", *(f"/planning/demand/{pod}" for pod in POD_IDS),
                  "/planning/waterfall", "/planning/capacity", "/planning/population"]
    if scope == "all":
        paths += [f"/pcns/{quote(c)}" for c in sorted({row["pcn_code"] for row in areas})]
        paths += [f"/practices/{quote(row['practice_code'])}" for row in areas]
    return paths


class InFlight:
    """The requests from people being answered now, counted by `CountInFlight`."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def busy(self) -> bool:
        return self.count > 0

    def add(self, n: int) -> None:
        with self._lock:
            self.count += n


class CountInFlight:
    """An ASGI middleware keeping `counter` up to date (warming's own requests carry
    `WARM_HEADER` and are not counted)."""

    def __init__(self, app: Callable, counter: InFlight) -> None:
        self.app, self.counter = app, counter

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or any(name == WARM_HEADER.encode()
                                          for name, _ in scope.get("headers", ())):
            await self.app(scope, receive, send)
            return
        self.counter.add(1)
        try:
            await self.app(scope, receive, send)
        finally:
            self.counter.add(-1)


class Warmer:
    """Makes `paths` of `app` as the public would ask for them: `first(n)` now, the rest in
    a background thread that waits whenever people's requests are in flight."""

    def __init__(self, app: FastAPI, paths: Iterable[str],
                 busy: Callable[[], bool] = lambda: False, pause: float = 0.05) -> None:
        self.app, self.paths = app, list(paths)
        self.busy, self.pause = busy, pause
        self.made: list[tuple[str, int, float]] = []  # (path, status, seconds)
        self.thread: threading.Thread | None = None

    def first(self, n: int = 1) -> list[tuple[str, int, float]]:
        """Make the first `n` pages now (before the server listens)."""
        head, self.paths = self.paths[:n], self.paths[n:]
        # in a thread of its own: the caller may already run an event loop (asyncio.run
        # refuses to start one inside another)
        made: list[list[tuple[str, int, float]]] = []
        thread = threading.Thread(
            target=lambda: made.append(asyncio.run(self._make(head, wait=False))),
            name="icsight-warm-first")
        thread.start()
        thread.join()
        if not made:
            raise RuntimeError("making the first pages failed: see the log above")
        return made[0]

    def start(self, done: Callable[[list[tuple[str, int, float]], float], None] | None = None
              ) -> threading.Thread:
        """Make the remaining pages in a daemon thread (it ends with the server); `done` is
        called with what it made and the seconds it took."""

        def run() -> None:
            began = time.perf_counter()
            made = asyncio.run(self._make(self.paths))
            if done is not None:
                done(made, time.perf_counter() - began)

        self.thread = threading.Thread(target=run, name="icsight-warm", daemon=True)
        self.thread.start()
        return self.thread

    async def _make(self, paths: list[str], wait: bool = True) -> list[tuple[str, int, float]]:
        made = []
        transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 0))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                     headers={WARM_HEADER: "1"}) as client:
            for path in paths:
                while wait and self.busy():
                    await asyncio.sleep(self.pause)
                began = time.perf_counter()
                try:
                    status = (await client.get(path)).status_code
                except Exception:  # a page that fails here fails for its first visitor too
                    log.exception("warming %s failed", path)
                    status = 500
                made.append((path, status, time.perf_counter() - began))
                self.made.append(made[-1])
        return made


def warm_at_start(app: FastAPI, services: Service, scope: str = "all",
                  before_listening: int = 1,
                  done: Callable[[list[tuple[str, int, float]], float], None] | None = None
                  ) -> Warmer:
    """Count people's requests on `app`, make its first `before_listening` pages now and
    start making the rest in the background (call before the server starts); `done` as in
    `Warmer.start`."""
    counter = InFlight()
    app.add_middleware(CountInFlight, counter=counter)
    warmer = Warmer(app, pages_to_warm(services, scope), busy=counter.busy)
    if warmer.paths:
        warmer.first(before_listening)
        warmer.start(done)
    return warmer
