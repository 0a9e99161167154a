"""Funnel plots of practices (or any areas) against the overall value, with 95% and 99.8%
control limits, as Public Health England's "Technical Guide: Funnel plots for comparing
performance" (Fingertips) draws them: each area's value against its size, inside limits that
narrow as the size grows. The limits and each area's position are `icsight.stats`'s
(`funnel_limits` and `funnel_significance` for proportions, `funnel_limits_rate` and
`funnel_significance_rate` for crude and directly standardised rates).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from icsight.charts._common import AXIS, BLUE, DARK, GREY, ORANGE, WITHHELD, fmt, number, with_table

__all__ = ["FUNNEL_METHODS", "POSITIONS", "funnel_chart"]

#: The indicator methods a funnel can be drawn for (others have no funnel in icsight.stats).
FUNNEL_METHODS = ("proportion", "rate", "dsr")

#: Each position `icsight.stats` gives -> (words, shape, colour): above or below the 99.8%
#: limits, the 95% limits, or within them; shape as well as colour tells them apart.
POSITIONS = {
    "High (0.001)": ("Above the 99.8% limit", "triangle-up", ORANGE),
    "High (0.025)": ("Above the 95% limit", "diamond", BLUE),
    "Not significant": ("Within the 95% limits", "circle", GREY),
    "Low (0.025)": ("Below the 95% limit", "square", BLUE),
    "Low (0.001)": ("Below the 99.8% limit", "triangle-down", ORANGE),
}


def funnel_chart(areas: pd.DataFrame, *, title: str, unit: str = "%",
                 method: str = "proportion", multiplier: float = 100,
                 years_of_data: float = 1, name_column: str = "group") -> alt.LayerChart:
    """A funnel plot of `areas` (one row each: `name_column`, `numerator`, `denominator`,
    `value`): value against denominator, with the overall value and its 95% and 99.8% limits.
    An area whose counts are withheld is a row of the table saying so, never a point; the
    limits are worked out from the areas shown."""
    if method not in FUNNEL_METHODS:
        raise ValueError(f"no funnel plot for method {method!r}: one of "
                         f"{', '.join(FUNNEL_METHODS)}")
    frame = pd.DataFrame({
        "area": areas[name_column].astype(str),
        "numerator": [number(v) for v in areas["numerator"]],
        "denominator": [number(v) for v in areas["denominator"]],
        "value": [number(v) for v in areas["value"]]})
    shown = frame.dropna().query("denominator > 0").reset_index(drop=True)
    limits, shown = _limits(shown, method, multiplier, years_of_data)
    table = _table(frame, shown, unit)
    description = _describe(shown, limits, title, unit, len(frame) - len(shown))
    order = list(POSITIONS)
    legend = alt.Legend(title="Position", orient="bottom", columns=3, labelLimit=240,
                        labelExpr=" : ".join(f"datum.label == '{k}' ? '{v[0]}'"
                                             for k, v in POSITIONS.items()) + " : datum.label")
    axis_title = unit.strip() or "value"
    x = alt.X("size:Q", title="Denominator", scale=alt.Scale(zero=False))
    layers = []
    if not limits.empty:
        lines = alt.Chart(limits).encode(x=x, y=alt.Y("limit:Q", title=axis_title))
        layers += [
            lines.mark_line(color=DARK, strokeWidth=1, strokeDash=[6, 4]).encode(
                detail="line:N").transform_filter("datum.level == '95%'"),
            lines.mark_line(color=DARK, strokeWidth=1.5).encode(
                detail="line:N").transform_filter("datum.level == '99.8%'"),
            lines.mark_line(color=GREY, strokeWidth=1.5).transform_filter(
                "datum.level == 'overall'")]
    layers.append(alt.Chart(shown).mark_point(filled=True, size=60, opacity=1).encode(
        x=alt.X("denominator:Q", title="Denominator"),
        y=alt.Y("value:Q", title=axis_title),
        color=alt.Color("position:N", legend=legend, scale=alt.Scale(
            domain=order, range=[POSITIONS[k][2] for k in order])),
        shape=alt.Shape("position:N", legend=legend, scale=alt.Scale(
            domain=order, range=[POSITIONS[k][1] for k in order])),
        tooltip=[alt.Tooltip("area:N", title="Area"),
                 alt.Tooltip("value:Q", title="Value", format=",.1f"),
                 alt.Tooltip("denominator:Q", title="Denominator", format=",.0f"),
                 alt.Tooltip("position_text:N", title="Position")]))
    chart = alt.layer(*layers).properties(width=560, height=300)
    return with_table(chart, kind="funnel", title=title, table=table,
                      description=description).configure_view(stroke=None).configure_axis(
        **AXIS)


def _limits(shown: pd.DataFrame, method: str, multiplier: float, years: float
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The limit lines in long form (size, limit, line, level) and `shown` with each area's
    position, from icsight.stats."""
    from icsight.stats import (
        funnel_limits,
        funnel_limits_rate,
        funnel_significance,
        funnel_significance_rate,
    )

    columns = ["size", "limit", "line", "level"]
    if len(shown) < 2 or shown["numerator"].sum() <= 0:
        return pd.DataFrame(columns=columns), shown.assign(
            position="Not significant", position_text=POSITIONS["Not significant"][0])
    num, den = shown["numerator"].to_numpy(), shown["denominator"].to_numpy()
    parts = []
    if method == "proportion":
        wide = funnel_limits(num, den, multiplier=multiplier)
        positions = funnel_significance(num, den)
        for bound in ("lower", "upper"):
            for name, level in (("2s", "95%"), ("3s", "99.8%")):
                parts.append(pd.DataFrame({"size": wide["Population"],
                                           "limit": wide[f"{bound}_{name}_limit"],
                                           "line": f"{bound} {level}", "level": level}))
        parts.append(pd.DataFrame({"size": wide["Population"], "limit": wide["baseline"],
                                   "line": "overall", "level": "overall"}))
    else:
        rate_type = "dsr" if method == "dsr" else "crude"
        wide = funnel_limits_rate(num, shown["value"].to_numpy(), rate_type, years,
                                  multiplier=multiplier, denominator=den)
        positions = funnel_significance_rate(num, shown["value"].to_numpy(), rate_type,
                                             multiplier=multiplier, denominator=den)
        for bound in ("lower", "upper"):
            for name, level in (("2s", "95%"), ("3s", "99.8%")):
                parts.append(pd.DataFrame({
                    "size": wide[f"{bound}_{name}_population_1_year"] * years,
                    "limit": wide[f"{bound}_{name}_limit"],
                    "line": f"{bound} {level}", "level": level}))
        sizes = [den.min(), den.max()]
        parts.append(pd.DataFrame({"size": sizes, "limit": [wide["baseline"].iloc[0]] * 2,
                                   "line": "overall", "level": "overall"}))
    limits = pd.concat(parts, ignore_index=True)
    # keep the lines over the areas' sizes (the rate limits reach far beyond them)
    low, high = den.min() * 0.9, den.max() * 1.1
    limits = limits[(limits["size"] >= low) & (limits["size"] <= high)].reset_index(drop=True)
    positions = [p if p in POSITIONS else "Not significant" for p in positions]
    shown = shown.assign(position=positions,
                         position_text=[POSITIONS[p][0] for p in positions])
    return limits[columns], shown


def _table(frame: pd.DataFrame, shown: pd.DataFrame, unit: str) -> list[dict]:
    """One row per area, by name: its value, counts and position, or that it is withheld."""
    placed = {row.area: row for row in shown.itertuples()}
    rows = []
    for area in sorted(frame["area"]):
        row = placed.get(area)
        if row is None:
            rows.append({"Area": area, "Value": WITHHELD, "Numerator": WITHHELD,
                         "Denominator": WITHHELD, "Position": "not plotted: withheld"})
        else:
            rows.append({"Area": area, "Value": fmt(row.value, unit),
                         "Numerator": f"{row.numerator:,.0f}",
                         "Denominator": f"{row.denominator:,.0f}",
                         "Position": row.position_text})
    return rows


def _describe(shown: pd.DataFrame, limits: pd.DataFrame, title: str, unit: str,
              withheld: int) -> str:
    """The funnel in words: how many areas, the overall value, how many outside the limits."""
    if shown.empty:
        return f"{title}: no published values to plot."
    counts = shown["position"].value_counts()
    above = int(counts.get("High (0.001)", 0) + counts.get("High (0.025)", 0))
    below = int(counts.get("Low (0.001)", 0) + counts.get("Low (0.025)", 0))
    overall = limits.loc[limits.level == "overall", "limit"]
    parts = [f"Funnel plot of {title}: {len(shown)} areas, value against denominator."]
    if not overall.empty:
        parts.append(f"Overall value {fmt(float(overall.iloc[0]), unit)}.")
    parts.append(f"{above} above and {below} below the 95% limits "
                 f"({int(counts.get('High (0.001)', 0) + counts.get('Low (0.001)', 0))} "
                 "beyond the 99.8% limits).")
    if withheld:
        parts.append(f"{withheld} area(s) withheld to protect privacy are not plotted.")
    return " ".join(parts)
