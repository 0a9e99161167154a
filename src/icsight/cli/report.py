"""`icsight report`: a programme's board paper, or the system summary of all six, as HTML and
PDF from the latest build (published figures: a board paper is public)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click

from icsight.cli._console import console, fail
from icsight.cli._options import AppendFile, LakeFolder, OutputFolder, built_results

__all__ = ["report", "report_name"]

_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)


def _programme(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A programme id from the catalogue's six, or a usage error listing them."""
    if value is None:
        return None
    from icsight.indicators.definition import PROGRAMMES

    if value.lower() not in PROGRAMMES:
        shown = value if re.fullmatch(r"[\w-]{1,40}", value, re.ASCII) else repr(value[:40])
        raise click.BadParameter(f"no programme {shown}; give one of "
                                 f"{', '.join(PROGRAMMES)}", ctx, param)
    return value.lower()


def _month(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A month written YYYY-MM (a real month, 1900-2099), or a usage error."""
    if not _MONTH.fullmatch(value) or not 1 <= int(value[5:]) <= 12 \
            or not 1900 <= int(value[:4]) <= 2099:
        shown = value if len(value) <= 20 else value[:20] + "..."
        raise click.BadParameter(f"{shown!r} is not a month written YYYY-MM (e.g. 2025-03)",
                                 ctx, param)
    return value



def _holds_papers(folder: Path) -> bool:
    """Whether a folder holds only board papers (so writing more into it is safe)."""
    return all(p.is_file() and p.suffix in (".html", ".pdf") for p in folder.iterdir())


def report_name(programme_id: str | None, month: str) -> str:
    """The papers' file name, without its extension: `ltc-2025-03`, `system-2025-03`."""
    return f"{programme_id or 'system'}-{month}"


@click.command()
@click.option("--programme", "programme_id", default=None, metavar="ID", callback=_programme,
              help="The programme: ltc, mhlda, children, cancer, uec or planned.")
@click.option("--system", "system", is_flag=True,
              help="The Health and Care Professional Leadership Group's summary of all six "
                   "programmes instead of one.")
@click.option("--out", "out_dir", required=True,
              type=OutputFolder(_holds_papers, "a folder of board papers"),
              help="Where the HTML and PDF are written (new, empty, or one of papers).")
@click.option("--results", "results_dir", default="data/results", show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              callback=built_results,
              help="The results store (from `icsight build`).")
@click.option("--lake", "lake_dir", default=None, type=LakeFolder(),
              help="The lake the build came from (optional: the figures are the build's).")
@click.option("--audit-log", default="data/audit.jsonl", show_default=True,
              type=AppendFile(), help="Where access is recorded.")
# last: a refused path or programme is named before the month is looked at
@click.option("--period", "month", required=True, metavar="YYYY-MM", callback=_month,
              help="The month reported, YYYY-MM: one the build covers.")
def report(programme_id: str | None, system: bool, month: str, out_dir: Path,
           results_dir: Path, lake_dir: Path | None, audit_log: Path) -> None:
    """Write a programme's board paper (or, with --system, the summary of all six) for one
    month as HTML and PDF. Its figures are the published ones, small numbers suppressed, and
    its commentary comes from the application database (ICSIGHT_DATABASE_URL)."""
    from icsight.appdb import open_database
    from icsight.governance.access import Principal, Role
    from icsight.reports import build_paper, write_paper
    from icsight.services import NotFoundError, Service

    if system == (programme_id is not None):
        raise click.UsageError("give either --programme ID or --system (one of them)")
    services = Service(lake_dir or results_dir, results_dir, audit_log)
    who = Principal("icsight report", Role.PUBLIC)
    try:
        database = open_database()
    except ValueError as e:  # a bad ICSIGHT_DATABASE_URL: say which and how
        fail(f"cannot read the commentary: {e}")
    try:
        paper = build_paper(services, database, month, programme_id, who)
    except NotFoundError as e:
        if "no period" in str(e):
            raise click.BadParameter(str(e), param_hint="--period") from None
        fail(e)
    paper.date = dt.date.today()
    html, pdf = write_paper(paper, out_dir, report_name(programme_id, month))
    console.print(f"[green]Wrote[/green] {html} and {pdf} ({len(paper.metrics)} metrics, "
                  f"{len(paper.exceptions)} exceptions)")
