"""`icsight plan population` and `icsight plan list-inflation`: ONS's projections and the
registered list against ONS's residents."""

from __future__ import annotations

from pathlib import Path

import click

from icsight.cli._console import console, fail, out, progress
from icsight.cli._options import (
    ISO_DATE,
    CsvFile,
    LakeFolder,
    check_window,
    opened_lake,
    purpose_option,
)
from icsight.cli.plan._group import plan


@plan.command("population")
@click.option("--out", "out_file", default=None, type=CsvFile(),
              help="Write the projection (place x single year of age x sex x year) as CSV.")
@click.option("--variant", default=None,
              type=click.Choice(["ons-2022", "housing-led"]),
              help="The variant to write with --out (default: both).")
def population_command(out_file: Path | None, variant: str | None) -> None:
    """Show how BLMK's population grows from 2023 to 2043 under ONS's 2022-based projection
    and the housing-led variant, by place and age; --out writes the projection itself."""
    from rich.table import Table

    from icsight.planning.population import headline_figures, projection, projections

    with progress() as bar:
        task = bar.add_task("ONS's projection and the housing-led one", total=1)
        figures = headline_figures()
        bar.update(task, advance=1, description="Done")
    table = Table(title="Population 2023 to 2043 (residents)")
    for name in ("Variant", "Area", "Ages", "2023", "2043", "Growth"):
        table.add_column(name, justify="right" if name[0] in "2G" else "left")
    for row in figures.itertuples(index=False):
        table.add_row(row.variant, row.area, row.ages, f"{row.people_start:,.0f}",
                      f"{row.people_end:,.0f}", f"{row.growth:+.1%}")
    out.print(table)
    if out_file is not None:
        frame = projection(variant) if variant else projections()
        frame.to_csv(out_file, index=False)
        console.print(f"[green]Wrote[/green] {out_file} ({len(frame):,} rows)")


@plan.command("list-inflation")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake whose registered lists are compared.")
@click.option("--as-of", "day", default=None, type=ISO_DATE,
              help="The day to compare on (default: the lake's last day).")
@click.option("--out", "out_file", default=None, type=CsvFile(),
              help="Write the comparison by place, age band and sex as CSV.")
@purpose_option
def list_inflation_command(lake_dir: Path, day: str | None, out_file: Path | None,
                           purpose: str) -> None:
    """Compare the people registered with the area's practices with ONS's residents, by
    place, age band and sex: the list inflation every rate per registered patient carries."""
    from icsight.planning.population import PopulationError, list_inflation

    lake = opened_lake(lake_dir, purpose)
    day = check_window(lake, day)

    with progress() as bar:
        task = bar.add_task(f"Counting the registered lists on {day}", total=1)
        try:
            frame = list_inflation(lake, day)
        except PopulationError as e:
            fail(e)
        bar.update(task, advance=1, description="Done")
    _show_inflation(frame, day)
    if out_file is not None:
        frame.to_csv(out_file, index=False)
        console.print(f"[green]Wrote[/green] {out_file} ({len(frame):,} rows)")


def _show_inflation(frame, day: str) -> None:
    from rich.table import Table

    everyone = frame[frame.sex == "persons"]
    table = Table(title=f"Registered patients and ONS residents on {day}, all ages")
    for name in ("Area", "Registered", "Residents", "Difference", "Registered per resident"):
        table.add_column(name, justify="left" if name == "Area" else "right")
    totals = everyone.groupby("place", sort=False)[["registered", "residents"]].sum()
    for place, row in totals.iterrows():
        ratio = row.registered / row.residents if row.residents else float("nan")
        table.add_row(str(place), f"{row.registered:,.0f}", f"{row.residents:,.0f}",
                      f"{row.registered - row.residents:+,.0f}", f"{ratio:.3f}")
    out.print(table)
