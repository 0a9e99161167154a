"""A seeded, count-based weekly simulation of waiting lists with clinical priorities P1-P4.

Each list (a treatment function at a provider) is held as counts of people by clinical priority
and whole weeks waited, for every run at once: an array of shape (lists, runs, priorities,
weeks waited). A week is a handful of numpy operations on that array, whatever the number of
patients, so a year of 100 runs for every list in the lake takes seconds (no loop over
patients; `benchmarks/bench_waiting_lists.py` times it beside a patient-by-patient loop).

Each simulated week, in this order:

1. everyone still waiting has waited one week more (the last column holds `max_weeks` or
   more);
2. referrals (clock starts) join with 0 weeks waited: Poisson(expected referrals that week),
   split between priorities by multinomial draw with the list's priority shares;
3. other removals (validation, patients who no longer need or want treatment, deaths): each
   person waiting leaves with the list's weekly probability `removal_rate` (binomial draw);
4. patients who wait without treatment: each week each person is unavailable with probability
   `unavailable_share` (patient choice to delay, not yet fit); they keep their place and their
   clock keeps running, as the RTT rules say (patient choice does not pause the clock);
5. treatment: Poisson(planned treatments that week) slots, given to available patients in
   clinical-priority order (P1 first) and, within a priority, longest wait first. Slots left
   over are unused (nobody available to treat);
6. the list at the end of the week is measured.

With `variation=False` every draw is replaced by its expected value (counts become fractions):
a deterministic run that can be worked by hand.

Clinical priorities and target dates are the surgical prioritisation levels NHS England adopted
for its clinical prioritisation programme, from the Federation of Surgical Specialty
Associations' "Clinical guide to surgical prioritisation during the coronavirus pandemic"
(Royal College of Surgeons of England, 2020,
https://www.rcseng.ac.uk/coronavirus/surgical-prioritisation-guidance/; NHS England, "Frequently
asked questions about surgical prioritisation", clinical prioritisation programme): P1 within
72 hours (P1a 24 hours, P1b 72 hours), P2 within 1 month (4 weeks), P3 within 3 months, P4 more
than 3 months. In whole weeks: a P1 still waiting at the end of the week of referral is past
target, a P2 after 4 weeks, a P3 after 13 weeks; P4 has no target date.

Units: weeks throughout; rates are per week; counts are people. Figures are exact counts for
planners: a public page must take them through `icsight.services` (small-number suppression).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from icsight.planning.waiting_lists._checks import numbers

PRIORITIES = ("P1", "P2", "P3", "P4")
#: Whole weeks waited at the end of a week from which a patient of each priority is past the
#: target date: P1 72 hours (still waiting at the end of the week of referral), P2 1 month
#: (4 weeks), P3 3 months (13 weeks), P4 none (more than 3 months). FSSA / NHS England.
PRIORITY_TARGET_WEEKS = {"P1": 0, "P2": 4, "P3": 13, "P4": None}
#: Shares of referrals by priority when nothing better is known: NHSRwaitinglist's simulated
#: patients (`sim_patients`). An assumption, not a measurement: the lake records no priority.
DEFAULT_PRIORITY_SHARES = (0.05, 0.20, 0.25, 0.50)
#: Weeks waited tracked one by one; the last column holds this many weeks or more.
MAX_WEEKS = 104
#: The measures the simulation records for each list, run and week.
MEASURES = ("list_size", "percent_within_18_weeks", "over_52_weeks", "over_65_weeks",
            "over_78_weeks", "past_priority_target", "referrals", "treated",
            "other_removals", "unused_capacity", "treated_weeks_waited")
PERCENTILES = (10, 50, 90)


@dataclass(frozen=True)
class Lists:
    """The inputs for a set of lists over `weeks` simulated weeks.

    `waiting` is the list at the end of week 0 (the `start` date) by priority and whole weeks
    waited, shape (lists, priorities, max_weeks + 1); `referrals` and `capacity` are the
    expected referrals and planned treatments in each simulated week, shape (lists, weeks);
    `removal_rate` is each list's weekly probability that a person waiting is removed other
    than by treatment; `priority_shares` the share of referrals of each priority, shape
    (lists, priorities), rows summing to 1; `unavailable_share` the weekly probability that a
    person waiting cannot be treated that week.
    """

    treatment_function: tuple[str, ...]
    provider_code: tuple[str, ...]
    start: dt.date
    waiting: np.ndarray
    referrals: np.ndarray
    capacity: np.ndarray
    removal_rate: np.ndarray
    priority_shares: np.ndarray
    unavailable_share: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n = len(self.treatment_function)
        if len(self.provider_code) != n:
            raise ValueError("`provider_code` must have one entry per list "
                             f"({len(self.provider_code)} for {n} lists)")
        waiting = numbers("waiting", self.waiting)
        if (waiting.ndim != 3 or waiting.shape[0] != n or waiting.shape[1] != len(PRIORITIES)
                or waiting.shape[2] < 2):
            raise ValueError(f"`waiting` must have shape (lists={n}, priorities=4, weeks "
                             f"waited: at least 2 columns), not {waiting.shape}")
        referrals = numbers("referrals", self.referrals)
        if referrals.ndim != 2 or referrals.shape[0] != n or referrals.shape[1] < 1:
            raise ValueError(f"`referrals` must have shape (lists={n}, weeks), "
                             f"not {referrals.shape}")
        capacity = numbers("capacity", self.capacity)
        if capacity.shape != referrals.shape:
            raise ValueError(f"`capacity` must have the shape of `referrals` "
                             f"{referrals.shape}, not {capacity.shape}")
        removal = _shares("removal_rate", self.removal_rate, (n,))
        shares = _shares("priority_shares", self.priority_shares, (n, len(PRIORITIES)))
        if not np.allclose(shares.sum(axis=1), 1):
            raise ValueError("`priority_shares` must sum to 1 for every list "
                             f"(got {shares.sum(axis=1).round(6).tolist()})")
        unavailable = np.zeros(n) if np.size(self.unavailable_share) == 0 else _shares(
            "unavailable_share", self.unavailable_share, (n,))
        if (unavailable >= 1).any():
            raise ValueError("`unavailable_share` must be below 1: at 1 nobody is ever treated")
        for name, value in (("waiting", waiting), ("referrals", referrals),
                            ("capacity", capacity), ("removal_rate", removal),
                            ("priority_shares", shares), ("unavailable_share", unavailable)):
            object.__setattr__(self, name, value)

    @property
    def weeks(self) -> int:
        return self.referrals.shape[1]

    @property
    def keys(self) -> pd.DataFrame:
        return pd.DataFrame({"treatment_function": list(self.treatment_function),
                             "provider_code": list(self.provider_code)})

    def week_ending(self) -> list[dt.date]:
        """The last day of each simulated week (week 1 ends 7 days after `start`)."""
        return [self.start + dt.timedelta(weeks=w) for w in range(1, self.weeks + 1)]


def _shares(name: str, value, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.broadcast_to(numbers(name, value, allow_nan=False), shape).astype(float)
    if (arr > 1).any():
        raise ValueError(f"`{name}` must be a probability from 0 to 1 "
                         f"(got {float(arr[arr > 1][0])})")
    return arr


@dataclass(frozen=True)
class Simulation:
    """Each measure for each list, run and week: `runs[measure]` has shape (lists, runs,
    weeks). `summary()` gives p10/p50/p90 over runs for each list, week and measure."""

    lists: Lists
    runs: dict[str, np.ndarray]
    seed: int | None
    #: the people referred in the first simulated week, followed to the end: "referred"
    #: (lists, runs, priorities), "treated" and "removed" (lists, runs, priorities, weeks: in
    #: week t, having waited t whole weeks); what `expected_wait` reads
    first_week: dict[str, np.ndarray] = field(default_factory=dict)

    def summary(self, percentiles: tuple[float, ...] = PERCENTILES) -> pd.DataFrame:
        """One row per list, week and measure with the `percentiles` of that measure over the
        runs (each list's own percentiles: never added up across lists, as the sum of p90s is
        not the p90 of the sum). Columns: treatment_function, provider_code, week,
        week_ending, measure, p10, p50, p90."""
        n_lists, _, weeks = self.runs["list_size"].shape
        frames = []
        for measure in MEASURES:
            runs = self.runs[measure]
            # an empty list has no % within 18 weeks: the percentiles of the runs that have one
            pct = np.nanpercentile if np.isnan(runs).any() else np.percentile
            with warnings.catch_warnings():
                # a list empty in every run has no percentiles: NaN, without numpy's warning
                warnings.simplefilter("ignore", RuntimeWarning)
                values = pct(runs, percentiles, axis=1)  # (percentiles, lists, weeks)
            frame = {"treatment_function": np.repeat(self.lists.treatment_function, weeks),
                     "provider_code": np.repeat(self.lists.provider_code, weeks),
                     "week": np.tile(np.arange(1, weeks + 1), n_lists),
                     "week_ending": np.tile(self.lists.week_ending(), n_lists),
                     "measure": measure}
            for p, v in zip(percentiles, values, strict=True):
                frame[f"p{p:g}"] = v.reshape(-1)
            frames.append(pd.DataFrame(frame))
        return pd.concat(frames, ignore_index=True)


def _generator(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"`seed` must be an integer or a numpy Generator, not {type(seed).__name__}")


def _thin(rng: np.random.Generator, state: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(people in each cell, p of its list) for every cell: drawn only where
    there is someone (about half the cells of a real list are empty)."""
    out = np.zeros_like(state)
    occupied = state > 0
    where = np.broadcast_to(p, state.shape)[occupied]
    out[occupied] = rng.binomial(state[occupied].astype(np.int64), where)
    return out


def simulate(lists: Lists, runs: int = 100, seed=0, variation: bool = True) -> Simulation:
    """Simulate every list in `lists` for `lists.weeks` weeks, `runs` times (see the module's
    docstring for the order of events). With `variation=False` the expected values are used
    instead of draws (then every run is the same and `runs` may be 1)."""
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ValueError(f"`runs` must be a whole number, at least 1 (got {runs!r})")
    if not isinstance(variation, (bool, np.bool_)):
        raise ValueError(f"`variation` must be True or False, not {type(variation).__name__}")
    rng = _generator(seed) if variation else None
    if variation and not np.array_equal(lists.waiting, np.round(lists.waiting)):
        raise ValueError("`waiting` must hold whole people when runs vary (`variation=True`); "
                         "fractions are for the deterministic run only")
    n_lists, n_pri, width = lists.waiting.shape
    horizon = lists.weeks
    state = np.repeat(lists.waiting[:, None], runs, axis=1).astype(float)
    weeks_waited = np.arange(width, dtype=float)
    within_18 = weeks_waited < 18
    tails = {52: weeks_waited >= 52, 65: weeks_waited >= 65, 78: weeks_waited >= 78}
    past_target = np.zeros((n_pri, width), bool)
    for p, name in enumerate(PRIORITIES):
        target = PRIORITY_TARGET_WEEKS[name]
        if target is not None:
            past_target[p] = weeks_waited >= target
    shares = lists.priority_shares[:, None, :]  # (lists, 1, priorities)
    removal = lists.removal_rate[:, None, None, None]
    available_share = 1 - lists.unavailable_share[:, None, None, None]
    out = {m: np.zeros((n_lists, runs, horizon)) for m in MEASURES}
    # the first week's referrals stay in one column (weeks waited = week) until the last
    # column, which also holds everyone older: they are followed that far
    followed = min(horizon, width - 1)
    first = {"treated": np.zeros((n_lists, runs, n_pri, followed)),
             "removed": np.zeros((n_lists, runs, n_pri, followed))}
    for t in range(horizon):
        # 1. a week older; the last column keeps everyone at max_weeks or more
        state[..., -1] += state[..., -2]
        state[..., 1:-1] = state[..., :-2].copy()
        state[..., 0] = 0
        # 2. referrals by priority
        expected = np.broadcast_to(lists.referrals[:, t, None], (n_lists, runs))
        if rng is None:
            arrivals = expected[..., None] * shares
        else:
            arrivals = rng.multinomial(rng.poisson(expected), np.broadcast_to(
                shares, (n_lists, runs, n_pri))).astype(float)
        state[..., 0] += arrivals
        # 3. other removals
        if rng is None:
            removed = state * removal
        elif not lists.removal_rate.any():
            removed = np.zeros_like(state)
        else:
            removed = _thin(rng, state, removal)
        state -= removed
        # 4. who can be treated this week
        if rng is None:
            available = state * available_share
        elif lists.unavailable_share.any():
            available = _thin(rng, state, available_share)
        else:
            available = state
        # 5. treatment: slots in priority order, longest wait first within a priority
        planned = np.broadcast_to(lists.capacity[:, t, None], (n_lists, runs))
        slots = planned if rng is None else rng.poisson(planned).astype(float)
        # each run's cells in the order treatment follows: P1 longest wait first ... P4
        # shortest wait last; a cell is treated as far as the slots left before it allow
        queue = available[..., ::-1].reshape(n_lists, runs, -1)
        before = np.cumsum(queue, axis=-1) - queue
        treated = np.clip(slots[..., None] - before, 0, queue)
        treated = treated.reshape(n_lists, runs, n_pri, width)[..., ::-1]
        state -= treated
        # 6. the list at the end of the week
        by_wait = state.sum(axis=2)
        size = by_wait.sum(axis=-1)
        out["list_size"][..., t] = size
        with np.errstate(invalid="ignore", divide="ignore"):
            out["percent_within_18_weeks"][..., t] = np.where(
                size > 0, 100 * by_wait[..., within_18].sum(axis=-1) / size, np.nan)
        for weeks, mask in tails.items():
            out[f"over_{weeks}_weeks"][..., t] = by_wait[..., mask].sum(axis=-1)
        out["past_priority_target"][..., t] = state[..., past_target].sum(axis=-1)
        out["referrals"][..., t] = arrivals.sum(axis=-1)
        done = treated.sum(axis=(2, 3))
        out["treated"][..., t] = done
        out["other_removals"][..., t] = removed.sum(axis=(2, 3)) if removed.any() else 0
        out["unused_capacity"][..., t] = slots - done
        out["treated_weeks_waited"][..., t] = (treated.sum(axis=2) * weeks_waited).sum(axis=-1)
        if t == 0:
            first["referred"] = arrivals.copy()
        if t < followed:
            first["treated"][..., t] = treated[..., t]
            first["removed"][..., t] = removed[..., t] if removed.any() else 0
    # the seed is kept to say how to repeat the runs (a Generator passed in cannot be)
    kept = int(seed) if rng is not None and not isinstance(seed, np.random.Generator) else None
    return Simulation(lists, out, kept, first)
