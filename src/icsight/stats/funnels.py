"""Funnel plot control limits, for spotting unwarranted variation between practices or areas.

Proportions: limits around the overall proportion p-bar at 95% (2 sigma) and 99.8% (3 sigma),
the inverse of the Wilson score interval, drawn over 100 denominators from the axis minimum to
the axis maximum, as `PHEindicatormethods::calculate_funnel_limits` draws them; and each area's
significance against the limits for its own denominator (`assign_funnel_significance`).
Ported from the maths documented in `shared/reference/stats-methods.md` B.9 (PHEindicatormethods
v2.1.0, `R/Funnels.R`, `R/utils.R`); tests reproduce the package's limit tables.

Ratio and rate funnels, and the Spiegelhalter overdispersion adjustment (FunnelPlotR), are not
yet ported.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtri


def _digits(x: float) -> int:
    return len(str(int(abs(x))))


def _signif_floor(x: float) -> float:
    k = _digits(math.floor(0.95 * x)) - 1
    return math.floor(0.95 * x / 10**k) * 10**k


def _signif_ceiling(x: float) -> float:
    k = _digits(math.ceil(1.05 * x)) - 2
    return math.ceil(1.05 * x / 10**k) * 10**k


def axis_points(min_den: float, max_den: float, offset: int = 0) -> np.ndarray:
    """The 100 denominators a funnel is drawn at (geometrically spaced, whole numbers)."""
    lo = 0 if max_den > 2 * min_den else _signif_floor(min_den)
    hi = _signif_ceiling(max_den)
    points = [max(1, lo)]
    for j in range(2, 101):
        prev = points[-1]
        o = j - offset
        step = round((hi / prev) ** (1 / (101 - o)) * prev)
        points.append(max(step, prev + 1))
    return np.array(points, dtype=float)


def _proportion_limit(p_bar: float, n: np.ndarray, p: float, upper: bool) -> np.ndarray:
    z = ndtri(p)
    a = n / z**2 + 1
    adj = np.sqrt((8 * p_bar * a) ** 2 - 64 * (1 / z**2 + 1 / n) * p_bar * (
        n * (p_bar * (n / z**2 + 2) - 1) + z**2 * (p_bar - 1)))
    return (p_bar * a + (adj if upper else -adj) / 8) / (1 / z**2 + 1 / n) / n


def funnel_limits(numerator, denominator, multiplier: float = 100) -> pd.DataFrame:
    """Funnel limits for proportions: 100 rows of population, 95% and 99.8% limits, baseline."""
    x = np.asarray(numerator, float)
    n = np.asarray(denominator, float)
    p_bar = x.sum() / n.sum()
    pop = axis_points(n.min(), n.max())
    out = pd.DataFrame({"Population": pop})
    for name, p in (("2s", 0.975), ("3s", 0.999)):
        out[f"lower_{name}_limit"] = np.maximum(_proportion_limit(p_bar, pop, p, False), 0) \
            * multiplier
        out[f"upper_{name}_limit"] = np.minimum(
            _proportion_limit(p_bar, pop, p, True) * multiplier, 100)
    out["baseline"] = p_bar * multiplier
    out["statistic"], out["method"] = "proportion", "Wilson"
    return out


def funnel_significance(numerator, denominator) -> list[str]:
    """Each area's position on a proportion funnel: High/Low (0.001 or 0.025) or Not
    significant, checking the 99.8% limits first."""
    x = np.asarray(numerator, float)
    n = np.asarray(denominator, float)
    p_bar = x.sum() / n.sum()
    value = x / n
    out = []
    for v, size in zip(value, n, strict=True):
        size_arr = np.array([size])
        label = "Not significant"
        for p, tag in ((0.999, "0.001"), (0.975, "0.025")):
            if v < _proportion_limit(p_bar, size_arr, p, False)[0]:
                label = f"Low ({tag})"
                break
            if v > _proportion_limit(p_bar, size_arr, p, True)[0]:
                label = f"High ({tag})"
                break
        out.append(label)
    return out
