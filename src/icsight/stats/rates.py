"""Rates: crude, directly standardised (DSR) and indirectly standardised (ratios and rates).

Ported from the maths of PHEindicatormethods v2.1.0 (`R/Rates.R`, `R/DSR.R`, `R/ISRatio.R`,
`R/ISRate.R`; https://github.com/ukhsa-collaboration/PHEindicatormethods
@ 093fd288d8f8949dbcfbed70049dbbf385b6141d, GPL-3: the maths is ported, not the code); tests
reproduce the package's own test data.

* **Crude rate** = x/n x multiplier (default per 100,000); limits are exact Poisson below 10
  events and Byar's from 10, divided by n.
* **DSR** (Dobson et al. 1991): sum(x_i w_i / n_i) / sum(w_i) x multiplier, with w the standard
  population (the 2013 European Standard Population, `esp2013()`). Limits scale Byar's limits for
  the total count O by sqrt(var/O), var = sum(x_i (w_i/n_i)^2) / (sum w_i)^2. With fewer than 10
  events the value and limits are not published (NaN). `independent_events=False` adjusts the
  variance for people with several events (Dobson, with confidence adjusted for non-independent
  events): var = sum over event frequencies f of f^2 var_f.
* **Indirect standardisation**: expected E = sum(x_ref_i / n_ref_i x n_i); the ratio is O/E x
  refvalue (e.g. 100 for an SMR) and the rate O/E x the reference rate; limits are the Poisson
  limits of O divided by E.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd

from icsight.model.reference import data_path
from icsight.stats.confidence import column_names, label, levels
from icsight.stats.poisson import byars, poisson_limits


@cache
def esp2013() -> tuple[float, ...]:
    """The 2013 European Standard Population: 19 bands 0-4, 5-9, ..., 85-89, 90+ (100,000)."""
    data = json.loads(data_path("reference", "esp2013.json").read_text())
    return tuple(float(v) for v in data["esp2013"])


def rate(x, n, confidence=0.95, multiplier: float = 100_000) -> pd.DataFrame:
    """`phe_rate`: crude rates x/n x multiplier with exact (x < 10) or Byar's limits."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n = np.atleast_1d(np.asarray(n, dtype=float))
    if np.any(x < 0) or np.any(n <= 0):  # NaN compares False: missing values pass through
        raise ValueError("counts must be >= 0 and denominators > 0")
    out = pd.DataFrame({"numerator": x, "denominator": n, "value": x / n * multiplier})
    method = None
    for level, lo, hi in column_names(levels(confidence)):
        lower, upper, method = poisson_limits(x, level)
        out[lo], out[hi] = lower / n * multiplier, upper / n * multiplier
    out["confidence"] = label(levels(confidence))
    out["statistic"] = f"rate per {multiplier:g}"
    out["method"] = np.where(np.isnan(x), None, method)  # a missing count has no method
    return out


def dsr(x: Sequence[float], n: Sequence[float], stdpop: Sequence[float] | None = None,
        confidence=0.95, multiplier: float = 100_000) -> dict:
    """`calculate_dsr` with independent events: one DSR from age-specific counts x, populations
    n and a standard population (default ESP2013)."""
    x = np.nan_to_num(np.asarray(x, dtype=float))
    n = np.asarray(n, dtype=float)
    w = np.asarray(stdpop if stdpop is not None else esp2013(), dtype=float)
    _check_bands(n, w)
    var = np.sum(x * (w / n) ** 2) / w.sum() ** 2
    return _dsr_result(x, n, w, var, confidence, multiplier, "Dobson")


def dsr_non_independent(ageband, freq, persons, n, stdpop, confidence=0.95,
                        multiplier: float = 100_000) -> dict:
    """`calculate_dsr(independent_events = FALSE)`: rows are (age band, events per person f,
    number of persons with f events); n and stdpop are repeated per row."""
    frame = pd.DataFrame({"ageband": ageband, "f": np.asarray(freq, float),
                          "p": np.nan_to_num(np.asarray(persons, float)),
                          "n": np.asarray(n, float), "w": np.asarray(stdpop, float)})
    var = 0.0
    for f, block in frame.groupby("f"):
        var += f * f * np.sum(block.p * (block.w / block.n) ** 2) / block.w.sum() ** 2
    frame["x"] = frame.f * frame.p
    bands = frame.groupby("ageband", sort=False).agg(x=("x", "sum"), n=("n", "first"),
                                                     w=("w", "first"))
    return _dsr_result(bands.x.to_numpy(), bands.n.to_numpy(), bands.w.to_numpy(), var,
                       confidence, multiplier,
                       "Dobson, with confidence adjusted for non-independent events")


def _check_bands(n, w) -> None:
    if len(n) != len(w):
        raise ValueError(f"{len(n)} populations but {len(w)} standard population bands")
    if np.any(np.isnan(n)) or np.any(n <= 0):
        raise ValueError("every age band needs a population greater than zero")


def _dsr_result(x, n, w, var, confidence, multiplier, method) -> dict:
    total = float(x.sum())
    out = {"total_count": total, "total_pop": float(n.sum())}
    value = np.sum(x * w / n) / w.sum() * multiplier
    small = total < 10
    out["value"] = np.nan if small else float(value)
    for level, lo, hi in column_names(levels(confidence)):
        bl, bu = byars(total, level)
        scale = np.sqrt(var / total) * multiplier if total > 0 else np.nan
        out[lo] = np.nan if small else float(value + scale * (bl - total))
        out[hi] = np.nan if small else float(value + scale * (bu - total))
    out["confidence"] = label(levels(confidence))
    out["statistic"] = "dsr NA for total count < 10" if small else f"dsr per {multiplier:g}"
    out["method"] = method
    return out


def _expected(n, x_ref, n_ref) -> float:
    x_ref = np.nan_to_num(np.asarray(x_ref, dtype=float))
    n = np.nan_to_num(np.asarray(n, dtype=float))
    return float(np.sum(x_ref / np.asarray(n_ref, dtype=float) * n))


def _indirect(observed, expected, scale, confidence, statistic) -> dict:
    out = {"observed": float(observed), "expected": expected,
           "value": observed / expected * scale}
    method = None
    for level, lo, hi in column_names(levels(confidence)):
        lower, upper, method = poisson_limits(observed, level)
        out[lo], out[hi] = float(lower / expected * scale), float(upper / expected * scale)
    out["confidence"] = label(levels(confidence))
    out["statistic"], out["method"] = statistic, str(method)
    return out


def isr_ratio(x, n, x_ref, n_ref, confidence=0.95, refvalue: float = 1,
              observed_total: float | None = None) -> dict:
    """`calculate_ISRatio`: observed / expected x refvalue (e.g. 100 for an SMR)."""
    observed = observed_total if observed_total is not None else float(np.nansum(
        np.asarray(x, dtype=float)))
    return _indirect(observed, _expected(n, x_ref, n_ref), refvalue, confidence,
                     f"indirectly standardised ratio x {refvalue:g}")


def isr_rate(x, n, x_ref, n_ref, confidence=0.95, multiplier: float = 100_000,
             observed_total: float | None = None) -> dict:
    """`calculate_ISRate`: observed / expected x the reference population's crude rate."""
    observed = observed_total if observed_total is not None else float(np.nansum(
        np.asarray(x, dtype=float)))
    ref_rate = np.nansum(np.asarray(x_ref, float)) / np.nansum(np.asarray(n_ref, float))
    out = _indirect(observed, _expected(n, x_ref, n_ref), ref_rate * multiplier, confidence,
                    f"indirectly standardised rate per {multiplier:g}")
    out["ref_rate"] = float(ref_rate * multiplier)
    return out


def dsr_many(x, n, stdpop: Sequence[float] | None = None, confidence: float = 0.95,
             multiplier: float = 100_000) -> pd.DataFrame:
    """`dsr` for many areas at once: `x` and `n` are (areas x age bands) arrays of counts and
    populations. The same rules as `calculate_dsr`: Dobson limits; no value where the total
    count is under 10; and (where `calculate_dsr` stops with an error) no value where any age
    band has no population. Returns value, lowercl, uppercl, total_count, total_pop per area."""
    x = np.nan_to_num(np.atleast_2d(np.asarray(x, dtype=float)))
    n = np.atleast_2d(np.asarray(n, dtype=float))
    w = np.asarray(stdpop if stdpop is not None else esp2013(), dtype=float)
    if x.shape != n.shape or x.shape[1] != len(w):
        raise ValueError(f"counts {x.shape} and populations {n.shape} need {len(w)} age bands")
    valid = (n > 0).all(axis=1)
    safe = np.where(n > 0, n, 1.0)
    total = x.sum(axis=1)
    value = (x * w / safe).sum(axis=1) / w.sum() * multiplier
    var = (x * (w / safe) ** 2).sum(axis=1) / w.sum() ** 2
    lower, upper = byars(total, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(var / total) * multiplier
    ok = valid & (total >= 10)
    return pd.DataFrame({
        "value": np.where(ok, value, np.nan),
        "lowercl": np.where(ok, value + scale * (lower - total), np.nan),
        "uppercl": np.where(ok, value + scale * (upper - total), np.nan),
        "total_count": total, "total_pop": n.sum(axis=1),
    })
