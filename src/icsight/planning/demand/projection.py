"""Demand to 2043 as a Monte Carlo: baseline activity x population growth x health status x
non-demographic growth x mitigators, by place, point of delivery and year, for many runs.

In each run (r), for each place (p), point of delivery (k), sex (s), 5-year band (b) and year
(y), the expected activity is

    baseline activity[p, k, s, b]                       (the lake's 12 months; `baseline`)
    x residents[v, y, p, s, b] / residents[v, base, p, s, b]   (the run's population variant)
    x health status[r, y, k, s, b]                      (`health_status`)
    x (1 + growth[r, group of k]) ** (y - base)          (non-demographic growth)
    x product over mitigators m of (1 - reduction[r, m] x ramp[m, y])   (where m applies)

which is the baseline rate per registered person times the registered population grown as
ONS grows the residents of the same place, age and sex (so the list inflation of the baseline
list is carried, not mixed with resident counts). The expected activity is summed over sex and
band (within a run), then, for counted activity, a Poisson draw around it gives the run's
activity (chance variation); bed days move with their admissions' draw.

Years are mid-years (ONS projects to 30 June): year 2030 is the 12 months around 30 June 2030,
and the baseline sits at the middle of its 12 months. Every run's parameters come from its own
generator, seeded from the seed and the run's number (`numpy.random.SeedSequence`), so run 7
is the same run whether 8 or 800 are asked for; the arithmetic is vectorised over runs.

Percentiles are taken over the runs' totals (`percentiles`): BLMK's p90 is the p90 of the
runs' sums of the four places, never the sum of the places' p90s. The waterfall of change
factors (`Projection.waterfall`) uses the mean over runs of each step, because means, unlike
percentiles, add up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from icsight.indicators.periods import as_date
from icsight.planning.demand.baseline import BANDS
from icsight.planning.demand.health_status import health_status_factors
from icsight.planning.demand.pods import POINTS_OF_DELIVERY, point_of_delivery
from icsight.planning.demand.scenario import Scenario
from icsight.planning.population import (
    BLMK,
    FIRST_YEAR,
    LAST_YEAR,
    PLACES,
    SEXES,
    PopulationError,
    projection,
)

__all__ = ["PERCENTILES", "Projection", "percentiles", "project", "years_from_mid_2000"]

PERCENTILES = (10, 50, 90)
_LOWEST_AGES = np.array([int(b.split("-")[0].rstrip("+")) for b in BANDS])


def percentiles(run_values: np.ndarray) -> np.ndarray:
    """p10, p50 and p90 over the first axis (the runs) of `run_values`: shape (3, ...).
    Sum the runs' values over any categories first, then take percentiles of the sums."""
    return np.percentile(np.asarray(run_values, dtype=float), PERCENTILES, axis=0)


def years_from_mid_2000(day: dt.date) -> float:
    """A date as a year on the mid-year scale: 30 June Y is Y, days between mid-years in
    proportion."""
    year = day.year if day >= dt.date(day.year, 6, 30) else day.year - 1
    start, end = dt.date(year, 6, 30), dt.date(year + 1, 6, 30)
    return year + (day - start).days / (end - start).days


def baseline_mid_year(window) -> float | None:
    """The middle of a baseline window (its first and last day, as dates or ISO text) on the
    mid-year scale, where a fan chart marks the baseline: 2025.75 for the year to 30
    September 2026. None without a window."""
    if not window:
        return None
    start, end = (dt.date.fromisoformat(str(d)[:10]) for d in window)
    return round(years_from_mid_2000(start + (end - start) / 2), 2)


def _population(variant: str, base: float, years: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Residents by year, place, sex, band (Y, P, S, B) for `years`, and at `base` (P, S, B),
    a straight line between the mid-years either side."""
    first = int(np.floor(base))
    if first < FIRST_YEAR or first + 1 > LAST_YEAR:
        raise PopulationError(f"the baseline's middle (mid-year {base:.2f}) is outside the "
                              f"projection years {FIRST_YEAR}-{LAST_YEAR}")
    wanted = sorted({*years, first, first + 1})
    table = projection(variant, years=wanted)
    table = table.assign(age_band=[BANDS[min(a // 5, len(BANDS) - 1)] for a in table.age])
    summed = table.groupby(["year", "place", "sex", "age_band"]).people.sum()
    index = pd.MultiIndex.from_product([wanted, PLACES, SEXES, BANDS])
    cube = summed.reindex(index, fill_value=0.0).to_numpy().reshape(
        len(wanted), len(PLACES), len(SEXES), len(BANDS))
    at = {y: i for i, y in enumerate(wanted)}
    weight = base - first
    base_people = cube[at[first]] * (1 - weight) + cube[at[first + 1]] * weight
    return cube[[at[y] for y in years]], base_people


@dataclass
class Projection:
    """A projection's runs and what they are of. `runs` has shape (R, Y, P, K): activity by
    run, year, place and point of delivery; `steps` holds, for the horizon year, each change
    factor's level by run (R, P, K) in the order applied."""

    scenario: Scenario
    pods: tuple[str, ...]
    years: list[int]
    baseline: np.ndarray  # P, K: the baseline year's activity
    runs: np.ndarray
    steps: list[tuple[str, np.ndarray]]
    seed: int
    window: tuple[str, str]

    def _with_blmk(self, values: np.ndarray, axis: int) -> np.ndarray:
        """`values` with BLMK (the sum of the places, within each run) after the places."""
        return np.concatenate([values, values.sum(axis=axis, keepdims=True)], axis=axis)

    def summary(self) -> pd.DataFrame:
        """p10, p50, p90 and mean over runs by area (the four places and BLMK), point of
        delivery and year, beside the baseline year's activity."""
        runs = self._with_blmk(self.runs, axis=2)
        bands = percentiles(runs)
        mean = runs.mean(axis=0)
        base = self._with_blmk(self.baseline, axis=0)
        areas = [*PLACES, BLMK]
        rows = []
        for k, pod_id in enumerate(self.pods):
            pod = point_of_delivery(pod_id)
            for p, area in enumerate(areas):
                for y, year in enumerate(self.years):
                    rows.append((self.scenario.name, area, pod_id, pod.label, pod.unit, year,
                                 base[p, k], mean[y, p, k], bands[0, y, p, k],
                                 bands[1, y, p, k], bands[2, y, p, k]))
        return pd.DataFrame(rows, columns=["scenario", "place", "pod", "point_of_delivery",
                                           "unit", "year", "baseline", "mean", "p10", "p50",
                                           "p90"])

    def runs_frame(self) -> pd.DataFrame:
        """Every run's activity by place (not BLMK: it is their sum), point of delivery and
        year: the figures `summary` takes percentiles of."""
        r, y, p, k = np.indices(self.runs.shape).reshape(4, -1)
        return pd.DataFrame({"run": r + 1, "year": np.asarray(self.years)[y],
                             "place": np.asarray(PLACES)[p],
                             "pod": np.asarray(self.pods)[k],
                             "activity": self.runs.reshape(-1)})

    def waterfall(self) -> pd.DataFrame:
        """Baseline to horizon by area and point of delivery, one row per change factor in
        the order applied (demographic, health status, non-demographic growth, each mitigator,
        random variation): `change` is the mean over runs of what the factor adds (negative:
        takes away), `level` the mean after it. The steps add up from the baseline to the
        horizon's mean. Which factor gets an interaction depends on the order, as in any
        multiplicative waterfall."""
        levels = [("baseline", np.broadcast_to(self.baseline, self.runs.shape[:1]
                                               + self.baseline.shape))]
        levels += self.steps
        rows = []
        areas = [*PLACES, BLMK]
        means = [(name, self._with_blmk(level, axis=1).mean(axis=0)) for name, level in levels]
        for k, pod_id in enumerate(self.pods):
            for p, area in enumerate(areas):
                before = 0.0
                for order, (name, mean) in enumerate(means):
                    rows.append((self.scenario.name, area, pod_id, self.years[-1], order, name,
                                 mean[p, k] - before, mean[p, k]))
                    before = mean[p, k]
        return pd.DataFrame(rows, columns=["scenario", "place", "pod", "horizon", "order",
                                           "step", "change", "level"])


def project(baseline: pd.DataFrame, scenario: Scenario, runs: int = 256, seed: int = 1
            ) -> Projection:
    """Project `baseline` (from `baseline_rates`) with `scenario` over `runs` Monte Carlo
    runs from `seed`, for each mid-year 2023 to the scenario's horizon."""
    if runs < 1:
        raise ValueError("at least one run is needed")
    pods = tuple(dict.fromkeys(baseline.pod))
    start, end = (as_date(d) for d in baseline.attrs["window"])
    base_year = years_from_mid_2000(start + (end - start) / 2)
    years = list(range(FIRST_YEAR, scenario.horizon + 1))
    years_on = np.array(years, dtype=float) - base_year

    cube = (baseline.set_index(["place", "pod", "sex", "age_band"])
            .reindex(pd.MultiIndex.from_product([PLACES, pods, SEXES, BANDS])))
    activity = cube.activity.fillna(0.0).to_numpy().reshape(
        len(PLACES), len(pods), len(SEXES), len(BANDS))
    registered = cube.registered.fillna(0).to_numpy().reshape(activity.shape)
    blmk_activity, blmk_people = activity.sum(axis=0), registered.sum(axis=0)
    rates = np.divide(blmk_activity, blmk_people, out=np.zeros_like(blmk_activity),
                      where=blmk_people > 0)

    variants = [v for v, p in scenario.population.variants.items() if p > 0]
    probabilities = np.array([scenario.population.variants[v] for v in variants])
    growth = []
    for variant in variants:
        people, base_people = _population(variant, base_year, years)
        growth.append(np.divide(people, base_people, out=np.ones_like(people),
                                where=base_people > 0))
    growth = np.stack(growth)  # V, Y, P, S, B

    # each run's parameters, from its own generator
    mitigators = scenario.mitigators
    groups = scenario.non_demographic_growth
    variant_of = np.empty(runs, dtype=int)
    shares = np.empty(runs)
    rates_of_growth = np.empty((runs, len(groups)))
    reductions = np.empty((runs, len(mitigators)))
    generators = []
    for r in range(runs):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(r,)))
        variant_of[r] = rng.choice(len(variants), p=probabilities)
        shares[r] = np.clip(scenario.health_status.share_in_good_health.draw(rng), 0, 1)
        for g, group in enumerate(groups):
            rates_of_growth[r, g] = group.rate.draw(rng)
        for m, mitigator in enumerate(mitigators):
            reductions[r, m] = np.clip(mitigator.reduction.draw(rng), 0, 1)
        generators.append(rng)

    health = scenario.health_status
    if health.enabled:
        gains = np.array([getattr(health.life_expectancy_65_gain_per_year, s) for s in SEXES])
        hsa = health_status_factors(rates, _LOWEST_AGES, health.from_age, shares, gains,
                                    years_on)
    else:
        hsa = np.ones((runs, len(years), len(pods), len(SEXES), len(BANDS)))
    group_of = np.array([scenario.growth_group_of(p) for p in pods])
    ndg = (1 + rates_of_growth[:, group_of])[:, None, :] ** years_on[None, :, None]  # R, Y, K

    mitigation = []  # each mitigator's factor, R, Y, K, B
    for m, mitigator in enumerate(mitigators):
        ramp = np.array([mitigator.share_in(y) for y in years])
        applies = (np.isin(pods, mitigator.pods)[:, None]
                   & ((mitigator.ages[0] <= _LOWEST_AGES)
                      & (mitigator.ages[1] >= _LOWEST_AGES))[None, :])  # K, B
        mitigation.append(1 - reductions[:, m, None, None, None] * ramp[None, :, None, None]
                          * applies[None, None, :, :])

    demography = growth[variant_of]  # R, Y, P, S, B
    h = len(years) - 1
    steps: list[tuple[str, np.ndarray]] = []
    steps.append(("demographic", np.einsum("pksb,rpsb->rpk", activity, demography[:, h])))
    steps.append(("health status", np.einsum("pksb,rpsb,rksb->rpk", activity,
                                             demography[:, h], hsa[:, h])))
    steps.append(("non-demographic growth", steps[-1][1] * ndg[:, h, None, :]))
    combined = hsa * ndg[:, :, :, None, None]  # R, Y, K, S, B
    for mitigator, factor in zip(mitigators, mitigation, strict=True):
        combined = combined * factor[:, :, :, None, :]
        steps.append((f"mitigator: {mitigator.name}", np.einsum(
            "pksb,rpsb,rksb->rpk", activity, demography[:, h], combined[:, h])))
    expected = np.einsum("pksb,rypsb,ryksb->rypk", activity, demography, combined,
                         optimize=True)

    simulated = expected
    if scenario.random_variation == "poisson":
        simulated = _poisson(expected, pods, generators)
    steps.append(("random variation", simulated[:, h]))
    base_total = activity.sum(axis=(2, 3))
    return Projection(scenario=scenario, pods=pods, years=years, baseline=base_total,
                      runs=simulated, steps=steps, seed=seed,
                      window=(start.isoformat(), end.isoformat()))


def _poisson(expected: np.ndarray, pods: tuple[str, ...],
             generators: list[np.random.Generator]) -> np.ndarray:
    """Each run's counts drawn around its expected values (R, Y, P, K), each run from its own
    generator; bed days scaled by their admissions' draw over its expectation."""
    out = np.empty_like(expected)
    counted = [k for k, pod in enumerate(pods) if point_of_delivery(pod).follows is None]
    for r, rng in enumerate(generators):
        out[r][..., counted] = rng.poisson(expected[r][..., counted])
    for k, pod in enumerate(pods):
        follows = point_of_delivery(pod).follows
        if follows is None:
            continue
        if follows not in pods:
            out[..., k] = expected[..., k]  # no admissions projected to follow
            continue
        a = pods.index(follows)
        ratio = np.divide(out[..., a], expected[..., a], out=np.ones_like(out[..., a]),
                          where=expected[..., a] > 0)
        out[..., k] = expected[..., k] * ratio
    return out


#: every point of delivery's id, in the order the tables show them
ALL_PODS = tuple(p.id for p in POINTS_OF_DELIVERY)
