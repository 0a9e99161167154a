"""Long-lived engines: one open lake per purpose, opened on first use and reused.

Opening a lake registers every analytics table with a new DuckDB connection and recovers a
half-swapped lake; doing that on every request cost more than the query it served. A server
keeps one `Engines` for its lake and every service shares it.

A DuckDB connection must not run queries from several threads at once (the web server runs
handlers in a thread pool), so each engine is used under its own lock: queries on one engine
take turns, which costs little as each takes milliseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from icsight.engine import open_lake
from icsight.engine.lake import Lake
from icsight.governance.purpose import Purpose

__all__ = ["Engines"]


class Engines:
    """The lake at `lake_dir`, opened once per purpose for the life of the process."""

    def __init__(self, lake_dir: str | Path) -> None:
        self.lake_dir = Path(lake_dir)
        self._lakes: dict[Purpose, Lake] = {}
        self._locks: dict[Purpose, threading.Lock] = {}
        self._opening = threading.Lock()

    def _open(self, purpose: Purpose) -> tuple[Lake, threading.Lock]:
        with self._opening:
            if purpose not in self._lakes:
                self._lakes[purpose] = open_lake(self.lake_dir, purpose=purpose)
                self._locks[purpose] = threading.Lock()
            return self._lakes[purpose], self._locks[purpose]

    @contextmanager
    def use(self, purpose: Purpose) -> Iterator[Lake]:
        """The lake opened for `purpose`, for this thread alone until the block ends."""
        lake, lock = self._open(purpose)
        with lock:
            yield lake
