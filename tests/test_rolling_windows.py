"""Rolling windows counted from intervals between window edges (`Rolling`) give exactly the
counts of matching every event to every period whose window holds it.

The reference here is independent of the project's code: plain Python over the events, period
by period, with the rule written out (after the window's start, on or before the period end).
Hostile dates: on a period end, on a window start, the day after one, before every window,
after the last period end, 29 February, a period end that is not a month end, a single
period, repeated and unsorted period ends.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icsight.engine import open_lake
from icsight.indicators.breakdown import MARGINS, margins_of
from icsight.indicators.cohorts import PERIOD
from icsight.indicators.periods import months_before, periods_table
from icsight.indicators.population import Rolling
from tests.lakes import make_lake, patient

PRACTICES = ("E81021", "E81001", None)
LSOAS = ("E01015693", None)
STARTS = {"start_1m": 1, "start_12m": 12, "start_24m": 24}


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return open_lake(make_lake(tmp_path_factory.mktemp("rolling") / "lake", [patient(1)], []))


def _events(rows: list[tuple]) -> ibis.Table:
    frame = pd.DataFrame(rows, columns=["practice_code", "lsoa_code", "sex", "ethnicity_group",
                                        "age", "date", "n"])
    return ibis.memtable(frame, schema={"practice_code": "string", "lsoa_code": "string",
                                        "sex": "string", "ethnicity_group": "string",
                                        "age": "int64", "date": "date", "n": "int64"})


def _expected(rows: list[tuple], ends: list[dt.date], months: int, margin: str) -> dict:
    """{(period_end, key): total n} by the rule, event by event and period by period."""
    columns = ["practice_code", "lsoa_code", "sex", "ethnicity_group", "age_band"]
    out: dict = {}
    for end in sorted(set(ends)):
        start = months_before(end, months)
        for practice, lsoa, sex, ethnic, age, date, n in rows:
            if not (start < date <= end):
                continue
            band = next(label for lo, hi, label in (
                (0, 17, "0-17"), (18, 39, "18-39"), (40, 59, "40-59"), (60, 79, "60-79"),
                (80, 200, "80+")) if lo <= age <= hi)
            values = dict(zip(columns, (practice, lsoa, sex, ethnic, band), strict=True))
            key = values[MARGINS[margin][0]] if MARGINS[margin] else None
            out[(end, key)] = out.get((end, key), 0) + n
    return out


def _counted(lake, rows: list[tuple], ends: list[dt.date], start: str) -> dict[str, dict]:
    periods = periods_table(ends, lake)
    with lake.sharing():
        found = margins_of(Rolling(periods, _events(rows), start), "proportion", "numerator",
                           lake)
    out = {}
    for margin, frame in found.items():
        column = MARGINS[margin][0] if MARGINS[margin] else None
        out[margin] = {
            (pd.Timestamp(r[PERIOD]).date(), None if column is None or pd.isna(r[column])
             else r[column]): int(r["numerator"])
            for _, r in frame.iterrows() if r["numerator"]}
    return out


def _check(lake, rows, ends, start):
    counted = _counted(lake, rows, ends, start)
    for margin in MARGINS:
        want = {k: v for k, v in _expected(rows, ends, STARTS[start], margin).items() if v}
        assert counted[margin] == want, margin


def test_edges_of_a_twelve_month_window_by_hand(lake):
    ends = [dt.date(2024, 3, 31), dt.date(2024, 4, 30), dt.date(2025, 2, 28)]
    on = [("E81021", "E01015693", "female", "White", 40, d, 1) for d in (
        dt.date(2023, 3, 31),   # the 31 March 2024 window's start: in none of the windows
        dt.date(2023, 4, 1),    # the day after it: in March 2024's window only
        dt.date(2024, 3, 31),   # on a period end: in all three (February 2025's from 28
        #                         February 2024)
        dt.date(2024, 2, 29),   # 29 February: in all three too
        dt.date(2025, 3, 1),    # after the last period end: in none
        dt.date(2019, 1, 1),    # before every window: in none
    )]
    counted = _counted(lake, on, ends, "start_12m")["icb"]
    assert counted == {(dt.date(2024, 3, 31), None): 3, (dt.date(2024, 4, 30), None): 2,
                       (dt.date(2025, 2, 28), None): 2}
    _check(lake, on, ends, "start_12m")


def test_events_with_no_practice_or_area_count_in_the_total_only(lake):
    rows = [(None, None, "male", "Asian", 70, dt.date(2024, 6, 1), 2),
            ("E81021", "E01015693", "male", "Asian", 70, dt.date(2024, 6, 1), 5)]
    found = _counted(lake, rows, [dt.date(2024, 6, 30)], "start_12m")
    assert found["icb"] == {(dt.date(2024, 6, 30), None): 7}
    assert found["practice_code"][(dt.date(2024, 6, 30), "E81021")] == 5
    _check(lake, rows, [dt.date(2024, 6, 30)], "start_12m")


DAYS = st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31))
ROW = st.tuples(st.sampled_from(PRACTICES), st.sampled_from(LSOAS),
                st.sampled_from(("female", "male")), st.sampled_from(("White", "Black")),
                st.integers(0, 99), DAYS, st.integers(1, 5))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=30),
       ends=st.lists(st.dates(dt.date(2021, 1, 1), dt.date(2026, 12, 31)), min_size=1,
                     max_size=6),
       start=st.sampled_from(sorted(STARTS)))
def test_any_events_and_period_ends_count_as_event_by_event(lake, rows, ends, start):
    _check(lake, rows, ends, start)
