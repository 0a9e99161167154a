"""Test inputs made once per run and read by every xdist worker: a generated lake, a build."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner


def shared_folder(tmp_path_factory, key: str, make: Callable[[Path], None],
                  name: str = "made") -> Path:
    """The folder (`name`) `make` fills, made by whichever test worker asks first and reused by the
    others: what is made is deterministic, so every worker would otherwise spend the same CPU
    making an identical copy. It lives in the run's temporary folder, the parent of each
    xdist worker's own (`popen-gw0`, ...), and an exclusive `flock` makes a second worker
    wait for the first to finish rather than read half of it. Read-only: a test that changes
    what is in it must change a copy."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "shared" / key
    folder.mkdir(parents=True, exist_ok=True)
    out, done = folder / name, folder / "done"
    with open(folder / "worker.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not done.exists():  # a worker that died half way wrote no marker: start again
            shutil.rmtree(out, ignore_errors=True)
            make(out)
            done.touch()
    return out


def shared_build(tmp_path_factory, lake_dir: Path, months: int, indicator_ids: tuple[str, ...],
                 *options: str) -> Path:
    """The results store `icsight build` makes of `lake_dir` for these indicators and months
    (and options), built once per run: the services and the web app only read a results
    store, so test modules asking for the same build share it."""
    from icsight.cli import main

    def build(out: Path) -> None:
        done = CliRunner().invoke(main, ["build", "--lake", str(lake_dir), "--months",
                                         str(months), "--out", str(out), "--id",
                                         ",".join(indicator_ids), *options])
        assert done.exit_code == 0, done.output

    key = f"build-{Path(lake_dir).parent.name}-{months}-{'-'.join(indicator_ids)}"
    return shared_folder(tmp_path_factory, "".join([key, *options]), build)
