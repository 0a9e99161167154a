"""Run one load and SIGKILL it mid-commit, to test that a crash leaves the previous lake.

    python tests/ingest_crash.py AFTER LAKE KEY_HEX TODAY SOURCE...

Run as a subprocess (the kill is real, so it must not be the test's own process). It replaces
the table-writing function `icsight.ingest.commit` uses so that the process kills itself with
SIGKILL, as a crash or an operator would, straight after writing its AFTER-th table file into
the lake's next version; then it calls `ingest`. Production code carries no hook for this.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys

import icsight.ingest.commit
from icsight.ingest.load import ingest


def kill_after(writes: int) -> None:
    """Make `icsight.ingest.commit` SIGKILL this process after `writes` table files."""
    write = icsight.ingest.commit.write_table
    written = 0

    def write_then_maybe_die(*args, **kwargs):
        nonlocal written
        path = write(*args, **kwargs)
        written += 1
        if written >= writes:
            os.kill(os.getpid(), signal.SIGKILL)
        return path

    icsight.ingest.commit.write_table = write_then_maybe_die


def main(argv: list[str]) -> None:
    after, lake, key, today, *sources = argv
    kill_after(int(after))
    ingest(lake, sources, key=bytes.fromhex(key), today=dt.date.fromisoformat(today))


if __name__ == "__main__":
    main(sys.argv[1:])
