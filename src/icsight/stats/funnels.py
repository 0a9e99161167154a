"""Funnel plot control limits, for spotting unwarranted variation between practices or areas.

Proportions: limits around the overall proportion p-bar at 95% (2 sigma) and 99.8% (3 sigma),
the inverse of the Wilson score interval, drawn over 100 denominators from the axis minimum to
the axis maximum, as `PHEindicatormethods::calculate_funnel_limits` draws them; and each area's
significance against the limits for its own denominator (`assign_funnel_significance`).
Ported from the maths of PHEindicatormethods v2.1.0 (`R/Funnels.R`, `R/utils.R`;
https://github.com/ukhsa-collaboration/PHEindicatormethods @ 093fd288); tests reproduce the
package's limit tables.

Ratios (observed / expected, e.g. indirectly standardised ratios): for each observed count O
on the axis, the expected counts at which O sits exactly on the 95% or 99.8% limit are found by
bisection on the Poisson distribution, as the package does (the bisection, not the closed-form
chi-square quantile, is what its published tables hold); the limits are O / expected (minus 1
for `ratio_type="count"`, times 100 for `"isr"`).

Rates (crude or directly standardised): each area's denominator is derived from its events and
rate (multiplier x events / rate; for a crude rate with no events, the population given); the
limits come from the same bisection, with population = expected events / average rate, and are
reported per year of data. For DSRs, areas with fewer than 10 events are not plotted or tested.
The Spiegelhalter overdispersion adjustment is in `icsight.stats.overdispersion`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import poisson

from icsight.stats.poisson import poisson_limits


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


def _poisson_mean(observed: float, p: float, side: str) -> float:
    """The Poisson mean at which P(X <= O) = p (side "high") or P(X >= O) = p (side "low"),
    by the package's bisection on v in (0, 1) with mean = (1 + O) v / (1 - v)."""
    v, dv = 0.5, 0.5
    while dv > 1e-7:
        dv *= 0.5
        mu = (1 + observed) * v / (1 - v)
        if side == "high":
            v = v + dv if poisson.cdf(observed, mu) > p else v - dv
        else:
            v = v - dv if poisson.sf(observed - 1, mu) > p else v + dv
    return (1 + observed) * v / (1 - v)


def funnel_limits_ratio(observed, expected, ratio_type: str = "count") -> pd.DataFrame:
    """Funnel limits for ratios of observed to expected counts (100 rows by observed count)."""
    if ratio_type not in ("count", "isr"):
        raise ValueError("ratio_type must be 'count' or 'isr'")
    e = np.asarray(expected, float)
    # the axis runs over the range of expected counts, as the package draws it
    axis = axis_points(e.min(), e.max(), offset=1)
    out = pd.DataFrame({"Observed_events": axis})
    for name, p in (("2s", 0.025), ("3s", 0.001)):
        lower_mu = np.array([_poisson_mean(x, p, "high") for x in axis])
        upper_mu = np.array([_poisson_mean(x, p, "low") for x in axis])
        out[f"lower_{name}_exp_events"] = lower_mu
        out[f"lower_{name}_limit"] = _ratio_scale(axis / lower_mu, ratio_type)
        out[f"upper_{name}_exp_events"] = upper_mu
        out[f"upper_{name}_limit"] = _ratio_scale(axis / upper_mu, ratio_type)
    out["statistic"], out["method"] = f"ratio ({ratio_type})", "Poisson"
    return out


def _ratio_scale(ratio: np.ndarray, ratio_type: str) -> np.ndarray:
    return ratio - 1 if ratio_type == "count" else ratio * 100


def funnel_significance_ratio(observed, expected) -> list[str]:
    """Each area's ratio against 1: High/Low at 99.8% (0.001) then 95% (0.025), from the exact
    (O < 10) or Byar's limits of O divided by the expected count."""
    o = np.asarray(observed, float)
    return _poisson_significance(o, np.asarray(expected, float), np.ones(len(o)))


def _derived_denominator(events, rate, rate_type, multiplier, denominator=None) -> np.ndarray:
    ev = np.asarray(events, float)
    r = np.asarray(rate, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = multiplier * ev / r
    if rate_type == "dsr":
        return np.where(ev == 0, np.nan, derived)
    if denominator is not None:
        return np.where(ev == 0, np.asarray(denominator, float), derived)
    return derived


def funnel_limits_rate(events, rate, rate_type: str, years_of_data: float,
                       multiplier: float = 100_000, denominator=None) -> pd.DataFrame:
    """Funnel limits for crude or directly standardised rates (100 rows by event count)."""
    if rate_type not in ("crude", "dsr"):
        raise ValueError("rate_type must be 'crude' or 'dsr'")
    ev = np.asarray(events, float)
    den = _derived_denominator(events, rate, rate_type, multiplier, denominator)
    ok = np.isfinite(den)
    av = ev[ok].sum() / den[ok].sum()
    per_year = den[ok] / years_of_data
    lo_den = 0 if per_year.max() > 2 * per_year.min() else _signif_floor(per_year.min())
    hi_den = _signif_ceiling(per_year.max())
    lo_ev = math.floor(lo_den * years_of_data * av)
    hi_ev = math.ceil(hi_den * years_of_data * av)
    axis = _axis_between(lo_ev, hi_ev)
    out = pd.DataFrame({"Events": axis})
    for name, p in (("2s", 0.025), ("3s", 0.001)):
        for bound, side in (("lower", "high"), ("upper", "low")):
            population = np.array([_poisson_mean(x, p, side) for x in axis]) / av
            out[f"{bound}_{name}_population_1_year"] = population / years_of_data
            out[f"{bound}_{name}_limit"] = axis / population * multiplier
    out["baseline"] = av * multiplier
    out["statistic"] = f"rate ({rate_type} per {multiplier:,.0f})"
    out["method"] = "Poisson"
    return out


def _axis_between(lo: float, hi: float) -> np.ndarray:
    points = [max(1, lo)]
    for j in range(2, 101):
        prev = points[-1]
        points.append(max(round((hi / prev) ** (1 / (101 - j)) * prev), prev + 1))
    return np.array(points, dtype=float)


def funnel_points_rate(events, rate, rate_type: str, years_of_data: float,
                       multiplier: float = 100_000, denominator=None) -> pd.DataFrame:
    """What to plot for each area: its rate (not for DSRs from fewer than 10 events) and its
    derived denominator per year."""
    ev = np.asarray(events, float)
    den = _derived_denominator(events, rate, rate_type, multiplier, denominator)
    chart = np.asarray(rate, float).copy()
    if rate_type == "dsr":
        chart = np.where(ev < 10, np.nan, chart)
        den = np.where(ev < 10, np.nan, den)
    return pd.DataFrame({"rate_chart": chart, "denominator_derived": den / years_of_data})


def funnel_significance_rate(events, rate, rate_type: str, multiplier: float = 100_000,
                             denominator=None) -> list[str]:
    """Each area's rate against the overall rate: High/Low at 99.8% then 95%."""
    ev = np.asarray(events, float)
    den = _derived_denominator(events, rate, rate_type, multiplier, denominator)
    ok = np.isfinite(den)
    av = ev[ok].sum() / den[ok].sum()
    labels = np.array(_poisson_significance(ev, den, np.full(len(ev), av)), dtype=object)
    if rate_type == "dsr":
        labels[ev < 10] = "Not applicable for events less than 10 for dsrs"
    return list(labels)


def _poisson_significance(observed, scale, reference) -> list[str]:
    """High/Low at 99.8% then 95%: the reference lies below the lower (or above the upper)
    Poisson limit of each count divided by its scale (expected count or denominator)."""
    labels = np.full(len(observed), "Not significant", dtype=object)
    decided = np.zeros(len(observed), bool)
    for level, tag in ((0.998, "0.001"), (0.95, "0.025")):
        lower, upper, _ = poisson_limits(observed, level)
        lower = np.where(observed == 0, 0.0, lower) / scale
        upper = upper / scale
        high = ~decided & (reference < lower)
        low = ~decided & (reference > upper)
        labels[high], labels[low] = f"High ({tag})", f"Low ({tag})"
        decided |= high | low
    return list(labels)
