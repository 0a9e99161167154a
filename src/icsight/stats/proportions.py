"""Proportions with Wilson score confidence intervals.

The Wilson score interval (Wilson 1927; recommended by Newcombe 1998) is the method NHS and
OHID analysts use for proportions: it is what `PHEindicatormethods::phe_proportion` computes
and what CVDPREVENT publishes. For x events out of n,

    lower, upper = (2x + z^2 -/+ z * sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))

where z is the standard normal quantile for the confidence level (1.959964 at 95%). Unlike the
normal ("Wald") interval it stays inside [0, 1] and behaves at 0 and n. Formula as documented
in `shared/reference/stats-methods.md` B.2 (PHEindicatormethods v2.1.0, R/utils.R); tests
reproduce the package's published values (`shared/acceptance/stats/phe_proportion.json`).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


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
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, x / n, np.nan)
        spread = z * np.sqrt(z * z + 4 * x * (1 - p))
        lower = (2 * x + z * z - spread) / (2 * (n + z * z))
        upper = (2 * x + z * z + spread) / (2 * (n + z * z))
    lower = np.where(n > 0, lower, np.nan)
    upper = np.where(n > 0, upper, np.nan)
    return lower, upper
