"""The `icsight plan` group and what its commands share: the Monte Carlo options (runs, seed,
the baseline's last day), the scenario option's check, the baseline year's check and the way
a share is printed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from icsight.cli._console import fail
from icsight.cli._options import ISO_DATE

if TYPE_CHECKING:  # the planning packages load only when a command runs
    from icsight.planning.demand import Scenario

__all__ = ["plan"]

#: The `--as-of` of a command whose demand comes from a 12-month baseline.
baseline_as_of = click.option(
    "--as-of", "as_of", default=None, type=ISO_DATE,
    help="The last day of the 12-month baseline (default: the lake's last day).")


def runs_option(default: int = 256, help: str = "How many Monte Carlo runs (the percentiles "
                "are over runs).") -> Callable:
    """`--runs`: how many Monte Carlo runs a command simulates (1 to 10,000)."""
    return click.option("--runs", default=default, show_default=True,
                        type=click.IntRange(1, 10_000), help=help)


def seed_option(help: str = "The random seed: the same seed gives the same runs.") -> Callable:
    """`--seed`: the random seed of a command's runs (any unsigned 32-bit integer)."""
    return click.option("--seed", default=1, show_default=True,
                        type=click.IntRange(0, 2**32 - 1), help=help)


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




def _percent(value: float) -> str:
    return "-" if value != value else f"{value:.1f}%"  # an empty list has no share: "-"
