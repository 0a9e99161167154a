"""The wait a newly referred patient should expect (issue 15, point 3), from the simulation.

The people referred in the first simulated week are followed to the end (`Simulation.
first_week`): each week, how many of them are treated (having waited that many whole weeks)
and how many are removed other than by treatment. Pooled over the runs, the share of them
treated within k weeks is

    treated within k weeks / (referred - removed other than by treatment)

(someone validated off the list or who dies never has a wait to report; someone still
waiting at the end of the simulation has a wait longer than it). The **median** and **92nd
percentile** waits are the first whole weeks by which half, and 92%, of them have been
treated: the median wait NHS England's RTT statistics publish, and the 92nd percentile the
18-week standard is set at (92% within 18 weeks). Where fewer than that share are treated
by the end of what is followed, the wait is "more than" that many weeks.

The answer depends on the list now, the referrals to come, the capacity (with any capacity
plan) and the patient's clinical priority; it is given for each priority and for a patient
whose priority is not yet known (the priorities pooled in their referral shares). It is an
estimate from the model's assumptions (docs/waiting-lists.md), to be read with its caveats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from icsight.planning.waiting_lists.weekly import PRIORITIES, Simulation

__all__ = ["ANY_PRIORITY", "expected_wait"]

#: The row for a patient whose clinical priority is not yet known.
ANY_PRIORITY = "any"


def _first_week_by(treated: np.ndarray, waiting: np.ndarray, share: float) -> tuple[int, bool]:
    """The first week by which `share` of the `waiting` people have been treated (from the
    weekly counts `treated`); (weeks followed, True) when that share is never reached."""
    if waiting <= 0:
        return -1, False
    reached = np.flatnonzero(np.cumsum(treated) >= share * waiting - 1e-9)
    if len(reached) == 0:
        return len(treated), True
    return int(reached[0]), False


def _row(keys: tuple[str, str], priority: str, referred: float, treated: np.ndarray,
         removed: float) -> dict:
    waiting = referred - removed
    median, median_more = _first_week_by(treated, waiting, 0.5)
    p92, p92_more = _first_week_by(treated, waiting, 0.92)
    none = waiting <= 0
    return {"treatment_function": keys[0], "provider_code": keys[1], "priority": priority,
            "referred": referred, "removed": removed,
            "treated_in_followed_weeks": float(treated.sum()),
            "median_weeks": None if none else median, "median_more_than": median_more,
            "p92_weeks": None if none else p92, "p92_more_than": p92_more}


def expected_wait(simulation: Simulation) -> pd.DataFrame:
    """One row per list and priority (P1-P4 and `any`): the people referred in the first
    week (over all runs), those removed other than by treatment, those treated while
    followed, the median and 92nd-percentile waits in whole weeks, and whether each is a
    "more than" (the share was not reached while followed). A list nobody was referred to
    has no waits (missing: NaN)."""
    first = simulation.first_week
    if not first:
        raise ValueError("this simulation did not follow the first week's referrals; run it "
                         "again with `weekly.simulate`")
    referred = first["referred"].sum(axis=1)  # (lists, priorities), pooled over runs
    treated = first["treated"].sum(axis=1)  # (lists, priorities, weeks)
    removed = first["removed"].sum(axis=(1, 3))  # (lists, priorities)
    lists = simulation.lists
    rows = []
    for i, keys in enumerate(zip(lists.treatment_function, lists.provider_code, strict=True)):
        for p, priority in enumerate(PRIORITIES):
            rows.append(_row(keys, priority, float(referred[i, p]), treated[i, p],
                             float(removed[i, p])))
        rows.append(_row(keys, ANY_PRIORITY, float(referred[i].sum()), treated[i].sum(axis=0),
                         float(removed[i].sum())))
    return pd.DataFrame(rows)
