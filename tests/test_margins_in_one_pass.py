"""Every margin in one pass (SQL GROUPING SETS on DuckDB) gives what the margins counted one
by one give, including the groups of people with no practice or no ethnic group recorded."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import ibis
import pandas as pd

from icsight.indicators.breakdown import _counted_every_way, margins

END = dt.date(2026, 9, 30)


def _rows(con=None) -> ibis.Table:
    """Four people at one period end; on `con` as a table of its own (a raw query can only
    name tables the connection has)."""
    t = ibis.memtable(pd.DataFrame({
        "period_end": [END] * 4,
        "practice_code": ["P1", "P1", None, "P2"],
        "lsoa_code": ["L1", "L2", "L1", "L1"],
        "sex": ["female", "male", "female", "male"],
        "ethnicity_group": ["White", "Asian", None, "White"],
        "age": [30, 45, 70, 85],
        "numerator": [True, False, True, True],
    }), schema={"period_end": "date", "practice_code": "string", "lsoa_code": "string",
                "sex": "string", "ethnicity_group": "string", "age": "int64",
                "numerator": "boolean"})
    return t if con is None else con.create_table("people", t.to_pyarrow(), overwrite=True)


def _as_dict(frame: pd.DataFrame, key: str | None) -> dict:
    return {(None if key is None or pd.isna(r[key]) else r[key]):
            (int(r["numerator"]), int(r["denominator"])) for _, r in frame.iterrows()}


def test_one_pass_margins_are_the_hand_worked_counts():
    lake = SimpleNamespace(backend="duckdb", con=ibis.duckdb.connect())
    found = margins(_rows(lake.con), "proportion", lake)
    assert _as_dict(found["icb"], None) == {None: (3, 4)}
    assert _as_dict(found["practice_code"], "practice_code") == {
        "P1": (1, 2), "P2": (1, 1), None: (1, 1)}
    assert _as_dict(found["lsoa_code"], "lsoa_code") == {"L1": (3, 3), "L2": (0, 1)}
    assert _as_dict(found["sex"], "sex") == {"female": (2, 2), "male": (1, 2)}
    assert _as_dict(found["ethnicity_group"], "ethnicity_group") == {
        "White": (2, 2), "Asian": (0, 1), None: (1, 1)}
    assert _as_dict(found["age_band"], "age_band") == {
        "18-39": (1, 1), "40-59": (0, 1), "60-79": (1, 1), "80+": (1, 1)}


def test_one_pass_margins_match_the_margins_counted_one_by_one():
    lake = SimpleNamespace(backend="duckdb", con=ibis.duckdb.connect())
    values = {"numerator": lambda t: t.numerator.cast("int64").sum(),
              "denominator": lambda t: t.count()}
    for method in ("proportion", "dsr"):
        one_pass = margins(_rows(lake.con), method, lake)
        one_by_one = _counted_every_way(_rows(), method, values)  # no lake: never one pass
        assert one_pass.keys() == one_by_one.keys()
        for margin, frame in one_pass.items():
            keys = [c for c in frame.columns if c not in ("numerator", "denominator")]
            a = frame.sort_values(keys).reset_index(drop=True)
            b = one_by_one[margin][frame.columns].sort_values(keys).reset_index(drop=True)
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
