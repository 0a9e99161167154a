"""Proportions with Wilson score confidence intervals.

The Wilson score interval (Wilson 1927; recommended by Newcombe 1998) is the method NHS and
OHID analysts use for proportions: it is what `PHEindicatormethods::phe_proportion` computes
and what CVDPREVENT publishes. For x events out of n,

    lower, upper = (2x + z^2 -/+ z * sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))

where z is the standard normal quantile for the confidence level (1.959964 at 95%). Unlike the
normal ("Wald") interval it stays inside [0, 1] and behaves at 0 and n. Confidence 1 gives
[0, 1]. Formula as in PHEindicatormethods v2.1.0 (R/utils.R and R/Proportions.R;
https://github.com/ukhsa-collaboration/PHEindicatormethods @ 093fd288); tests reproduce the
package's published values (`phe_proportion.json`, `phe_byars_wilson.json`).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from icsight.stats.confidence import column_names, label, levels


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for a confidence level such as 0.95."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson(numerator, denominator, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (lower, upper) for proportions numerator/denominator.

    Works on scalars or arrays. A denominator of 0 gives NaN limits; a numerator below 0 or
    above its denominator is an error, as in PHEindicatormethods.
    """
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    if np.any(x < 0) or np.any(x > n):
        raise ValueError("numerators must be between 0 and their denominators")
    if confidence == 1:
        return np.zeros_like(x * n), np.ones_like(x * n)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, x / n, np.nan)
        spread = z * np.sqrt(z * z + 4 * x * (1 - p))
        lower = (2 * x + z * z - spread) / (2 * (n + z * z))
        upper = (2 * x + z * z + spread) / (2 * (n + z * z))
    lower = np.where(n > 0, lower, np.nan)
    upper = np.where(n > 0, upper, np.nan)
    return lower, upper


def proportion(x, n, confidence=0.95, multiplier: float = 1) -> pd.DataFrame:
    """`phe_proportion`: proportions x/n x multiplier with Wilson score limits.

    `x` and `n` are numbers or sequences (numerators and denominators); one row per pair. Use
    `multiplier=100` for percentages. Errors, as in PHEindicatormethods, if x < 0, n <= 0 or
    x > n.
    """
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n = np.atleast_1d(np.asarray(n, dtype=float))
    if np.any(n <= 0):
        raise ValueError("denominators must be greater than zero")
    out = pd.DataFrame({"numerator": x, "denominator": n, "value": x / n * multiplier})
    for level, lo, hi in column_names(levels(confidence)):
        lower, upper = wilson(x, n, level)
        out[lo], out[hi] = lower * multiplier, upper * multiplier
    out["confidence"] = label(levels(confidence))
    out["statistic"] = "percentage" if multiplier == 100 else f"proportion of {multiplier:g}"
    out["method"] = "Wilson"
    return out
