"""The hand-over from the short-term forecast to the long-term demand projection, without a step.

The rule, for month h ahead of the last month of data (h = 1 first):

    planning path[h] = (1 - w[h]) x forecast[h] + w[h] x projection[h]
    w[h] = 0 for h <= 12;  (h - 12) / 12 for 13 <= h <= 24;  1 for h > 24

so months 1-12 are the forecast, month 24 on is the projection, and in between each month moves
a twelfth of the way from one to the other. The path therefore never jumps: from one month to
the next it changes by what the forecast and the projection change by, blended, plus at most a
twelfth of the gap between them.

The projection is yearly (`icsight.planning.demand`: activity in the 12 months around 30 June of
each year). A month's projected activity is the p50 (p10, p90) of the year, read off a straight
line between the mid-years either side of the month's middle, divided by 12 and multiplied by
the series' seasonal index for its calendar month, so that the projection has the seasons the
forecast has. The seasonal index is the mean activity in that calendar month over the last
three whole years of the series divided by the mean of all 36 months (1 for every month when
there was no activity). The 80% interval blends the same way from the forecast's 80% interval
to the projection's p10-p90 (also 80%); the 95% interval is the forecast model's own and is
given only where the forecast alone is used (months 1-12).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from icsight.planning.forecast.models import SEASON

__all__ = ["BLEND_FROM", "BLEND_TO", "blend_weight", "hand_over", "monthly_projection",
           "seasonal_index"]

#: the last month that is the forecast alone, and the first that is the projection alone
BLEND_FROM, BLEND_TO = 12, 24


def blend_weight(h: np.ndarray | int) -> np.ndarray:
    """The projection's weight for month `h` ahead: 0 to month 12, rising by a twelfth a month
    to 1 at month 24, 1 after."""
    h = np.asarray(h, dtype=float)
    return np.clip((h - BLEND_FROM) / (BLEND_TO - BLEND_FROM), 0.0, 1.0)


def seasonal_index(series: pd.DataFrame) -> pd.DataFrame:
    """Per place, pod and calendar month (1-12): mean activity in that month over the last 36
    months of the series / the mean of those 36 months (1 when they hold no activity)."""
    rows = []
    for (place, pod), one in series.groupby(["place", "pod"], sort=False):
        last = one.sort_values("month").tail(3 * SEASON)
        overall = last.activity.mean()
        by_month = last.groupby(pd.DatetimeIndex(last.month).month).activity.mean()
        for month in range(1, SEASON + 1):
            value = by_month.get(month, np.nan)
            index = value / overall if overall > 0 and value == value else 1.0
            rows.append((place, pod, month, float(index)))
    return pd.DataFrame(rows, columns=["place", "pod", "calendar_month", "index"])


def _mid_year_scale(day: dt.date) -> float:
    """A date on the projection's year scale, where 30 June of year Y is Y."""
    year = day.year if day >= dt.date(day.year, 6, 30) else day.year - 1
    start, end = dt.date(year, 6, 30), dt.date(year + 1, 6, 30)
    return year + (day - start).days / (end - start).days


def monthly_projection(summary: pd.DataFrame, months: pd.DatetimeIndex,
                       index: pd.DataFrame) -> pd.DataFrame:
    """The demand projection's yearly p10, p50 and p90 (`Projection.summary()`: place, pod,
    year, ...) as monthly activity for `months`, per place and pod in `index` (from
    `seasonal_index`): the year's figure at the month's middle, on a straight line between
    mid-years, / 12 x the calendar month's seasonal index. Months outside the projection's
    years take its first or last year's figure."""
    middles = np.array([_mid_year_scale((m + pd.Timedelta(days=14)).date()) for m in months])
    rows = []
    for (place, pod), factors in index.groupby(["place", "pod"], sort=False):
        years = summary[(summary.place == place) & (summary.pod == pod)].sort_values("year")
        if years.empty:
            continue
        factor = factors.set_index("calendar_month")["index"].reindex(months.month).to_numpy()
        frame = pd.DataFrame({"place": place, "pod": pod, "month": months})
        for column in ("p10", "p50", "p90"):
            yearly = np.interp(middles, years.year.to_numpy(float), years[column].to_numpy(float))
            frame[f"projection_{column}"] = yearly / 12 * factor
        rows.append(frame)
    columns = ["place", "pod", "month", "projection_p10", "projection_p50", "projection_p90"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)


def hand_over(forecasts: pd.DataFrame, projected: pd.DataFrame) -> pd.DataFrame:
    """The planning path: `forecasts` (one model's: place, pod, month, h, mean, lo_80, hi_80,
    lo_95, hi_95) blended into `projected` (`monthly_projection`) by `blend_weight`. Adds the
    projection's columns, `weight` (the projection's share) and path, path_lo_80, path_hi_80;
    path_lo_95 and path_hi_95 only for months that are the forecast alone."""
    out = forecasts.merge(projected, "left", ["place", "pod", "month"])
    missing = out[out.projection_p50.isna() & (out.h > BLEND_FROM)]
    if len(missing):
        first = missing.iloc[0]
        raise ValueError(f"the projection has no figure for {first.place}, {first.pod}: "
                         f"the forecast cannot hand over to it")
    w = blend_weight(out.h.to_numpy())
    out["weight"] = w
    pairs = (("path", "mean", "projection_p50"), ("path_lo_80", "lo_80", "projection_p10"),
             ("path_hi_80", "hi_80", "projection_p90"))
    for name, own, projection in pairs:
        theirs = out[projection].fillna(0.0).to_numpy(float)  # weight 0 where missing
        out[name] = (1 - w) * out[own].to_numpy(float) + w * theirs
    alone = w == 0
    out["path_lo_95"] = np.where(alone, out.lo_95, np.nan)
    out["path_hi_95"] = np.where(alone, out.hi_95, np.nan)
    return out
