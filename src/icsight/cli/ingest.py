"""`icsight ingest`: load FHIR and CSV/Parquet extracts into a lake, and (`ingest --report`)
show the reconciliation of every load."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from icsight.cli._console import console, fail, out

__all__ = ["ingest"]


@click.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--lake", "lake_dir", required=True, type=click.Path(path_type=Path),
              help="The lake to load into (created if it does not exist).")
@click.option("--table", default=None, help="Canonical table of CSV/Parquet files whose names "
              "do not say it.")
@click.option("--today", default=None, help="Date dates are checked against (default: today).")
@click.option("--report", "show_report", is_flag=True,
              help="Show the reconciliation of every load so far (no SOURCES needed).")
def ingest(sources: tuple[Path, ...], lake_dir: Path, table: str | None, today: str | None,
           show_report: bool) -> None:
    """Load FHIR (Bundles, NDJSON) and CSV/Parquet extracts into the lake: validated,
    pseudonymised, with bad records quarantined and every count reconciled."""
    import datetime as dt

    from icsight.ingest.load import IngestError, load_history
    from icsight.ingest.load import ingest as run

    if show_report and not sources:
        _reconciliation(load_history(lake_dir), "All loads")
        return
    if not sources:
        raise click.UsageError("give files or folders to ingest, or --report")
    try:
        with console.status("ingesting"):
            report = run(lake_dir, sources, table=table,
                         today=dt.date.fromisoformat(today) if today else None)
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
            console.print(f"  {problem.message()}")
        console.print("Fix them at source and load the corrected file; the quarantine keeps "
                      "each record with its reason (identifiable zone).")
    if report.refused:
        fail(f"{len(report.refused)} source(s) refused (listed above): fix or remove them and "
             "load again; the rest of this load is in the lake", code=1)


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
