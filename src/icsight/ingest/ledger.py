"""The ledger: which files a lake has loaded, and every load's reconciliation.

It is one JSON file in the lake (`ingest/ledger.json`) with two parts:

* `files`: each loaded file's SHA-256 -> the load that took it and its name. This is what makes
  loading idempotent: a file whose contents were loaded before is skipped, whatever it is
  called now.
* `loads`: one entry per load (id, start time, files skipped) with its reconciliation rows,
  per source and table: received = loaded + quarantined (`icsight ingest --report`).

The ledger is written into the lake's next version with the tables, so it always describes the
lake it sits in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from icsight.lake import record_path, writing

#: Where the ledger sits inside a lake. (The lake room, `icsight.lake`, knows table paths only;
#: this is the one path in a lake that ingestion spells itself.)
CHUNK = 1024 * 1024


def ledger_path(lake: str | Path) -> Path:
    """The ledger file of the lake (or lake version being built) at `lake`."""
    return record_path(lake, "ingest_ledger")


def read_ledger(lake: str | Path) -> dict:
    """The lake's ledger; an empty one for a new lake or one never loaded into."""
    path = ledger_path(lake)
    if path.is_file():
        return json.loads(path.read_text())
    return {"files": {}, "loads": []}


def sha256(path: Path) -> str:
    """The file's SHA-256, read in chunks (extracts can be larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def loaded_by(ledger: dict, digest: str) -> str | None:
    """The id of the load that already took a file with this SHA-256, or None."""
    entry = ledger["files"].get(digest)
    return None if entry is None else entry["load_id"]


def record_load(ledger: dict, load_id: str, started: dt.datetime, rows: list[dict],
                skipped: list[str], files: Iterable[tuple[Path, str]]) -> None:
    """Add a load to `ledger`: its files (path, SHA-256) and its reconciliation rows."""
    for f, digest in files:
        ledger["files"][digest] = {"load_id": load_id, "name": Path(f).name}
    ledger["loads"].append({"load_id": load_id,
                            "started": started.isoformat(timespec="seconds"),
                            "rows": rows, "skipped": skipped})


def write_ledger(folder: Path, ledger: dict) -> None:
    """Write the ledger into a lake version being built. The file is replaced, not rewritten:
    in a version built from hard links the old one is the live lake's too."""
    path = ledger_path(folder)
    path.unlink(missing_ok=True)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(ledger, indent=1, default=str) + "\n")


def reconciliation(ledger: dict) -> list[dict]:
    """Every load's reconciliation rows, oldest first."""
    return [row for load in ledger["loads"] for row in load["rows"]]
