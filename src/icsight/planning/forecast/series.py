"""Monthly activity by place and point of delivery from the lake: the series the short-term
forecasts start from.

The counting rule is the demand baseline's (`icsight.planning.demand.baseline`), month by
month instead of over 12 months, so that the last 12 months of a series add up to the demand
projection's baseline activity and the forecast hands over to the projection at the same level:

- each point of delivery's rows (`icsight.planning.demand.pods`): an attendance or admission
  counts 1, a bed day counts the nights of its stay, on the date the activity is counted on;
- only activity of people registered with a practice on the day of the activity counts, in the
  place of their practice; people of unrecorded sex and practices outside the four places are
  left out, as ONS projects only females and males by place.

Bed days sit in the month of their admission, as the baseline counts them; a stay still open at
the series' last day counts its nights up to that day, so the last month or two of the bed-days
series can be a little low while those stays go on.

Only whole calendar months of the lake's data window are used: a part month would look like a
fall in activity.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from icsight.indicators.breakdown import reference_frames
from icsight.indicators.periods import as_date
from icsight.indicators.population import events_of_registered
from icsight.planning.demand.pods import POINTS_OF_DELIVERY, PointOfDelivery
from icsight.planning.population import PLACES, SEXES

__all__ = ["SeriesError", "monthly_activity", "whole_months"]


class SeriesError(ValueError):
    """A series cannot be forecast or back-tested as asked (too short, gaps): the message names
    the series."""


def whole_months(first_day: str | dt.date, last_day: str | dt.date
                 ) -> tuple[dt.date, dt.date]:
    """The first day of the first whole calendar month on or after `first_day`, and the last day
    of the last whole month on or before `last_day`."""
    first, last = as_date(first_day), as_date(last_day)
    start = first if first.day == 1 else (pd.Timestamp(first) + pd.offsets.MonthBegin(1)).date()
    following = last + dt.timedelta(days=1)
    end = last if following.day == 1 else following.replace(day=1) - dt.timedelta(days=1)
    if end <= start:
        raise SeriesError(f"the lake's data ({first} to {last}) holds no whole calendar month")
    return start, end


def monthly_activity(lake, first_day: str | dt.date | None = None,
                     last_day: str | dt.date | None = None,
                     pods: tuple[PointOfDelivery, ...] = POINTS_OF_DELIVERY) -> pd.DataFrame:
    """Activity by place, point of delivery and calendar month for the whole months between
    `first_day` and `last_day` (by default the lake's data window): columns place, pod, month
    (the month's first day, a Timestamp) and activity. Every place, point of delivery and
    month has a row, 0 where there was nothing."""
    window = lake.data_window()
    if first_day is None or last_day is None:
        if window is None:
            raise SeriesError("the lake has no data window; give the first and last day")
        first_day = first_day or window[0]
        last_day = last_day or window[1]
    start, end = whole_months(first_day, last_day)
    before = start - dt.timedelta(days=1)  # the pods' windows start after their first date
    practices = reference_frames(lake)[0][["practice_code", "place"]]

    parts = [pod.rows(lake, before, end).mutate(pod=ibis.literal(pod.id)) for pod in pods]
    events = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    events = events_of_registered(lake, events, "date")
    events = events.filter(events.sex.isin(list(SEXES)))
    month = events.date.truncate("M")
    counted = events.group_by(["pod", "practice_code", month.name("month")]).agg(
        activity=events.value.sum()).to_pandas()
    counted = counted.merge(practices, "left", "practice_code")
    counted = counted[counted.place.isin(PLACES)]
    counted["month"] = pd.to_datetime(counted.month)

    months = pd.date_range(start, end, freq="MS")
    grid = pd.MultiIndex.from_product([PLACES, [p.id for p in pods], months],
                                      names=["place", "pod", "month"])
    summed = counted.groupby(["place", "pod", "month"]).activity.sum()
    out = summed.reindex(grid, fill_value=0.0).astype(float).reset_index()
    out.attrs["window"] = (start.isoformat(), end.isoformat())
    return out
