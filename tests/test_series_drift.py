"""The drift measurement of a build's series (benchmarks/series_drift.py, issue 11)."""

from __future__ import annotations

import numpy as np
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


def _with_limits(indicator_id: str, values: list[float], se: float) -> pd.DataFrame:
    v = _values(indicator_id, values)
    return v.assign(lower_ci=v["value"] - 1.959964 * se, upper_ci=v["value"] + 1.959964 * se)


def test_a_figure_counted_in_the_month_alone_pools_its_twelve_months():
    # steps of 1 and 2 either way against a standard error of 1: independent months. The years'
    # means are 10.5 and 11.5; each mean's standard error is sqrt(12 x 1^2) / 12 = 0.2887, so
    # z = 1 / sqrt(2 x 0.2887^2) = 2.449 (comparing two single months would give 1 / sqrt(2)).
    values = [10.0, 12.0, 11.0, 9.0] * 3 + [11.0, 13.0, 12.0, 10.0] * 3
    drift = series_drift(_with_limits("MONTHLY", values, se=1.0))
    assert bool(drift.loc["MONTHLY", "monthly"]) is True
    assert drift.loc["MONTHLY", "z"] == pytest.approx(2.449, abs=0.001)


def test_a_rolling_figure_is_as_uncertain_as_its_last_value():
    # a steady rise of 0.1 a month against a standard error of 1: a rolling figure. The years'
    # means are 100.55 and 101.75, so z = 1.2 / sqrt(1 + 1) = 0.849: a year of a rolling
    # figure's values holds about one value's worth of data.
    values = [100.0 + 0.1 * k for k in range(24)]
    drift = series_drift(_with_limits("ROLLING", values, se=1.0))
    assert bool(drift.loc["ROLLING", "monthly"]) is False
    assert drift.loc["ROLLING", "z"] == pytest.approx(0.849, abs=0.001)


def test_without_limits_there_is_no_z():
    drift = series_drift(_values("PLAIN", [1.0] * 24))
    assert np.isnan(drift.loc["PLAIN", "z"])
