"""Each treatment function at each provider as a queue, from the lake's `rtt_pathways`.

For a date (`as_of`, default the lake's reference date) and the `weeks` before it, per
treatment function x provider:

* demand: clock starts a week in the window;
* capacity: clock stops by treatment a week (admitted and non-admitted), which is every clock
  stop except "other removals";
* other removals: pathways validated off the list a week. The lake has no removal reason, so a
  non-admitted clock stop on the day the patient died or left the registered list is taken to
  be one (the synthetic lake records validation that way; data with a removal reason should
  use the reason instead);
* net demand = demand - other removals: what treatment must keep up with;
* the list on `as_of` (pathways started by then and not stopped by then), its mean wait so far
  and the percentage waiting no more than the target (18 weeks = 126 days, as RTT_18WK);
* Fong et al.'s formulas (`queue`) for the standard "`share` within `target_weeks`" (default
  92% within 18 weeks, factor -ln(0.08) = 2.5257): target mean wait, target queue size (Little's
  law on demand), load (net demand / capacity), target capacity (Kingman, coefficients of
  variation 1: random arrivals and treatments), relief capacity to reach the target size by
  `relief_by` (default 26 weeks on, as NHSRwaitinglist), pressure (2 x mean wait / target).

Rates are a week, waits in weeks. The figures are exact counts for planners; anything shown to
the public goes through `icsight.services`, which suppresses small numbers.

Sources: K. Fong et al., "Understanding Waiting Lists Pressures", medRxiv 2022,
doi:10.1101/2022.08.23.22279117; NHSRwaitinglist (nhs-r-community, MIT). See
docs/waiting-lists.md.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from icsight.engine import Lake
from icsight.planning.waiting_lists import queue

KEYS = ("treatment_function", "provider_code")


def _date(name: str, value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"`{name}` must be a date 'YYYY-MM-DD' (got {value!r})") from None


def queues(lake: Lake, as_of: str | dt.date | None = None, weeks: int = 52,
           target_weeks: float = queue.RTT_TARGET_WEEKS, share: float = 0.92,
           relief_by: str | dt.date | None = None) -> pd.DataFrame:
    """One row per treatment function x provider with the list's flows, size, waits and the
    queue formulas' targets (columns listed in docs/waiting-lists.md), sorted by the keys."""
    if as_of is None:
        if lake.reference_date is None:
            raise ValueError("`as_of` is needed: the lake records no reference date")
        as_of = lake.reference_date
    day = _date("as_of", as_of)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"`weeks` must be a whole number of weeks, at least 1 (got {weeks!r})")
    first = day - dt.timedelta(days=7 * weeks - 1)
    window = lake.data_window()
    if window is not None and (first < dt.date.fromisoformat(window[0])
                               or day > dt.date.fromisoformat(window[1])):
        raise ValueError(f"the {weeks} weeks to `as_of` {day} ({first} to {day}) are not all "
                         f"inside the lake's data ({window[0]} to {window[1]}): clock starts "
                         "and stops outside it are missing")
    relief = day + dt.timedelta(weeks=26) if relief_by is None else _date("relief_by", relief_by)
    if relief <= day:
        raise ValueError(f"`relief_by` ({relief}) must be after `as_of` ({day})")
    factor = queue.factor_for_share(share)
    counts = _counts(lake, day, first, round(7 * float(target_weeks)))
    return _formulas(counts, weeks, float(target_weeks), factor, (relief - day).days / 7)


def _counts(lake: Lake, day: dt.date, first: dt.date, target_days: int) -> pd.DataFrame:
    """Clock starts and stops in [first, day] and the list open on `day`, per key."""
    rtt = lake.table("rtt_pathways")
    people = lake.table("patients").select("patient_id", "date_of_death", "registration_end")
    t = rtt.left_join(people, "patient_id")
    on, start = ibis.literal(day), ibis.literal(first)
    stopped = t.clock_stop.notnull() & (t.clock_stop >= start) & (t.clock_stop <= on)
    validated = (t.status == "non_admitted") & (
        (t.clock_stop == t.date_of_death) | (t.clock_stop == t.registration_end)).fill_null(False)
    is_open = (t.clock_start <= on) & (t.clock_stop.isnull() | (t.clock_stop > on))
    waited = on.delta(t.clock_start, unit="day")
    counts = t.group_by(list(KEYS)).aggregate(
        clock_starts=((t.clock_start >= start) & (t.clock_start <= on)).cast("int64").sum(),
        treated=(stopped & ~validated).cast("int64").sum(),
        other_removals=(stopped & validated).cast("int64").sum(),
        queue_size=is_open.cast("int64").sum(),
        waited_days=is_open.ifelse(waited, 0).sum(),
        within_target_days=(is_open & (waited <= target_days)).cast("int64").sum(),
    ).to_pandas()
    return counts.sort_values(list(KEYS), ignore_index=True)


def _formulas(c: pd.DataFrame, weeks: int, target: float, factor: float,
              relief_weeks: float) -> pd.DataFrame:
    size = c.queue_size.to_numpy(float)
    demand = c.clock_starts.to_numpy(float) / weeks
    capacity = c.treated.to_numpy(float) / weeks
    other = c.other_removals.to_numpy(float) / weeks
    net = np.maximum(demand - other, 0.0)  # more validated than referred: nothing to treat
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_wait = np.where(size > 0, c.waited_days.to_numpy(float) / 7 / size, np.nan)
        within = np.where(size > 0, 100 * c.within_target_days.to_numpy(float) / size, np.nan)
    target_size = queue.target_queue_size(demand, target, factor)
    out = pd.DataFrame({
        "treatment_function": c.treatment_function, "provider_code": c.provider_code,
        "demand_weekly": demand, "capacity_weekly": capacity,
        "other_removals_weekly": other, "net_demand_weekly": net,
        "queue_size": c.queue_size.astype("int64"), "mean_wait_weeks": mean_wait,
        "percent_within_target": within,
        "load": queue.queue_load(net, capacity),
        "target_mean_wait_weeks": np.full(len(c), queue.target_mean_wait(target, factor)),
        "target_queue_size": target_size,
        "queue_too_big": size > 2 * target_size,
        "target_capacity_weekly": queue.target_capacity(net, target, factor),
        "relief_capacity_weekly": queue.relief_capacity(net, size, target_size, relief_weeks),
        "relief_weeks": np.full(len(c), relief_weeks),
        "pressure": queue.waiting_list_pressure(np.asarray(mean_wait), target),
    })
    return out
