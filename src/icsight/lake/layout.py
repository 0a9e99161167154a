"""The lake's layout on disk: two zones of Parquet files and a manifest.

Which zone a canonical table belongs to is part of the canonical model
(`icsight.model.schema`); where that puts its file is decided here and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

from icsight.lake.errors import LakeError
from icsight.model.schema import ANALYTICS, IDENTIFIABLE, TABLES

MANIFEST = "manifest.json"
#: Files a lake keeps besides its tables, by what they are for.
RECORDS = {"ingest_ledger": Path("ingest") / "ledger.json"}

__all__ = ["ANALYTICS", "IDENTIFIABLE", "MANIFEST", "RECORDS", "LakeError", "is_lake",
           "read_manifest", "record_path", "table_path", "write_manifest", "zone_path"]


def zone_path(lake: str | Path, zone: str) -> Path:
    """The folder of one zone (`analytics` or `identifiable`) of the lake at `lake`."""
    if zone not in (ANALYTICS, IDENTIFIABLE):
        raise LakeError(f"unknown zone {zone!r}; one of {ANALYTICS}, {IDENTIFIABLE}")
    return Path(lake) / zone


def table_path(lake: str | Path, name: str, zone: str | None = None) -> Path:
    """The Parquet file of table `name` in the lake at `lake`.

    The zone is the canonical table's; tables outside the canonical model (the ingestion
    quarantine) must say theirs."""
    if zone is None:
        spec = TABLES.get(name)
        if spec is None:
            raise LakeError(f"{name!r} is not a canonical table; say which zone it lives in")
        zone = IDENTIFIABLE if spec.zone == IDENTIFIABLE else ANALYTICS
    return zone_path(lake, zone) / f"{name}.parquet"


def record_path(lake: str | Path, record: str) -> Path:
    """A file the lake keeps besides its tables (`ingest_ledger`: the loads so far)."""
    if record not in RECORDS:
        raise LakeError(f"unknown lake record {record!r}; one of {', '.join(RECORDS)}")
    return Path(lake) / RECORDS[record]


def is_lake(path: str | Path) -> bool:
    """Whether `path` holds a lake (it has a manifest)."""
    return (Path(path) / MANIFEST).is_file()


def read_manifest(lake: str | Path) -> dict:
    """The lake's manifest, or a `LakeError` saying how to make a lake there. A lake left half
    swapped by a writer that died is put back first, whoever reads it (`recover`)."""
    from icsight.lake.swap import recover  # swap builds on this module

    recover(lake)
    path = Path(lake) / MANIFEST
    if not path.is_file():
        raise LakeError(f"{lake} is not an icsight lake (no {MANIFEST}); create one with "
                        f"`icsight synth --out {lake}` or `icsight ingest FILES --lake {lake}`")
    return json.loads(path.read_text())


def write_manifest(lake: str | Path, manifest: dict) -> None:
    """Write the manifest of a lake being built. The file is replaced, never rewritten in
    place: in a version built from hard links the old manifest is shared with the live lake."""
    from icsight.lake.lock import writing  # the lock module builds on this one

    path = Path(lake) / MANIFEST
    path.unlink(missing_ok=True)
    with writing(path):
        path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
