"""Replacing a whole lake at once, and putting it back after a crash.

A writer builds the next version of a lake in a folder beside it (`new_version`) and swaps it
in with two renames (`swap_in`). At every moment a complete lake is at one of two paths: the
lake's own, or `previous_path` while the swap is half done. `recover` finishes the job after a
process died between the renames; `icsight.engine.open_lake` and every writer call it first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["new_version", "previous_path", "recover", "swap_in"]


def previous_path(lake: str | Path) -> Path:
    """Where the lake's previous version waits during a swap."""
    lake = Path(lake)
    return lake.parent / f".{lake.name}.previous"


def swap_in(new: Path, lake: Path) -> None:
    """Replace the lake folder `lake` by the complete folder `new`."""
    lake, new = Path(lake), Path(new)
    if lake.exists():
        old = previous_path(lake)
        shutil.rmtree(old, ignore_errors=True)
        lake.rename(old)
        new.rename(lake)
        shutil.rmtree(old, ignore_errors=True)
    else:
        lake.parent.mkdir(parents=True, exist_ok=True)
        new.rename(lake)


def recover(lake: str | Path) -> bool:
    """Put the previous lake back if a process died between the two renames of `swap_in`;
    remove a leftover previous version once the new one is in place. True if it restored."""
    lake = Path(lake)
    old = previous_path(lake)
    if not old.is_dir():
        return False
    if lake.exists():
        shutil.rmtree(old, ignore_errors=True)  # died after the second rename: tidy up
        return False
    old.rename(lake)
    return True


@contextmanager
def new_version(lake: str | Path, purpose: str) -> Iterator[Path]:
    """A fresh folder beside `lake` to build its next version in, removed on leaving the block
    unless it was swapped in. `purpose` names the writer (`synth`, `ingest`) in the folder's
    name, so an operator can tell what left it."""
    lake = Path(lake)
    recover(lake)
    tmp = lake.parent / f".{lake.name}.{purpose}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
