"""What one load did: rows received, loaded, replaced and quarantined per source and table.

Every count reconciles: received = loaded + quarantined, per source and table. The report is
filled in by staging (validation and quarantine) and commit (duplicates), and recorded in the
ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from icsight.ingest.records import Rejected

__all__ = ["LoadReport", "Tally"]


@dataclass
class Tally:
    """One source's rows for one table: received = loaded + quarantined; `replaced` counts the
    loaded rows that corrected a row already in the lake."""

    received: int = 0
    loaded: int = 0
    replaced: int = 0
    quarantined: int = 0


@dataclass
class LoadReport:
    """What one load did: tallies per (source, table), the sources skipped as already loaded,
    the sources refused whole (a link in a drop folder, a hostile archive: "source: reason"),
    and every rejection."""

    load_id: str
    lake: Path
    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # sources already loaded
    refused: list[str] = field(default_factory=list)  # sources not loaded at all, with why
    problems: list[Rejected] = field(default_factory=list)

    def tally(self, source: str, table: str) -> Tally:
        return self.tallies.setdefault((source, table or "-"), Tally())

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tallies.values())

    def rows(self) -> list[dict]:
        return [{"load_id": self.load_id, "source": s, "table": t, "received": v.received,
                 "loaded": v.loaded, "replaced": v.replaced, "quarantined": v.quarantined}
                for (s, t), v in sorted(self.tallies.items())]
