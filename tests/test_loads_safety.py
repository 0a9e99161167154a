"""One writer per lake, hashes over the bytes parsed, private files from the start, a full disk
that leaves the lake as it was, and keys that are strong and kept private."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import icsight.ingest.load
from icsight.cli import main
from icsight.governance import pseudonymise as ps
from icsight.ingest import sources
from icsight.ingest.ledger import read_ledger, sha256
from icsight.ingest.load import IngestError, ingest
from icsight.lake import (
    LakeBusyError,
    leftovers,
    lock_path,
    new_version,
    previous_path,
    table_path,
    zone_path,
)
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
HEADER = "nhs_number,date,snomed_code,numeric_value\n"


def _events(path: Path, *days: int) -> Path:
    path.write_text(HEADER + "".join(f"9434765919,2024-01-{d:02d},38341003,{d}\n"
                                     for d in days))
    return path


def _rows(lake: Path) -> int:
    return pq.read_table(table_path(lake, "clinical_events")).num_rows


def _snapshot(lake: Path) -> dict[str, str]:
    return {str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(lake.rglob("*")) if p.is_file()}


# --- one writer at a time ---------------------------------------------------------------------

@pytest.fixture
def held_lock():
    """Another process holding a lake's lock until the test ends (no icsight in it)."""
    holders = []

    def hold(lake: Path, seconds: float = 60) -> None:
        code = ("import fcntl, os, sys, time\n"
                f"fd = os.open({str(lock_path(lake))!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
                "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\n"
                f"time.sleep({seconds})\n")
        lake.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "held"
        holders.append(proc)

    yield hold
    for proc in holders:
        proc.kill()
        proc.wait()


def test_a_second_load_is_refused_in_one_line_when_the_lake_is_busy(tmp_path, held_lock,
                                                                    monkeypatch):
    lake = tmp_path / "lake"
    ingest(lake, [_events(tmp_path / "clinical_events.csv", 1)], key=TEST_KEY, today=TODAY)
    before = _snapshot(lake)
    held_lock(lake)
    monkeypatch.setenv("ICSIGHT_LAKE_LOCK_TIMEOUT", "0.3")
    started = time.monotonic()
    with pytest.raises(IngestError, match="being written by another load or writer") as e:
        ingest(lake, [_events(tmp_path / "clinical_events-2.csv", 2)], key=TEST_KEY,
               today=TODAY)
    assert time.monotonic() - started >= 0.3  # it waited first
    assert "\n" not in str(e.value) and "ICSIGHT_LAKE_LOCK_TIMEOUT" in str(e.value)
    assert _snapshot(lake) == before and leftovers(lake) == []
    monkeypatch.setenv("ICSIGHT_PSEUDONYM_KEY", TEST_KEY.decode())
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "clinical_events-2.csv"),
                                       "--lake", str(lake), "--today", TODAY.isoformat()])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "being written by another load" in " ".join(result.output.split())


@pytest.mark.parametrize("value", ["ten", "", "-1", "nan", "inf", "1e400", "700000"])
def test_a_lock_timeout_that_is_not_a_number_of_seconds_is_named(tmp_path, monkeypatch, value):
    # empty, negative or non-finite must not quietly mean "never wait" or "wait for ever"
    monkeypatch.setenv("ICSIGHT_LAKE_LOCK_TIMEOUT", value)
    with pytest.raises(IngestError, match=f"ICSIGHT_LAKE_LOCK_TIMEOUT={value!r} is not a "
                                          "number of seconds"):
        ingest(tmp_path / "lake", [_events(tmp_path / "clinical_events.csv", 1)],
               key=TEST_KEY, today=TODAY)


def test_the_synthetic_writer_takes_the_same_lock(tmp_path, held_lock, monkeypatch):
    lake = tmp_path / "lake"
    held_lock(lake)
    monkeypatch.setenv("ICSIGHT_LAKE_LOCK_TIMEOUT", "0")
    with pytest.raises(LakeBusyError, match="being written"), new_version(lake, "synth"):
        pass


def test_a_load_waits_for_the_writer_before_it_and_then_loads(tmp_path, held_lock,
                                                              monkeypatch):
    lake = tmp_path / "lake"
    held_lock(lake, seconds=1)
    monkeypatch.setenv("ICSIGHT_LAKE_LOCK_TIMEOUT", "30")
    started = time.monotonic()
    report = ingest(lake, [_events(tmp_path / "clinical_events.csv", 1)], key=TEST_KEY,
                    today=TODAY)
    assert time.monotonic() - started >= 0.5  # it waited for the other writer
    assert report.rows()[0]["loaded"] == 1 and _rows(lake) == 1


# --- the hash is over the bytes parsed ------------------------------------------------------

def test_a_file_changed_after_hashing_cannot_poison_the_ledger(tmp_path, monkeypatch):
    lake, source = tmp_path / "lake", _events(tmp_path / "clinical_events.csv", 1, 2)
    original = source.read_bytes()
    real = icsight.ingest.load.sha256

    def hash_then_change_the_source(path):
        digest = real(path)
        _events(source, 3, 4, 5)  # the supplier rewrites the file mid-load
        return digest

    monkeypatch.setattr(icsight.ingest.load, "sha256", hash_then_change_the_source)
    ingest(lake, [source], key=TEST_KEY, today=TODAY)
    monkeypatch.undo()
    assert _rows(lake) == 2  # the rows of the bytes that were hashed
    (entry,) = read_ledger(lake)["files"]
    assert entry == hashlib.sha256(original).hexdigest()
    again = ingest(lake, [source], key=TEST_KEY, today=TODAY)  # the new contents are new
    assert again.skipped == [] and _rows(lake) == 5
    (tmp_path / "back.csv").write_bytes(original)
    back = ingest(lake, [tmp_path / "back.csv"], key=TEST_KEY, today=TODAY)
    assert len(back.skipped) == 1 and _rows(lake) == 5  # the original is known by its hash


def test_what_is_parsed_is_a_private_copy_beside_the_lake(tmp_path, monkeypatch):
    lake, source = tmp_path / "lake", _events(tmp_path / "clinical_events.csv", 1)
    seen = []
    real = icsight.ingest.load.sha256

    def look(path):
        seen.append((path, stat.S_IMODE(path.stat().st_mode),
                     stat.S_IMODE(path.parent.parent.stat().st_mode)))
        return real(path)

    monkeypatch.setattr(icsight.ingest.load, "sha256", look)
    ingest(lake, [source], key=TEST_KEY, today=TODAY)
    ((copy, mode, folder_mode),) = seen
    assert copy != source and copy.parent.parent.parent == tmp_path
    assert copy.parent.parent.name.startswith(".lake.work-")
    assert (mode, folder_mode) == (0o600, 0o700)
    assert not copy.exists() and sha256(source) in read_ledger(lake)["files"]


# --- private from the start -----------------------------------------------------------------

def test_the_identifiable_zone_quarantine_ledger_and_lock_are_private_whatever_the_umask(
        tmp_path):
    lake = tmp_path / "lake"
    bad = tmp_path / "clinical_events.csv"
    bad.write_text(HEADER + "9434765919,2024-01-01,38341003,\n0000000000,2024-01-01,1,\n")
    old = os.umask(0o022)
    try:
        report = ingest(lake, [bad], key=TEST_KEY, today=TODAY)
    finally:
        os.umask(old)
    assert report.quarantined == 1
    private = [lake, zone_path(lake, "identifiable"), lake / "ingest"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in private)
    files = [*zone_path(lake, "identifiable").iterdir(), lake / "ingest" / "ledger.json",
             lock_path(lake)]
    assert any(p.name == "quarantine.parquet" for p in files)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == \
        {p.name: 0o600 for p in files}
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in lake.rglob("*"))


def test_a_lake_written_before_with_open_modes_is_private_after_its_next_load(tmp_path):
    from tests.lakes import make_lake, patient

    old = os.umask(0o022)
    try:
        lake = make_lake(tmp_path / "lake", [patient(1)], [])
        assert stat.S_IMODE(table_path(lake, "person_identifiers").stat().st_mode) == 0o644
        ingest(lake, [_events(tmp_path / "clinical_events.csv", 1)], key=TEST_KEY,
               today=TODAY)
    finally:
        os.umask(old)
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in [lake, *lake.rglob("*")])


# --- a full disk ----------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["table", "copy"])
def test_a_full_disk_says_so_and_leaves_the_lake_unchanged(tmp_path, monkeypatch, where):
    lake = tmp_path / "lake"
    ingest(lake, [_events(tmp_path / "clinical_events.csv", 1)], key=TEST_KEY, today=TODAY)
    before = _snapshot(lake)
    if where == "table":
        import icsight.lake.writer as writer

        def full(*_args, **_kwargs):  # pyarrow's own error carries no errno
            raise OSError("IOError: No space left on device")

        monkeypatch.setattr(writer.pq, "write_table", full)
    else:
        class Full:
            def __init__(self, dest):
                self.dest = dest

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def write(self, _data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.dest))

        monkeypatch.setattr(sources, "_create", Full)
    with pytest.raises(IngestError) as e:
        ingest(lake, [_events(tmp_path / "clinical_events-2.csv", 2)], key=TEST_KEY,
               today=TODAY)
    message = str(e.value)
    assert message.startswith("no space left on device while writing ")
    assert message.endswith(": free space and load again; the lake is unchanged")
    monkeypatch.undo()
    assert _snapshot(lake) == before and leftovers(lake) == []
    assert not previous_path(lake).exists()


# --- keys -----------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["x" * 64, "ab" * 20, "0123456789abcdef" * 4,
                                 "0123456789abcdef0123456789abcdef", "CHANGEME",
                                 "this-is-my-Example-key-for-the-demo-2026!",
                                 "MyPassword-92hf83hd83hf92hd8h3f9hd923hfd9h",
                                 "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddd",
                                 "5f0c9e2a7b41d8836a1e04c9b27d5f93"])  # 16 bytes: too few
def test_weak_keys_are_refused(monkeypatch, key):
    monkeypatch.setenv(ps.ENV_KEY, key)
    with pytest.raises(ps.PseudonymKeyError, match=r"secrets\.token_hex"):
        ps.load_key()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_can_read_is_refused_saying_chmod_600(monkeypatch, tmp_path, mode):
    monkeypatch.delenv(ps.ENV_KEY, raising=False)
    path = tmp_path / "key"
    path.write_text(os.urandom(32).hex())
    path.chmod(mode)
    monkeypatch.setenv(ps.ENV_KEY_FILE, str(path))
    with pytest.raises(ps.PseudonymKeyError, match=re.escape(f"chmod 600 {path}")):
        ps.load_key()
    path.chmod(0o600)
    assert ps.load_key() == path.read_text().encode()


def test_the_default_key_file_and_its_folder_are_private_from_creation(monkeypatch, tmp_path):
    monkeypatch.delenv(ps.ENV_KEY, raising=False)
    monkeypatch.delenv(ps.ENV_KEY_FILE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    old = os.umask(0o022)
    try:
        ps.load_key()
    finally:
        os.umask(old)
    path = ps.default_key_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_two_threads_loading_one_lake_take_turns_and_lose_nothing(tmp_path):
    import threading

    lake = tmp_path / "lake"
    files = [_events(tmp_path / f"clinical_events-{i}.csv", i + 1) for i in range(4)]
    errors = []

    def load(source: Path) -> None:
        try:
            ingest(lake, [source], key=TEST_KEY, today=TODAY)
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=load, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and _rows(lake) == 4 and len(read_ledger(lake)["loads"]) == 4
