"""Replacing a whole lake at once, and putting it back after a crash.

A writer builds the next version of a lake in a folder beside it (`new_version`) and swaps it
in with two renames (`swap_in`). At every moment a complete lake is at one of two paths: the
lake's own, or `previous_path` while the swap is half done. `recover` finishes the job after a
process died between the renames; `icsight.engine.open_lake`, `icsight.ingest.load.ingest` and
every writer (through `new_version`) call it first.

Writers hold the lake's lock (`icsight.lake.lock`) from `new_version` to the swap, so whatever
is found beside the lake by a writer holding the lock was left by a writer that died: its
half-built version and its staging copies (which can hold identifiable data) are removed then.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from icsight.lake.lock import lake_lock, private_files, try_lock

__all__ = ["leftovers", "new_version", "previous_path", "recover", "swap_in", "work_folder"]

#: What writers name the folders they leave beside a lake while they work: a version being
#: built (`synth`, `ingest`) or a load's private copies of its sources (`work`).
PURPOSES = ("synth", "ingest", "work")


def previous_path(lake: str | Path) -> Path:
    """Where the lake's previous version waits during a swap."""
    lake = Path(lake)
    return lake.parent / f".{lake.name}.previous"


def _beside(lake: Path, purpose: str) -> Path:
    return lake.parent / f".{lake.name}.{purpose}-{os.getpid()}"


def leftovers(lake: str | Path) -> list[Path]:
    """Folders beside the lake that writers make while they work (versions being built,
    staging copies), whoever made them."""
    lake = Path(lake)
    if not lake.parent.is_dir():
        return []
    return sorted(p for purpose in PURPOSES for p in lake.parent.glob(f".{lake.name}.{purpose}-*"))


def swap_in(new: Path, lake: Path) -> None:
    """Replace the lake folder `lake` by the complete folder `new`, made private first."""
    lake, new = Path(lake), Path(new)
    _make_private(new)
    if lake.exists():
        old = previous_path(lake)
        shutil.rmtree(old, ignore_errors=True)
        lake.rename(old)
        new.rename(lake)
        shutil.rmtree(old, ignore_errors=True)
    else:
        lake.parent.mkdir(parents=True, exist_ok=True)
        new.rename(lake)


def _make_private(folder: Path) -> None:
    """Take group and other permissions off everything in a version about to go live. What a
    writer creates is private already (`private_files`); this catches the hard-linked files and
    copied folder modes of a lake written before they were, so an old lake is private after
    its next load."""
    for path in [folder, *folder.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
            path.chmod(stat.S_IMODE(mode) & 0o700)


def recover(lake: str | Path) -> bool:
    """Put the previous lake back if a process died between the two renames of `swap_in`;
    remove a leftover previous version once the new one is in place. True if it restored.

    A half-done swap is only touched when no writer holds the lake's lock: a live writer between
    its two renames finishes the swap itself in a moment."""
    lake = Path(lake)
    old = previous_path(lake)
    if not old.is_dir() or not try_lock(lake):
        return False
    with lake_lock(lake):
        if not old.is_dir():  # the writer finished while we took the lock
            return False
        if lake.exists():
            shutil.rmtree(old, ignore_errors=True)  # died after the second rename: tidy up
            return False
        old.rename(lake)
        return True


def _remove_leftovers(lake: Path) -> None:
    """Remove what dead writers left beside the lake (call holding the lock)."""
    for folder in leftovers(lake):
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def work_folder(lake: str | Path) -> Iterator[Path]:
    """Hold the lake's lock for the block and give a fresh private (0700) folder beside the lake
    for a load's staging copies, removed on leaving. Leftovers of writers that died are removed
    first, and a half-done swap put back."""
    lake = Path(lake).absolute()
    with lake_lock(lake), private_files():
        recover(lake)
        _remove_leftovers(lake)
        work = _beside(lake, "work")
        work.mkdir(mode=0o700)
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)


@contextmanager
def new_version(lake: str | Path, purpose: str) -> Iterator[Path]:
    """A fresh folder beside `lake` to build its next version in, removed on leaving the block
    unless it was swapped in. `purpose` names the writer (`synth`, `ingest`) in the folder's
    name, so an operator can tell what left it. The lake's lock is held for the block, and
    everything created in it is private (0600 files, 0700 folders)."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose {purpose!r}: one of {', '.join(PURPOSES)}")
    lake = Path(lake).absolute()
    with lake_lock(lake), private_files():
        recover(lake)
        tmp = _beside(lake, purpose)
        for folder in leftovers(lake):
            if folder.name != f".{lake.name}.work-{os.getpid()}":  # this load's own copies
                shutil.rmtree(folder, ignore_errors=True)
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
