"""Summaries of a monthly series: SPC charts and inequality indices, stored beside the values.

* **SPC**: a Making Data Count XmR chart for the ICB and for each place, with the variation and
  assurance icons of the latest month (`icsight.stats.process_control`, following
  NHSRplotthedots), polarity from the indicator.
* **Inequalities**: each month, the gap between the least and most deprived IMD quintiles
  (quintile 5 minus quintile 1, in the indicator's unit), and the slope and relative indices of
  inequality across the ten IMD deciles (`icsight.stats.inequality.sii`, following
  PHEindicatormethods `phe_sii`, with 95% Wilson or exact limits as the per-decile
  uncertainty; 1,000 simulations, the package's minimum, to keep a full build fast). For life
  expectancy the SII is PHOF A02a's "inequality in life expectancy": the deciles' life
  expectancies and their 95% limits on the natural scale (value type 0), in years, with no RII
  (PHOF publishes none); it needs a value in all ten deciles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from icsight.indicators.definition import Indicator
from icsight.stats.inequality import sii
from icsight.stats.process_control import spc
from icsight.stats.proportions import wilson
from icsight.stats.rates import rate

__all__ = ["SPC_BREAKDOWNS", "inequalities", "spc_summary"]

SPC_BREAKDOWNS = ("icb", "place")


def spc_summary(values: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """XmR limits and point types per month for the ICB and each place."""
    direction = {"higher is better": "increase", "lower is better": "decrease"}.get(
        ind.polarity, "neutral")
    rows = []
    values = values[values.breakdown.isin(SPC_BREAKDOWNS)]
    for breakdown in SPC_BREAKDOWNS:
        part = values[values.breakdown == breakdown]
        for group, series in part.groupby("group"):
            series = series.sort_values("period_end")
            chart = spc(series.value.to_numpy(), series.period_end.to_numpy(),
                        improvement_direction=direction, target=ind.target)
            pts = chart.points
            rows.append(pd.DataFrame({
                "indicator_id": ind.id, "breakdown": breakdown, "group": group,
                "period_end": pts.x.astype(str), "value": pts.y, "mean": pts["mean"],
                "lower_process_limit": pts.lpl, "upper_process_limit": pts.upl,
                "point_type": pts.point_type,
                "variation_icon": chart.variation_icon,
                "assurance_icon": chart.assurance_icon,
                "short_series_warning": pts.short_group_warning,
            }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def inequalities(values: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """Per month: the quintile 5 - quintile 1 gap, and SII/RII across IMD deciles."""
    quintiles = values[values.breakdown == "imd_quintile"].pivot(
        index="period_end", columns="group", values="value")
    gaps = (quintiles.get("5") - quintiles.get("1")) if {"1", "5"} <= set(quintiles) else None
    deciles = values[values.breakdown == "imd_decile"]
    deciles = deciles.assign(d=deciles.group.astype(int)).sort_values(["period_end", "d"])
    by_month = {p: g for p, g in deciles.groupby("period_end", sort=False)}
    rows = []
    for period_end in sorted(values.period_end.unique()):
        gap = np.nan if gaps is None else gaps.get(period_end, np.nan)
        out = {"indicator_id": ind.id, "period_end": period_end, "gap_q5_minus_q1": gap}
        month = by_month.get(period_end)
        if month is None:
            out.update(_sii_row(np.empty(0), np.empty(0), ind))
        elif ind.method == "life_expectancy":
            out.update(_sii_life_expectancy(month))
        else:
            out.update(_sii_row(month.numerator.to_numpy(float),
                                month.denominator.to_numpy(float), ind))
        rows.append(out)
    return pd.DataFrame(rows)


_EMPTY = {"sii": np.nan, "sii_lower95_0cl": np.nan, "sii_upper95_0cl": np.nan,
          "rii": np.nan, "rii_lower95_0cl": np.nan, "rii_upper95_0cl": np.nan}


def _sii_life_expectancy(deciles: pd.DataFrame) -> dict:
    """PHOF A02a: the SII in life expectancy across the ten deciles (most deprived first),
    weighted by their person-years, from each decile's value and 95% limits (phe_sii, value
    type 0); positive when the least deprived live longer. No RII."""
    d = deciles.sort_values("d")
    if len(d) != 10 or d[["value", "lower_ci", "upper_ci"]].isna().to_numpy().any():
        return dict(_EMPTY)
    result = sii(d.denominator.to_numpy(float), value=d.value.to_numpy(float),
                 lower_cl=d.lower_ci.to_numpy(float), upper_cl=d.upper_ci.to_numpy(float),
                 value_type=0, repetitions=1000, seed=1)
    return {**_EMPTY, **{k: result[k] for k in ("sii", "sii_lower95_0cl", "sii_upper95_0cl")}}


def _sii_row(x: np.ndarray, n: np.ndarray, ind: Indicator) -> dict:
    """SII and RII from the ten deciles' counts (most deprived first)."""
    empty = dict(_EMPTY)
    if ind.method == "amount":
        return empty  # the SII simulates from the groups' intervals, and an amount has none
    if len(x) != 10 or (x <= 0).any() or (ind.method == "proportion" and (x >= n).any()):
        return empty  # SII needs all ten deciles with a value strictly inside its range
    if ind.method == "proportion":
        lower, upper = wilson(x, n)
        value_type, scale = 2, 1.0
    else:
        limits = rate(x, n, 0.95, 1)
        lower, upper = limits.lowercl.to_numpy(), limits.uppercl.to_numpy()
        value_type, scale = 1, 1.0
    result = sii(n, value=x / n * scale, lower_cl=lower * scale, upper_cl=upper * scale,
                 value_type=value_type, multiplier=ind.multiplier, repetitions=1000,
                 rii=True, seed=1)
    return {k: result.get(k, np.nan) for k in empty}
