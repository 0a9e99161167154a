"""One writer at a time per lake, and private files from the moment they exist.

A lake has one lock file beside it (`.<lake>.lock` in its parent folder: the lake folder itself
is renamed by every swap, so a lock inside it would not outlive one). Every writer (a load, the
synthetic generator) holds an exclusive `fcntl.flock` on it from before it reads the lake until
after its swap, so two loads cannot both start from the same version and lose each other's rows
and ledger entries. A second writer waits up to `ICSIGHT_LAKE_LOCK_TIMEOUT` seconds, then is
refused with one line saying who to wait for. The kernel drops the lock when its holder dies,
even by SIGKILL, so a crash never leaves a lake locked.

Files the writers create (the identifiable zone, quarantine, ledger, staging copies) are made
under a umask of 077, so they are 0600 and their folders 0700 from the first byte: OWASP's
"principle of least privilege" applied to files holding personal data, and no window in which a
chmod has not yet happened.
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from icsight.lake.errors import LakeBusyError, LakeError, LakeFullError
from icsight.settings import get as setting

__all__ = ["LakeBusyError", "LakeFullError", "lake_lock", "lock_path", "no_space", "private_files",
           "try_lock", "writing"]

LOCK_TIMEOUT = "ICSIGHT_LAKE_LOCK_TIMEOUT"
_POLL = 0.05
#: (lock file, thread) -> depth: a writer nests `new_version` in its load, so the lock is
#: re-entrant, but only within one thread (another thread waits like another process would).
_held: dict[tuple[Path, int], int] = {}
_guard = threading.Lock()


def lock_path(lake: str | Path) -> Path:
    """The lock file of the lake at `lake` (beside it, so it survives the lake's swaps)."""
    lake = Path(lake).absolute()
    return lake.parent / f".{lake.name}.lock"


def _timeout() -> float:
    """Seconds to wait for the lock: a finite number from 0 up; anything else (empty, negative,
    `nan`, `inf`, words) is refused by name rather than read as "never wait" or "wait for
    ever"."""
    value = (setting(LOCK_TIMEOUT) or "").strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 <= seconds <= 7 * 24 * 3600):
        raise LakeError(f"{LOCK_TIMEOUT}={value[:20]!r} is not a number of seconds from 0 to "
                        "604800; set it to how long a load may wait for another (e.g. 600)")
    return seconds


@contextmanager
def lake_lock(lake: str | Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the lake's exclusive lock for the block; re-entrant within one thread."""
    path = lock_path(lake)
    mine = (path, threading.get_ident())
    with _guard:
        if mine in _held:
            _held[mine] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _guard:
                _held[mine] -= 1
        return
    fd = _acquire(path, _timeout() if timeout is None else timeout)
    with _guard:
        _held[mine] = 1
    try:
        yield
    finally:
        with _guard:
            del _held[mine]
        os.close(fd)  # closing the file releases the flock


def _acquire(path: Path, timeout: float) -> int:
    """An open descriptor of `path` holding its exclusive lock; `LakeBusyError` after
    `timeout` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LakeBusyError(
                    f"{path.parent / path.name[1:-5]} is being written by another load or "
                    f"writer (lock {path}); waited {timeout:g} s: run again when it has "
                    f"finished, or raise {LOCK_TIMEOUT}") from None
            time.sleep(_POLL)


def try_lock(lake: str | Path) -> bool:
    """Whether this process holds, or could take at once, the lake's lock (taken and released:
    a reader only asks whether a writer is at work)."""
    path = lock_path(lake)
    if (path, threading.get_ident()) in _held:
        return True
    if not path.parent.is_dir():
        return True
    try:
        with lake_lock(lake, timeout=0):
            return True
    except (LakeBusyError, OSError):  # busy, or a reader who may not write beside the lake
        return False


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created in the block are 0600 and 0700 (umask 077). The umask is the
    process's: the block should be a writer's whole job, not a request inside a server."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def no_space(error: BaseException) -> bool:
    """Whether `error` is the disk (or quota) running out; pyarrow does not always set errno."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "No space left on device" in str(error) or "Disk quota exceeded" in str(error)


@contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn a full disk while writing `path` into a `LakeFullError` that says what to do."""
    try:
        yield
    except (OSError, RuntimeError) as e:  # pyarrow raises OSError subclasses, or ArrowException
        if no_space(e):
            raise LakeFullError(f"no space left on device while writing {path}: free space and "
                           "load again; the lake is unchanged") from None
        raise
