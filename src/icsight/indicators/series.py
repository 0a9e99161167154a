"""Monthly series: every indicator at every month end.

The tidy indicator table for each month end (the last day of each of the last `months`
calendar months up to the as-of date), every breakdown. SPC charts and inequality summaries of
the series are made in `icsight.results.summaries`.

Each indicator's whole series is one query (`Indicator.series`: the definition runs against a
table of all the period ends at once); `monthly_values(..., one_query=False)` recomputes each
month separately instead, the naive baseline the benchmark in `benchmarks/` compares against.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable

import pandas as pd

from icsight.indicators.definition import Indicator
from icsight.indicators.periods import as_date


def month_ends(as_of: str | dt.date, months: int) -> list[dt.date]:
    """The last day of each of the `months` calendar months ending with as_of's month.

    The final month ends on `as_of` itself when it is not a month end."""
    end = as_date(as_of)
    out = []
    year, month = end.year, end.month
    for _ in range(months):
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        out.append(min(last, end))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(out)


def monthly_values(lake, ind: Indicator, ends: list[dt.date],
                   step: Callable[[], None] | None = None,
                   one_query: bool = True) -> pd.DataFrame:
    """The tidy table for every period end in `ends`: in one query (default), or month by
    month (`one_query=False`, the naive baseline; same numbers, much slower)."""
    if one_query:
        out = ind.series(lake, ends)
        if step:
            step()
        return out
    frames = []
    for day in ends:
        frames.append(ind.compute(lake, day))
        if step:
            step()
    return pd.concat(frames, ignore_index=True)
