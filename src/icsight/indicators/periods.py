"""Periods: the month ends an indicator is computed for, as a small table every query joins.

Indicators are written once against a *periods* table rather than one date, so the same
definition computes one month (a one-row table) or a 36-month series (36 rows) in a single
query: each patient, event or pathway is matched to every period it belongs to. That is what
makes a full monthly build fast, and it means the series and the single-month figures can never
disagree, because they come from the same expression.

Every date an indicator needs relative to its period end is worked out here, in Python, once
per period, so the rules are exact (the same calendar arithmetic for every engine) and
definitions only compare dates:

- `period_end`: the as-of date (a month end in a series);
- `month_start`: the first day of the period end's month, and `previous_month_end` the day
  before it ("in the month" is `previous_month_end < date <= period_end`);
- `start_<n>m`: the same day `n` months earlier (the month's last day where that day does not
  exist), for the look-backs indicators use: "in the 12 months to the period end" means
  `start_12m < date <= period_end`;
- `season_start`, `season_end`: the influenza season reported on the period end (from 1
  September; for a September period end, the season just finished); `season_age_date`, the
  31 March of the season by which age cohorts are set (UKHSA: "aged 65 and over on 31 March");
- `home_bp_rules`: whether CVDPREVENT's home and ambulatory BP thresholds apply (extracts from
  30 June 2024).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir
import pandas as pd

PERIOD = "period_end"
LOOKBACK_MONTHS = (1, 6, 12, 24, 30, 36, 42, 66)
HOME_BP_RULES_FROM = dt.date(2024, 6, 30)


def as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day where that day does not exist)."""
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def one_year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (28 February for 29 February)."""
    return months_before(day, 12)


def flu_season(day: dt.date) -> tuple[dt.date, dt.date]:
    """The influenza season reported on `day`: from 1 September to `day` (or 31 August)."""
    start = dt.date(day.year if day.month >= 10 else day.year - 1, 9, 1)
    return start, min(day, dt.date(start.year + 1, 8, 31))


def period_frame(ends: Iterable[str | dt.date]) -> pd.DataFrame:
    """The periods as a pandas frame, one row per period end, with every derived date."""
    days = sorted({as_date(d) for d in ends})
    if not days:
        raise ValueError("no period ends given")
    rows = []
    for day in days:
        row = {PERIOD: day, "month_start": day.replace(day=1),
               "previous_month_end": day.replace(day=1) - dt.timedelta(days=1)}
        row.update({f"start_{n}m": months_before(day, n) for n in LOOKBACK_MONTHS})
        row["season_start"], row["season_end"] = flu_season(day)
        row["season_age_date"] = dt.date(row["season_start"].year + 1, 3, 31)
        row["home_bp_rules"] = day >= HOME_BP_RULES_FROM
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column != "home_bp_rules":
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def periods_table(ends: Iterable[str | dt.date], lake=None) -> ir.Table:
    """The periods as a table: uploaded to the lake's backend (once per set of period ends, so
    results shared within a build, `Lake.shared`, are found again), or without a lake an Ibis
    in-memory table."""
    days = tuple(sorted({as_date(d) for d in ends}))
    frame = period_frame(days)
    schema = {c: ("boolean" if c == "home_bp_rules" else "date") for c in frame.columns}
    if lake is None:
        return ibis.memtable(frame, schema=schema)
    name = "periods_" + "_".join(d.strftime("%Y%m%d") for d in (days[0], days[-1])) + \
        f"_{len(days)}_{abs(hash(days)) % 10**8}"
    return lake.small_table(name, frame, schema)


def period_columns(periods: ir.Table) -> list[str]:
    return list(periods.columns)


#: periods tables already read (`read_periods`), newest last; a few dozen at most
_READ: dict = {}
_READ_KEPT = 32


def read_periods(periods: ir.Table) -> pd.DataFrame:
    """The rows of a periods table as pandas, read from the backend once per table.

    Indicators need the period ends in Python to shape their queries (positions among the
    ends, window edges, the first and last date); read once per query each, a single
    indicator at one date paid for half a dozen round trips (each compiled by Ibis) before
    its real query ran. The table is a few dozen rows that never change once uploaded, so it
    is kept: by its name and backend for a table of the backend (an upload's name says which
    period ends it holds, and holding the name rather than the expression keeps no closed
    lake's connection alive), else by its expression."""
    op = periods.op()
    name = getattr(op, "name", None)
    key = (name, id(getattr(op, "source", None))) if isinstance(name, str) else op
    if key not in _READ:
        if len(_READ) >= _READ_KEPT:
            _READ.pop(next(iter(_READ)))
        _READ[key] = periods.to_pandas()
    return _READ[key].copy()


def first_and_last(periods: ir.Table, column: str = PERIOD) -> tuple[ir.Value, ir.Value]:
    """The earliest and latest of a periods column, as date literals a filter can compare
    rows with: rows outside every period's window are left out before they are matched to
    periods. Literals, not subqueries over the periods table, so that the database can push
    the filter down to the scan of the rows (and past aggregations by date) instead of
    applying it after them."""
    days = pd.to_datetime(read_periods(periods)[column]).dt.date
    return ibis.literal(days.min(), "date"), ibis.literal(days.max(), "date")


def count_before(day: ir.DateValue, dates: list[dt.date]) -> ir.IntegerValue:
    """How many of `dates` (sorted) fall before `day` (all of them when `day` is null): the
    position, among sorted period ends, of the first end on or after `day`. Comparing
    positions is how rows are matched to ranges of periods without a join on dates.

    When `dates` are the last days of consecutive months (a build's month ends), the count is
    the number of those months before `day`'s month: a month's last day is before `day` exactly
    when its month is, so it is worked out from the month's number rather than compared with
    each date; the same integers (of the same type) from an expression a few nodes long instead
    of one with a branch per date, which Ibis compiles much faster in the longest queries."""
    n = len(dates)
    if n > 1 and _consecutive_month_ends(dates):
        first = dates[0].year * 12 + dates[0].month
        months = day.year().cast("int64") * 12 + day.month().cast("int64") - first
        # a missing date counts every date as before it; LEAST and GREATEST would skip it
        months = months.fill_null(n)
        return ibis.least(ibis.greatest(months, 0), n).cast(ibis.literal(n).type())
    return ibis.cases(*[(day <= d, i) for i, d in enumerate(dates)], else_=n)


def _consecutive_month_ends(dates: list[dt.date]) -> bool:
    """Whether `dates` are each the last day of its month, in consecutive months."""
    for i, d in enumerate(dates):
        if (d + dt.timedelta(days=1)).day != 1:
            return False
        if i and (d.year * 12 + d.month) - (dates[i - 1].year * 12 + dates[i - 1].month) != 1:
            return False
    return True
