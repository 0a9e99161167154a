"""`icsight indicators`: compute indicators with their breakdowns to a CSV file;
`indicators list` prints the catalogue and `indicators show ID` one definition."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from icsight.cli._console import console, fail, out, table
from icsight.cli._options import (
    ISO_DATE,
    CsvFile,
    LakeFolder,
    backend_option,
    check_window,
    indicator_ids_or_all,
    one_indicator_id,
    purpose_option,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["indicators"]


@click.group(invoke_without_command=True)
@click.option("--lake", "lake_dir", type=LakeFolder(),
              help="The lake folder (from `icsight synth`).")
@click.option("--as-of", "as_of", default=None, type=ISO_DATE,
              help="Period end date YYYY-MM-DD, inside the lake's data window (default: its "
                   "last day).")
@click.option("--out", "out_file", type=CsvFile(), help="CSV file to write (name ending .csv).")
@click.option("--id", "ids", multiple=True, callback=indicator_ids_or_all,
              help="Indicator id (repeatable, or several as `A,B`); `all` for the whole catalogue. "
                   "Default CVDP007HYP.")
@backend_option
@click.option("--suppress", is_flag=True,
              help="Apply small-number suppression (1-7 hidden, counts rounded to 5) for "
                   "publication beyond analysts.")
@purpose_option
@click.pass_context
def indicators(ctx: click.Context, lake_dir: Path | None, as_of: str | None,
               out_file: Path | None, ids: tuple[str, ...], backend: str, suppress: bool,
               purpose: str) -> None:
    """Compute indicators with breakdowns to a CSV file; `list` and `show ID` describe them."""
    if ctx.invoked_subcommand is not None:
        return
    if lake_dir is None or out_file is None:
        raise click.UsageError("give --lake DIR and --out FILE.csv (or use `list` / `show ID`)")
    from icsight.engine import LakeError, open_lake

    try:
        lake = open_lake(lake_dir, backend=backend, purpose=purpose)
    except LakeError as e:
        fail(e)
    from icsight.indicators.catalogue import catalogue, compute

    chosen = list(catalogue()) if "all" in ids else list(ids) or ["CVDP007HYP"]
    as_of = check_window(lake, as_of)
    with console.status(f"computing {len(chosen)} indicator(s) to {as_of}"):
        result = compute(lake, as_of, chosen)
    if suppress:
        from icsight.governance.disclosure import suppress as apply_suppression
        from icsight.indicators.breakdown import reference_frames

        methods = {i: (catalogue()[i].method, catalogue()[i].multiplier) for i in chosen}
        result = apply_suppression(result, hierarchy=reference_frames(lake)[0], methods=methods)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    _counts_as_written(result).to_csv(out_file, index=False)
    console.print(f"[green]Wrote[/green] {out_file}: {len(result)} rows")
    if suppress:
        console.print(f"{int(result.suppressed.sum())} cells suppressed")
    elif chosen == ["CVDP007HYP"]:
        _summary(result)
    else:
        _headlines(result)


@indicators.command("list")
def indicators_list() -> None:
    """Print the indicator catalogue."""
    from icsight.indicators.catalogue import PROGRAMMES, catalogue

    shown = table("icsight indicator catalogue",
                  ("id", "programme", "title", "unit", "polarity", "target"))
    for ind in sorted(catalogue().values(), key=lambda i: (i.programme, i.id)):
        target = "" if ind.target is None else f"{ind.target:g}"
        shown.add_row(ind.id, PROGRAMMES[ind.programme], ind.title, ind.unit, ind.polarity,
                      target)
    out.print(shown)


@indicators.command("show")
@click.argument("indicator_id", callback=one_indicator_id)
def indicators_show(indicator_id: str) -> None:
    """Print one indicator's definition."""
    from icsight.indicators.catalogue import indicator

    ind = indicator(indicator_id)
    shown = table(f"{ind.id}: {ind.title}", (), show_header=False)
    shown.add_column("field", style="bold")
    shown.add_column("value")
    for key, value in ind.describe().items():
        shown.add_row(key, str(value))
    out.print(shown)


def _counts_as_written(result: pd.DataFrame) -> pd.DataFrame:
    """Whole counts written as whole numbers even when an observed-against-expected indicator
    in the same table has a fractional (expected) denominator."""
    import pandas as pd

    written = result.copy()
    for column in ("numerator", "denominator"):
        if column in written and written[column].dtype.kind == "f":
            values = [int(v) if v == v and float(v).is_integer() else v
                      for v in written[column]]
            written[column] = pd.Series(values, index=written.index, dtype=object)
    return written


def _headlines(result: pd.DataFrame) -> None:
    """Each indicator's ICB-wide figure, for the terminal."""
    shown = table("Indicators for BLMK",
                  ("indicator", "numerator", "denominator", "value", "95% CI"))
    for r in result[result.breakdown == "icb"].itertuples():
        # an expected count (observed-against-expected indicators) keeps its decimals
        denominator = (f"{r.denominator:,.0f}" if float(r.denominator).is_integer()
                       else f"{r.denominator:,.2f}")
        shown.add_row(r.indicator_id, f"{r.numerator:,}", denominator,
                      f"{r.value:.1f}", f"{r.lower_ci:.1f}-{r.upper_ci:.1f}")
    out.print(shown)


def _summary(result: pd.DataFrame) -> None:
    """A short reading of the headline and its biggest gaps, for the terminal."""
    shown = table("CVDP007HYP: hypertension treated to target",
                  ("breakdown", "group", "numerator", "denominator", "%", "95% CI"))
    rows = result[result["breakdown"].isin(["icb", "place", "imd_quintile", "age_band"])]
    for r in rows.itertuples():
        shown.add_row(r.breakdown, str(r.group), f"{r.numerator:,}", f"{r.denominator:,}",
                      f"{r.value:.1f}", f"{r.lower_ci:.1f}-{r.upper_ci:.1f}")
    out.print(shown)
