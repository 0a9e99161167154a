"""`icsight ingest`: load FHIR and CSV/Parquet extracts into a lake, and (`ingest --report`)
show the reconciliation of every load."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click
from rich.table import Table

from icsight.cli._console import console, fail, out
from icsight.cli._options import ISO_DATE, InputPath, OutputFolder

__all__ = ["ingest"]


def _is_lake(folder: Path) -> bool:
    from icsight.lake import is_lake

    return is_lake(folder)


def _canonical_table(ctx: click.Context, param: click.Parameter, name: str | None) -> str | None:
    """A table of the canonical model that files can be loaded into, or a usage error listing
    them."""
    if name is None:
        return None
    from icsight.model.schema import TABLES

    if name not in TABLES:
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise click.BadParameter(f"{shown!r} is not a canonical table; one of "
                                 f"{', '.join(sorted(TABLES))}", ctx, param)
    return name


def _not_after_today(ctx: click.Context, param: click.Parameter,
                     value: str | None) -> dt.date | None:
    """`--today` as a date, never later than the real today: a later one would let records
    dated in the future through the checks."""
    if value is None:
        return None
    day = dt.date.fromisoformat(value)
    if day > dt.date.today():
        raise click.BadParameter(f"{value} is after today ({dt.date.today()}); give today or "
                                 "an earlier date", ctx, param)
    return day


@click.command()
@click.argument("sources", nargs=-1, type=InputPath())
@click.option("--lake", "lake_dir", required=True, type=OutputFolder(_is_lake, "a lake"),
              help="The lake to load into (created if it does not exist).")
@click.option("--table", default=None, callback=_canonical_table,
              help="Canonical table of CSV/Parquet files whose names do not say it.")
@click.option("--today", default=None, type=ISO_DATE, callback=_not_after_today,
              help="Date dates are checked against, YYYY-MM-DD, not after today (default: "
                   "today).")
@click.option("--report", "show_report", is_flag=True,
              help="Show the reconciliation of every load so far (no SOURCES needed).")
def ingest(sources: tuple[Path, ...], lake_dir: Path, table: str | None,
           today: dt.date | None, show_report: bool) -> None:
    """Load FHIR (JSON or XML Bundles, NDJSON) and CSV/Parquet extracts into the lake: validated,
    pseudonymised, with bad records quarantined and every count reconciled."""
    from icsight.ingest.load import IngestError, load_history
    from icsight.ingest.load import ingest as run

    if show_report and not sources:
        if not _is_lake(lake_dir):
            raise click.BadParameter(f"{lake_dir} is not a lake yet, so it has no loads to "
                                     "report; give the lake folder", param_hint="--lake")
        _reconciliation(load_history(lake_dir), "All loads")
        return
    if not sources:
        raise click.UsageError("give files or folders to ingest, or --report")
    try:
        with console.status("ingesting"):
            report = run(lake_dir, sources, table=table, today=today)
    except IngestError as e:
        fail(e)
    for skipped in report.skipped:
        console.print(f"[yellow]already loaded, skipped:[/yellow] {skipped}")
    for refused in report.refused:
        console.print(f"[red]refused, nothing loaded from it:[/red] {refused}")
    _reconciliation(report.rows(), f"Load {report.load_id}")
    if report.quarantined:
        console.print(f"[yellow]{report.quarantined:,} records quarantined[/yellow], for "
                      "example:")
        for problem in report.problems[:5]:
            console.print(f"  {_without_identifiers(problem)}", markup=False)
        console.print("Fix them at source and load the corrected file; the quarantine keeps "
                      "each record with its reason (identifiable zone).")
    if report.refused:
        fail(f"{len(report.refused)} source(s) refused (listed above): fix or remove them and "
             "load again; the rest of this load is in the lake", code=1)


# A quoted value in a reason, and long digit runs (an NHS number in a free-text column).
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DIGITS = re.compile(r"\d{6,}")
# The one value a reason may repeat: a short code offered for a closed list ("'Purple' is
# not one of ..."), which tells the supplier what to fix and names nobody.
_CODE_OFFERED = re.compile(r"'[A-Za-z0-9 ._-]{1,20}' is not one of ")


def _without_identifiers(problem) -> str:
    """A quarantined record's file, place, field and reason for the terminal, with nothing of
    the record's values that could identify someone: the full reason stays with the record in
    the quarantine, inside the identifiable zone (NHS England, Confidentiality and
    disclosure of information: no identifiers where they are not needed)."""
    from icsight.model.schema import TABLES

    where = f"{problem.source}, {problem.locator}"
    if not problem.field:
        return f"{where}: {_masked(problem.reason)}"
    if problem.field in TABLES["person_identifiers"].column_names:
        return f"{where}: {problem.field}: not valid (the reason is kept in the quarantine)"
    return f"{where}: {problem.field}: {_masked(problem.reason)}"


def _masked(reason: str) -> str:
    if _CODE_OFFERED.match(reason):
        head, tail = reason.split(" is not one of ", 1)
        return _DIGITS.sub("#", head) + " is not one of " + _masked(tail)
    return _DIGITS.sub("#", _QUOTED.sub("'...'", reason))


def _reconciliation(rows: list[dict], title: str) -> None:
    """One row per source file; `ok` says whether received = loaded + quarantined."""
    # not the shared table helper: counts are right-aligned, names left
    shown = Table(title=f"{title}: received = loaded + quarantined")
    for column in ("source", "table", "received", "loaded", "replaced", "quarantined", "ok"):
        shown.add_column(column, justify="left" if column in ("source", "table") else "right")
    for r in rows:
        balanced = r["received"] == r["loaded"] + r["quarantined"]
        shown.add_row(Path(r["source"]).name, r["table"], f"{r['received']:,}",
                      f"{r['loaded']:,}", f"{r['replaced']:,}", f"{r['quarantined']:,}",
                      "yes" if balanced else "NO")
    out.print(shown)
