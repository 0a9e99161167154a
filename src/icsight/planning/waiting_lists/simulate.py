"""Seeded simulated waiting lists: NHSRwaitinglist's `create_waiting_list`, `sim_schedule` and
`wl_simulator` (nhs-r-community, MIT, main 0d85b69) with a numpy random Generator.

The draws follow the same distributions as R but not R's random numbers: a seed here does not
give R's list for the same seed (the tests check the distributions instead). Every function
takes `rng`, a `numpy.random.Generator` or an integer seed; the same seed gives the same list.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from icsight.planning.waiting_lists import waiting_list as wlmod
from icsight.planning.waiting_lists._checks import numbers, one_date, waiting_list_frame
from icsight.planning.waiting_lists.queue import priority_to_target

DAY = np.timedelta64(1, "D")
#: Clinical priorities 1-4 of simulated patients (R `sim_patients`).
PRIORITY_SHARES = (0.05, 0.20, 0.25, 0.50)


def _generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"`rng` must be a numpy Generator or an integer seed, "
                     f"not {type(rng).__name__}")


def create_waiting_list(n: int, mean_arrival_rate: float, mean_wait: float, start_date,
                        limit_removals: bool = True, sd: float = 0, rott: float = 0,
                        rng=0, **extra) -> pd.DataFrame:
    """A list of `n` days of referrals (R `create_waiting_list`; R's `n` is days too, whatever
    its documentation says): each day max(0, Normal(mean_arrival_rate, sd)) referrals (the
    whole part), each waiting Exponential(mean_wait) days, rounded. With `limit_removals`,
    removals after start + n days are left open. A share `rott` of pathways, chosen at random,
    is flagged as removed other than by treatment. `extra` keyword arguments become constant
    columns (R's `...`). Columns: pat_id, addition_date, removal_date, wait_length, rott."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"`n` must be a whole number of days, at least 1 (got {n!r})")
    rate = float(numbers("mean_arrival_rate", mean_arrival_rate))
    wait = float(numbers("mean_wait", mean_wait, positive=True))
    spread = float(numbers("sd", sd))
    share = float(numbers("rott", rott))
    if share > 1:
        raise ValueError(f"`rott` must be a share from 0 to 1 (got {rott!r})")
    start = one_date("start_date", start_date)
    g = _generator(rng)
    days = start + np.arange(n) * DAY
    counts = np.maximum(0, g.normal(rate, spread, n) if spread > 0 else np.full(n, rate))
    added = np.repeat(days, counts.astype(np.int64))
    waits = g.exponential(wait, len(added))
    removed = added + np.round(waits).astype(np.int64) * DAY
    if limit_removals:
        late = removed > start + n * DAY
        removed = np.where(late, np.datetime64("NaT"), removed)
        waits = np.where(late, np.nan, waits)
    flagged = np.zeros(len(added), bool)
    flagged[g.choice(len(added), int(len(added) * share), replace=False)] = True
    out = pd.DataFrame({"pat_id": np.arange(1, len(added) + 1), "addition_date": added,
                        "removal_date": removed, "wait_length": waits, "rott": flagged})
    for name, value in extra.items():
        out[name] = [value] * len(out)
    return out


def sim_schedule(n_rows: int, start_date, daily_capacity: float = 1) -> np.ndarray:
    """Evenly spaced treatment slots (R `sim_schedule`): start + ceil(0, 1/c, 2/c, ... up to
    n_rows - 1) days for a daily capacity c, so about c slots a day."""
    start = one_date("start_date", start_date)
    c = float(numbers("daily_capacity", daily_capacity, positive=True))
    if isinstance(n_rows, bool) or not isinstance(n_rows, (int, np.integer)) or n_rows < 1:
        raise ValueError(f"`n_rows` must be a whole number, at least 1 (got {n_rows!r})")
    # seq(0, n - 1, by = 1/c) in R: as many steps as fit, with a little slack for rounding
    by = 1 / c
    steps = np.arange(math.floor((n_rows - 1) / by + 1e-10) + 1) * by
    return start + np.ceil(steps).astype(np.int64) * DAY


def wl_simulator(start_date=None, end_date=None, demand: float = 10, capacity: float = 11,
                 waiting_list: pd.DataFrame | None = None, withdrawal_prob: float | None = None,
                 detailed_sim: bool = False, rng=0) -> pd.DataFrame:
    """Simulate a list from `start_date` to `end_date` (default 31 days on) with `demand`
    referrals and `capacity` treatments a week (R `wl_simulator`).

    Referrals: Poisson(demand x days / 7) in all, each on a day drawn uniformly from start to
    end inclusive. With `withdrawal_prob` (0.1 by default when `detailed_sim`), each pathway
    withdraws on referral + Geometric + 1 days (failures before the first success, as R's
    `rgeom`), left missing when after the end. Slots from `sim_schedule` at capacity / 7 a day
    are given out first come, first served (`waiting_list.schedule`); withdrawal does not stop
    a pathway taking a slot, as in R. An existing `waiting_list` (columns Referral, Removal[,
    Withdrawal]) is joined first unless `detailed_sim`, as in R (its detailed branch ignores
    it). `detailed_sim` adds clinical priority (1-4) and Target_wait (days) columns.

    `start_date` defaults to today, as in R; give it for a simulation that repeats.
    """
    start = one_date("start_date", dt.date.today() if start_date is None else start_date)
    end = one_date("end_date", end_date, allow_none=True)
    end = start + 31 * DAY if end is None else end
    if end <= start:
        raise ValueError(f"`end_date` ({end}) must be after `start_date` ({start})")
    d = float(numbers("demand", demand))
    c = float(numbers("capacity", capacity))
    if withdrawal_prob is not None:
        withdrawal_prob = float(numbers("withdrawal_prob", withdrawal_prob, positive=True))
        if withdrawal_prob > 1:
            raise ValueError(f"`withdrawal_prob` must be a probability, at most 1 "
                             f"(got {withdrawal_prob})")
    if not isinstance(detailed_sim, (bool, np.bool_)):
        raise ValueError(f"`detailed_sim` must be True or False, "
                         f"not {type(detailed_sim).__name__}")
    if waiting_list is not None:
        waiting_list_frame("waiting_list", waiting_list)
    g = _generator(rng)
    days = int((end - start).astype(np.int64))
    total = g.poisson(d * days / 7)
    referral = np.sort(start + g.integers(0, days + 1, total) * DAY)
    sim = pd.DataFrame({"Referral": referral,
                        "Removal": np.full(total, np.datetime64("NaT"), "datetime64[D]")})
    if detailed_sim and withdrawal_prob is None:
        withdrawal_prob = 0.1
    if withdrawal_prob is not None:
        # numpy's geometric counts trials to the first success (>= 1): R's rgeom counts the
        # failures before it, so R's referral + rgeom + 1 is referral + numpy's draw
        withdrawal = referral + g.geometric(withdrawal_prob, total) * DAY
        sim["Withdrawal"] = np.where(withdrawal > end, np.datetime64("NaT"), withdrawal)
    if detailed_sim:
        priority = g.choice(np.arange(1, 5), total, p=PRIORITY_SHARES)
        sim["Priority"] = priority
        sim["Target_wait"] = priority_to_target(priority)
    elif waiting_list is not None:
        sim = wlmod.join(waiting_list, sim)
    if sim.empty:
        # R fails here too (its scheduler refuses an empty list); say why
        raise ValueError(f"`demand` of {d:g} a week gave no referrals in {days} days and there "
                         "is no `waiting_list`: nothing to simulate")
    if c > 0:
        sim = wlmod.schedule(sim, sim_schedule(days, start, c / 7))
    return sim
