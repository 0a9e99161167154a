"""Loads killed or run side by side for real, in processes: the lake must lose nothing.

    python tests/ingest_crash.py AFTER LAKE KEY_HEX TODAY SOURCE...
        one load that SIGKILLs itself straight after writing its AFTER-th table file into the
        lake's next version;
    python tests/ingest_crash.py --concurrent LAKE KEY_HEX TODAY SOURCE...
        one load per source, all started at once into the same lake; prints one JSON line per
        load: {"source", "exit", "message"};
    python tests/ingest_crash.py --killed SEED LAKE KEY_HEX TODAY SOURCE...
        one load per source, in turn, each SIGKILLed at a moment drawn from SEED: after its
        n-th table file, between the two renames of its swap, once its private copies are
        made, or by this process after a random delay; prints one JSON line per load:
        {"source", "how", "exit"}.

Run as a subprocess (the kills are real, so they must not hit the test's own process). The
loads are forked from this process once icsight is imported and before any work starts, so
twenty of them cost one import. Production code carries no hook for any of this: the kill
points are made here by replacing functions in the child.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import pandas  # noqa: F401 - imported by a load's first use of the lake; here, once, for all

import icsight.ingest.commit
import icsight.ingest.load
import icsight.ingest.parsers  # every parser module, before the children fork
from icsight.ingest.load import IngestError, ingest
from icsight.lake import swap


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


def kill_between_renames(lake: Path) -> None:
    """SIGKILL this process once the lake has been moved aside, before the new one is in."""
    real = Path.rename

    def rename(self, target):
        done = real(self, target)
        if Path(target) == swap.previous_path(lake):
            os.kill(os.getpid(), signal.SIGKILL)
        return done

    Path.rename = rename  # type: ignore[method-assign]


def kill_after_copies() -> None:
    """SIGKILL this process when it hashes its first private copy (the copies are on disk)."""
    def die(_path):
        os.kill(os.getpid(), signal.SIGKILL)

    icsight.ingest.load.sha256 = die


def _load(lake: str, key: str, today: str, source: str) -> None:
    ingest(lake, [source], key=bytes.fromhex(key), today=dt.date.fromisoformat(today))


def _child(run) -> int:
    """Fork a child that runs `run()` and exits 0, or 3 with the message on an `IngestError`."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            run()
        except IngestError as e:
            print(str(e), file=sys.stderr)
            code = 3
        except BaseException as e:
            print(repr(e), file=sys.stderr)
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return pid


def _status(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def concurrent(lake: str, key: str, today: str, sources: list[str]) -> None:
    pids = [(s, _child(lambda s=s: _load(lake, key, today, s))) for s in sources]
    for source, pid in pids:
        print(json.dumps({"source": source, "exit": _status(pid)}), flush=True)


def killed(seed: int, lake: str, key: str, today: str, sources: list[str]) -> None:
    rng = random.Random(seed)
    for source in sources:
        how = rng.choice(["after-write", "between-renames", "after-copies", "timer"])
        n, delay = rng.randint(1, 2), rng.uniform(0.0, 0.8)  # a load writes 1-2 tables

        def run(how=how, n=n, source=source):
            if how == "after-write":
                kill_after(n)
            elif how == "between-renames":
                kill_between_renames(Path(lake).absolute())
            elif how == "after-copies":
                kill_after_copies()
            _load(lake, key, today, source)

        pid = _child(run)
        if how == "timer":
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)  # a finished child is a zombie until reaped: harmless
        label = f"{how}:{n}" if how == "after-write" else f"{how}:{delay:.2f}s" \
            if how == "timer" else how
        print(json.dumps({"source": source, "how": label, "exit": _status(pid)}), flush=True)


def main(argv: list[str]) -> None:
    if argv[0] == "--concurrent":
        concurrent(argv[1], argv[2], argv[3], argv[4:])
    elif argv[0] == "--killed":
        killed(int(argv[1]), argv[2], argv[3], argv[4], argv[5:])
    else:
        after, lake, key, today, *sources = argv
        kill_after(int(after))
        ingest(lake, sources, key=bytes.fromhex(key), today=dt.date.fromisoformat(today))


if __name__ == "__main__":
    main(sys.argv[1:])
