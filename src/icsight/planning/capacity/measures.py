"""Capacity from a demand projection, run by run: beds, theatre sessions, clinic slots and
sessions, and staff, for every run, year and place of the projection (`capacity`), then
p10/p50/p90 over runs (`Capacity.summary`).

Every capacity figure is worked out within each run from that run's activity, and only then
are percentiles taken: BLMK's p90 beds are the p90 of the runs' sums of the four places'
beds, never a sum of percentiles (docs/planning-demand.md, "Percentiles and the waterfall").
The figures are not rounded within a run, so places add up to BLMK within every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from icsight.planning.capacity.assumptions import CapacityAssumptions
from icsight.planning.capacity.beds import (
    BED_DAY_PODS,
    beds_at_occupancy,
    check_occupancy,
    occupied_beds,
)
from icsight.planning.capacity.sessions import clinic_sessions, clinic_slots, theatre_sessions
from icsight.planning.capacity.workforce import whole_time_equivalents
from icsight.planning.demand.projection import Projection, percentiles
from icsight.planning.population import BLMK, PLACES

__all__ = ["Capacity", "Measure", "capacity", "capacity_of_activity"]


@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    unit: str


def _pod(activity: np.ndarray, pods: tuple[str, ...], pod: str) -> np.ndarray:
    if pod not in pods:
        raise KeyError(f"capacity needs the projection's {pod!r}, which it does not have")
    return activity[..., pods.index(pod)]


def capacity_of_activity(activity: np.ndarray, pods: tuple[str, ...],
                         assumptions: CapacityAssumptions, occupancy: float
                         ) -> tuple[list[Measure], np.ndarray]:
    """The capacity measures of `activity` (any leading shape, then points of delivery in
    the order `pods`): the measures and an array of the leading shape by measure."""
    occupancy = check_occupancy(occupancy)
    days = assumptions.beds.days_per_year
    bed_days = sum(_pod(activity, pods, p) for p in BED_DAY_PODS)
    first, follow_up = _pod(activity, pods, "op_first"), _pod(activity, pods, "op_follow_up")
    values: dict[str, np.ndarray] = {
        "beds_occupied": occupied_beds(bed_days, days),
        "beds": beds_at_occupancy(bed_days, occupancy, days),
        "theatre_sessions": theatre_sessions(_pod(activity, pods, "elective"),
                                             _pod(activity, pods, "day_case"),
                                             assumptions.theatres),
        "clinic_slots_first": clinic_slots(first, assumptions.clinics),
        "clinic_slots_follow_up": clinic_slots(follow_up, assumptions.clinics),
        "clinic_sessions": clinic_sessions(first, follow_up, assumptions.clinics),
    }
    measures = [
        Measure("beds_occupied", "General and acute beds occupied (mean over the year)", "beds"),
        Measure("beds", f"General and acute beds at {occupancy:.0%} occupancy", "beds"),
        Measure("theatre_sessions", f"Theatre sessions ({assumptions.theatres.session_hours:g} "
                "hours) a year", "sessions"),
        Measure("clinic_slots_first", "Outpatient first appointment slots a year", "slots"),
        Measure("clinic_slots_follow_up", "Outpatient follow-up slots a year", "slots"),
        Measure("clinic_sessions", "Outpatient clinic sessions a year", "sessions"),
    ]
    drivers = {**values, **{p: activity[..., k] for k, p in enumerate(pods)}}
    for name, wte in whole_time_equivalents(drivers, assumptions.workforce).items():
        key = "wte:" + name.lower().replace(" ", "_")
        values[key] = wte
        measures.append(Measure(key, f"{name}: whole-time equivalents", "WTE"))
    return measures, np.stack([values[m.id] for m in measures], axis=-1)


@dataclass
class Capacity:
    """A projection's capacity: `runs` has shape (R, Y, P, M), by run, year, place and
    measure; `baseline` (P, M) is the capacity of the baseline year's activity."""

    scenario: str
    seed: int
    years: list[int]
    measures: list[Measure]
    baseline: np.ndarray
    runs: np.ndarray
    occupancy: float
    assumptions: str

    def with_blmk(self, values: np.ndarray, axis: int) -> np.ndarray:
        """`values` with BLMK (the places' sum within each run) after the places."""
        return np.concatenate([values, values.sum(axis=axis, keepdims=True)], axis=axis)

    def summary(self) -> pd.DataFrame:
        """p10, p50, p90 and mean over runs by area (the four places, then BLMK), measure
        and year, beside the baseline year's capacity."""
        runs = self.with_blmk(self.runs, axis=2)
        bands, mean = percentiles(runs), runs.mean(axis=0)
        base = self.with_blmk(self.baseline, axis=0)
        rows = []
        for m, measure in enumerate(self.measures):
            for p, area in enumerate([*PLACES, BLMK]):
                for y, year in enumerate(self.years):
                    rows.append((self.scenario, area, measure.id, measure.label, measure.unit,
                                 year, base[p, m], mean[y, p, m], bands[0, y, p, m],
                                 bands[1, y, p, m], bands[2, y, p, m]))
        return pd.DataFrame(rows, columns=["scenario", "place", "measure", "label", "unit",
                                           "year", "baseline", "mean", "p10", "p50", "p90"])

    def measure_index(self, measure: str) -> int:
        return [m.id for m in self.measures].index(measure)


def capacity(projection: Projection, assumptions: CapacityAssumptions,
             occupancy: float | None = None) -> Capacity:
    """The capacity every run of `projection` needs, at `occupancy` (default: the
    assumptions' target)."""
    occupancy = assumptions.beds.occupancy if occupancy is None else occupancy
    measures, runs = capacity_of_activity(projection.runs, projection.pods, assumptions,
                                          occupancy)
    _, baseline = capacity_of_activity(projection.baseline, projection.pods, assumptions,
                                       occupancy)
    return Capacity(scenario=projection.scenario.name, seed=projection.seed,
                    years=list(projection.years), measures=measures, baseline=baseline,
                    runs=runs, occupancy=occupancy,
                    assumptions=f"{assumptions.name} v{assumptions.version}")
