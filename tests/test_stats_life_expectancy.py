"""Life expectancy reproduces PHEindicatormethods' test values (to 4 dp, as its tests do)."""

from __future__ import annotations

import json
import math
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pytest

from icsight.stats.life_expectancy import life_expectancy

CASES = json.loads((Path(__file__).resolve().parent / "acceptance" /
                    "phe_life_expectancy.json").read_text())["cases"]


def _run(case, rows=None):
    inp, p = case["input"], case.get("params", {})
    sel = rows if rows is not None else range(len(inp["pops"]))
    with pytest.warns(UserWarning) if case["expected"].get("warning") else nullcontext():
        return life_expectancy([inp["startage"][i] for i in sel], [inp["pops"][i] for i in sel],
                               [inp["deaths"][i] for i in sel], p.get("confidence", 0.95),
                               p.get("le_age", "all"))


@pytest.mark.parametrize("case", [c for c in CASES if c["id"] != "le_wide_ci_suppression_grouped"],
                         ids=lambda c: c["id"])
def test_life_expectancy(case):
    out = _run(case)
    exp = case["expected"]
    if exp.get("all_value_lowercl_uppercl_NA"):
        assert out.value.isna().all() and out.lowercl.isna().all()
        return
    for key, values in exp.items():
        if key in ("warning", "note") or not isinstance(values, list):
            continue
        got = out[key].tolist()
        for g, v in zip(got, values, strict=True):
            if isinstance(v, int | float):
                assert round(g, 4) == pytest.approx(round(v, 4), abs=1e-4), key
            else:
                assert g == v, key


def test_wide_intervals_suppress_the_value_not_the_limits():
    case = next(c for c in CASES if c["id"] == "le_wide_ci_suppression_grouped")
    inp = case["input"]
    area2 = [i for i, a in enumerate(inp["area"]) if a == "Area 2"]
    out = life_expectancy([inp["startage"][i] for i in area2], [inp["pops"][i] for i in area2],
                          [inp["deaths"][i] for i in area2], [0.95, 0.998])
    exp = case["expected"]["Area 2"]
    for g, v in zip(out.value, exp["value"], strict=True):
        assert (math.isnan(g) and v is None) or round(g, 4) == pytest.approx(round(v, 4), abs=1e-4)
    assert np.isfinite(out.lower95_0cl).all()
