"""`icsight plan forecast`: monthly forecasts, back-tested, handed over to the projection."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from icsight.cli._console import console, fail, out
from icsight.cli._options import (
    CsvFile,
    LakeFolder,
    opened_lake,
    purpose_option,
)
from icsight.cli.plan._group import (
    _checked_scenario,
    plan,
    runs_option,
    seed_option,
)

if TYPE_CHECKING:  # the planning packages load only when a command runs
    from icsight.planning.demand import Scenario


@plan.command("forecast")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake whose monthly activity is forecast (its whole calendar months).")
@click.option("--horizon", default=24, show_default=True, type=click.IntRange(1, 60),
              help="How many months to forecast after the lake's last whole month.")
@click.option("--origins", default=6, show_default=True, type=click.IntRange(1, 24),
              help="How many rolling origins the back-test forecasts 1-12 months ahead from.")
@click.option("--scenario", "scenario_name", callback=_checked_scenario, default="principal",
              show_default=True,
              help="The demand scenario the forecast hands over to (a TOML file or a packaged "
                   "one: principal, mitigated).")
@runs_option(help="Monte Carlo runs of the demand projection handed over to.")
@seed_option("The demand projection's random seed.")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes fitting the models side by side (up to the cores free).")
@click.option("--out", "out_file", default=None, type=CsvFile(),
              help="Write every model's forecasts with the planning path (the chosen model "
                   "handed over to the projection) by place, point of delivery and month.")
@click.option("--backtest-out", "backtest_file", default=None, type=CsvFile(),
              help="Write the back-test's MASE and interval coverage per series and model.")
@purpose_option
def forecast_command(lake_dir: Path, horizon: int, origins: int, scenario_name: Scenario,
                     runs: int, seed: int, jobs: int, out_file: Path | None,
                     backtest_file: Path | None, purpose: str) -> None:
    """Forecast monthly activity by place and point of delivery with ETS and ARIMA against a
    seasonal naive baseline, back-test them from rolling origins (MASE, interval coverage),
    keep each series' best model and hand it over to the demand projection in months 13-24."""
    import datetime as dt

    from rich.table import Table

    from icsight.cli._console import progress
    from icsight.planning.demand import (
        baseline_rates,
        project,
    )
    from icsight.planning.forecast import SeriesError, monthly_activity, planning_forecast
    from icsight.planning.population import PopulationError

    scenario = scenario_name  # loaded and checked by the option
    lake = opened_lake(lake_dir, purpose)
    with progress() as bar:
        task = bar.add_task("Monthly activity from the lake", total=5)
        try:
            series = monthly_activity(lake)
        except SeriesError as e:
            fail(e)
        last = dt.date.fromisoformat(series.attrs["window"][1])
        bar.update(task, advance=1, description=f"{runs} runs of {scenario.name}")
        try:
            projected = project(baseline_rates(lake, last), scenario, runs=runs, seed=seed)
        except PopulationError as e:
            fail(e)
        bar.update(task, advance=1, description="Back-tests")
        names = iter(("Forecasts", "Hand-over", "Done"))
        try:
            made = planning_forecast(
                series, projected.summary(), horizon=horizon, origins=origins, n_jobs=jobs,
                step=lambda _: bar.update(task, advance=1, description=next(names)))
        except (SeriesError, ValueError) as e:
            fail(e)
    scores, path = made.scores, made.path
    first = path.month.min()
    table = Table(title=f"Forecasts from {first:%b %Y}: the model each series' back-test chose "
                        f"({origins} origins, 1-12 months ahead)")
    for name in ("Place", "Point of delivery", "Model", "MASE", "80% covered", "95% covered",
                 "Next 12 months", "Months 13-24 (handed over)"):
        table.add_column(name, justify="left" if name in ("Place", "Point of delivery",
                                                          "Model") else "right")
    totals = path.assign(year=(path.h - 1) // 12).pivot_table(
        index=["place", "pod"], columns="year", values="path", aggfunc="sum")
    for row in scores[scores.chosen].itertuples(index=False):
        ahead = totals.loc[(row.place, row.pod)] if (row.place, row.pod) in totals.index \
            else None
        mase = "-" if row.mase != row.mase else f"{row.mase:.2f}"
        table.add_row(row.place, row.pod, row.model, mase, f"{row.coverage_80:.0%}",
                      f"{row.coverage_95:.0%}",
                      "-" if ahead is None else f"{ahead.get(0, float('nan')):,.0f}",
                      "-" if ahead is None or 1 not in ahead.index else f"{ahead[1]:,.0f}")
    out.print(table)
    console.print("MASE: the back-test's error against the seasonal naive method's in-sample "
                  "error (below 1 is better; Hyndman and Koehler 2006). Covered: the share of "
                  "back-test months inside the interval. Months 13-24 move a twelfth a month "
                  "from the forecast to the demand projection's p50. Method: "
                  "docs/planning-forecast.md.")
    chosen = made.scores.loc[made.scores.chosen, ["place", "pod", "model"]]
    written = made.forecasts.merge(chosen.assign(chosen=True), "left", ["place", "pod", "model"])
    written["chosen"] = written.chosen.eq(True)
    planning = path[["place", "pod", "model", "month", "projection_p10", "projection_p50",
                     "projection_p90", "weight", "path", "path_lo_80", "path_hi_80"]]
    written = written.merge(planning, "left", ["place", "pod", "model", "month"])
    for frame, file in ((written, out_file), (scores, backtest_file)):
        if file is not None:
            frame.to_csv(file, index=False)
            console.print(f"[green]Wrote[/green] {file} ({len(frame):,} rows)")
