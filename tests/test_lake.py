"""The lake room: one layout, whole-lake swaps, and recovery after a writer dies mid-swap."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from icsight.engine import open_lake
from icsight.lake import (
    LakeError,
    new_version,
    previous_path,
    read_manifest,
    recover,
    swap_in,
    table_path,
    zone_path,
)
from tests.lakes import make_lake, patient


def test_every_table_has_one_path_by_its_zone(tmp_path):
    assert table_path(tmp_path, "patients") == tmp_path / "analytics" / "patients.parquet"
    assert table_path(tmp_path, "person_identifiers") == \
        tmp_path / "identifiable" / "person_identifiers.parquet"
    assert table_path(tmp_path, "quarantine", zone="identifiable").parent == \
        zone_path(tmp_path, "identifiable")
    with pytest.raises(LakeError, match="not a canonical table"):
        table_path(tmp_path, "no_such_table")
    with pytest.raises(LakeError, match="unknown zone"):
        zone_path(tmp_path, "elsewhere")


def test_a_folder_without_a_manifest_says_how_to_make_a_lake(tmp_path):
    with pytest.raises(LakeError, match="icsight synth --out"):
        read_manifest(tmp_path)
    with pytest.raises(LakeError, match="not an icsight lake"):
        open_lake(tmp_path)


def _two_lakes(tmp_path):
    old = make_lake(tmp_path / "lake", [patient(1)], [])
    new = make_lake(tmp_path / "next", [patient(1), patient(2)], [])
    return old, new


def test_swap_in_replaces_the_whole_lake(tmp_path):
    lake, new = _two_lakes(tmp_path)
    swap_in(new, lake)
    assert pq.read_table(table_path(lake, "patients")).num_rows == 2
    assert not new.exists() and not previous_path(lake).exists()


def test_open_lake_puts_back_a_lake_left_between_the_two_renames(tmp_path):
    lake, _ = _two_lakes(tmp_path)
    lake.rename(previous_path(lake))  # the writer died after the first rename
    assert not lake.exists()
    opened = open_lake(lake)
    assert opened.table("patients").count().to_pyarrow().as_py() == 1
    assert not previous_path(lake).exists()


def test_recover_tidies_a_previous_version_left_after_the_second_rename(tmp_path):
    lake, new = _two_lakes(tmp_path)
    swap_in(new, lake)
    make_lake(previous_path(lake), [patient(9)], [])  # died before removing the old one
    assert recover(lake) is False
    assert not previous_path(lake).exists()
    assert pq.read_table(table_path(lake, "patients")).num_rows == 2


def test_a_new_version_is_removed_unless_swapped_in(tmp_path):
    lake, _ = _two_lakes(tmp_path)
    with pytest.raises(RuntimeError), new_version(lake, "synth") as tmp:
        tmp.mkdir()
        raise RuntimeError("the writer failed")
    assert not tmp.exists()
    assert pq.read_table(table_path(lake, "patients")).num_rows == 1


def test_a_writer_killed_between_the_renames_loses_nothing(tmp_path):
    """A real SIGKILL of a process between the two renames of `swap_in`."""
    lake, new = _two_lakes(tmp_path)
    script = f"""
import os, signal
from pathlib import Path
from icsight.lake import swap
real = Path.rename
def rename(self, target):
    real(self, target)
    if target == swap.previous_path(Path({str(lake)!r})):
        os.kill(os.getpid(), signal.SIGKILL)
Path.rename = rename
swap.swap_in(Path({str(new)!r}), Path({str(lake)!r}))
"""
    done = subprocess.run([sys.executable, "-c", script], env=dict(os.environ))
    assert done.returncode == -9
    assert not lake.exists() and previous_path(lake).exists()
    assert open_lake(lake).table("patients").count().to_pyarrow().as_py() == 1


def test_reading_the_manifest_alone_puts_back_a_half_swapped_lake(tmp_path):
    lake, _ = _two_lakes(tmp_path)
    lake.rename(previous_path(lake))  # the writer died after the first rename
    assert read_manifest(lake)["kind"] == "test"  # e.g. `icsight export` reads only this
    assert lake.is_dir() and not previous_path(lake).exists()


def test_a_reader_leaves_a_half_done_swap_to_the_live_writer_holding_the_lock(tmp_path):
    """While a writer holds the lock, the lake moved aside is its own swap in progress."""
    from icsight.lake import lake_lock, lock_path

    lake, _ = _two_lakes(tmp_path)
    lake.rename(previous_path(lake))
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, time\n"
         f"fd = os.open({str(lock_path(lake))!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(30)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert recover(lake) is False and previous_path(lake).exists()
    finally:
        holder.kill()
        holder.wait()
    with lake_lock(lake):
        assert recover(lake) is True  # the writer died: now it is put back
    assert lake.is_dir()
