"""The loader: one load, from the files a user names to the lake's next version.

`ingest(lake_dir, sources)` runs the rooms of `icsight.ingest` in order and keeps the report:

1. `sources.expand`: files, folders and archives, unpacked with limits (an archive bomb is
   refused before anything is written);
2. the ledger (`ledger.sha256`, `ledger.loaded_by`): a file loaded before is skipped, and the
   report says so, which makes loading the same files again harmless;
3. `parsers.parse`: rows and rejections from whatever parser reads each file;
4. `stage.stage`: validated and pseudonymised, rejections quarantined;
5. `commit.commit`: merged into the lake's next version with the quarantine, ledger and
   manifest, and swapped in atomically.

Every load reconciles, per source and table: received = loaded + quarantined.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from icsight.governance.pseudonymise import load_key
from icsight.ingest.commit import commit, quarantine_path
from icsight.ingest.ledger import loaded_by, read_ledger, reconciliation, sha256
from icsight.ingest.parsers import parse
from icsight.ingest.records import IngestError
from icsight.ingest.report import LoadReport, Tally
from icsight.ingest.sources import expand
from icsight.ingest.stage import stage
from icsight.lake import MANIFEST, is_lake, recover

# `IngestError` and `quarantine_path` live in their rooms; they are part of the loader's public
# face because callers (the CLI, the tests) have always imported them from here.
__all__ = ["IngestError", "LoadReport", "Tally", "ingest", "load_history", "quarantine_path"]


def ingest(lake_dir: str | Path, sources: Iterable[str | Path], *, table: str | None = None,
           key: bytes | None = None, today: dt.date | None = None,
           progress: Callable[[str], None] | None = None) -> LoadReport:
    """Load `sources` into the lake at `lake_dir` (created if absent); returns the report."""
    lake = Path(lake_dir)
    recover(lake)
    if lake.exists() and not is_lake(lake):
        raise IngestError(f"{lake} exists but is not an icsight lake (no {MANIFEST}); give a "
                          "lake folder or a new path")
    key = key if key is not None else load_key()
    today = today or dt.date.today()
    step = progress or (lambda _label: None)
    started = dt.datetime.now(dt.UTC)
    report = LoadReport(started.strftime("%Y%m%dT%H%M%S%fZ"), lake)
    ledger = read_ledger(lake)
    with tempfile.TemporaryDirectory(prefix="icsight-ingest-") as work:
        fresh = _not_yet_loaded(expand(sources, Path(work)), ledger, report)
        if not fresh:
            return report
        step("reading")
        staged = stage(parse([f for f, _ in fresh], table), key, today, lake, report)
        step("writing")
        commit(lake, staged, report, ledger, fresh, started)
    return report


def _not_yet_loaded(files: list[Path], ledger: dict, report: LoadReport
                    ) -> list[tuple[Path, str]]:
    """(file, SHA-256) of the files the lake has not loaded; the others go in `skipped`."""
    fresh = []
    for f in files:
        digest = sha256(f)
        earlier = loaded_by(ledger, digest)
        if earlier is not None:
            report.skipped.append(f"{f} (loaded in {earlier})")
        else:
            fresh.append((f, digest))
    return fresh


def load_history(lake: str | Path) -> list[dict]:
    """Every load's reconciliation rows, oldest first (for `icsight ingest --report`)."""
    return reconciliation(read_ledger(Path(lake)))
