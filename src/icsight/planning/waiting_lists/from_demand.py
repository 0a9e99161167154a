"""Weekly referrals for the waiting-list simulation from the demand projection: the link between
demographic demand and the queues (issue 15, point 2).

The rule, for each treatment function x provider list in the lake (`from_lake.queues`' lists,
so the frame fits `weekly_from_lake.lists(..., referrals=...)` exactly):

1. **History.** The list's clock starts in the `history_weeks` whole weeks to `as_of` (as
   `weekly_from_lake` counts them), split by the place of the referred patient's practice
   (`rtt_pathways` joined to `patients` and `practices`: the practice the lake holds for
   the patient now, as the lake keeps no history of registrations). Its mean weekly clock
   starts are the total over `history_weeks`.
2. **Each place's share.** A place's share of the list is its clock starts over the list's
   clock starts with a place. Patients with no place (no practice, or a practice outside the
   four places) are shared out in the same proportions: they follow the list's overall mix.
   A list none of whose patients has a place follows BLMK (the four places summed).
3. **Growth.** A place's growth to a date is the projection's p50 of the point of delivery
   `pod` for that place at the date over its level at the baseline's middle (the baseline
   year's activity, which the projection sits on). The p50 between mid-years (30 June) is a
   straight line; so is the stretch from the baseline's middle to the next mid-year. A place
   with no baseline activity of `pod` follows BLMK.
4. **Future weeks.** Week w (1 = the 7 days after `as_of`) is dated at its middle day,
   `as_of` + 7w - 3. Its referrals are the mean weekly clock starts x the sum over places of
   share x growth to that day.

So a list with no growth keeps the history's mean (as `weekly_from_lake`'s `trend=False`), and a
list whose patients all live in one place follows that place's growth.

**Why outpatient first attendances (`op_first`).** A consultant-led RTT clock starts at the
referral, and most referrals are first seen in an outpatient clinic: first attendances are the
demand model's closest measure of clock starts, and they are projected by place with their own
population, health-status and non-demographic growth. Elective admissions (`elective`,
`day_case`) are where many clocks stop, not start; they miss the pathways that end without
an admission and grow with the older people who are admitted more, so they would overstate
the growth of referrals. Another point of delivery can be given as `pod`.

The baseline's middle is the projection's (its `window`); when the projection's baseline year
ends on `as_of` (as `icsight plan waiting-lists --referrals-from-demand` builds it) it is within
a day of the middle of the 52 weeks of history. Counts are exact, for planners; a public page
must go through `icsight.services`.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from icsight.engine import Lake
from icsight.planning.demand.projection import Projection, years_from_mid_2000
from icsight.planning.population import BLMK, PLACES
from icsight.planning.waiting_lists import from_lake

__all__ = ["DEFAULT_POD", "referrals_from_demand"]

KEYS = from_lake.KEYS
#: the point of delivery whose growth drives clock starts (see the module's docstring)
DEFAULT_POD = "op_first"


def referrals_from_demand(lake: Lake, projection: Projection, weeks: int = 52,
                          as_of: str | dt.date | None = None, history_weeks: int = 52,
                          pod: str = DEFAULT_POD) -> pd.DataFrame:
    """Expected weekly referrals of every list for `weeks` weeks after `as_of` (default the
    lake's reference date), grown from the `history_weeks` before it by `projection`'s p50
    growth of `pod` in each referred patient's place: columns treatment_function,
    provider_code, week (1 to `weeks`), referrals. The rule is in the module's docstring."""
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"`weeks` must be a whole number of weeks, at least 1 (got {weeks!r})")
    if isinstance(history_weeks, bool) or not isinstance(history_weeks, int) \
            or history_weeks < 1:
        raise ValueError(f"`history_weeks` must be a whole number of weeks, at least 1 "
                         f"(got {history_weeks!r})")
    if pod not in projection.pods:
        raise ValueError(f"the demand projection has no point of delivery {pod!r} to grow "
                         f"referrals with (it has {', '.join(projection.pods)}); project it "
                         f"with {pod!r} or choose one of those")
    day = from_lake._date("as_of", lake.reference_date if as_of is None else as_of)
    keys = from_lake.queues(lake, day, weeks=history_weeks)[list(KEYS)]
    starts = _starts_by_place(lake, day, history_weeks, keys)  # lists, places + BLMK
    middles = [day + dt.timedelta(days=7 * w - 3) for w in range(1, weeks + 1)]
    growth = _growth(projection, pod, middles)  # places + BLMK, weeks
    referrals = starts @ growth / history_weeks
    return pd.DataFrame({
        "treatment_function": np.repeat(keys.treatment_function.to_numpy(), weeks),
        "provider_code": np.repeat(keys.provider_code.to_numpy(), weeks),
        "week": np.tile(np.arange(1, weeks + 1), len(keys)),
        "referrals": referrals.reshape(-1)})


def _starts_by_place(lake: Lake, day: dt.date, history_weeks: int,
                     keys: pd.DataFrame) -> np.ndarray:
    """Each list's clock starts in the history by place (lists, the four places then BLMK),
    those with no place shared out as the list's placed ones are; a list with no placed
    starts has them all under BLMK."""
    rtt = lake.table("rtt_pathways")
    waited = ibis.literal(day).delta(rtt.clock_start, unit="day")
    recent = rtt.filter((waited >= 0) & (waited // 7 < history_weeks))
    patients = lake.table("patients").select("patient_id", "practice_code")
    practices = lake.table("practices").select("practice_code", "place")
    placed = (recent.left_join(patients, "patient_id")
              .left_join(practices, "practice_code")
              .group_by([*KEYS, "place"]).aggregate(n=ibis._.count()).to_pandas())
    row = {k: i for i, k in enumerate(zip(keys.treatment_function, keys.provider_code,
                                          strict=True))}
    column = {place: i for i, place in enumerate(PLACES)}
    counts = np.zeros((len(keys), len(PLACES) + 1))  # the last column: no place
    for r in placed.itertuples(index=False):
        at = row.get((r.treatment_function, r.provider_code))
        if at is not None:  # every list with a recent clock start is one of the lake's lists
            counts[at, column.get(r.place, len(PLACES))] += r.n
    in_places = counts[:, :-1].sum(axis=1, keepdims=True)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts[:, :-1], in_places, out=np.zeros_like(counts[:, :-1]),
                      where=in_places > 0)
    return np.hstack([share * totals, np.where(in_places > 0, 0.0, totals)])


def _growth(projection: Projection, pod: str, days: list[dt.date]) -> np.ndarray:
    """Each place's (then BLMK's) p50 of `pod` on each of `days` over its baseline level
    (places + 1, days); a place with no baseline activity takes BLMK's."""
    summary = projection.summary()
    summary = summary[summary.pod == pod]
    k = projection.pods.index(pod)
    base_level = np.append(projection.baseline[:, k], projection.baseline[:, k].sum())
    if base_level[-1] <= 0:
        raise ValueError(f"the demand projection's baseline has no activity of {pod!r} in any "
                         "place, so it gives no growth for referrals")
    start, end = (dt.date.fromisoformat(d) for d in projection.window)
    base = years_from_mid_2000(start + (end - start) / 2)
    when = np.array([years_from_mid_2000(d) for d in days])
    out = np.empty((len(PLACES) + 1, len(days)))
    for p, area in enumerate([*PLACES, BLMK]):
        rows = summary[summary.place == area].sort_values("year")
        later = rows.year.to_numpy(float) > base  # the baseline stands for earlier years
        x = np.concatenate([[base], rows.year.to_numpy(float)[later]])
        y = np.concatenate([[base_level[p]], rows.p50.to_numpy(float)[later]])
        out[p] = np.interp(when, x, y) / base_level[p] if base_level[p] > 0 else np.nan
    missing = np.isnan(out[:-1]).all(axis=1)
    out[:-1][missing] = out[-1]
    return out
