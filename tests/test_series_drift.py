"""The drift measurement of a build's series (benchmarks/series_drift.py, issue 11)."""

from __future__ import annotations

import pandas as pd
import pytest
from benchmarks.series_drift import series_drift


def _values(indicator_id: str, values: list[float], breakdown: str = "icb") -> pd.DataFrame:
    months = pd.period_range("2023-10", periods=len(values), freq="M")
    return pd.DataFrame({"indicator_id": indicator_id,
                         "period_end": [str(m.end_time.date()) for m in months],
                         "breakdown": breakdown, "group": "BLMK", "value": values})


def test_first_and_last_year_means_and_their_relative_change():
    rising = [100.0] * 12 + [110.0] * 12 + [120.0] * 12
    flat = [50.0] * 36
    # a place's rows must not count: only the ICB total is read
    place = _values("RISING", [1000.0] * 36, breakdown="place")
    drift = series_drift(pd.concat([_values("RISING", rising), _values("FLAT", flat), place]))
    assert drift.loc["RISING", "first_year"] == 100.0
    assert drift.loc["RISING", "last_year"] == 120.0
    assert drift.loc["RISING", "change"] == pytest.approx(0.2)
    assert drift.loc["FLAT", "change"] == 0.0


def test_a_series_shorter_than_two_years_is_left_out():
    drift = series_drift(pd.concat([_values("SHORT", [1.0] * 23), _values("LONG", [1.0] * 24)]))
    assert list(drift.index) == ["LONG"]
