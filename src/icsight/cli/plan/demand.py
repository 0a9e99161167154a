"""`icsight plan demand`: activity by place and point of delivery to 2043, as a Monte Carlo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from icsight.cli._console import console, fail, out
from icsight.cli._options import (
    CsvFile,
    LakeFolder,
    check_window,
    opened_lake,
    purpose_option,
)
from icsight.cli.plan._group import (
    _check_baseline_year,
    _checked_scenario,
    baseline_as_of,
    plan,
    runs_option,
    seed_option,
)

if TYPE_CHECKING:  # the planning packages load only when a command runs
    from icsight.planning.demand import Scenario


@plan.command("demand")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake whose activity in the baseline year gives the rates.")
@click.option("--scenario", "scenario_name", callback=_checked_scenario, required=True,
              help="A scenario file (TOML; see docs/planning-demand.md), or the name of a "
                   "packaged one: principal, mitigated.")
@baseline_as_of
@runs_option()
@seed_option()
@click.option("--out", "out_file", default=None, type=CsvFile(),
              help="Write p10, p50, p90 and the mean by place (and BLMK), point of delivery "
                   "and year as CSV.")
@click.option("--waterfall-out", "waterfall_file", default=None, type=CsvFile(),
              help="Write the change factors from the baseline to the horizon as CSV.")
@click.option("--runs-out", "runs_file", default=None, type=CsvFile(),
              help="Write every run's activity by place, point of delivery and year as CSV "
                   "(to re-aggregate the percentiles by hand).")
@click.option("--rates-out", "rates_file", default=None, type=CsvFile(),
              help="Write the baseline activity, registered people and rates by place, age "
                   "band, sex and point of delivery as CSV.")
@purpose_option
def demand_command(lake_dir: Path, scenario_name: Scenario, as_of: str | None, runs: int,
                   seed: int, out_file: Path | None, waterfall_file: Path | None,
                   runs_file: Path | None, rates_file: Path | None, purpose: str) -> None:
    """Project activity to 2043 by place and point of delivery: the lake's rates per
    registered person in the 12 months to --as-of, grown with the population, health status,
    non-demographic growth and the scenario's mitigators, as a Monte Carlo (p10, p50, p90)."""
    import datetime as dt

    from rich.table import Table

    from icsight.cli._console import progress
    from icsight.planning.demand import (
        baseline_rates,
        project,
    )
    from icsight.planning.population import BLMK, PopulationError

    scenario = scenario_name  # loaded and checked by the option
    lake = opened_lake(lake_dir, purpose)
    day = check_window(lake, as_of)
    _check_baseline_year(lake, day)
    with progress() as bar:
        task = bar.add_task("Baseline rates from the lake", total=2)
        rates = baseline_rates(lake, day)
        bar.update(task, advance=1, description=f"{runs} runs of {scenario.name}")
        try:
            projected = project(rates, scenario, runs=runs, seed=seed)
        except PopulationError as e:
            fail(e)
        bar.update(task, advance=1)
    summary = projected.summary()
    first, last = (dt.date.fromisoformat(d) for d in rates.attrs["window"])
    first += dt.timedelta(days=1)  # the window's start is the day before the year
    horizon = projected.years[-1]
    table = Table(title=f"BLMK demand, {scenario.name} (v{scenario.version}): baseline "
                        f"{first:%-d %b %Y} to {last:%-d %b %Y} against {horizon} "
                        f"(p10, p50, p90 of {runs} runs)")
    for name in ("Point of delivery", "Unit", "Baseline", f"{horizon} p10", f"{horizon} p50",
                 f"{horizon} p90", "Change (p50)"):
        table.add_column(name, justify="left" if name in ("Point of delivery", "Unit")
                         else "right")
    ends = summary[(summary.place == BLMK) & (summary.year == horizon)]
    for row in ends.itertuples(index=False):
        change = "-" if not row.baseline else f"{row.p50 / row.baseline - 1:+.1%}"
        table.add_row(row.point_of_delivery, row.unit, f"{row.baseline:,.0f}",
                      f"{row.p10:,.0f}", f"{row.p50:,.0f}", f"{row.p90:,.0f}", change)
    out.print(table)
    console.print("Percentiles are over runs of each figure itself: BLMK's are over the "
                  "runs' sums of the places, so they are not the sum of the places' "
                  "percentiles. MSK referrals are a part of outpatient first attendances. "
                  "Method: docs/planning-demand.md.")
    frames = ((summary, out_file), (projected.waterfall(), waterfall_file),
              (projected.runs_frame(), runs_file), (rates, rates_file))
    for frame, path in frames:
        if path is not None:
            frame.to_csv(path, index=False)
            console.print(f"[green]Wrote[/green] {path} ({len(frame):,} rows)")
