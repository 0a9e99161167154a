"""A waiting list's simulated year as a fan chart: the median of the runs as a line, and the
band from the 10th to the 90th percentile shaded around it (as the Bank of England and ONS
draw projections: the band is where 8 runs in 10 fall). A what-if's chart adds the baseline's
median as a dashed line, so the plan's effect is the gap between the lines.

Values are drawn as the services give them: a withheld value is a row of the table saying
so, and no point.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from icsight.charts._common import AXIS, BLUE, DARK, WITHHELD, number, with_table

__all__ = ["trajectory_chart"]


def _text(value: float | None, percent: bool) -> str:
    if value is None or value != value:  # None or NaN: withheld
        return WITHHELD
    return f"{value:.1f}%" if percent else f"{value:,.0f}"


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def trajectory_chart(rows: pd.DataFrame, *, title: str, measure_name: str,
                     percent: bool = False, baseline: pd.DataFrame | None = None
                     ) -> alt.LayerChart:
    """A fan chart of `rows` (columns `week_ending` "YYYY-MM-DD", `p10`, `p50`, `p90`) for
    one measure named `measure_name` ("People waiting"); `percent` for a percentage.
    `baseline` (week_ending, p50): today's capacity's median, drawn dashed beside it."""
    frame = pd.DataFrame({"week_ending": rows["week_ending"].astype(str).str[:10],
                          **{p: [number(v) for v in rows[p]] for p in ("p10", "p50", "p90")}})
    frame = frame.sort_values("week_ending", ignore_index=True)
    shown = frame.dropna(subset=["p50"])
    x = alt.X("week_ending:T", title="Week ending", axis=alt.Axis(format="%b %Y"))
    y_title = measure_name + (" (%)" if percent else "")
    band = alt.Chart(shown.dropna(subset=["p10", "p90"])).mark_area(
        color=BLUE, opacity=0.25).encode(
        x=x, y=alt.Y("p10:Q", title=y_title, scale=alt.Scale(zero=not percent)),
        y2="p90:Q",
        tooltip=[alt.Tooltip("week_ending:T", title="Week ending", format="%-d %b %Y"),
                 alt.Tooltip("p10:Q", title="10th percentile"),
                 alt.Tooltip("p90:Q", title="90th percentile")])
    line = alt.Chart(shown).mark_line(color=BLUE, strokeWidth=2).encode(
        x=x, y=alt.Y("p50:Q", title=y_title),
        tooltip=[alt.Tooltip("week_ending:T", title="Week ending", format="%-d %b %Y"),
                 alt.Tooltip("p50:Q", title="Median of the runs")])
    layers = [band, line]
    before: dict[str, float | None] = {}
    if baseline is not None:
        base = pd.DataFrame({"week_ending": baseline["week_ending"].astype(str).str[:10],
                             "p50": [number(v) for v in baseline["p50"]]})
        before = dict(zip(base.week_ending, base.p50, strict=True))
        layers.append(alt.Chart(base.dropna(subset=["p50"])).mark_line(
            color=DARK, strokeDash=[6, 4], strokeWidth=1.5).encode(
            x=x, y=alt.Y("p50:Q", title=y_title),
            tooltip=[alt.Tooltip("week_ending:T", title="Week ending", format="%-d %b %Y"),
                     alt.Tooltip("p50:Q", title="Median with today's capacity")]))
    chart = alt.layer(*layers).properties(width=560, height=260)
    table = []
    for number_of_week, row in enumerate(frame.itertuples(index=False), start=1):
        day = dt.date.fromisoformat(row.week_ending)
        # short headings, so the table fits a phone (the description says what low and high
        # are); beside the baseline, the week's number instead of its date
        first = ({"Week": str(number_of_week)} if baseline is not None
                 else {"Week ending": f"{day.day} {day:%b %Y}"})
        if baseline is None:
            cells = {**first, "Low": _text(row.p10, percent),
                     "Median": _text(row.p50, percent), "High": _text(row.p90, percent)}
        else:
            # four columns fit a phone: low and high as one range
            cells = {**first, "Median": _text(row.p50, percent),
                     "Low to high": f"{_text(row.p10, percent)} to {_text(row.p90, percent)}",
                     "Without change": _text(before.get(row.week_ending), percent)}
        table.append(cells)
    start = dt.date.fromisoformat(frame.week_ending.iloc[0]) if len(frame) else None
    description = (f"Fan chart of {title}: {len(frame)} weeks simulated"
                   + (f", week 1 ending {start.day} {start:%B %Y}" if start else "")
                   + ". Low and high are the "
                   "10th and 90th percentiles of the runs (p10, p90): 8 runs in 10 fall "
                   "between them.")
    if len(shown):
        first, last = shown.iloc[0], shown.iloc[-1]
        when = ("the first week" if first.week_ending == frame.week_ending.iloc[0] else
                "the week ending " + _day(first.week_ending) + " (the first not withheld)")
        description += (f" The median goes from {_text(first.p50, percent)} in {when} to "
                        f"{_text(last.p50, percent)} in the last; in the last week 8 runs "
                        f"in 10 are between {_text(last.p10, percent)} and "
                        f"{_text(last.p90, percent)}.")
    if baseline is not None and len(shown) and before.get(shown.iloc[-1].week_ending):
        description += (" Without the change (today's capacity) the median in the last week is "
                        f"{_text(before[shown.iloc[-1].week_ending], percent)} (dashed line).")
    withheld = int(frame.p50.isna().sum())
    if withheld:
        description += f" {withheld} week(s) withheld to protect privacy."
    return with_table(chart, kind="fan", title=title, table=table,
                      description=description).configure_view(stroke=None).configure_axis(
        **AXIS)
