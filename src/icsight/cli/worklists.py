"""`icsight worklists`: a practice's worklists, and one list as a CSV or XLSX file laid out for
import into a GP clinical system's search (NHS numbers in the first column).

Run on the ICB's or practice's own machine by someone who already holds the lake; the file
names patients, so it is recorded in the audit log as an export for direct care, by the
operating-system user who ran it, as the web's download is by the signed-in clinician."""

from __future__ import annotations

import re
from pathlib import Path

import click

from icsight.cli._console import console, fail
from icsight.cli._options import AppendFile, LakeFolder, OutputFile, built_results

__all__ = ["worklists"]


#: An ODS code of a GP practice: a letter and five digits (E81021, Y00560).
_PRACTICE = re.compile(r"[A-Z][0-9]{5}", re.ASCII)


def _practice(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not _PRACTICE.fullmatch(value.strip().upper()):
        shown = value[:20] if value.isprintable() else repr(value[:20])
        raise click.BadParameter(f"{shown!r} is not a practice's ODS code; give one like "
                                 "E81021 (a letter and five digits)", ctx, param)
    return value.strip().upper()


def _list(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from icsight.worklists.catalogue import WORKLISTS

    if value not in WORKLISTS:
        shown = value[:40] if value.isprintable() else repr(value[:40])
        raise click.BadParameter(f"no worklist {shown!r}; run `icsight worklists --practice "
                                 "ODS` to see the lists' ids", ctx, param)
    return value



@click.command()
@click.option("--practice", "practice_code", required=True, metavar="ODS", callback=_practice,
              help="The practice's ODS code, e.g. E81001.")
@click.option("--list", "list_id", default=None, metavar="ID", callback=_list,
              help="The list to write (`icsight worklists --practice ODS` shows them).")
@click.option("--out", "out_file", default=None,
              type=OutputFile((".csv", ".xlsx"), "E81021-hypertension-no-bp.csv"),
              help="Where to write the list: FILE.csv or FILE.xlsx (needs --list).")
@click.option("--lake", "lake_dir", default="data/blmk", show_default=True, type=LakeFolder(),
              help="The lake the build came from (NHS numbers and names are read from it).")
@click.option("--results", "results_dir", default="data/results", show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              callback=built_results,
              help="The results store (from `icsight build`).")
@click.option("--audit-log", default="data/audit.jsonl", show_default=True,
              type=AppendFile(), help="Where the export is recorded.")
def worklists(practice_code: str, list_id: str | None, out_file: Path | None, lake_dir: Path,
              results_dir: Path, audit_log: Path) -> None:
    """Show a practice's worklists (patients, shortfall against target), or write one list
    (--list ID --out FILE.csv|.xlsx) for a search in the practice's clinical system. The
    file names patients: it is recorded in the audit log as an export for direct care."""
    import getpass

    from icsight.governance.access import Principal, Role
    from icsight.services import NotFoundError
    from icsight.services.worklists import WorklistService

    if (out_file is None) != (list_id is None):
        raise click.UsageError("give --list ID and --out FILE together (or neither, to see "
                               "the practice's lists)")
    service = WorklistService(lake_dir, results_dir, audit_log)
    who = Principal(f"cli:{getpass.getuser()}", Role.CLINICIAN, practice_code=practice_code)
    try:
        if out_file is None:
            _show(service.summary(who, practice_code))
            return
        content, _, _ = service.export(who, practice_code, list_id,
                                       out_file.suffix.lower().lstrip("."))
    except NotFoundError as e:
        fail(e)
    out_file.write_bytes(content)
    console.print(f"[green]Wrote[/green] {out_file} (recorded in {audit_log})")


def _show(summary: dict) -> None:
    from rich.table import Table

    table = Table(title=f"Worklists for {summary['practice_code']} as of {summary['as_of']}")
    for name in ("List", "ID", "Patients", "More needed for target", "Followed up"):
        table.add_column(name, justify="right" if name[0] in "PMF" else "left")
    for row in summary["lists"]:
        needed = "-" if row.get("needed") is None else str(int(row["needed"]))
        table.add_row(row["list"].title, row["list"].id, str(row["patients"]), needed,
                      str(row["followed_up"]))
    console.print(table)
