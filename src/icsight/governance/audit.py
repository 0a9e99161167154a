"""The audit log: every view or export of identifiable data, and every denied request.

An append-only JSON Lines file in which each entry carries the SHA-256 of the entry before it
(a hash chain, as in certificate transparency logs): changing, removing or reordering any
entry breaks every hash after it, so `icsight audit verify` finds tampering and says where.
Appends take an exclusive file lock, so concurrent writers cannot interleave entries.

Each entry: `seq`, `time` (UTC), `actor`, `role`, `action` (e.g. `view`, `export`, `denied`),
`resource`, `detail`, `prev` (hash of the previous entry; 64 zeros for the first) and `hash`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

GENESIS = "0" * 64
FIELDS = ("seq", "time", "actor", "role", "action", "resource", "detail", "prev")


def _digest(entry: dict) -> str:
    body = json.dumps({k: entry[k] for k in FIELDS}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _last_entry(path: Path) -> dict | None:
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 65536))
        tail = f.read().splitlines()
    return json.loads(tail[-1]) if tail else None


def record(path: str | Path, actor: str, role: str, action: str, resource: str,
           detail: str = "") -> dict:
    """Append one entry to the audit log at `path` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            last = _last_entry(path)
            entry = {
                "seq": 0 if last is None else last["seq"] + 1,
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                "actor": actor, "role": role, "action": action, "resource": resource,
                "detail": detail, "prev": GENESIS if last is None else last["hash"],
            }
            entry["hash"] = _digest(entry)
            f.write(json.dumps(entry, sort_keys=True) + "\n")
            f.flush()
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    return entry


@dataclass(frozen=True)
class Verdict:
    """The result of checking a log: `ok`, how many entries, and the first problem found."""

    ok: bool
    entries: int
    problem: str = ""


def verify(path: str | Path) -> Verdict:
    """Check every entry's hash and its link to the one before."""
    path = Path(path)
    if not path.exists():
        return Verdict(False, 0, f"{path} does not exist")
    prev, count = GENESIS, 0
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return Verdict(False, count, f"line {line_no}: not a JSON entry")
            if entry.get("seq") != count:
                return Verdict(False, count, f"line {line_no}: sequence {entry.get('seq')} "
                                             f"where {count} was expected (entry removed or "
                                             "reordered)")
            if entry.get("prev") != prev:
                return Verdict(False, count, f"line {line_no}: does not follow the entry before")
            if entry.get("hash") != _digest(entry):
                return Verdict(False, count, f"line {line_no}: contents changed after writing")
            prev, count = entry["hash"], count + 1
    return Verdict(True, count)
