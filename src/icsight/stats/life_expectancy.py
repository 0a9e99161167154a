"""Life expectancy from an abridged life table: Chiang's method (Chiang II) with Silcocks et al.
(2001) variance, as OHID's Fingertips and `PHEindicatormethods::phe_life_expectancy` compute it.

Ported from the maths of PHEindicatormethods v2.1.0 (`R/LifeExpectancy.R`;
https://github.com/ukhsa-collaboration/PHEindicatormethods @ 093fd288); tests reproduce the
package's test values to 4 decimal places.

Input: 20 age bands starting 0, 1, 5, 10, ..., 85, 90 (labels such as "1-4" or "90+" are read
by their first number), with deaths and populations. A whole group is suppressed (NaN) when any
deaths are negative, any population is 0 or less, deaths exceed population, there are not 20
bands, or the total population is 5,000 or less; a value (not its limits) is suppressed when its
95% interval is wider than 20 years.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from icsight.stats.confidence import column_names, label, levels
from icsight.stats.confidence import z as z_value

START_AGES = (0, 1, 5, *range(10, 95, 5))


def _start_age(value) -> int:
    match = re.search(r"\d+", str(value))
    if match is None:
        raise ValueError(f"cannot read a start age from age band {value!r}")
    return int(match.group())


def _suppressed(reason: str, starts, all_levels) -> pd.DataFrame:
    warnings.warn(reason, stacklevel=3)
    out = pd.DataFrame({"startage": starts, "value": np.nan})
    for _, lo, hi in column_names(all_levels):
        out[lo] = out[hi] = np.nan
    return out


def life_expectancy(startage, pops, deaths, confidence=0.95, le_age="all") -> pd.DataFrame:
    """Life expectancy at each age band's start age, with confidence limits.

    Returns one row per band (or the ages in `le_age`) with startage, value, limits,
    pops_used and dths_used (population and deaths from that age up), statistic and method.
    """
    all_levels = levels(confidence) if not isinstance(confidence, list) or len(confidence) <= 2 \
        else sorted(confidence)
    frame = pd.DataFrame({"startage": [_start_age(a) for a in startage],
                          "P": np.asarray(pops, float), "D": np.asarray(deaths, float)})
    frame = frame.sort_values("startage").reset_index(drop=True)
    starts = frame.startage.to_numpy()
    problems = [
        (len(frame) != 20 or tuple(starts) != START_AGES,
         "some groups contain a different number of age bands than 20"),
        ((frame.D < 0).any(), "some age bands have negative deaths"),
        ((frame.P <= 0).any(), "some age bands have a zero or less population"),
        ((frame.D > frame.P).any(), "some age bands have more deaths than population"),
        (frame.P.sum() <= 5000, "some groups have a total population of less than 5,000"),
    ]
    for bad, reason in problems:
        if bad:
            return _suppressed(reason + "; outputs have been suppressed to NAs", starts,
                               all_levels)
    e, se = _chiang(frame.P.to_numpy(), frame.D.to_numpy(), starts)
    out = pd.DataFrame({"startage": starts, "value": e})
    for level, lo, hi in column_names(all_levels):
        out[lo], out[hi] = e - z_value(level) * se, e + z_value(level) * se
    out.loc[z_value(0.95) * se > 10, "value"] = np.nan  # 95% CI wider than 20 years
    out["pops_used"] = frame.P[::-1].cumsum()[::-1].to_numpy()
    out["dths_used"] = frame.D[::-1].cumsum()[::-1].to_numpy()
    out["confidence"] = label(all_levels)
    out["statistic"] = [f"life expectancy at {a}" for a in starts]
    out["method"] = "Chiang, using Silcocks et al for confidence limits"
    if le_age != "all":
        wanted = [le_age] if isinstance(le_age, int | float) else list(le_age)
        out = out[out.startage.isin(wanted)].reset_index(drop=True)
    return out


def _chiang(p, d, starts) -> tuple[np.ndarray, np.ndarray]:
    """Life expectancy and its standard error at each band's start, for one group (1-D
    arrays) or many (2-D: one row per group), with the same arithmetic."""
    one = np.ndim(p) == 1
    p, d = np.atleast_2d(np.asarray(p, float)), np.atleast_2d(np.asarray(d, float))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        m = d / p
        width = np.tile(np.append(np.diff(starts), 0).astype(float), (len(p), 1))
        a = np.where(np.asarray(starts) == 0, 0.1, 0.5)
        width[:, -1] = 2 / m[:, -1]
        q = np.where(d <= p / (width * a), m * width / (1 + m * width * (1 - a)), 1.0)
        q[:, -1] = 1.0
        survivors = np.empty(p.shape)
        survivors[:, 0] = 100_000
        for i in range(1, p.shape[1]):
            survivors[:, i] = survivors[:, i - 1] * (1 - q[:, i - 1])
        next_l = np.concatenate([survivors[:, 1:], np.zeros((len(p), 1))], axis=1)
        dying = survivors - next_l
        years = width * (next_l + a * dying)
        years[:, -1] = survivors[:, -1] / m[:, -1]
        total = years[:, ::-1].cumsum(axis=1)[:, ::-1]
        e = np.where(survivors > 0, total / survivors, 0.0)
        s2 = np.where(dying > 0, q**2 * (1 - q) / d, 0.0)
        s2[:, -1] = 4 / (d[:, -1] * m[:, -1] ** 2)
        e_next = np.concatenate([e[:, 1:], np.zeros((len(p), 1))], axis=1)
        w = s2 * survivors**2 * ((1 - a) * width + e_next) ** 2
        w[:, -1] = (survivors[:, -1] / 2) ** 2 * s2[:, -1]
        se = np.sqrt(w[:, ::-1].cumsum(axis=1)[:, ::-1] / survivors**2)
    e = np.where(np.isinf(e), np.nan, e)
    return (e[0], se[0]) if one else (e, se)


def life_expectancy_many(pops, deaths, le_ages=(0, 65), confidence: float = 0.95
                         ) -> dict[int, pd.DataFrame]:
    """`life_expectancy` for many groups at once (the same method and suppression rules).

    `pops` and `deaths` are arrays of shape (groups, 20), columns in the order of START_AGES.
    Returns {age: frame with one row per group: value, lowercl, uppercl, pops_used,
    dths_used}; a suppressed group has no value or limits (its counts are still given)."""
    p, d = np.asarray(pops, float), np.asarray(deaths, float)
    if p.ndim != 2 or p.shape[1] != len(START_AGES) or p.shape != d.shape:
        raise ValueError(f"pops and deaths must both have shape (groups, {len(START_AGES)})")
    bad = (d < 0).any(axis=1) | (p <= 0).any(axis=1) | (d > p).any(axis=1) | (
        p.sum(axis=1) <= 5000)
    e, se = _chiang(p, d, np.asarray(START_AGES))
    z = z_value(confidence)
    pops_used = p[:, ::-1].cumsum(axis=1)[:, ::-1]
    dths_used = d[:, ::-1].cumsum(axis=1)[:, ::-1]
    out = {}
    for age in le_ages:
        k = START_AGES.index(age)
        value, err = np.where(bad, np.nan, e[:, k]), np.where(bad, np.nan, se[:, k])
        lower, upper = value - z * err, value + z * err
        value = np.where(z_value(0.95) * err > 10, np.nan, value)  # 95% CI wider than 20 years
        out[age] = pd.DataFrame({"value": value, "lowercl": lower, "uppercl": upper,
                                 "pops_used": pops_used[:, k], "dths_used": dths_used[:, k]})
    return out
