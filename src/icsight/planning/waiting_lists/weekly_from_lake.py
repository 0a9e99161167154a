"""The weekly simulation's inputs for each treatment function at each provider, from the lake.

From the lake's `rtt_pathways`, on `as_of` (default the lake's reference date) and the
`history_weeks` before it (default 52):

* the list on `as_of` (pathways open that day) by whole weeks waited, split between clinical
  priorities in `priority_shares` in every wait band (the lake records no priority: data with
  one, such as the Waiting List Minimum Data Set, should give the split instead);
* referrals: weekly clock starts over the history, projected by a straight line fitted to them
  (least squares; never below zero), or the history's mean with `trend=False`; or, when the
  demand projection gives them, `referrals` (a frame of treatment_function, provider_code,
  week, referrals): the hook for the demand model;
* capacity: treatments a week over the history (`from_lake.queues`' `capacity_weekly`: clock
  stops other than other removals), the same every week, then the capacity plan's changes;
* other removals: `from_lake.queues`' other removals a week divided by the list on `as_of`,
  a weekly probability for each person waiting.

Counts are exact, for planners; a public page must go through `icsight.services`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import numpy as np
import pandas as pd

from icsight.engine import Lake
from icsight.planning.waiting_lists import capacity_plan, from_lake, weekly

KEYS = from_lake.KEYS


def lists(lake: Lake, weeks: int = 52, as_of: str | dt.date | None = None,
          history_weeks: int = 52, trend: bool = True,
          referrals: pd.DataFrame | None = None,
          plan: Sequence[Mapping] | None = None,
          priority_shares: Sequence[float] = weekly.DEFAULT_PRIORITY_SHARES,
          unavailable_share: float = 0.0,
          max_weeks: int = weekly.MAX_WEEKS) -> weekly.Lists:
    """Every treatment function x provider list in the lake, ready for `weekly.simulate`."""
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"`weeks` must be a whole number of weeks, at least 1 (got {weeks!r})")
    if isinstance(max_weeks, bool) or not isinstance(max_weeks, int) or max_weeks < 79:
        raise ValueError(f"`max_weeks` must be a whole number, at least 79 (the 78-week tail "
                         f"needs it; got {max_weeks!r})")
    queues = from_lake.queues(lake, as_of, weeks=history_weeks)
    day = from_lake._date("as_of", lake.reference_date if as_of is None else as_of)
    keys = queues[list(KEYS)]
    by_wait, starts = _history(lake, day, history_weeks, max_weeks, keys)
    shares = np.asarray(priority_shares, dtype=float)
    waiting = _split(by_wait, shares)
    if referrals is None:
        expected = _projection(starts, weeks, trend)
    else:
        expected = _given(referrals, keys, weeks)
    capacity = np.repeat(queues.capacity_weekly.to_numpy(float)[:, None], weeks, axis=1)
    capacity = capacity_plan.apply(plan, keys.treatment_function.tolist(),
                                   keys.provider_code.tolist(), capacity, day)
    size = queues.queue_size.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        removal = np.where(size > 0, queues.other_removals_weekly.to_numpy(float) / size, 0.0)
    return weekly.Lists(tuple(keys.treatment_function), tuple(keys.provider_code), day,
                        waiting, expected, capacity, np.minimum(removal, 1.0),
                        np.broadcast_to(shares, (len(keys), len(shares))),
                        np.full(len(keys), float(unavailable_share)))


def _history(lake: Lake, day: dt.date, history_weeks: int, max_weeks: int,
             keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The list open on `day` by whole weeks waited (lists, max_weeks + 1; the last column
    holds max_weeks or more) and weekly clock starts, oldest week first (lists, weeks)."""
    rtt = lake.table("rtt_pathways")
    on = ibis.literal(day)
    waited = on.delta(rtt.clock_start, unit="day")
    is_open = (rtt.clock_start <= on) & (rtt.clock_stop.isnull() | (rtt.clock_stop > on))
    band = ibis.least(waited // 7, max_weeks)
    open_rows = (rtt.filter(is_open).mutate(band=band).group_by([*KEYS, "band"])
                 .aggregate(n=ibis._.count()).to_pandas())
    ago = waited // 7  # 0: the 7 days ending on `day`
    start_rows = (rtt.filter((waited >= 0) & (ago < history_weeks)).mutate(ago=ago)
                  .group_by([*KEYS, "ago"]).aggregate(n=ibis._.count()).to_pandas())
    row = {k: i for i, k in enumerate(zip(keys.treatment_function, keys.provider_code,
                                          strict=True))}
    by_wait = np.zeros((len(keys), max_weeks + 1))
    idx = [row[k] for k in zip(open_rows.treatment_function, open_rows.provider_code,
                               strict=True)]
    np.add.at(by_wait, (idx, open_rows.band.to_numpy(int)), open_rows.n.to_numpy(float))
    starts = np.zeros((len(keys), history_weeks))
    idx = [row[k] for k in zip(start_rows.treatment_function, start_rows.provider_code,
                               strict=True)]
    np.add.at(starts, (idx, history_weeks - 1 - start_rows.ago.to_numpy(int)),
              start_rows.n.to_numpy(float))
    return by_wait, starts


def _split(by_wait: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Whole people in each wait band split between priorities as near `shares` as whole
    numbers allow (largest remainders): (lists, priorities, bands)."""
    if shares.shape != (len(weekly.PRIORITIES),) or (shares < 0).any() or not np.isclose(
            shares.sum(), 1):
        raise ValueError(f"`priority_shares` must be 4 shares (P1-P4) summing to 1 "
                         f"(got {shares.tolist()})")
    exact = by_wait[:, None, :] * shares[None, :, None]
    whole = np.floor(exact)
    left = (by_wait - whole.sum(axis=1)).round().astype(int)  # people still to place
    rank = np.argsort(np.argsort(-(exact - whole), axis=1, kind="stable"), axis=1)
    return whole + (rank < left[:, None, :])


def _projection(starts: np.ndarray, weeks: int, trend: bool) -> np.ndarray:
    """Expected referrals in each future week: a least-squares line through the weekly clock
    starts (x = 0 for the last week of history), carried on; or their mean."""
    history = starts.shape[1]
    mean = starts.mean(axis=1, keepdims=True)
    future = np.arange(1, weeks + 1, dtype=float)[None, :]
    if not trend or history < 2:
        return np.repeat(mean, weeks, axis=1)
    x = np.arange(-history + 1, 1, dtype=float)
    slope = ((starts - mean) * (x - x.mean())).sum(axis=1, keepdims=True) / (
        (x - x.mean()) ** 2).sum()
    return np.maximum(mean + slope * (future - x.mean()), 0.0)


def _given(referrals: pd.DataFrame, keys: pd.DataFrame, weeks: int) -> np.ndarray:
    """A weekly referral series (the demand projection's) as (lists, weeks), every list and
    week present, nothing for a list the lake does not have."""
    need = [*KEYS, "week", "referrals"]
    if not isinstance(referrals, pd.DataFrame) or any(c not in referrals for c in need):
        raise ValueError(f"`referrals` must be a DataFrame with columns {', '.join(need)}")
    got = referrals.set_index([*KEYS, "week"]).referrals
    if got.index.duplicated().any():
        raise ValueError(f"`referrals` has {int(got.index.duplicated().sum())} repeated "
                         "(treatment_function, provider_code, week) rows")
    grid = pd.MultiIndex.from_tuples(
        [(f, p, w) for f, p in zip(keys.treatment_function, keys.provider_code, strict=True)
         for w in range(1, weeks + 1)], names=[*KEYS, "week"])
    extra = got.index.droplevel("week").unique().difference(grid.droplevel("week").unique())
    if len(extra):
        raise ValueError(f"`referrals` has a list the lake does not: {extra[0]}")
    values = got.reindex(grid)
    if values.isna().any():
        f, p, w = values.index[values.isna()][0]
        raise ValueError(f"`referrals` has no value for {(f, p, int(w))} "
                         f"(every list needs weeks 1 to {weeks})")
    return values.to_numpy(float).reshape(len(keys), weeks)
