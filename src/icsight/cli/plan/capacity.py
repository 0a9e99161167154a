"""`icsight plan capacity`: the beds, sessions and staff a demand scenario needs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from icsight.cli._console import console, fail, out
from icsight.cli._options import (
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
    baseline_as_of,
    plan,
    runs_option,
    seed_option,
)

if TYPE_CHECKING:  # the planning packages load only when a command runs
    from icsight.planning.demand import Scenario


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


@plan.command("capacity")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake whose activity in the baseline year gives the demand.")
@click.option("--scenario", "scenario_name", callback=_checked_scenario, required=True,
              help="A demand scenario file (TOML; see docs/planning-demand.md), or the name of "
                   "a packaged one: principal, mitigated.")
@baseline_as_of
@runs_option()
@seed_option("The random seed: the same seed gives the same runs, and pairs the scenario's "
             "runs with the principal's for the savings.")
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
