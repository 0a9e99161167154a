"""The loader: one load, from the files a user names to the lake's next version.

`ingest(lake_dir, sources)` runs the rooms of `icsight.ingest` in order and keeps the report.
The whole load holds the lake's lock (`icsight.lake.lake_lock`): a second load of the same lake
waits for it (`ICSIGHT_LAKE_LOCK_TIMEOUT`) or is refused, so no two loads start from the same
version and lose each other's rows.

1. `sources.expand`: files, folders and archives copied into the load's private work folder
   (0700, beside the lake; a dead load's is removed by the next), unpacked with limits; links
   in folders and hostile archives refused with a reason (`report.refused`);
2. the ledger (`ledger.sha256` of the private copy, `ledger.loaded_by`): a file loaded before is
   skipped, and the report says so, which makes loading the same files again harmless;
3. `parsers.parse`: rows and rejections from whatever parser reads each copy;
4. `stage.stage`: validated and pseudonymised, rejections quarantined;
5. `commit.commit`: merged into the lake's next version with the quarantine, ledger and
   manifest, and swapped in atomically.

Every load reconciles, per source and table: received = loaded + quarantined. Sources are
named in the report, the quarantine and the ledger as the user named them, never by their
private copies.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from icsight.governance.pseudonymise import PseudonymKeyError, load_key
from icsight.ingest.commit import commit, quarantine_path
from icsight.ingest.ledger import loaded_by, read_ledger, reconciliation, sha256
from icsight.ingest.parsers import parse
from icsight.ingest.records import IngestError
from icsight.ingest.report import LoadReport, Tally
from icsight.ingest.sources import Source, expand
from icsight.ingest.stage import Staged, stage
from icsight.lake import MANIFEST, LakeError, is_lake, work_folder

# `IngestError` and `quarantine_path` live in their rooms; they are part of the loader's public
# face because callers (the CLI, the tests) have always imported them from here.
__all__ = ["IngestError", "LoadReport", "Tally", "ingest", "load_history", "quarantine_path"]


def ingest(lake_dir: str | Path, sources: Iterable[str | Path], *, table: str | None = None,
           key: bytes | None = None, today: dt.date | None = None,
           progress: Callable[[str], None] | None = None) -> LoadReport:
    """Load `sources` into the lake at `lake_dir` (created if absent); returns the report."""
    # A lake given as a symbolic link is written at its target: swapping versions renames
    # folders, which would otherwise replace the link with a new lake beside the real one.
    lake = Path(lake_dir).resolve() if Path(lake_dir).is_symlink() else Path(lake_dir)
    _refuse_non_lake(lake)  # before the lock, so nothing is made beside someone's folder
    try:
        key = key if key is not None else load_key()
        with work_folder(lake) as work:
            return _load(lake, list(sources), work, table, key, today or dt.date.today(),
                         progress or (lambda _label: None))
    except (LakeError, PseudonymKeyError) as e:  # busy, full disk, bad setting, weak key
        raise IngestError(str(e)) from None


def _load(lake: Path, sources: list[str | Path], work: Path, table: str | None, key: bytes,
          today: dt.date, step: Callable[[str], None]) -> LoadReport:
    """One load, holding the lake's lock, with `work` as its private folder."""
    _refuse_non_lake(lake)  # again: the lake may have changed while we waited for the lock
    started = dt.datetime.now(dt.UTC)
    report = LoadReport(started.strftime("%Y%m%dT%H%M%S%fZ"), lake)
    ledger = read_ledger(lake)
    found = expand(sources, work)
    report.refused.extend(f"{label}: {reason}" for label, reason in found.refused)
    fresh = _not_yet_loaded(found.files, ledger, report)
    if not fresh:
        return report
    step("reading")
    labels = {str(s.path): s.label for s, _ in fresh}
    staged = stage(parse([s.path for s, _ in fresh], table), key, today, lake, report)
    _relabel(staged, report, labels)
    step("writing")
    commit(lake, staged, report, ledger, [(Path(s.label), d) for s, d in fresh], started)
    return report


def _refuse_non_lake(lake: Path) -> None:
    if lake.exists() and not is_lake(lake):
        raise IngestError(f"{lake} exists but is not an icsight lake (no {MANIFEST}); give a "
                          "lake folder or a new path")


def _not_yet_loaded(files: list[Source], ledger: dict, report: LoadReport
                    ) -> list[tuple[Source, str]]:
    """(file, SHA-256 of its private copy) of the files the lake has not loaded; the others go
    in `skipped`."""
    fresh = []
    for f in files:
        digest = sha256(f.path)
        earlier = loaded_by(ledger, digest)
        if earlier is not None:
            report.skipped.append(f"{f.label} (loaded in {earlier})")
        else:
            fresh.append((f, digest))
    return fresh


def _relabel(staged: Staged, report: LoadReport, labels: dict[str, str]) -> None:
    """Name every source as the user knows it, not by the load's private copy."""
    def name(source: str) -> str:
        return labels.get(source, source)

    report.tallies = {(name(s), t): v for (s, t), v in report.tallies.items()}
    report.problems = [dataclasses.replace(p, source=name(p.source)) for p in report.problems]
    for entry in staged.quarantine:
        entry["source"] = name(entry["source"])
    for table, origins in staged.origins.items():
        staged.origins[table] = [(name(s), *rest) for s, *rest in origins]


def load_history(lake: str | Path) -> list[dict]:
    """Every load's reconciliation rows, oldest first (for `icsight ingest --report`)."""
    return reconciliation(read_ledger(Path(lake)))
