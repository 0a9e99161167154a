"""The audit log is append-only in effect: any change, removal or reordering is detected."""

from __future__ import annotations

import json
from itertools import pairwise

from click.testing import CliRunner

from icsight.cli import main
from icsight.governance.audit import record, verify


def _log(tmp_path, n=5):
    path = tmp_path / "audit.jsonl"
    for i in range(n):
        record(path, f"user{i}", "clinician", "view", f"patient/{1000 + i}", "worklist")
    return path


def test_a_clean_log_verifies(tmp_path):
    path = _log(tmp_path)
    verdict = verify(path)
    assert verdict.ok and verdict.entries == 5
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["seq"] for e in entries] == list(range(5))
    assert all(b["prev"] == a["hash"] for a, b in pairwise(entries))


def test_an_edited_entry_is_found(tmp_path):
    path = _log(tmp_path)
    lines = path.read_text().splitlines()
    entry = json.loads(lines[2])
    entry["resource"] = "patient/9999"
    lines[2] = json.dumps(entry, sort_keys=True)
    path.write_text("\n".join(lines) + "\n")
    verdict = verify(path)
    assert not verdict.ok and "line 3" in verdict.problem and "changed" in verdict.problem


def test_a_removed_or_reordered_entry_is_found(tmp_path):
    path = _log(tmp_path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    assert "line 3" in verify(path).problem
    path.write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")
    assert not verify(path).ok


def test_a_rewritten_chain_still_cannot_hide_an_edit_in_place(tmp_path):
    path = _log(tmp_path)
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    first["actor"] = "someone-else"  # hash left stale
    path.write_text("\n".join([json.dumps(first, sort_keys=True), *lines[1:]]) + "\n")
    assert "line 1" in verify(path).problem


def test_cli_verify(tmp_path):
    path = _log(tmp_path, 3)
    ok = CliRunner().invoke(main, ["audit", "verify", str(path)])
    assert ok.exit_code == 0 and "3 entries" in ok.output
    path.write_text(path.read_text().replace("user1", "user7"))
    bad = CliRunner().invoke(main, ["audit", "verify", str(path)])
    assert bad.exit_code == 1 and "line 2" in bad.output
