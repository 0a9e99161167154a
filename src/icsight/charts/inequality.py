"""The deprivation gradient: an indicator's value in each national IMD decile of where people
live, most deprived first, with the slope index of inequality (SII) drawn as the fitted line,
as Public Health England's "Health Inequalities: the slope index of inequality" guidance and
the Fingertips inequality views show it. The SII is `icsight.stats.sii` (a port of
PHEindicatormethods' `phe_sii`), from the deciles' values and 95% limits, weighted by their
populations; it is drawn only when all ten deciles are published.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from icsight.charts._common import AXIS, BLUE, DARK, ORANGE, WITHHELD, fmt, number, with_table

__all__ = ["deprivation_chart", "sii_line"]

#: The indicator's method -> phe_sii's value type and the scale its values are kept in
#: (percentages are fitted as proportions, on 0 to 1).
VALUE_TYPES = {"proportion": (2, 100.0), "rate": (1, 1.0), "dsr": (1, 1.0)}


def _decile_label(decile: int) -> str:
    return {1: "1 (most deprived)", 10: "10 (least deprived)"}.get(decile, str(decile))


def sii_line(deciles: pd.DataFrame, method: str = "proportion") -> dict | None:
    """The SII and its fitted line over `deciles` (columns decile 1-10, denominator, value,
    lower_ci, upper_ci, all ten published): {"sii", "sii_lower", "sii_upper", "fitted"} with
    the line's value at each decile's mid-rank; None when a decile is missing or withheld."""
    from icsight.stats import sii

    d = deciles.sort_values("decile")
    needed = ["denominator", "value", "lower_ci", "upper_ci"]
    if len(d) != 10 or d[needed].isna().to_numpy().any() or (d["denominator"] <= 0).any():
        return None
    value_type, scale = VALUE_TYPES.get(method, (0, 1.0))
    values = d[["value", "lower_ci", "upper_ci"]].to_numpy(float) / scale
    if value_type == 2 and ((values <= 0) | (values >= 1)).any():
        return None  # a proportion of 0 or 1 has no logit: phe_sii cannot simulate it
    if value_type == 1 and (values <= 0).any():
        return None
    population = d["denominator"].to_numpy(float)
    result = sii(population, value=values[:, 0], lower_cl=values[:, 1], upper_cl=values[:, 2],
                 value_type=value_type, multiplier=scale, repetitions=1000, intercept=True,
                 seed=1)
    share = population / population.sum()
    rank = np.cumsum(share) - share / 2  # each decile's mid-point on the 0-1 rank
    fitted = result["intercept"] * scale + result["sii"] * rank
    return {"sii": result["sii"], "sii_lower": result["sii_lower95_0cl"],
            "sii_upper": result["sii_upper95_0cl"], "fitted": list(map(float, fitted))}


def deprivation_chart(deciles: pd.DataFrame, *, title: str, unit: str = "%",
                      method: str = "proportion", group_column: str = "group"
                      ) -> alt.LayerChart:
    """Bars of the value in each IMD decile (`group_column` "1" to "10", with `denominator`,
    `value`, `lower_ci`, `upper_ci`), their 95% intervals, and the SII line. A withheld
    decile is a row of the table saying so, and no bar; without all ten there is no SII."""
    frame = pd.DataFrame({
        "decile": [int(g) for g in deciles[group_column]],
        **{c: [number(v) for v in deciles[c]]
           for c in ("denominator", "value", "lower_ci", "upper_ci")}}).sort_values("decile")
    frame["label"] = [_decile_label(d) for d in frame["decile"]]
    line = sii_line(frame, method)
    frame["fitted"] = line["fitted"] if line else None
    shown = frame.dropna(subset=["value"]).reset_index(drop=True)
    x = alt.X("decile:O", sort=list(range(1, 11)), axis=alt.Axis(labelAngle=0),
              title="IMD 2019 decile, national (1 most deprived, 10 least deprived)")
    axis_title = unit.strip() or "value"
    base = alt.Chart(shown).encode(x=x)
    tooltip = [alt.Tooltip("label:N", title="Decile"),
               alt.Tooltip("value:Q", title="Value", format=",.1f"),
               alt.Tooltip("lower_ci:Q", title="Lower 95% limit", format=",.1f"),
               alt.Tooltip("upper_ci:Q", title="Upper 95% limit", format=",.1f")]
    layers = [base.mark_bar(color=BLUE, opacity=0.85).encode(
                  y=alt.Y("value:Q", title=axis_title), tooltip=tooltip),
              base.mark_rule(color=DARK, strokeWidth=1.5).encode(y="lower_ci:Q",
                                                                 y2="upper_ci:Q")]
    if line:
        layers.append(base.mark_line(color=ORANGE, strokeWidth=2.5, strokeDash=[8, 3]).encode(
            y="fitted:Q"))
        layers.append(base.mark_point(color=ORANGE, shape="diamond", filled=True,
                                      size=50).encode(y="fitted:Q"))
    table = [{"Decile": row.label,
              "Value": fmt(row.value, unit) if row.value is not None and
              not np.isnan(row.value) else WITHHELD,
              "95% confidence interval": _interval(row),
              "Denominator": WITHHELD if _missing(row.denominator)
              else f"{row.denominator:,.0f}",
              "SII line": fmt(row.fitted) if line else "not computed"}
             for row in frame.itertuples()]
    description = _describe(shown, line, title, unit, len(frame))
    chart = alt.layer(*layers).properties(width=560, height=280)
    return with_table(chart, kind="deprivation", title=title, table=table,
                      description=description,
                      sii=None if line is None else line["sii"]
                      ).configure_view(stroke=None).configure_axis(**AXIS)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _interval(row: Any) -> str:
    low, high = row.lower_ci, row.upper_ci
    if _missing(low) or _missing(high):
        return WITHHELD if _missing(row.value) else "none"
    return f"{low:,.1f} to {high:,.1f}"


def _describe(shown: pd.DataFrame, line: dict | None, title: str, unit: str,
              deciles: int) -> str:
    if shown.empty:
        return f"{title} by deprivation decile: no published values to chart."
    most, least = shown.iloc[0], shown.iloc[-1]
    parts = [f"Bar chart of {title}, one bar per national deprivation (IMD 2019) decile: "
             f"{fmt(most.value, unit)} in decile {most.decile} and {fmt(least.value, unit)} "
             f"in decile {least.decile}."]
    if line:
        parts.append(f"Slope index of inequality {fmt(line['sii'])} "
                     f"(95% interval {fmt(line['sii_lower'])} to {fmt(line['sii_upper'])}): "
                     "the modelled gap from the most to the least deprived, drawn as a line.")
    else:
        parts.append("No slope index of inequality: it needs all ten deciles published.")
    if deciles > len(shown):
        parts.append(f"{deciles - len(shown)} decile(s) withheld to protect privacy.")
    return " ".join(parts)
