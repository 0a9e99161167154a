"""`icsight build`: compute the whole indicator catalogue as monthly series into the results
store."""

from __future__ import annotations

import time
from pathlib import Path

import click

from icsight.cli._console import console, fail, progress
from icsight.cli._options import (
    ISO_DATE,
    LakeFolder,
    OutputFolder,
    backend_option,
    check_window,
    indicator_ids,
    purpose_option,
)

__all__ = ["build"]


def _is_results_store(folder: Path) -> bool:
    from icsight.results.risk import MODELS
    from icsight.results.store import LATEST

    # a first build that trained the risk model and then failed leaves only its models
    return (folder / LATEST).is_file() or {p.name for p in folder.iterdir()} <= {MODELS}


@click.command()
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake folder (from `icsight synth`).")
@click.option("--out", "out_dir", default="results", show_default=True,
              type=OutputFolder(_is_results_store, "a results store"),
              help="The results store folder (new, empty, or one `build` wrote).")
@click.option("--months", default=36, show_default=True, type=click.IntRange(1, 240),
              help="Month ends to compute (1-240), all inside the lake's data window.")
@click.option("--as-of", "as_of", default=None, type=ISO_DATE,
              help="Last period end, YYYY-MM-DD, inside the lake's data window (default: its "
                   "last day).")
@click.option("--id", "ids", multiple=True, callback=indicator_ids,
              help="Only these indicators (repeatable, or several as `A,B`).")
@click.option("--planning/--no-planning", default=None,
              help="Also project the population, demand and capacity to 2043 for the "
                   "planning pages (default: in a build of the whole catalogue).")
@click.option("--forecasts/--no-forecasts", default=False, show_default=True,
              help="Also back-test and forecast each place's monthly activity for the "
                   "planning pages (about a minute and a half on two cores; with planning "
                   "only).")
@backend_option
@purpose_option
def build(lake_dir: Path, out_dir: Path, months: int, as_of: str | None,
          ids: tuple[str, ...], planning: bool | None, forecasts: bool, backend: str,
          purpose: str) -> None:
    """Compute the whole indicator catalogue as monthly series into the results store."""
    from icsight.engine import LakeError, open_lake
    from icsight.indicators.catalogue import catalogue
    from icsight.results.store import build as build_results

    try:
        lake = open_lake(lake_dir, backend=backend, purpose=purpose)
    except LakeError as e:
        fail(e)
    as_of = check_window(lake, as_of, months)
    n = len(ids) if ids else len(catalogue())
    started = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("computing", total=n)

        def step(indicator_id: str) -> None:
            bar.update(task, description=f"computing {indicator_id}", advance=1)

        run = build_results(lake, out_dir, months, as_of, list(ids) or None, step,
                            planning=planning, forecasts=forecasts)
    console.print(f"[green]Built[/green] {run}: {n} indicators x {months} months in "
                  f"{time.perf_counter() - started:.0f} s")
