"""Means with Student's t confidence limits (`phe_mean`, PHEindicatormethods v2.1.0
`R/Means.R`, https://github.com/ukhsa-collaboration/PHEindicatormethods).

value = sum(x)/k; limits = value -/+ |t((1-c)/2, k-1)| x sd(x)/sqrt(k), with the sample
standard deviation. A missing value makes the result missing, as R's sum does.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import t

from icsight.stats.confidence import column_names, label, levels


def mean(values, confidence=0.95) -> dict:
    """Mean of `values` with t-distribution confidence limits."""
    x = np.asarray(values, dtype=float)
    k = len(x)
    out = {"value_sum": float(x.sum()), "value_count": float(k)}
    sd = float(np.std(x, ddof=1)) if k > 1 else np.nan
    out["stdev"] = sd
    value = float(x.sum() / k)
    out["value"] = value
    for level, lo, hi in column_names(levels(confidence)):
        half = abs(t.ppf((1 - level) / 2, k - 1)) * sd / np.sqrt(k)
        out[lo], out[hi] = value - half, value + half
    out["confidence"] = label(levels(confidence))
    out["statistic"], out["method"] = "mean", "Student's t-distribution"
    return out
