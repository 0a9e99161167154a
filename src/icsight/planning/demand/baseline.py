"""Baseline activity rates from the lake: activity in the 12 months to a date per registered
person, by place x 5-year age band (90 and over in one) x sex x point of delivery.

The counting rule is the indicators' rule for a rate of events per registered person
(`icsight.indicators.population.event_counts`, "how HES-based rates count"):

- the numerator is the activity dated after the start of the 12 months and on or before their
  last day, of people registered with a practice on the day of the activity, at their age that
  day, in the place of their practice (`events_of_registered`);
- the denominator is the people registered and alive at the end of the last day, aged in whole
  years then, in the place of their practice (`population_margins`), as every indicator and the
  list-inflation table count them.

People whose sex is not recorded as female or male, and practices outside the four places, are
left out of the rates (ONS projects only females and males, by place); how much activity that
leaves out is in the table's `attrs`.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from icsight.indicators.breakdown import reference_frames
from icsight.indicators.periods import PERIOD, as_date, periods_table, read_periods
from icsight.indicators.population import (
    PYRAMID_BANDS,
    events_of_registered,
    population_margins,
    pyramid_band,
)
from icsight.planning.demand.pods import POINTS_OF_DELIVERY, PointOfDelivery
from icsight.planning.population import PLACES, SEXES

__all__ = ["BANDS", "baseline_rates", "baseline_window"]

#: 5-year age bands, youngest first, 90 and over last (the population pyramid's bands)
BANDS = PYRAMID_BANDS


def baseline_window(day: str | dt.date) -> tuple[dt.date, dt.date]:
    """The baseline year ending on `day`: (the day before it starts, its last day), the
    indicators' 12-month window (`start_12m` of the periods table)."""
    end = as_date(day)
    frame = read_periods(periods_table([end]))
    return pd.Timestamp(frame["start_12m"].iloc[0]).date(), end


def baseline_rates(lake, day: str | dt.date,
                   pods: tuple[PointOfDelivery, ...] = POINTS_OF_DELIVERY) -> pd.DataFrame:
    """Activity and registered people by place, age band, sex and point of delivery for the 12
    months to `day`: columns place, age_band, sex, pod, activity, registered, rate (activity
    per registered person; 0 where no one is registered). Every combination of the four
    places, the 19 bands, both sexes and `pods` has a row, with 0 where there was nothing.

    `attrs` holds `window` (start exclusive, end inclusive, ISO dates) and
    `activity_left_out` (per point of delivery: activity of people of unrecorded sex or of
    practices outside the four places)."""
    start, end = baseline_window(day)
    periods = periods_table([end], lake)
    practices = reference_frames(lake)[0][["practice_code", "place"]]

    parts = [pod.rows(lake, start, end).mutate(pod=ibis.literal(pod.id)) for pod in pods]
    events = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    events = events_of_registered(lake, events, "date")
    counted = events.group_by(["pod", "practice_code", "sex", "age"]).agg(
        activity=events.value.sum()).to_pandas()
    activity = _placed(counted, practices, "activity", ["pod"])

    margin = population_margins(lake, periods)["practice_code"]
    margin = margin.filter(margin[PERIOD] == ibis.literal(end, "date"))
    people = margin.group_by(["practice_code", "sex", "age"]).agg(
        registered=margin.n.sum()).to_pandas()
    registered = _placed(people, practices, "registered", [])

    grid = pd.MultiIndex.from_product([PLACES, BANDS, SEXES, [p.id for p in pods]],
                                      names=["place", "age_band", "sex", "pod"]).to_frame(
        index=False)
    keys = ["place", "age_band", "sex"]
    out = grid.merge(activity.groupby([*keys, "pod"], as_index=False).activity.sum(),
                     "left", [*keys, "pod"])
    out = out.merge(registered.groupby(keys, as_index=False).registered.sum(), "left", keys)
    out["activity"] = out.activity.fillna(0.0).astype(float)
    out["registered"] = out.registered.fillna(0).astype("int64")
    out["rate"] = (out.activity / out.registered.where(out.registered > 0)).fillna(0.0)

    left_out = counted.merge(practices, "left", "practice_code")
    left_out = left_out[~left_out.place.isin(PLACES) | ~left_out.sex.isin(SEXES)]
    out.attrs["window"] = (start.isoformat(), end.isoformat())
    out.attrs["activity_left_out"] = {
        pod.id: float(left_out.loc[left_out.pod == pod.id, "activity"].sum()) for pod in pods}
    return out


def _placed(frame: pd.DataFrame, practices: pd.DataFrame, value: str,
            keys: list[str]) -> pd.DataFrame:
    """`frame` (practice_code, sex, age, value) by place and age band, for the four places and
    the two sexes ONS projects."""
    frame = frame.merge(practices, "left", "practice_code")
    frame = frame[frame.place.isin(PLACES) & frame.sex.isin(SEXES)].copy()
    frame["age_band"] = [pyramid_band(a) for a in frame.age]
    return frame.groupby(["place", "age_band", "sex", *keys], as_index=False)[value].sum()
