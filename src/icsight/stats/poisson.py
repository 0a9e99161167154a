"""Confidence limits for a count of events O treated as Poisson.

* **Byar's approximation** (Breslow and Day 1987):
  lower = O (1 - 1/(9O) - z/(3 sqrt O))^3, upper = (O+1)(1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3;
  a negative lower limit is reported as missing (NaN), as in PHEindicatormethods.
* **Exact limits** (used by PHEindicatormethods when O < 10): lower = chi2_inv((1-c)/2, 2O)/2,
  upper = chi2_inv(c + (1-c)/2, 2O + 2)/2, with the lower limit 0 when O = 0 (R's `qchisq` at 0
  degrees of freedom is 0; scipy's is NaN, hence the special case).

Source: PHEindicatormethods v2.1.0 `R/utils.R`
(https://github.com/ukhsa-collaboration/PHEindicatormethods @ 093fd288);
reproduces the package's test data (`phe_byars_wilson.json`).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from icsight.stats.confidence import z as z_value


def byars(observed, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's lower and upper limits for counts `observed`."""
    o = np.asarray(observed, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    lower = np.where((o > 0) & (lower >= 0), lower, np.nan)
    return lower, upper


def exact(observed, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (chi-square based) Poisson limits for counts `observed`."""
    o = np.asarray(observed, dtype=float)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(o > 0, chi2.ppf(alpha / 2, 2 * np.maximum(o, 1e-300)) / 2, 0.0)
    upper = chi2.ppf(confidence + alpha / 2, 2 * o + 2) / 2
    return lower, upper


def poisson_limits(observed, confidence: float = 0.95):
    """Exact limits below 10 events, Byar's from 10: PHEindicatormethods' rule.

    Returns (lower, upper, method) where method is "Exact" or "Byars" per count.
    """
    o = np.asarray(observed, dtype=float)
    el, eu = exact(o, confidence)
    bl, bu = byars(o, confidence)
    small = o < 10
    return np.where(small, el, bl), np.where(small, eu, bu), np.where(small, "Exact", "Byars")
