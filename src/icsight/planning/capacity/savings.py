"""What the mitigators save: the capacity one scenario needs less another, run by run, then
p10/p50/p90 of the differences.

The two projections must have the same seed and number of runs: run r of each then draws the
same population variant, health-status share and non-demographic growth (the parameters both
scenarios share come first from the run's generator, `icsight.planning.demand.projection`),
so the difference in a run is the mitigation's, not the luck of two different futures. The
chance (Poisson) variation is drawn after the mitigators' reductions, so it is not shared:
the savings' interval includes it twice. Taking the percentiles of the paired differences,
rather than subtracting one scenario's p50 from the other's, is what makes the interval
right: p50s do not subtract any more than they add.
"""

from __future__ import annotations

import pandas as pd

from icsight.planning.capacity.measures import Capacity
from icsight.planning.demand.projection import percentiles
from icsight.planning.population import BLMK, PLACES

__all__ = ["savings"]


def savings(against: Capacity, scenario: Capacity) -> pd.DataFrame:
    """`against` less `scenario` (positive: `scenario` needs less) by area, measure and year:
    p10, p50, p90 and mean over the paired runs."""
    if (against.seed, against.runs.shape) != (scenario.seed, scenario.runs.shape):
        raise ValueError("savings pair runs: both projections need the same seed, runs and "
                         f"years (seed {against.seed} and {scenario.seed}, runs x years x "
                         f"places x measures {against.runs.shape} and {scenario.runs.shape})")
    if [m.id for m in against.measures] != [m.id for m in scenario.measures]:
        raise ValueError("savings compare the same measures: the assumptions differ")
    if against.occupancy != scenario.occupancy:
        raise ValueError("savings compare beds at the same occupancy")
    paired = against.with_blmk(against.runs - scenario.runs, axis=2)
    bands, mean = percentiles(paired), paired.mean(axis=0)
    rows = []
    for m, measure in enumerate(scenario.measures):
        for p, area in enumerate([*PLACES, BLMK]):
            for y, year in enumerate(scenario.years):
                rows.append((scenario.scenario, against.scenario, area, measure.id,
                             measure.label, measure.unit, year, mean[y, p, m],
                             bands[0, y, p, m], bands[1, y, p, m], bands[2, y, p, m]))
    return pd.DataFrame(rows, columns=["scenario", "against", "place", "measure", "label",
                                       "unit", "year", "mean", "p10", "p50", "p90"])
