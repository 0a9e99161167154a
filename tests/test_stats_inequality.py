"""SII/RII reproduce PHEindicatormethods' test values: point estimates exactly (1e-9), simulated
limits within 5% (the package's own tests use a 0.05 tolerance: they are Monte Carlo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from icsight.stats.inequality import sii

CASES = json.loads((Path(__file__).resolve().parent / "acceptance" / "phe_sii.json").read_text()
                   )["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_sii(case):
    p = case["params"]
    for area in case["areas"]:
        inp = area["input"]
        use = p["use"]
        kwargs = {}
        if "se" in use:
            kwargs["se"] = inp["StandardError"]
        else:
            kwargs["lower_cl"], kwargs["upper_cl"] = inp["LowerCL"], inp["UpperCL"]
        if use.startswith("x"):
            kwargs["x"] = inp["Count"]
        else:
            kwargs["value"] = inp["Value"]
        got = sii(inp["Population"], value_type=p["value_type"], transform=p["transform"],
                  multiplier=p["multiplier"], repetitions=p["repetitions"],
                  confidence=p["confidence"], rii=p["rii"], intercept=p["intercept"], **kwargs)
        for key, expected in area["expected"].items():
            tol = 1e-9 if key in ("sii", "rii", "intercept") else 0.05
            assert got[key] == pytest.approx(expected, rel=tol), (area["area"], key)
