"""Proportion funnel limits reproduce PHEindicatormethods' test tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from icsight.stats.funnels import funnel_limits, funnel_significance

DATA = json.loads((Path(__file__).resolve().parent / "acceptance" /
                   "phe_funnel_proportion.json").read_text())


@pytest.mark.parametrize("case", DATA["limits_cases"], ids=lambda c: c["id"])
def test_proportion_limits(case):
    rows = case["input"]["rows"]
    got = funnel_limits([r[0] for r in rows], [r[1] for r in rows],
                        case["params"]["multiplier"])
    cols = case["expected"]["columns"]
    assert len(got) == len(case["expected"]["rows"]) == 100
    for i, row in enumerate(case["expected"]["rows"]):
        for col, value in zip(cols, row, strict=True):
            if isinstance(value, str):
                assert got[col].iloc[i] == value
            else:
                assert got[col].iloc[i] == pytest.approx(value, rel=1e-6, abs=1e-6), (i, col)


def test_proportion_significance():
    case = DATA["significance_cases"][0]
    rows = case["input"]["rows"]
    got = funnel_significance([r[1] for r in rows], [r[2] for r in rows])
    assert got == case["expected"]["significance"]


RATIO = json.loads((Path(__file__).resolve().parent / "acceptance" /
                    "phe_funnel_ratio.json").read_text())


@pytest.mark.parametrize("case", RATIO["limits_cases"], ids=lambda c: c["id"])
def test_ratio_limits(case):
    from icsight.stats.funnels import funnel_limits_ratio

    rows = case["input"]["rows"]
    got = funnel_limits_ratio([r[0] for r in rows], [r[1] for r in rows],
                              case["params"]["ratio_type"])
    cols = case["expected"]["columns"]
    assert len(got) == len(case["expected"]["rows"])
    for i, row in enumerate(case["expected"]["rows"]):
        for col, value in zip(cols, row, strict=True):
            assert got[col].iloc[i] == pytest.approx(value, rel=1e-6, abs=1e-6), (i, col)


def test_ratio_significance():
    from icsight.stats.funnels import funnel_significance_ratio

    case = RATIO["significance_cases"][0]
    rows = case["input"]["rows"]
    got = funnel_significance_ratio([r[0] for r in rows], [r[1] for r in rows])
    assert got == case["expected"]["significance"]


RATE = json.loads((Path(__file__).resolve().parent / "acceptance" /
                   "phe_funnel_rate.json").read_text())


def _rate_inputs(case):
    cols, rows = case["input"]["columns"], case["input"]["rows"]
    col = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    p = case["params"]
    rate_col = p.get("rate", "rate")
    events = col.get("ev", col.get("count"))
    denom = col.get(p["denominator"]) if p.get("denominator") else None
    return events, col[rate_col], denom


@pytest.mark.parametrize("case", RATE["limits_cases"], ids=lambda c: c["id"])
def test_rate_limits(case):
    from icsight.stats.funnels import funnel_limits_rate

    p = case["params"]
    events, rates, denom = _rate_inputs(case)
    got = funnel_limits_rate(events, rates, p["rate_type"], p["years_of_data"],
                             p["multiplier"], denom)
    cols = case["expected"]["columns"]
    for i, row in enumerate(case["expected"]["rows"]):
        for col, value in zip(cols, row, strict=True):
            if isinstance(value, str):
                assert got[col].iloc[i] == value, (i, col)
            else:
                assert got[col].iloc[i] == pytest.approx(value, rel=1e-6, abs=1e-6), (i, col)


@pytest.mark.parametrize("case", RATE["funnel_points_cases"], ids=lambda c: c["id"])
def test_rate_funnel_points(case):
    from icsight.stats.funnels import funnel_points_rate

    p = case["params"]
    events, rates, denom = _rate_inputs(case)
    got = funnel_points_rate(events, rates, p["rate_type"], p["years_of_data"],
                             p["multiplier"], denom)
    for key, values in case["expected"].items():
        for g, v in zip(got[key], values, strict=True):
            assert (v is None and g != g) or g == pytest.approx(v, rel=1e-6), key


@pytest.mark.parametrize("case", RATE["significance_cases"], ids=lambda c: c["id"])
def test_rate_significance(case):
    from icsight.stats.funnels import funnel_significance_rate

    p = case["params"]
    events, rates, denom = _rate_inputs(case)
    got = funnel_significance_rate(events, rates, p["rate_type"], p["multiplier"], denom)
    assert got == case["expected"]["significance"]
