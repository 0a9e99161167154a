"""icsight.stats reproduces PHEindicatormethods' published test values (tests/acceptance/)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from icsight.stats.means import mean
from icsight.stats.poisson import byars
from icsight.stats.proportions import proportion, wilson
from icsight.stats.rates import dsr, dsr_non_independent, esp2013, isr_rate, isr_ratio, rate

HERE = Path(__file__).resolve().parent / "acceptance"
REL = 1e-8  # testthat's default tolerance, as the acceptance README says


def load(name):
    return json.loads((HERE / f"{name}.json").read_text())


def close(got, expected, rel=REL):
    if expected is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if isinstance(expected, str):
        return got == expected
    return got == pytest.approx(expected, rel=rel, abs=1e-12)


def assert_matches(got: dict, expected: dict, case_id: str, rel=REL):
    for key, value in expected.items():
        if key not in got and key in ("lower95_0cl", "upper95_0cl"):
            key = key[:5] + "cl"  # some source sheets name a single 95% level this way
            value = expected[key[:5] + "95_0cl"]
        assert key in got, f"{case_id}: no {key}"
        assert close(got[key], value, rel), f"{case_id}: {key} = {got[key]!r}, expected {value!r}"


def test_byars_and_wilson_helpers():
    for case in load("phe_byars_wilson")["cases"]:
        inp, exp = case["input"], case["expected"]
        if case["function"] == "byars":
            lower, upper = byars(inp["x"], inp["confidence"])
        else:
            lower, upper = wilson(inp["x"], inp["n"], inp["confidence"])
        assert close(float(lower), exp["lower"]), case["id"]
        assert close(float(upper), exp["upper"]), case["id"]


@pytest.mark.parametrize("case", load("phe_proportion")["cases"], ids=lambda c: c["id"])
def test_proportion(case):
    p = case["params"]
    row = proportion(case["input"]["x"], case["input"]["n"], p["confidence"],
                     p["multiplier"]).iloc[0].to_dict()
    assert_matches(row, case["expected"], case["id"])


@pytest.mark.parametrize("case", load("phe_rate")["cases"], ids=lambda c: c["id"])
def test_rate(case):
    p = case["params"]
    row = rate(case["input"]["x"], case["input"]["n"], p["confidence"],
               p["multiplier"]).iloc[0].to_dict()
    assert_matches(row, case["expected"], case["id"])


def test_grouped_rate_sums_within_groups():
    case = load("phe_rate")["grouped_case"]
    import pandas as pd

    # summed within each area; as in R, a missing value makes the sum missing
    df = pd.DataFrame(case["input"]).groupby("Area", sort=True)[["Numerator", "Denominator"]].agg(
        lambda s: s.sum(skipna=False))
    got = rate(df.Numerator, df.Denominator, case["params"]["confidence"],
               case["params"]["multiplier"])
    for (area, row), exp in zip(got.assign(Area=df.index).set_index("Area").iterrows(),
                                sorted(case["expected"], key=lambda e: e["Area"]), strict=True):
        assert area == exp["Area"]
        assert_matches(row.to_dict(), {k: v for k, v in exp.items()
                                       if k not in ("Area", "Numerator", "Denominator")}, area)


@pytest.mark.parametrize("case", load("phe_dsr")["cases"], ids=lambda c: c["id"])
def test_dsr(case):
    p, inp = case["params"], case["input"]
    if p["independent_events"]:
        got = dsr(inp["x"], inp["n"], inp["stdpop"], p["confidence"], p["multiplier"])
    else:
        got = dsr_non_independent(inp["ageband"], inp["freq"], inp["persons"], inp["n"],
                                  inp["stdpop"], p["confidence"], p["multiplier"])
    assert_matches(got, case["expected"], case["id"], rel=1e-9)


def test_esp2013_is_the_standard():
    w = esp2013()
    assert len(w) == 19 and sum(w) == 100_000 and w[0] == 5000 and w[-1] == 1000


@pytest.mark.parametrize("case", load("phe_isr")["cases"] + load("phe_isr")["secondary_cases"],
                         ids=lambda c: c["id"])
def test_isr(case):
    p, inp = case["params"], case["input"]
    total = inp.get("observed_total")
    if case["function"] == "calculate_ISRatio":
        got = isr_ratio(inp.get("x"), inp["n"], inp["x_ref"], inp["n_ref"], p["confidence"],
                        p.get("refvalue", 1), observed_total=total)
    else:
        got = isr_rate(inp.get("x"), inp["n"], inp["x_ref"], inp["n_ref"], p["confidence"],
                       p.get("multiplier", 100_000), observed_total=total)
    assert_matches(got, case["expected"], case["id"], rel=1e-9)


@pytest.mark.parametrize("case", load("phe_mean")["cases"], ids=lambda c: c["id"])
def test_mean(case):
    got = mean(case["input"]["values"], case["params"]["confidence"])
    assert_matches(got, case["expected"], case["id"])


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="between 0 and their denominators"):
        wilson(5, 4)
    with pytest.raises(ValueError, match="confidence"):
        rate(1, 10, confidence=0.5)
    with pytest.raises(ValueError, match="population"):
        dsr([1, 2], [10, 0], [1, 1])
    assert np.isnan(wilson(0, 0)[0])


def test_grouped_proportion_sums_within_groups():
    import pandas as pd

    case = load("phe_proportion")["grouped_case"]
    df = pd.DataFrame(case["input"]).groupby("Area", sort=True)[["Numerator", "Denominator"]].agg(
        lambda s: s.sum(skipna=False))
    expected = {e["Area"]: e for e in case["expected"]}
    ok = df.dropna()
    got = proportion(ok.Numerator, ok.Denominator, case["params"]["confidence"],
                     case["params"]["multiplier"])
    for area, row in zip(ok.index, got.to_dict("records"), strict=True):
        exp = {k: v for k, v in expected[area].items()
               if k not in ("Area", "Numerator", "Denominator")}
        assert_matches(row, exp, area)
    assert len(ok) >= 8


def test_esp2013_matches_the_published_vector():
    published = load("esp2013")
    assert list(esp2013()) == [float(v) for v in published["esp2013"]]
    assert sum(esp2013()) == published["total"]


def test_dsr_many_gives_each_areas_dsr():
    from icsight.stats.rates import dsr_many

    rng = np.random.default_rng(3)
    n = rng.integers(500, 5000, size=(6, 19)).astype(float)
    x = rng.binomial(n.astype(int), 0.01).astype(float)
    x[5] = 0.0
    x[5, 3] = 4  # fewer than 10 events: no value, as calculate_dsr
    many = dsr_many(x, n)
    for i in range(6):
        one = dsr(x[i], n[i])
        for got in ("value", "lowercl", "uppercl"):
            expected = one[got]
            if np.isnan(expected):
                assert np.isnan(many[got][i])
            else:
                assert many[got][i] == pytest.approx(expected, rel=1e-12)
    n[0, 4] = 0  # an empty age band: calculate_dsr refuses, dsr_many gives no value
    assert np.isnan(dsr_many(x, n).value[0])
