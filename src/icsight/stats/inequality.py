"""Slope index of inequality (SII) and relative index of inequality (RII).

How much an indicator changes from the most to the least deprived end of the population: the
quantiles (e.g. IMD deciles, most deprived first) are placed at the mid-point of their
cumulative population share, and a population-weighted least-squares line is fitted. The SII is
its slope (the absolute gap across the whole range), the RII the ratio of the fitted values at
the two ends. Confidence limits come from simulation: each quantile's value is redrawn from its
sampling distribution (normal on the natural, log or logit scale) and the line refitted.

Ported from the maths of `PHEindicatormethods::phe_sii` (v2.1.0, `R/SII_function.R`;
https://github.com/ukhsa-collaboration/PHEindicatormethods @ 093fd288); tests reproduce the
package's test values (point estimates to 1e-9; simulated limits within 5%, as its own tests allow).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit, ndtri

from icsight.stats.confidence import _tag

_SCALES = {0: (lambda v: v, lambda v: v), 1: (np.log, np.exp), 2: (logit, expit)}


def _levels(confidence) -> list[float]:
    values = [confidence] if isinstance(confidence, int | float) else list(confidence)
    return sorted(v / 100 if v > 1 else v for v in values)


def _fit(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares of y (reps x quantiles) on [1, b] with weights a."""
    sw = a.sum()
    mb = (a * b).sum() / sw
    my = (y * a).sum(axis=-1) / sw
    slope = ((a * (b - mb)) * (y - my[..., None])).sum(axis=-1) / (a * (b - mb) ** 2).sum()
    return my - slope * mb, slope


def sii(population, value=None, lower_cl=None, upper_cl=None, se=None, x=None,
        value_type: int = 0, transform: bool = False, multiplier: float = 1,
        repetitions: int = 100_000, confidence=0.95, rii: bool = False,
        intercept: bool = False, seed: int | None = 1) -> dict:
    """SII (and optionally RII and intercept) across quantiles listed most deprived first.

    value_type 0 = normal, 1 = rate (log scale), 2 = proportion (logit scale). Give standard
    errors `se` (on the log or logit scale for types 1 and 2) or 95% limits `lower_cl` and
    `upper_cl`; for proportions, counts `x` may replace `value` (value = x / population).
    `transform=True` fits on the log/logit scale. `seed` fixes the simulation (None: random).
    """
    if repetitions < 1000:
        raise ValueError("use at least 1,000 repetitions")
    pop = np.asarray(population, float)
    v = np.asarray(value if value is not None else np.asarray(x, float) / pop, float)
    to_scale, from_scale = _SCALES[value_type]
    if se is None:
        se_t = (to_scale(np.asarray(upper_cl, float)) - to_scale(np.asarray(lower_cl, float))) \
            / (2 * ndtri(0.975))
    else:  # a supplied standard error is already on the log/logit scale for types 1 and 2
        se_t = np.asarray(se, float)
    a = pop / pop.sum()
    b = np.cumsum(a) - a / 2
    y = to_scale(v) if transform else v
    b0, b1 = _fit(y, a, b)
    out = _summarise(b0, b1, transform, from_scale, multiplier)
    rng = np.random.default_rng(seed)
    draws = rng.normal(to_scale(v), se_t, size=(repetitions, len(v)))
    sims = draws if transform else from_scale(draws)
    s0, s1 = _fit(sims, a, b)
    if transform:  # map back around the centre of the fitted line
        mid = b0 + b1 / 2
        s0, s1 = mid - s1 / 2, s1
    sim = _summarise(s0, s1, transform, from_scale, multiplier)
    result = {"sii": float(out["sii"])}
    if rii:
        result["rii"] = float(out["rii"])
    if intercept:
        result["intercept"] = float(out["intercept"])
    # phe_sii names its limits by level even for one level: sii_lower95_0cl, rii_upper99_8cl...
    for level in _levels(confidence):
        lo, hi = f"lower{_tag(level)}cl", f"upper{_tag(level)}cl"
        cv = level + (1 - level) / 2
        k_lo, k_hi = round(repetitions * (1 - cv)), round(repetitions * cv)
        for name in ("sii", "rii") if rii else ("sii",):
            ordered = np.sort(sim[name])
            result[f"{name}_{lo}"] = float(ordered[k_lo - 1])
            result[f"{name}_{hi}"] = float(ordered[k_hi - 1])
    return result


def _summarise(b0, b1, transform, from_scale, multiplier) -> dict:
    if transform:
        top, bottom = from_scale(b0 + b1), from_scale(b0)
        sii_value = (top - bottom) * multiplier
        rii_value = top / bottom
        icpt = bottom * abs(multiplier)
    else:
        sii_value = multiplier * b1
        rii_value = (b0 + b1) / b0
        icpt = b0
    if multiplier < 0:
        rii_value = 1 / rii_value
    return {"sii": sii_value, "rii": rii_value, "intercept": icpt}
