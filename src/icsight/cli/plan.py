"""`icsight plan`: planning to 2043 from the command line: the population projections by place
(`population`), registered lists against ONS residents (`list-inflation`), activity by point of
delivery with its uncertainty (`demand`), the beds, sessions and staff it implies
(`capacity`), each treatment function's waiting list at each provider as a queue and
simulated week by week (`waiting-lists`), and the providers compared (`providers`).

The figures are exact counts for planners holding the lake (like `icsight indicators`); what
is published more widely goes through the results store and its disclosure control."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from icsight.cli._console import console, fail, out
from icsight.cli._options import (
    ISO_DATE,
    CsvFile,
    InputFile,
    LakeFolder,
    Text,
    check_window,
    opened_lake,
    purpose_option,
)

if TYPE_CHECKING:  # the planning packages load only when a command runs
    from icsight.planning.demand import Scenario

__all__ = ["plan"]

#: A treatment function code of the NHS Data Dictionary (three digits), or DIAG for the
#: diagnostic tests (`icsight.planning.waiting_lists.benchmarking`)
TREATMENT_FUNCTION = Text("CODE", r"[0-9]{3}|DIAG",
                          "a treatment function code: give three digits (e.g. 130 for "
                          "ophthalmology) or DIAG for diagnostic tests")


@click.group()
def plan() -> None:
    """Planning to 2043: population projections, list inflation, demand and waiting lists.

    See docs/planning-population.md, docs/planning-demand.md and docs/waiting-lists.md for the
    methods and sources."""


def _checked_scenario(ctx: click.Context, param: click.Parameter, value: str | None
                      ) -> Scenario | None:
    """A demand scenario option's value, loaded and validated: a scenario file (TOML) or
    the name of a packaged scenario; anything else is refused here, naming the option."""
    if value is None:
        return None
    from icsight.planning.demand import ScenarioError, load_scenario, packaged_scenario

    wanted = ("give a scenario file (TOML; see docs/planning-demand.md) or the name of a "
              "packaged one: principal, mitigated")
    if not value.strip() or len(value) > 1_000 or any(c in value for c in "\n\r\x00"):
        raise click.BadParameter(f"not a scenario: {wanted}")
    try:
        path = Path(value)
        if path.suffix.lower() == ".toml" or path.exists():
            return load_scenario(path)
        return packaged_scenario(value)
    except (ScenarioError, OSError, UnicodeError, ValueError) as e:
        raise click.BadParameter(f"{str(e)[:300]}; {wanted}") from None


def _check_baseline_year(lake, day: str, what: str = "the baseline year",
                         instead: str = "") -> None:
    """Refuse a 12-month baseline to `day` that starts before the lake's data: a year with
    months of no data would project too little of everything."""
    import datetime as dt

    from icsight.planning.demand import baseline_window

    window = lake.data_window()
    year_starts = baseline_window(day)[0] + dt.timedelta(days=1)
    if window is not None and year_starts.isoformat() < window[0]:
        fail(f"{what} to {day} starts on {year_starts}, before the lake's data ({window[0]} "
             f"to {window[1]}); give an --as-of at least a year after its start{instead}")


class _Occupancy(click.FloatRange):
    """A target bed occupancy: a share strictly between 0 and 1, refused with the reason
    (`icsight.planning.capacity.beds.check_occupancy`) rather than click's bare range."""

    name = "share"

    def __init__(self) -> None:
        super().__init__(0, 1, min_open=True, max_open=True)

    def convert(self, value, param, ctx):
        from icsight.planning.capacity.beds import check_occupancy

        number = click.FLOAT.convert(value, param, ctx)
        try:
            return check_occupancy(number)
        except ValueError as e:
            self.fail(f"{e}; give a share such as 0.92", param, ctx)

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

    figures = headline_figures()
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
    try:
        frame = list_inflation(lake, day)
    except PopulationError as e:
        fail(e)
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
@click.option("--runs", default=100, show_default=True, type=click.IntRange(1, 10_000),
              help="How many simulated runs (the percentiles are over runs).")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**32 - 1),
              help="The random seed: the same seed gives the same runs.")
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
    if demand_scenario is not None:
        referrals, source = _referrals_from_demand(lake, day, weeks, demand_scenario,
                                                   demand_runs, demand_seed)
    try:
        queues = from_lake.queues(lake, day)
        lists = weekly_from_lake.lists(lake, weeks=weeks, as_of=day, plan=changes,
                                       referrals=referrals)
    except ValueError as e:  # an impossible plan or too little history: the message says which
        fail(e)
    if not len(queues):
        fail(f"{lake_dir} has no referral-to-treatment pathways open or closed in the year to "
             f"{day}; check the lake's rtt_pathways table")
    console.print(f"Referrals: {source}.")
    simulation = weekly.simulate(lists, runs=runs, seed=seed)
    summary, waits = simulation.summary(), expected_wait(simulation)
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


def _percent(value: float) -> str:
    return "-" if value != value else f"{value:.1f}%"  # an empty list has no share: "-"


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


@plan.command("demand")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake whose activity in the baseline year gives the rates.")
@click.option("--scenario", "scenario_name", callback=_checked_scenario, required=True,
              help="A scenario file (TOML; see docs/planning-demand.md), or the name of a "
                   "packaged one: principal, mitigated.")
@click.option("--as-of", "as_of", default=None, type=ISO_DATE,
              help="The last day of the 12-month baseline (default: the lake's last day).")
@click.option("--runs", default=256, show_default=True, type=click.IntRange(1, 10_000),
              help="How many Monte Carlo runs (the percentiles are over runs).")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**32 - 1),
              help="The random seed: the same seed gives the same runs.")
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


@plan.command("providers")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake with the referral-to-treatment pathways.")
@click.option("--as-of", "as_of", default=None, type=ISO_DATE,
              help="The day to compare providers on (default: the lake's last day).")
@click.option("--treatment-function", "functions", multiple=True, type=TREATMENT_FUNCTION,
              help="A treatment function code (130 ophthalmology ...), or DIAG for diagnostic "
                   "tests; repeat for more (default: the strategy's fragile services).")
@click.option("--out", "out_file", default=None, type=CsvFile(),
              help="Write one row per service and provider (waits, clock-stop rates, growth, "
                   "funnel position, SPC variation) as CSV.")
@click.option("--series-out", "series_file", default=None, type=CsvFile(),
              help="Write each provider's monthly share within the standard with its SPC "
                   "mean, limits and signals as CSV.")
@purpose_option
def providers_command(lake_dir: Path, as_of: str | None, functions: tuple[str, ...],
                      out_file: Path | None, series_file: Path | None, purpose: str) -> None:
    """Compare providers' waiting lists for the fragile services (ophthalmology, dermatology,
    neurology, audiology, vascular surgery, diagnostics): list size, median and 92nd
    percentile waits, the share within the standard with its funnel position and SPC
    variation, clock stops a month per 100 waiting and growth over 12 months."""
    from icsight.planning.waiting_lists.benchmarking import benchmark

    lake = opened_lake(lake_dir, purpose)
    day = check_window(lake, as_of)
    try:
        result = benchmark(lake, day, services=list(functions) or None)
    except ValueError as e:  # a day outside the lake's data: the message says which
        fail(e)
    if not len(result.providers):
        fail(f"{lake_dir} has no pathways for {', '.join(functions) or 'the fragile services'}"
             f" open or stopped around {day}; check the lake's rtt_pathways table")
    _show_providers(result.providers, day)
    for frame, path in ((result.providers, out_file), (result.series, series_file)):
        if path is not None:
            frame.to_csv(path, index=False)
            console.print(f"[green]Wrote[/green] {path} ({len(frame):,} rows)")


def _tenths(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # no one waiting: no wait, no rate


def _show_providers(frame, day: str) -> None:
    from rich.table import Table

    from icsight.charts import VARIATION_TEXT

    table = Table(title=f"Waiting lists by provider on {day}")
    for name in ("Service", "Provider", "Waiting", "Median wk", "92% wk", "Within standard",
                 "Funnel", "Variation", "Stops/100/month", "12-month growth"):
        table.add_column(name, justify="left" if name in ("Service", "Provider", "Funnel",
                                                          "Variation") else "right")
    for row in frame.itertuples(index=False):
        growth = "-" if row.growth_12m_percent != row.growth_12m_percent \
            else f"{row.growth_12m_percent:+.1f}%"
        stops = _tenths(row.stops_per_100)
        table.add_row(f"{row.service_name} ({row.service})", row.provider_code,
                      f"{row.list_size:,.0f}", _tenths(row.median_wait_weeks),
                      _tenths(row.p92_wait_weeks),
                      f"{_percent(row.percent_within_standard)} ({row.standard})",
                      row.funnel_position or "-",
                      VARIATION_TEXT.get(row.variation, "-") if row.variation else "-",
                      stops, growth)
    out.print(table)
    console.print("Median and 92% wk: half (92%) of those waiting have waited no longer; "
                  "Funnel: against the service's pooled share within the standard (95% and "
                  "99.8% limits); Variation: the latest month on the provider's SPC chart; "
                  "Stops: clock stops a month per 100 waiting, over the last 3 months.")


@plan.command("capacity")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake whose activity in the baseline year gives the demand.")
@click.option("--scenario", "scenario_name", callback=_checked_scenario, required=True,
              help="A demand scenario file (TOML; see docs/planning-demand.md), or the name of "
                   "a packaged one: principal, mitigated.")
@click.option("--as-of", "as_of", default=None, type=ISO_DATE,
              help="The last day of the 12-month baseline (default: the lake's last day).")
@click.option("--runs", default=256, show_default=True, type=click.IntRange(1, 10_000),
              help="How many Monte Carlo runs (the percentiles are over runs).")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**32 - 1),
              help="The random seed: the same seed gives the same runs, and pairs the "
                   "scenario's runs with the principal's for the savings.")
@click.option("--occupancy", default=None, type=_Occupancy(),
              help="The target bed occupancy, a share between 0 and 1 (default: the "
                   "assumptions', 0.92 as NHS England plans).")
@click.option("--assumptions", "assumptions_file", default=None, type=InputFile(),
              help="A capacity assumptions file (TOML; default: the packaged one, see "
                   "docs/planning-capacity.md).")
@click.option("--out", "out_file", default=None, type=CsvFile(),
              help="Write beds, sessions, slots and WTE (p10, p50, p90, mean) by place (and "
                   "BLMK), measure and year as CSV.")
@click.option("--savings-out", "savings_file", default=None, type=CsvFile(),
              help="Write what the scenario saves against the principal, run by run paired "
                   "(p10, p50, p90), as CSV.")
@click.option("--delay-out", "delay_file", default=None, type=CsvFile(),
              help="Write the chance a patient waits for a bed at each occupancy, for the "
                   "horizon's p50 beds occupied, as CSV.")
@purpose_option
def capacity_command(lake_dir: Path, scenario_name: Scenario, as_of: str | None, runs: int,
                     seed: int, occupancy: float | None, assumptions_file: Path | None,
                     out_file: Path | None, savings_file: Path | None,
                     delay_file: Path | None, purpose: str) -> None:
    """The beds, theatre sessions, clinic slots and staff (WTE) that a scenario's demand
    needs each year to 2043, by place, with p10, p50, p90 over runs; how long patients may
    wait for a bed at each occupancy (Erlang's delay formula); and, for a scenario other
    than the principal, what its mitigation saves (run-paired)."""

    import numpy as np
    from rich.table import Table

    from icsight.cli._console import progress
    from icsight.planning.capacity import (
        CapacityAssumptionsError,
        capacity,
        delay_table,
        load_assumptions,
        packaged_assumptions,
        savings,
    )
    from icsight.planning.capacity.beds import check_occupancy
    from icsight.planning.demand import (
        ScenarioError,
        baseline_rates,
        packaged_scenario,
        project,
    )
    from icsight.planning.population import BLMK, PLACES, PopulationError

    try:
        scenario = scenario_name  # loaded and checked by the option
        principal = packaged_scenario("principal")
        assumptions = (packaged_assumptions() if assumptions_file is None
                       else load_assumptions(assumptions_file))
        occupancy = check_occupancy(assumptions.beds.occupancy if occupancy is None
                                    else occupancy)
    except (ScenarioError, CapacityAssumptionsError, ValueError) as e:
        fail(e)
    # the principal to the scenario's own horizon, so that the runs pair year by year
    principal = principal.model_copy(update={"horizon": scenario.horizon})
    compare = scenario != principal
    lake = opened_lake(lake_dir, purpose)
    day = check_window(lake, as_of)
    _check_baseline_year(lake, day)
    with progress() as bar:
        task = bar.add_task("Baseline rates from the lake", total=3 + compare)
        rates = baseline_rates(lake, day)
        bar.update(task, advance=1, description=f"{runs} runs of {scenario.name}")
        try:
            projected = project(rates, scenario, runs=runs, seed=seed)
            bar.update(task, advance=1)
            if compare:
                bar.update(task, description=f"{runs} runs of {principal.name} (to pair)")
                base = capacity(project(rates, principal, runs=runs, seed=seed), assumptions,
                                occupancy)
                bar.update(task, advance=1)
        except PopulationError as e:
            fail(e)
        bar.update(task, description="Beds, sessions and staff")
        needed = capacity(projected, assumptions, occupancy)
        bar.update(task, advance=1)
    summary = needed.summary()
    horizon = needed.years[-1]
    saved = savings(base, needed) if compare else None

    table = Table(title=f"BLMK capacity, {scenario.name} (v{scenario.version}), baseline "
                        f"against {horizon} (p10, p50, p90 of {runs} runs)")
    columns = ["Measure", "Baseline", f"{horizon} p10", f"{horizon} p50", f"{horizon} p90"]
    if compare:
        columns.append(f"Saved against {principal.name} (p50, p10 to p90)")
    for name in columns:
        table.add_column(name, justify="left" if name == "Measure" else "right")
    ends = summary[(summary.place == BLMK) & (summary.year == horizon)]
    if compare:
        ends = ends.merge(saved[(saved.place == BLMK) & (saved.year == horizon)],
                          on="measure", suffixes=("", "_saved"))
    for row in ends.itertuples(index=False):
        shown = ",.1f" if row.unit == "WTE" else ",.0f"  # staff to a tenth, as rosters count
        cells = [row.label, *(format(v, shown) for v in (row.baseline, row.p10, row.p50,
                                                         row.p90))]
        if compare:
            cells.append(f"{row.p50_saved:{shown}} ({row.p10_saved:{shown}} to "
                         f"{row.p90_saved:{shown}})")
        table.add_row(*cells)
    out.print(table)

    # the occupancy-to-delay trade-off at the horizon's p50 beds occupied
    occupied = summary[(summary.measure == "beds_occupied") & (summary.year == horizon)]
    loads = dict(zip(occupied.place, occupied.p50, strict=True))
    occupancies = sorted({*assumptions.beds.delay_table_occupancies, occupancy})
    delays = delay_table({a: loads[a] for a in [*PLACES, BLMK]}, occupancies,
                         assumptions.beds.ward_beds)
    delays.insert(0, "year", horizon)
    delays.insert(0, "scenario", scenario.name)
    ward = assumptions.beds.ward_beds
    delay = Table(title=f"Chance a patient waits for a bed at the {horizon} p50 beds occupied "
                        "(Erlang C; each area's beds as one pool, and one ward)")
    for name in ("Occupancy", "BLMK beds", BLMK, *PLACES, f"One {ward}-bed ward"):
        delay.add_column(name, justify="right")
    for occ, rows in delays.groupby("occupancy", sort=True):
        by_place = rows.set_index("place")
        delay.add_row(f"{occ:.0%}", f"{by_place.loc[BLMK, 'beds']:,.0f}",
                      *(f"{by_place.loc[p, 'p_wait_pooled']:.1%}" for p in (BLMK, *PLACES)),
                      f"{np.asarray(rows.p_wait_one_ward)[0]:.1%}")
    out.print(delay)
    console.print("Percentiles are over runs of each figure itself (BLMK's over the runs' sums "
                  "of the places); savings are each run's difference from the principal with "
                  "the same seed. Beds are general and acute beds for non-elective and "
                  "elective overnight stays. There is no GP group: the lake has no GP "
                  "activity. Real beds are split into wards and sites, so real waits lie "
                  "between the pooled and one-ward chances. Ratios and sources: "
                  "docs/planning-capacity.md.")
    frames = ((summary, out_file), (saved, savings_file), (delays, delay_file))
    for frame, path in frames:
        if path is None:
            continue
        if frame is None:
            console.print(f"[yellow]Not written[/yellow] {path}: the scenario is the principal, "
                          "so there is nothing to save against it")
            continue
        frame.to_csv(path, index=False)
        console.print(f"[green]Wrote[/green] {path} ({len(frame):,} rows)")


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
@click.option("--runs", default=256, show_default=True, type=click.IntRange(1, 10_000),
              help="Monte Carlo runs of the demand projection handed over to.")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**32 - 1),
              help="The demand projection's random seed.")
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
