"""Overdispersed funnels reproduce FunnelPlotR's test values; tau^2 behaves as it should."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from icsight.stats.overdispersion import adjusted_sr_limits, outliers, sr_limits, tau_squared

CASES = json.loads((Path(__file__).resolve().parent / "acceptance" /
                    "funnelplotr_limits.json").read_text())["cases"]


def test_unadjusted_limits_match_funnelplotr():
    case = next(c for c in CASES if c["id"] == "poisson_limits_unadjusted_SR")
    got = sr_limits(case["input"]["expected_count"], case["input"]["target"])
    for key, values in case["expected"].items():
        digits = 7 if key.startswith("ll") else 6
        assert list(np.round(got[key], digits)) == pytest.approx(values, abs=10**-digits)


@pytest.mark.parametrize("case", [c for c in CASES if c["id"].startswith("outliers")],
                         ids=lambda c: c["id"])
def test_outliers_match_funnelplotr(case):
    p = case["params"]
    got = outliers(case["input"]["rr"], case["input"]["limits"], p["limit"],
                   p["draw_adjusted"], p["multiplier"])
    assert list(got) == case["expected"]["outlier"]


def test_tau_squared_is_zero_without_overdispersion_and_widens_limits_with_it():
    rng = np.random.default_rng(7)
    expected = rng.uniform(50, 500, 200)
    poisson_only = rng.poisson(expected)
    assert tau_squared(poisson_only, expected) < 0.002
    overdispersed = rng.poisson(expected * rng.lognormal(0, 0.3, 200))
    tau2 = tau_squared(overdispersed, expected)
    assert tau2 > 0.03
    plain, wide = adjusted_sr_limits(expected, 0.0), adjusted_sr_limits(expected, tau2)
    assert (wide.od_ul95 > plain.od_ul95).all() and (wide.od_ll95 < plain.od_ll95).all()
