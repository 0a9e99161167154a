"""`icsight plan waiting-lists`: each treatment function's list at each provider as a queue,
simulated week by week."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from icsight.cli._console import console, fail, out, progress
from icsight.cli._options import (
    ISO_DATE,
    CsvFile,
    InputFile,
    LakeFolder,
    check_window,
    opened_lake,
    purpose_option,
)
from icsight.cli.plan._group import (
    _check_baseline_year,
    _checked_scenario,
    _percent,
    plan,
    runs_option,
    seed_option,
)

if TYPE_CHECKING:  # the planning packages load only when a command runs
    from icsight.planning.demand import Scenario


def _read_plan(path: Path | None) -> list[dict] | None:
    """A capacity plan file: TOML with `[[change]]` tables, or JSON (a list of changes)."""
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            changes = json.loads(text)
        else:
            changes = tomllib.loads(text).get("change", [])
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        fail(f"{path}: not a capacity plan ({e}); see docs/waiting-lists.md for the format")
    if not isinstance(changes, list):
        fail(f"{path}: a capacity plan is a list of changes; see docs/waiting-lists.md")
    return changes


@plan.command("waiting-lists")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake with the referral-to-treatment pathways.")
@click.option("--as-of", "as_of", default=None, type=ISO_DATE,
              help="The day the simulation starts from (default: the lake's last day).")
@click.option("--weeks", default=52, show_default=True, type=click.IntRange(1, 260),
              help="How many weeks to simulate.")
@runs_option(100, "How many simulated runs (the percentiles are over runs).")
@seed_option()
@click.option("--plan", "plan_file", default=None, type=InputFile(),
              help="A capacity plan (TOML with [[change]] tables, or JSON): extra sessions, "
                   "insourcing, activity moved between providers.")
@click.option("--out", "out_file", default=None, type=CsvFile(),
              help="Write each list's weekly trajectories (p10, p50, p90 over runs) as CSV.")
@click.option("--queues-out", "queues_file", default=None, type=CsvFile(),
              help="Write each list's queue figures (demand, capacity, targets) as CSV.")
@click.option("--waits-out", "waits_file", default=None, type=CsvFile(),
              help="Write the wait a newly referred patient should expect, by list and "
                   "clinical priority, as CSV.")
@click.option("--referrals-from-demand", "demand_scenario", default=None,
              callback=_checked_scenario,
              metavar="SCENARIO",
              help="Grow each list's referrals with the demand projection of outpatient "
                   "first attendances in its patients' places, under this scenario (a TOML "
                   "file, or principal or mitigated), instead of the default: the straight "
                   "line through the last 52 weeks' clock starts.")
@click.option("--demand-runs", default=256, show_default=True,
              type=click.IntRange(1, 10_000),
              help="Monte Carlo runs of the demand projection (its p50 is used).")
@click.option("--demand-seed", default=1, show_default=True,
              type=click.IntRange(0, 2**32 - 1),
              help="The demand projection's random seed.")
@purpose_option
def waiting_lists_command(lake_dir: Path, as_of: str | None, weeks: int, runs: int,
                          seed: int, plan_file: Path | None, out_file: Path | None,
                          queues_file: Path | None, waits_file: Path | None,
                          demand_scenario: Scenario | None, demand_runs: int, demand_seed: int,
                          purpose: str) -> None:
    """Each treatment function's waiting list at each provider: its size, waits and the
    queue formulas' targets today, then simulated week by week (with clinical priorities
    and any capacity plan) to show the list and the 18-week standard at the end.
    Referrals follow the last year's trend, or the demand projection with
    --referrals-from-demand."""
    from icsight.planning.waiting_lists import from_lake, weekly, weekly_from_lake
    from icsight.planning.waiting_lists.expected_wait import expected_wait


    lake = opened_lake(lake_dir, purpose)
    day = check_window(lake, as_of)
    changes = _read_plan(plan_file)
    referrals, source = None, ("the straight line through each list's weekly clock starts "
                               "in the 52 weeks to " + str(day))
    with progress() as bar:
        task = bar.add_task("Projecting demand" if demand_scenario is not None
                            else "Finding the lists", total=4)
        if demand_scenario is not None:
            referrals, source = _referrals_from_demand(lake, day, weeks, demand_scenario,
                                                       demand_runs, demand_seed)
        bar.update(task, advance=1, description="Finding the lists")
        try:
            queues = from_lake.queues(lake, day)
            lists = weekly_from_lake.lists(lake, weeks=weeks, as_of=day, plan=changes,
                                           referrals=referrals)
        except ValueError as e:  # an impossible plan or too little history: the message says
            fail(e)
        if not len(queues):
            fail(f"{lake_dir} has no referral-to-treatment pathways open or closed in the year "
                 f"to {day}; check the lake's rtt_pathways table")
        bar.update(task, advance=1, description=f"Simulating {len(queues)} lists, {runs} runs")
        simulation = weekly.simulate(lists, runs=runs, seed=seed)
        bar.update(task, advance=1, description="Expected waits")
        summary, waits = simulation.summary(), expected_wait(simulation)
        bar.update(task, advance=1, description="Done")
    console.print(f"Referrals: {source}.")
    _show_lists(queues, summary, waits, weeks, runs)
    for frame, path in ((summary, out_file), (queues, queues_file), (waits, waits_file)):
        if path is not None:
            frame.to_csv(path, index=False)
            console.print(f"[green]Wrote[/green] {path} ({len(frame):,} rows)")


def _referrals_from_demand(lake, day, weeks: int, scenario_name: Scenario, runs: int,
                           seed: int):
    """Weekly referrals grown by the demand projection (`from_demand`) and a sentence saying
    where they came from; a clear message for a bad scenario or too short a lake."""

    from icsight.planning.demand import (
        baseline_rates,
        point_of_delivery,
        project,
    )
    from icsight.planning.population import PopulationError
    from icsight.planning.waiting_lists.from_demand import DEFAULT_POD, referrals_from_demand

    scenario = scenario_name  # loaded and checked by the option
    _check_baseline_year(lake, day, "the demand projection's baseline year",
                         ", or leave out --referrals-from-demand")
    pod = point_of_delivery(DEFAULT_POD)
    try:
        projected = project(baseline_rates(lake, day, pods=(pod,)), scenario, runs=runs,
                            seed=seed)
        referrals = referrals_from_demand(lake, projected, weeks=weeks, as_of=day, pod=pod.id)
    except (PopulationError, ValueError) as e:
        fail(e)
    return referrals, (f"the last 52 weeks' clock starts grown by the demand projection "
                       f"({scenario.name} v{scenario.version}, p50 of {runs} runs, seed "
                       f"{seed}) of {pod.label.lower()} in each patient's place")



def _weeks(value: float | None, more: bool) -> str:
    if value is None or value != value:  # no one referred in the week followed: no wait
        return "-"
    return f">{value:.0f}" if more else f"{value:.0f}"


def _show_lists(queues, summary, waits, weeks: int, runs: int) -> None:
    """Now and at the last week, per list (the CSVs hold every figure and week)."""
    from rich.table import Table

    from icsight.planning.waiting_lists.expected_wait import ANY_PRIORITY

    last = summary[summary.week == weeks].pivot_table(
        index=["treatment_function", "provider_code"], columns="measure", values="p50",
        dropna=False)
    new = waits[waits.priority == ANY_PRIORITY].set_index(["treatment_function",
                                                            "provider_code"])
    table = Table(title=f"Waiting lists now and after {weeks} weeks (median of {runs} runs)")
    for name in ("Function", "Provider", "Waiting", "<18 wk", "Target", "Pressure",
                 f"Wk {weeks}", f"<18 wk, wk {weeks}", "New: median wk", "New: 92% wk"):
        table.add_column(name, justify="left" if name in ("Function", "Provider") else "right")
    for row in queues.itertuples(index=False):
        end = last.loc[(row.treatment_function, row.provider_code)]
        pressure = "-" if row.pressure != row.pressure else f"{row.pressure:.2f}"
        wait = new.loc[(row.treatment_function, row.provider_code)]
        table.add_row(row.treatment_function, row.provider_code, f"{row.queue_size:,.0f}",
                      _percent(row.percent_within_target), f"{row.target_queue_size:,.0f}",
                      pressure, f"{end.list_size:,.0f}", _percent(end.percent_within_18_weeks),
                      _weeks(wait.median_weeks, wait.median_more_than),
                      _weeks(wait.p92_weeks, wait.p92_more_than))
    out.print(table)
    console.print("Waiting: the list now; <18 wk: waiting 18 weeks or less; Target: the list size "
                  "that meets 92% within 18 weeks; Pressure over 1: the list cannot meet it; "
                  "New: the wait in whole weeks of a patient referred now, whatever their "
                  "clinical priority (half wait no longer than the median; 92% no longer than "
                  "the other; > means longer than the weeks simulated).")
