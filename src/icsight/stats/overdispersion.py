"""Funnel limits for standardised ratios, with Spiegelhalter's overdispersion adjustment.

When areas or practices differ for reasons no one can act on (case mix, coding), most points
fall outside ordinary Poisson funnel limits and the funnel stops separating signal from noise.
Spiegelhalter (2005) widens the limits by a between-unit variance tau^2 estimated from the
winsorised z-scores. This follows the NHS-R FunnelPlotR package (v0.6.0, `R/od_adjustment.R`,
`R/calculate_limits.R`, `R/outliers_func.R`; https://github.com/nhs-r-community/FunnelPlotR
@ 9020d4972873d863e10b8a16555975f0e322adfc); tests reproduce its published test values.

* Unadjusted limits for a standardised ratio with expected count E and target T:
  T x chi2_inv(0.025, 2E) / 2E and T x chi2_inv(0.975, 2(E+1)) / 2E (95%); 0.001/0.999 for
  the "99" (99.8%) limits.
* SHMI-style z-scores z = sqrt(E) log(O/E); winsorised at the 10th and 90th percentiles;
  phi = mean(z^2); tau^2 = max(0, (n phi - (n - 1)) / (sum w - sum w^2 / sum w)), w = E.
* Adjusted limits: T x exp(-/+ z_alpha sqrt(1/E + tau^2)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

from icsight.stats.confidence import z as z_value


def sr_limits(expected, target: float = 1.0) -> pd.DataFrame:
    """Unadjusted 95% and 99.8% funnel limits for standardised ratios at expected counts."""
    e = np.asarray(expected, float)
    return pd.DataFrame({
        "expected": e,
        "ll95": target * chi2.ppf(0.025, 2 * e) / 2 / e,
        "ul95": target * chi2.ppf(0.975, 2 * (e + 1)) / 2 / e,
        "ll998": target * chi2.ppf(0.001, 2 * e) / 2 / e,
        "ul998": target * chi2.ppf(0.999, 2 * (e + 1)) / 2 / e,
    })


def tau_squared(observed, expected, trim: float = 0.1) -> float:
    """Between-unit variance for SHMI-style ratios (0 when there is no overdispersion)."""
    o = np.asarray(observed, float)
    e = np.asarray(expected, float)
    with np.errstate(divide="ignore"):
        z = np.sqrt(e) * np.log(o / e)
    usable = np.isfinite(z)  # units with no events have no log ratio
    z, w = z[usable], e[usable]  # SHMI weights: 1 / s^2 with s = 1 / sqrt(E)
    lo, hi = np.quantile(z, [trim, 1 - trim])
    z = np.clip(z, lo, hi)
    n = len(z)
    phi = np.mean(z**2)
    if n * phi < n - 1:
        return 0.0
    return max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def adjusted_sr_limits(expected, tau2: float, target: float = 1.0) -> pd.DataFrame:
    """95% and 99.8% limits widened by tau^2 (SHMI method)."""
    e = np.asarray(expected, float)
    out = {"expected": e}
    for name, level in (("95", 0.95), ("998", 0.998)):
        spread = z_value(level) * np.sqrt(1 / e + tau2)
        out[f"od_ll{name}"] = target * np.exp(-spread)
        out[f"od_ul{name}"] = target * np.exp(spread)
    return pd.DataFrame(out)


def outliers(ratio, limits: dict, limit: int = 95, draw_adjusted: bool = False,
             multiplier: float = 1) -> np.ndarray:
    """1 where ratio x multiplier falls outside the chosen limits (inclusive inside), else 0.

    `limits` holds the limits on the multiplied scale: UCL95/LCL95, UCL99/LCL99 and the
    overdispersed OD95UCL/OD95LCL, OD99UCL/OD99LCL ("99" means 99.8%).
    """
    if draw_adjusted:
        lo, hi = limits[f"OD{limit}LCL"], limits[f"OD{limit}UCL"]
    else:
        lo, hi = limits[f"LCL{limit}"], limits[f"UCL{limit}"]
    value = np.asarray(ratio, float) * multiplier
    return np.where((value >= lo) & (value <= hi), 0, 1)
