"""The audit log's head: entries removed from its end, a replaced log and a tampered head file
are found, with the head file beside the log and with an anchor kept elsewhere; concurrent
appends keep the head and the log in step; log and head are private from the start."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import threading

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from icsight.cli import main
from icsight.governance.audit import (
    GENESIS,
    HEAD_MISMATCH,
    Head,
    head_path,
    read_head,
    record,
    verify,
)


def _log(folder, n=5, who="user"):
    path = folder / "audit.jsonl"
    for i in range(n):
        record(path, f"{who}{i}", "clinician", "view", f"patient {1000 + i}", "purpose: care")
    return path


def _cut(path, keep):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:keep]))


def _verify(*args):
    return CliRunner().invoke(main, ["audit", "verify", *map(str, args)])


def test_the_head_file_holds_the_count_and_last_hash_after_every_append(tmp_path):
    path = tmp_path / "audit.jsonl"
    for n in range(1, 4):
        entry = record(path, "u", "analyst", "view", "x")
        assert read_head(path) == Head(n, entry["hash"])
        assert head_path(path).read_text() == f"{entry['hash']}:{n}\n"


def test_entries_cut_from_the_end_fail_against_the_head_file(tmp_path):
    path = _log(tmp_path)
    _cut(path, 3)
    verdict = verify(path)
    assert not verdict.ok and "3 entries but its head file" in verdict.problem
    cli = _verify(path)
    assert cli.exit_code == 1 and "removed from its end" in cli.output
    assert "compared with its head file" in cli.output


def test_entries_cut_and_head_file_rewritten_still_fail_against_a_kept_anchor(tmp_path):
    path = _log(tmp_path)
    anchor = read_head(path)
    _cut(path, 2)
    last = json.loads(path.read_text().splitlines()[-1])
    head_path(path).write_text(f"{last['hash']}:2\n")  # the attacker's consistent head
    assert verify(path).ok  # nothing beside the log can tell...
    cli = _verify(path, "--head", anchor)  # ...the anchor kept elsewhere can
    assert cli.exit_code == 1 and "says 5" in cli.output
    split = _verify(path, "--count", anchor.entries, "--hash", anchor.hash)
    assert split.exit_code == 1


def test_a_deleted_head_file_and_a_cut_log_fail_against_the_anchor(tmp_path):
    path = _log(tmp_path)
    anchor = str(read_head(path))
    _cut(path, 4)
    head_path(path).unlink()
    quiet = _verify(path)
    assert quiet.exit_code == 0 and "would not show" in quiet.output  # says what it cannot see
    assert _verify(path, "--head", anchor).exit_code == 1


def test_a_replaced_log_fails_against_the_anchor_even_when_longer(tmp_path):
    path = _log(tmp_path, 3)
    anchor = read_head(path)
    forged = _log(tmp_path / "forge", 6, who="someone")
    os.replace(forged, path)
    os.replace(head_path(forged), head_path(path))
    assert verify(path).ok  # a valid chain with its own valid head
    verdict = verify(path, anchor)
    assert not verdict.ok and "entry 3 does not have the hash" in verdict.problem


@pytest.mark.parametrize("text", ["", "garbage", "abc:5", f"{'f' * 64}:x", f"{'g' * 64}:3"])
def test_a_head_file_that_holds_no_head_fails(tmp_path, text):
    path = _log(tmp_path, 2)
    head_path(path).write_text(text)
    verdict = verify(path)
    assert not verdict.ok and "head file" in verdict.problem
    assert _verify(path).exit_code == 1
    assert CliRunner().invoke(main, ["audit", "head", str(path)]).exit_code == 1


def test_a_head_file_pointing_elsewhere_fails(tmp_path):
    path = _log(tmp_path, 4)
    head_path(path).write_text(f"{'a' * 64}:4\n")
    assert "entry 4 does not have the hash" in verify(path).problem


def test_an_append_after_a_cut_records_the_cut_in_the_chain_for_good(tmp_path):
    path = _log(tmp_path)
    _cut(path, 3)
    record(path, "later", "clinician", "view", "patient 1")
    record(path, "later", "clinician", "view", "patient 2")
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert entries[3]["action"] == HEAD_MISMATCH and "says" in entries[3]["detail"]
    assert read_head(path) == Head(6, entries[-1]["hash"])  # the head follows the log again
    verdict = verify(path)
    assert not verdict.ok and "line 4 records that the log did not match" in verdict.problem


def test_a_log_emptied_or_deleted_under_its_head_is_recorded(tmp_path):
    path = _log(tmp_path, 3)
    path.unlink()
    record(path, "later", "clinician", "view", "patient 1")
    first = json.loads(path.read_text().splitlines()[0])
    assert first["action"] == HEAD_MISMATCH and first["seq"] == 0
    assert not verify(path).ok


def test_the_anchor_may_be_older_than_the_log(tmp_path):
    path = _log(tmp_path, 2)
    anchor = read_head(path)
    _log(tmp_path, 3)
    assert verify(path, anchor).ok and verify(path, Head(0, GENESIS)).ok
    cli = _verify(path, "--head", f"{anchor.entries}:{anchor.hash.upper()}")  # either order
    assert cli.exit_code == 0 and "5 entries" in cli.output


def test_audit_head_prints_one_line_that_verify_accepts(tmp_path):
    path = _log(tmp_path, 3)
    printed = CliRunner().invoke(main, ["audit", "head", str(path)])
    assert printed.exit_code == 0
    line = printed.stdout.strip()
    assert "\n" not in line and line == str(read_head(path))
    assert _verify(path, "--head", line).exit_code == 0
    missing = CliRunner().invoke(main, ["audit", "head", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "LOG" in missing.output  # no such log: a bad argument
    headless = tmp_path / "headless.jsonl"
    headless.write_text(path.read_text())
    without = CliRunner().invoke(main, ["audit", "head", str(headless)])
    assert without.exit_code == 1 and "no head file" in without.output


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_head_text_is_a_checked_head_or_a_value_error_naming_the_form(text):
    try:
        head = Head.parse(text)
    except ValueError as e:
        assert "HASH:COUNT" in str(e)
    else:
        assert head.entries >= 0 and len(head.hash) == 64 and Head.parse(str(head)) == head


@pytest.mark.parametrize("text", ["", "5", "x:y", f"{'a' * 64}:-1", f"{'a' * 64}:0",
                                  f"{'a' * 63}:1", "\u0663:" + "a" * 64])
def test_a_malformed_head_argument_is_refused_in_one_line(tmp_path, text):
    result = _verify(_log(tmp_path, 1), "--head", text)
    assert result.exit_code == 2 and "--head" in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("args", [["--count", "3"], ["--hash", "a" * 64],
                                  ["--head", f"{'a' * 64}:1", "--count", "1"],
                                  ["--count", "2", "--hash", "a" * 64]])
def test_a_half_or_double_anchor_is_refused_naming_the_option(tmp_path, args):
    path = _log(tmp_path, 2)
    result = _verify(path, *args)
    if args == ["--count", "2", "--hash", "a" * 64]:
        assert result.exit_code == 1  # well formed, just not this log's
    else:
        assert result.exit_code == 2 and "--" in result.output


def _append_many(path, who, n):
    for i in range(n):
        record(path, who, "analyst", "view", f"patient {i}")


def test_concurrent_appends_from_processes_and_threads_keep_head_and_log_in_step(tmp_path):
    path = tmp_path / "audit.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(path, f"p{i}", 25)) for i in range(3)]
    workers += [threading.Thread(target=_append_many, args=(path, f"t{i}", 25))
                for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(getattr(w, "exitcode", 0) == 0 for w in workers)
    verdict = verify(path)
    assert verdict.ok and verdict.entries == 150
    last = json.loads(path.read_text().splitlines()[-1])
    assert read_head(path) == Head(150, last["hash"])
    assert not head_path(path).with_name("audit.jsonl.head.tmp").exists()


def test_log_head_and_folder_are_private_from_the_start(tmp_path, monkeypatch):
    old = os.umask(0)  # whatever the umask, the modes come from the open itself
    monkeypatch.setattr(os, "chmod", lambda *a, **k: pytest.fail("chmod after the fact"))
    try:
        path = _log(tmp_path / "new" / "audit", 2)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(head_path(path).stat().st_mode) == 0o600


def test_a_symlink_in_place_of_the_log_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("")
    (tmp_path / "audit.jsonl").symlink_to(target)
    with pytest.raises(OSError):
        record(tmp_path / "audit.jsonl", "u", "analyst", "view", "x")
    assert target.read_text() == ""


def test_a_hash_of_decimal_digits_is_not_taken_for_the_count():
    digits = "1" * 64
    assert Head.parse(f"{digits}:7") == Head(7, digits)
    assert Head.parse(f"7:{digits}") == Head(7, digits)
    assert Head.parse(f"{GENESIS}:0") == Head(0, GENESIS)


@pytest.mark.parametrize("tail", [b'{"seq": 3, "time": "2026-', b"\xff\xfe not utf-8",
                                  b"garbage line\n", b'{"seq": 3}\n{"seq'])
def test_a_torn_last_line_neither_stops_auditing_nor_hides_itself(tmp_path, tail):
    # a crash or a full disk mid-write leaves part of a line: every audited action (sign-ins,
    # refusals, views) must still be recorded, and the damage must still show in verify
    log = tmp_path / "audit.jsonl"
    for n in range(3):
        record(log, "gp", "clinician", "view", f"patient {n}")
    with log.open("ab") as f:
        f.write(tail)
    entry = record(log, "gp", "clinician", "view", "patient 9")
    lines = log.read_bytes().splitlines()
    written = [json.loads(line) for line in lines[-2:]]
    assert written[0]["action"] == "audit.damaged_tail" and "sha256" in written[0]["detail"]
    assert written[0]["seq"] == 3 and written[1] == entry and entry["seq"] == 4
    assert written[0]["prev"] == json.loads(lines[2])["hash"]  # chained from the last good
    verdict = verify(log)
    assert not verdict.ok and verdict.entries == 3 and "line 4" in verdict.problem
    assert read_head(log) == Head(5, entry["hash"])
