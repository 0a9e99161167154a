"""Red team (issue 9): a damaged audit log and hostile ICSIGHT_* values. A broken log is
reported by line, never a crash (NCSC logging guidance: tampering must be detectable); a
setting that cannot be honoured is refused by name before it can switch a safeguard off."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.governance.audit import record, verify
from icsight.ingest.load import IngestError
from icsight.ingest.sources import Limits
from icsight.settings import positive


def _log(tmp_path: Path, tail: bytes) -> Path:
    path = tmp_path / "audit.jsonl"
    record(path, "a", "admin", "x", "r")
    record(path, "a", "admin", "x", "r")
    with path.open("ab") as f:
        f.write(tail)
    return path


@pytest.mark.parametrize("tail", [b'{"seq": 2, "actor": "\xff\xfe"}\n', b"\xc3\x28\n",
                                  b'{"seq": 2, "act', b"\x00" * 40, b"\n\n"])
def test_a_log_line_that_is_not_utf_8_or_is_cut_short_fails_verify_by_line_no_crash(
        tmp_path, tail):
    path = _log(tmp_path, tail)
    verdict = verify(path)
    assert not verdict.ok and verdict.entries == 2 and "line 3" in verdict.problem
    result = CliRunner().invoke(main, ["audit", "verify", str(path)],
                                env={"ICSIGHT_DEBUG": "1"})
    assert result.exit_code == 1 and "line 3" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["", " ", "0", "-1", "abc", "1.5", "1e3", "٣", "３",
                                   "9" * 5000, "9" * 400, "9" * 10, "nan", "inf"])
@pytest.mark.parametrize("name", ["ICSIGHT_SIGNIN_LOCK_MINUTES", "ICSIGHT_SESSION_MAX_HOURS",
                                  "ICSIGHT_SIGNIN_PER_MINUTE"])
def test_hostile_whole_number_settings_are_refused_naming_the_setting(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        positive(name)


@pytest.mark.parametrize("value", ["", "-1", "0", "nan", "inf", "-inf", "9" * 5000, "abc"])
@pytest.mark.parametrize("name", ["ICSIGHT_ARCHIVE_MAX_BYTES", "ICSIGHT_ARCHIVE_MAX_RATIO",
                                  "ICSIGHT_ARCHIVE_MAX_MEMBERS"])
def test_hostile_archive_limits_are_refused_naming_the_setting_never_switched_off(
        monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(IngestError, match=name):
        Limits.from_settings()


@pytest.mark.parametrize("args", [
    ["users", "add", "alice", "--role", "analyst", "--role", "admin"],
    ["users", "add", "alice", "--role", "clinician", "--practice", "E81021",
     "--practice", "../../etc"],
    ["audit", "verify", "x.jsonl", "--head", "a" * 64 + ":1", "--head", "zz:2"],
    ["build", "--lake", "lake", "--lake", "/nonexistent", "--months", "1", "--out", "r"],
])
def test_an_option_given_twice_is_checked_each_time_or_refused_never_a_traceback(
        tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args, input="correct horse battery staple 42\n" * 2,
                                env={"ICSIGHT_DEBUG": "1",
                                     "ICSIGHT_ACCOUNTS": str(tmp_path / "a" / "accounts.json")})
    assert not result.exception or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    if "admin" in args and result.exit_code == 0:  # the last --role wins, and only it
        listing = CliRunner().invoke(main, ["users", "list"], env={
            "ICSIGHT_ACCOUNTS": str(tmp_path / "a" / "accounts.json")}).output
        assert "admin" in listing
    if "../../etc" in args:
        assert result.exit_code != 0
