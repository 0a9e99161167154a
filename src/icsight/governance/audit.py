"""The audit log: every view or export of identifiable data, and every denied request.

An append-only JSON Lines file in which each entry carries the SHA-256 of the entry before it
(a hash chain, as in certificate transparency logs): changing, removing or reordering any
entry breaks every hash after it, so `icsight audit verify` finds tampering and says where.
Appends take an exclusive file lock, so concurrent writers cannot interleave entries.

A chain alone cannot show that entries were removed from its end, or that the whole log was
replaced by a shorter valid chain. So after every append the log's *head* (how many entries,
and the last one's hash) is written atomically to a file beside it (`audit.jsonl.head`), and
`icsight audit head` prints it as one line, `HASH:COUNT`, to copy somewhere the log's writer
cannot reach (a ticket, another system). `verify` checks the log against such an anchor, and
against the head file whenever there is one; an append that finds the log no longer matching
its head records that in the chain itself before its own entry, so the evidence outlives the
next write. This is the "signed tree head" idea of RFC 6962 (Certificate Transparency), without
the signature; OWASP's Logging Cheat Sheet asks for the same tamper detection.

Each entry: `seq`, `time` (UTC), `actor`, `role`, `action` (e.g. `view`, `export`, `denied`),
`resource`, `detail`, `prev` (hash of the previous entry; 64 zeros for the first) and `hash`.
The log, its head and (when it creates it) their folder are created 0600/0700: only the
service's own account reads who looked at whom.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GENESIS", "HEAD_MISMATCH", "Head", "Verdict", "head_path", "read_head", "record",
           "verify"]

GENESIS = "0" * 64
FIELDS = ("seq", "time", "actor", "role", "action", "resource", "detail", "prev")
#: The action of an entry written when an append found the log no longer matching its head.
HEAD_MISMATCH = "audit.head_mismatch"
#: The action of an entry written when an append found unreadable lines at the end of the log.
DAMAGED_TAIL = "audit.damaged_tail"
_FILE_MODE, _DIR_MODE = 0o600, 0o700
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Head:
    """How many entries a log had and the hash of its last one (GENESIS when empty)."""

    entries: int
    hash: str

    def __str__(self) -> str:
        return f"{self.hash}:{self.entries}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """`HASH:COUNT` (or `COUNT:HASH`) as `icsight audit head` prints it."""
        parts = text.strip().split(":")
        if len(parts) == 2:
            for digest, count in (parts, reversed(parts)):  # HASH:COUNT first
                if _HASH.fullmatch(digest.lower()) and count.isascii() and count.isdigit():
                    return cls.of(int(count), digest.lower())
        # the value is not echoed: it may be long, or something pasted by mistake
        raise ValueError("not a head: give HASH:COUNT, a 64-character SHA-256 in hex and the "
                         "number of entries, as `icsight audit head` prints it")

    @classmethod
    def of(cls, entries: int, digest: str) -> Head:
        """A head from its parts, checked (an empty log's hash is GENESIS)."""
        if entries < 0 or not _HASH.fullmatch(digest):
            raise ValueError("a head is a count of 0 or more and a 64-character SHA-256 in hex")
        if entries == 0 and digest != GENESIS:
            raise ValueError(f"a head of 0 entries has the hash {GENESIS}")
        return cls(entries, digest)


def head_path(path: str | Path) -> Path:
    """The head file beside the log at `path`."""
    path = Path(path)
    return path.with_name(path.name + ".head")


def read_head(path: str | Path) -> Head | None:
    """The head recorded beside the log at `path`, or None if there is no head file.

    Raises ValueError if the file does not hold a head (damaged or tampered with)."""
    try:
        text = head_path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return Head.parse(text)


def _digest(entry: dict) -> str:
    body = json.dumps({k: entry[k] for k in FIELDS}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _last_entry(fd: int) -> tuple[dict | None, str]:
    """The last readable entry, and a description of any unreadable lines after it (a write
    torn by a crash or a full disk, or damage) - '' when the log ends cleanly."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None, ""
    start = max(0, size - 65536)
    tail = os.pread(fd, size - start, start)
    if start and not any(_readable(line) for line in tail.splitlines()[1:]):
        start, tail = 0, os.pread(fd, size, 0)  # rare: a damaged tail longer than the window
    lines = tail.splitlines()[1:] if start else tail.splitlines()
    damaged = []
    for line in reversed(lines):
        entry = _readable(line)
        if entry is not None:
            return entry, _describe(damaged, tail.endswith(b"\n"))
        damaged.append(line)
    return None, _describe(damaged, tail.endswith(b"\n"))


def _ends_with_newline(fd: int) -> bool:
    """Whether the log's last byte is a line end (else the next entry must start a new line)."""
    size = os.fstat(fd).st_size
    return size == 0 or os.pread(fd, 1, size - 1) == b"\n"


def _readable(line: bytes) -> dict | None:
    try:
        entry = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    ok = isinstance(entry, dict) and isinstance(entry.get("seq"), int) and "hash" in entry
    return entry if ok else None


def _describe(damaged: list[bytes], ends_cleanly: bool) -> str:
    if not damaged:
        return ""
    digest = hashlib.sha256(b"\n".join(reversed(damaged))).hexdigest()
    torn = "" if ends_cleanly else ", the last cut short"
    return f"{len(damaged)} unreadable line(s) at the end of the log{torn} (sha256 {digest})"


def _make_folder(folder: Path) -> None:
    """Create the log's folder 0700 (its parents as usual); an existing folder is left as is."""
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=_DIR_MODE, exist_ok=True)


def _write_head(path: Path, head: Head) -> None:
    """Replace the head file atomically (a reader sees the old head or the new, never half):
    a temporary file made 0600 from the start, flushed to disk, then renamed over it."""
    final = head_path(path)
    temporary = final.with_name(final.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, _FILE_MODE)
    try:
        os.write(fd, f"{head}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, final)


def _entry(last: dict | None, actor: str, role: str, action: str, resource: str,
           detail: str) -> dict:
    entry = {
        "seq": 0 if last is None else last["seq"] + 1,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor, "role": role, "action": action, "resource": resource,
        "detail": detail, "prev": GENESIS if last is None else last["hash"],
    }
    entry["hash"] = _digest(entry)
    return entry


def _mismatch(path: Path, last: dict | None) -> str:
    """Why the log's end does not match its head file ('' if it does)."""
    actual = Head(0, GENESIS) if last is None else Head(last["seq"] + 1, last["hash"])
    try:
        recorded = read_head(path)
    except ValueError:
        return f"the head file holds no head; the log has {actual.entries} entries"
    if recorded is None:
        return "" if last is None else \
            f"no head file beside a log of {actual.entries} entries"
    if recorded != actual:
        return f"the head file says {recorded}; the log ends at {actual}"
    return ""


def record(path: str | Path, actor: str, role: str, action: str, resource: str,
           detail: str = "") -> dict:
    """Append one entry to the audit log at `path`, update its head file, return the entry.

    If the log no longer matches its head (entries removed from the end, the log replaced or
    the head file altered), an `audit.head_mismatch` entry saying so is appended first."""
    path = Path(path)
    _make_folder(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, _FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when the descriptor is closed
        last, damage = _last_entry(fd)
        problem = _mismatch(path, last)
        entries = []
        # Fail open for the record, closed for the evidence: a torn last line (a crash or a
        # full disk mid-write) must not stop every audited action, so the chain goes on from
        # the last readable entry and says so in an entry of its own; `verify` still fails at
        # the damaged line, for someone to look at.
        for system_action, why in ((DAMAGED_TAIL, damage), (HEAD_MISMATCH, problem)):
            if why:
                last = _entry(last, "icsight", "system", system_action, str(path.name), why)
                entries.append(last)
        entry = _entry(last, actor, role, action, resource, detail)
        entries.append(entry)
        lead = "\n" if damage and not _ends_with_newline(fd) else ""
        os.write(fd, (lead + "".join(json.dumps(e, sort_keys=True) + "\n"
                                     for e in entries)).encode())
        # the entries on disk before the head that counts them: after a power cut the head is
        # never ahead of the log, at worst one append behind (which verify reports)
        os.fsync(fd)
        _write_head(path, Head(entry["seq"] + 1, entry["hash"]))
    finally:
        os.close(fd)
    return entry


@dataclass(frozen=True)
class Verdict:
    """The result of checking a log: `ok`, how many entries, the first problem found, and
    what the log was compared with besides its own chain (`anchored`)."""

    ok: bool
    entries: int
    problem: str = ""
    anchored: str = ""


def _chain(path: Path) -> tuple[Verdict, list[str], list[str]]:
    """Walk the chain: the verdict, each entry's hash, and the head mismatches it records."""
    prev, hashes, mismatches = GENESIS, [], []
    # Read as bytes: a line that is not UTF-8 is a broken entry to report, not a crash.
    with path.open("rb") as f:
        for line_no, line in enumerate(f, start=1):
            count = len(hashes)
            try:
                entry = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return Verdict(False, count, f"line {line_no}: not a JSON entry"), hashes, []
            if not isinstance(entry, dict) or entry.get("seq") != count:
                seq = entry.get("seq") if isinstance(entry, dict) else None
                return Verdict(False, count, f"line {line_no}: sequence {seq} where {count} "
                               "was expected (entry removed or reordered)"), hashes, []
            if entry.get("prev") != prev:
                return Verdict(False, count, f"line {line_no}: does not follow the entry "
                                             "before"), hashes, []
            if not all(k in entry for k in FIELDS) or entry.get("hash") != _digest(entry):
                return Verdict(False, count, f"line {line_no}: contents changed after "
                                             "writing"), hashes, []
            if entry.get("action") == HEAD_MISMATCH:
                mismatches.append(f"line {line_no} records that the log did not match its "
                                  f"head when it was written: {entry.get('detail')}")
            prev = entry["hash"]
            hashes.append(prev)
    return Verdict(True, len(hashes)), hashes, mismatches


def _against(hashes: list[str], anchor: Head, name: str) -> str:
    """Why the log does not contain `anchor` (named `name`) as one of its heads ('' if it does)."""
    if len(hashes) < anchor.entries:
        return (f"the log has {len(hashes)} entries but {name} says {anchor.entries}: entries "
                "were removed from its end, or the log was replaced")
    at = hashes[anchor.entries - 1] if anchor.entries else GENESIS
    if at != anchor.hash:
        return (f"entry {anchor.entries} does not have the hash {name} gives: the log was "
                "replaced or rewritten")
    return ""


def verify(path: str | Path, anchor: Head | None = None) -> Verdict:
    """Check every entry's hash and its link to the one before; then that the log still holds
    `anchor` (a head recorded earlier) and the head in its head file, if there is one.

    A log longer than an anchor is fine (entries were added since); one shorter, or whose entry
    at the anchor's count has another hash, is not."""
    path = Path(path)
    if not path.exists():
        return Verdict(False, 0, f"{path} does not exist")
    verdict, hashes, mismatches = _chain(path)
    if not verdict.ok:
        return verdict
    checks = []
    if anchor is not None:
        checks.append((anchor, f"the anchor {anchor}"))
    try:
        recorded = read_head(path)
    except ValueError as e:
        return Verdict(False, len(hashes), f"head file {head_path(path).name}: {e}")
    if recorded is not None:
        checks.append((recorded, f"its head file ({recorded})"))
    anchored = " and ".join(name for _, name in checks)
    for head, name in checks:
        problem = _against(hashes, head, name)
        if problem:
            return Verdict(False, len(hashes), problem, anchored)
    if recorded is not None and recorded.entries != len(hashes):
        # The head is written after the entries: only an append cut short leaves it behind.
        return Verdict(False, len(hashes), f"the log has {len(hashes) - recorded.entries} "
                       f"entries after its head file's {recorded.entries}: an append was cut "
                       "short, or entries were added without the head", anchored)
    if mismatches:
        return Verdict(False, len(hashes), mismatches[0], anchored)
    return Verdict(True, len(hashes), anchored=anchored)
