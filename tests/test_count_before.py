"""`count_before`: a date's position among sorted period ends, the same whichever form the
expression takes (month numbers for a build's consecutive month ends, a branch per end else)."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from icsight.indicators.periods import count_before
from icsight.indicators.series import month_ends

D = dt.date


def _positions(days: list[dt.date | None], ends: list[dt.date]) -> tuple[list[int], str]:
    con = ibis.duckdb.connect()
    t = con.create_table("t", pd.DataFrame({"d": pd.Series(days, dtype="object")}),
                         schema=ibis.schema({"d": "date"}))
    expr = count_before(t.d, ends)
    return t.select(n=expr).to_pandas().n.tolist(), str(expr.type())


# hostile dates: each end, the days either side of it, a leap day, long before and long after
# the ends, and no date at all (counted after every end)
DAYS = [D(2020, 1, 1), D(2023, 12, 31), D(2024, 1, 1), D(2024, 1, 30), D(2024, 1, 31),
        D(2024, 2, 1), D(2024, 2, 28), D(2024, 2, 29), D(2024, 3, 1), D(2024, 3, 31),
        D(2024, 4, 1), D(2024, 4, 30), D(2024, 5, 1), D(2030, 6, 15), None]


def test_month_ends_counted_from_the_months_number():
    ends = [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30)]
    positions, kind = _positions(DAYS, ends)
    # by hand: how many of the four ends fall strictly before each day
    assert positions == [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    assert kind == "int8"  # the type the branch per end gives


@pytest.mark.parametrize("ends", [
    [D(2024, 1, 31), D(2024, 2, 28), D(2024, 3, 31)],  # 28 February in a leap year: no month end
    [D(2024, 1, 31), D(2024, 3, 31)],  # a month missing
    [D(2024, 1, 30), D(2024, 2, 29)],  # not a month end
    [D(2024, 2, 29)],  # one end
])
def test_other_period_ends_give_the_same_positions(ends):
    positions, _ = _positions(DAYS, ends)
    assert positions == [sum(e < d for e in ends) if d else len(ends) for d in DAYS]


def test_a_builds_36_month_ends_match_a_branch_per_end():
    ends = month_ends("2026-09-30", 36)
    days = [e + dt.timedelta(days=k) for e in ends for k in (-1, 0, 1)] + [None]
    positions, _ = _positions(days, ends)
    assert positions == [sum(e < d for e in ends) if d else 36 for d in days]
