"""Statistics of a waiting list held as rows of (referral date, removal date).

Python equivalents of NHSRwaitinglist's `wl_queue_size`, `wl_referral_stats`,
`wl_removal_stats`, `wl_stats`, `wl_insert`, `wl_join` and `wl_schedule` (nhs-r-community,
MIT, main 0d85b69), after Fong et al., medRxiv 2022, doi:10.1101/2022.08.23.22279117.

A waiting list is a pandas DataFrame with one row per pathway: a referral (clock start) date and
a removal date, missing (None / NaT, R's NA) while the pathway is open. Columns are picked by
name, 0-based position or boolean mask (`referral_index`, `removal_index`, as in R, where
positions are 1-based). Dates are days; rates from these functions are per day and per week.

Where R does something a planner would not want, this follows the intent and says so:

* `queue_size`: R clamps referrals before the start to the start day but drops removals before
  it, so a pathway referred and removed before the start stays on the list for ever; here the
  list on day d is always referrals on or before d minus removals on or before d.
* `removal_stats`: a removal that empties the list is measured from the event before it (R
  measures it from the empty day it causes: 0 days).
* `referral_stats`: gaps between referrals are taken in date order (R takes row order, which
  gives negative gaps on an unsorted list).
* `wl_stats`: R's pressure divides a mean wait in days by a target in weeks. `pressure` here
  uses the mean wait in weeks; `pressure_as_r` keeps R's figure for comparison.
* A removal before its referral, or a row with no referral date, raises a ValueError.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from icsight.planning.waiting_lists import queue
from icsight.planning.waiting_lists._checks import (
    column,
    column_index,
    dates,
    numbers,
    one_date,
    referral_removal,
    waiting_list_frame,
)

DAY = np.timedelta64(1, "D")


def _window(ref: np.ndarray, start_date, end_date) -> tuple[np.datetime64, np.datetime64]:
    """The start and end dates, defaulting to the first and last referral (as R)."""
    start = one_date("start_date", start_date, allow_none=True)
    end = one_date("end_date", end_date, allow_none=True)
    start = ref.min() if start is None else start
    end = ref.max() if end is None else end
    if end < start:
        raise ValueError(f"`end_date` ({end}) is before `start_date` ({start})")
    return start, end


def _census(ref: np.ndarray, rem: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Pathways open at the end of each day: referred on or before it, not removed by it."""
    arrived = np.searchsorted(np.sort(ref), days, side="right")
    removed = np.searchsorted(np.sort(rem[~np.isnat(rem)]), days, side="right")
    return arrived - removed


def queue_size(waiting_list: pd.DataFrame, start_date=None, end_date=None,
               referral_index=0, removal_index=1) -> pd.DataFrame:
    """The list's size at the end of each day from `start_date` to `end_date` (default: the
    first and last referral): columns `dates`, `queue_size` (R `wl_queue_size`). A removal on
    day d counts on day d."""
    wl = waiting_list_frame("waiting_list", waiting_list)
    ref, rem = referral_removal(wl, referral_index, removal_index)
    start, end = _window(ref, start_date, end_date)
    days = np.arange(start, end + DAY, dtype="datetime64[D]")
    return pd.DataFrame({"dates": days, "queue_size": _census(ref, rem, days)})


@dataclass(frozen=True)
class ReferralStats:
    """Demand measured from referral dates (R `wl_referral_stats`)."""

    demand_weekly: float
    demand_daily: float
    demand_cov: float  # coefficient of variation of the gaps between referrals
    demand_count: int  # gaps counted: referrals in the window + 1 (start and end are added)


def referral_stats(waiting_list: pd.DataFrame, start_date=None, end_date=None,
                   referral_index=0) -> ReferralStats:
    """Demand from the gaps between referrals in [start, end], with the start and end dates
    added as the first and last "arrivals": daily demand = 1 / mean gap."""
    wl = waiting_list_frame("waiting_list", waiting_list)
    ref_col = column(wl, "referral_index", referral_index)
    ref, _ = referral_removal(wl, ref_col, ref_col)
    start, end = _window(ref, start_date, end_date)
    inside = np.sort(ref[(ref >= start) & (ref <= end)])
    arrivals = np.concatenate([[start], inside, [end]]).astype("datetime64[D]")
    gaps = np.diff(arrivals).astype(float)
    mean = gaps.mean()
    sd = gaps.std(ddof=1) if len(gaps) > 1 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return ReferralStats(float(7 / mean), float(1 / mean), float(sd / mean), len(gaps))


@dataclass(frozen=True)
class RemovalStats:
    """Capacity measured from removal dates (R `wl_removal_stats`)."""

    capacity_weekly: float
    capacity_daily: float
    capacity_cov: float
    removal_count: int


def removal_stats(waiting_list: pd.DataFrame, start_date=None, end_date=None,
                  referral_index=0, removal_index=1) -> RemovalStats:
    """Capacity from the gaps between successive removals, the clock restarting after each day
    the list was empty (a server with nobody to see is not slow): daily capacity = 1 / mean
    gap. The first gap runs from `start_date` (default: the first referral).

    As in R, every removal counts whatever its date (`end_date` is checked, not used), and the
    empty days come from the list between its first and last referral. No removals give NaN.
    """
    wl = waiting_list_frame("waiting_list", waiting_list)
    ref, rem = referral_removal(wl, referral_index, removal_index)
    start, _ = _window(ref, start_date, end_date)
    removals = np.sort(rem[~np.isnat(rem)])
    days = np.arange(ref.min(), ref.max() + DAY, dtype="datetime64[D]")
    empty = days[_census(ref, rem, days) == 0]
    # Merge the empty days and the removals and measure each removal from the event before
    # it. A removal that empties the list comes before that empty day: R sorts the empty day
    # first and so measures that removal as 0 days from it, inflating capacity.
    when = np.concatenate([empty, removals]).astype("datetime64[D]").astype(np.int64)
    is_removal = np.concatenate([np.zeros(len(empty), bool), np.ones(len(removals), bool)])
    order = np.lexsort((~is_removal, when))
    when, is_removal = when[order], is_removal[order]
    before = np.concatenate([[start.astype(np.int64)], when[:-1]])
    gaps = (when - before)[is_removal].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = gaps.mean() if len(gaps) else np.nan
        sd = gaps.std(ddof=1) if len(gaps) > 1 else 0.0
        return RemovalStats(float(7 / mean), float(1 / mean), float(sd / mean), len(gaps))


@dataclass(frozen=True)
class WaitingListStats:
    """One list's summary (R `wl_stats`); rates per week, `target_wait` in weeks."""

    mean_demand: float  # referrals a week
    mean_capacity: float  # removals a week
    load: float
    load_too_big: bool | None  # load >= 1 (None when capacity is unknown)
    count_demand: int
    queue_size: int  # open pathways on the end date
    target_queue_size: float  # factor 4, as R
    queue_too_big: bool  # more than twice the target size: relief capacity needed
    mean_wait_days: float  # mean time waited so far by those open on the end date
    mean_wait_weeks: float
    cv_arrival: float
    cv_removal: float
    target_capacity: float | None  # when the queue is not too big
    relief_capacity: float | None  # when it is (26 weeks, no uplift)
    pressure: float  # 2 x mean wait (weeks) / target wait (weeks)
    pressure_as_r: float  # NHSRwaitinglist's figure: mean wait in days over target in weeks

    def as_dict(self) -> dict:
        return asdict(self)


def wl_stats(waiting_list: pd.DataFrame, target_wait: float = 4, start_date=None,
             end_date=None) -> WaitingListStats:
    """Demand, capacity, load, queue size against target, mean wait, target or relief capacity
    and pressure of one waiting list (R `wl_stats`). Columns are found by name ("referral" /
    "Referral", "removal" / "Removal") or else taken as the first two."""
    wl = waiting_list_frame("waiting_list", waiting_list)
    target = float(numbers("target_wait", target_wait, positive=True))
    ri = column_index(wl.columns, kind="referral")
    mi = column_index(wl.columns, kind="removal")
    ref, rem = referral_removal(wl, ri, mi)
    start, end = _window(ref, start_date, end_date)
    r = referral_stats(wl, start, end, ri)
    m = removal_stats(wl, start, end, ri, mi)
    size = int(_census(ref, rem, np.array([end]))[0])
    load = queue.queue_load(r.demand_weekly, m.capacity_weekly)
    target_size = queue.target_queue_size(r.demand_weekly, target)
    too_big = bool(size > 2 * target_size)
    open_at_end = (ref <= end) & (np.isnat(rem) | (rem > end))
    waits = (end - ref[open_at_end]).astype(float)
    mean_wait = float(waits.mean()) if len(waits) else float("nan")
    return WaitingListStats(
        mean_demand=r.demand_weekly, mean_capacity=m.capacity_weekly, load=load,
        load_too_big=None if np.isnan(load) else bool(load >= 1), count_demand=r.demand_count,
        queue_size=size, target_queue_size=target_size, queue_too_big=too_big,
        mean_wait_days=mean_wait, mean_wait_weeks=mean_wait / 7,
        cv_arrival=r.demand_cov, cv_removal=m.capacity_cov,
        target_capacity=None if too_big else queue.target_capacity(
            r.demand_weekly, target, 4, _nan_ok(r.demand_cov), _nan_ok(m.capacity_cov)),
        relief_capacity=queue.relief_capacity(r.demand_weekly, size, target_size)
        if too_big else None,
        pressure=queue.waiting_list_pressure(_nan_ok(mean_wait / 7), target),
        pressure_as_r=queue.waiting_list_pressure(_nan_ok(mean_wait), target),
    )


def _nan_ok(x: float) -> np.ndarray:
    """A statistic that may be NaN (no removals, nobody waiting) as an array, so the formulas
    pass the NaN through rather than refusing it."""
    return np.asarray(x, dtype=float)


def insert(waiting_list: pd.DataFrame, additions, referral_index=0) -> pd.DataFrame:
    """New referrals (dates) added as open pathways, other columns missing, the list sorted by
    referral (R `wl_insert`)."""
    wl = waiting_list_frame("waiting_list", waiting_list)
    col = column(wl, "referral_index", referral_index)
    new = dates("additions", additions)
    if len(new) == 0:
        raise ValueError("`additions` must hold at least one referral date")
    rows = pd.DataFrame({c: pd.Series([None] * len(new), dtype=object) for c in wl.columns})
    rows[col] = pd.Series(new).dt.strftime("%Y-%m-%d") if _is_text(wl[col]) else new
    out = pd.concat([wl, rows], ignore_index=True)
    return _sorted(out, col)


def _is_text(series: pd.Series) -> bool:
    return series.dtype.kind not in "M"


def _sorted(wl: pd.DataFrame, col: str) -> pd.DataFrame:
    key = pd.to_datetime(wl[col], format="ISO8601")
    return wl.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)


def join(wl_1: pd.DataFrame, wl_2: pd.DataFrame, referral_index=0) -> pd.DataFrame:
    """Two waiting lists as one, sorted by referral (R `wl_join`)."""
    a = waiting_list_frame("wl_1", wl_1)
    b = waiting_list_frame("wl_2", wl_2)
    col = column(a, "referral_index", referral_index)
    column(b, "referral_index", col)
    return _sorted(pd.concat([a, b], ignore_index=True), col)


@dataclass(frozen=True)
class Schedule:
    """A scheduled list and which slots were used (R `wl_schedule(unscheduled = TRUE)`)."""

    waiting_list: pd.DataFrame
    slots: pd.DataFrame  # columns: schedule (date), scheduled (bool)


def schedule(waiting_list: pd.DataFrame, slots, referral_index=0, removal_index=1,
             unscheduled: bool = False) -> pd.DataFrame | Schedule:
    """Give treatment slots to open pathways first come, first served (R `wl_schedule`).

    Slots are taken in date order; each goes to the longest-waiting open pathway if the slot is
    strictly after its referral (no same-day treatment), otherwise it is wasted (no looking
    ahead). Clinical priority and withdrawal are ignored, as in R. The list comes back sorted
    by referral with removal dates filled in; with `unscheduled`, with the slots used too.
    """
    wl = waiting_list_frame("waiting_list", waiting_list)
    slot_days = np.sort(dates("schedule", slots))
    if not isinstance(unscheduled, (bool, np.bool_)):
        raise ValueError(f"`unscheduled` must be True or False, not {type(unscheduled).__name__}")
    ref_col = column(wl, "referral_index", referral_index)
    rem_col = column(wl, "removal_index", removal_index)
    ref, rem = referral_removal(wl, ref_col, rem_col)
    waiting = np.flatnonzero(np.isnat(rem))
    waiting = waiting[np.argsort(ref[waiting], kind="stable")]
    # R walks the slots one by one. The same matching without the loop: the i-th pathway in
    # referral order takes slot k_i = max(k_(i-1) + 1, f_i), where f_i is its first slot
    # strictly after its referral; so k_i - i = cumulative max of (f_i - i).
    first = np.searchsorted(slot_days, ref[waiting], side="right")
    order = np.arange(len(waiting))
    taken = order + np.maximum.accumulate(first - order) if len(waiting) else order
    served = taken < len(slot_days)
    new_rem = rem.copy()
    new_rem[waiting[served]] = slot_days[taken[served]]
    used = np.zeros(len(slot_days), dtype=bool)
    used[taken[served]] = True
    out = wl.copy()
    out[rem_col] = new_rem
    out[ref_col] = ref
    out = _sorted(out, ref_col)
    if unscheduled:
        return Schedule(out, pd.DataFrame({"schedule": slot_days, "scheduled": used}))
    return out
