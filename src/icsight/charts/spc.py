"""Statistical process control charts and icons, drawn as NHS England's Making Data Count (MDC)
programme draws them ("Making Data Count: Getting started", and "Making Data Count: strengthening
your decisions", NHS England / NHS Improvement, 2019; https://www.england.nhs.uk/publication/
making-data-count/).

The statistics are `icsight.stats.spc` (a port of NHSRplotthedots): this module only draws its
answer, it never recomputes a limit or a rule.

* `spc_chart(series, title=..., unit=..., target=None, improvement="higher")`: an XmR chart as an
  Altair (Vega-Lite) spec: the values joined by a line, the mean, the process limits (dashed), a
  new mean and limits segment after each rebase date, the target as a line, and each point
  coloured AND shaped by its signal (common cause, special cause improvement, concern, or
  neither where no direction is better), so that no meaning rests on colour alone.
* `to_svg(chart)`: the same spec drawn on the server (vl-convert); a browser draws it with
  vega-embed from `chart.to_dict()`.
* `chart_table(chart)`: the rows of the data table printed beside every chart (a withheld
  value is a row saying so, never a point), and `chart_description(chart)`: its text alternative.
* `variation_icon_svg(icon)` and `assurance_icon_svg(icon)`: the MDC icons as small inline SVGs,
  each a shape with a letter and a text label, for the icon names `icsight.stats` gives
  (`SpcChart.variation_icon`, `SpcChart.assurance_icon`) and the services serve.

These names are the contract with the board reports (`icsight.reports`) and the programme
pages: `icsight.charts.spc_chart`, `to_svg`, `variation_icon_svg`, `assurance_icon_svg`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape

import altair as alt
import pandas as pd

from icsight.charts._common import (
    AXIS,
    BLUE,
    DARK,
    GREY,
    ORANGE,
    PURPLE,
    WITHHELD,
    chart_description,
    chart_table,
    fmt,
    number,
    with_table,
)
from icsight.stats import spc

__all__ = ["ASSURANCE_TEXT", "SIGNALS", "VARIATION_TEXT", "assurance_icon_svg",
           "chart_description", "chart_table", "date_text", "spc_chart", "spc_points",
           "variation_icon_svg"]

#: The improvement direction in words (an indicator's polarity) -> the statistics' name.
IMPROVEMENT = {"higher": "increase", "lower": "decrease", "neutral": "neutral"}

#: Each point type the statistics give -> (legend text, point shape, colour). Four shapes and
#: four colours: a reader who cannot tell the colours apart tells the shapes.
SIGNALS = {
    "common_cause": ("Common cause variation", "circle", GREY),
    "special_cause_improvement": ("Special cause: improvement", "diamond", BLUE),
    "special_cause_concern": ("Special cause: concern", "square", ORANGE),
    "special_cause_neutral": ("Special cause: neither better nor worse", "triangle-up", PURPLE),
}

#: The MDC variation icons (the names `icsight.stats.process_control.icon_for` gives) in words.
VARIATION_TEXT = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause improvement: higher",
    "improvement_low": "Special cause improvement: lower",
    "concern_high": "Special cause concern: higher",
    "concern_low": "Special cause concern: lower",
    "neutral_high": "Special cause variation: higher",
    "neutral_low": "Special cause variation: lower",
}
#: The MDC assurance icons in words.
ASSURANCE_TEXT = {
    "pass": "Consistently meets the target",
    "fail": "Consistently misses the target",
    "inconsistent": "May or may not meet the target",
}

WIDTH, HEIGHT = 560, 260


def date_text(value: object) -> str:
    """A period end as 30 September 2026 (the NHS style for dates)."""
    day = dt.date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%B %Y}"


def _signal(point_type: str) -> str:
    """The legend's key of a point type (high and low neutral points are drawn alike)."""
    return "special_cause_neutral" if point_type.startswith("special_cause_neutral") \
        else point_type


def spc_points(series: pd.DataFrame, *, improvement: str = "higher",
               target: float | None = None, rebase: Iterable[object] = ()) -> pd.DataFrame:
    """The plotted points of `series` (columns `period_end` and `value`; a missing value is
    one withheld): each period's value, its segment's mean and process limits and its signal,
    from `icsight.stats.spc`. Withheld periods are left out of the statistics and the plot
    (they are rows of the table only), so nothing is drawn from a figure that is not published.
    `rebase` lists period ends where a new mean and limits start."""
    if improvement not in IMPROVEMENT:
        raise ValueError(f"improvement must be one of {', '.join(IMPROVEMENT)}")
    frame = pd.DataFrame({"period_end": [str(p)[:10] for p in series["period_end"]],
                          "value": [number(v) for v in series["value"]]})
    shown = frame.dropna(subset=["value"]).sort_values("period_end")
    columns = ["period_end", "value", "segment", "mean", "lpl", "upl", "rule", "point_type",
               "signal", "signal_text"]
    if shown.empty:
        return pd.DataFrame(columns=columns)
    dates = pd.to_datetime(shown["period_end"])
    rebase_dates = [pd.Timestamp(str(r)[:10]) for r in rebase]
    result = spc(shown["value"].to_numpy(), dates=dates,
                 improvement_direction=IMPROVEMENT[improvement], target=target,
                 rebase=rebase_dates).points
    out = pd.DataFrame({
        "period_end": [str(x)[:10] for x in result["x"]],
        "value": result["y"].astype(float),
        "segment": result["rebase_group"].astype(int) + 1,
        "mean": result["mean"].astype(float), "lpl": result["lpl"].astype(float),
        "upl": result["upl"].astype(float), "rule": result["rule"],
        "point_type": result["point_type"]})
    out["signal"] = [_signal(p) for p in out["point_type"]]
    out["signal_text"] = [SIGNALS[s][0] for s in out["signal"]]
    return out[columns].reset_index(drop=True)


def spc_chart(series: pd.DataFrame, *, title: str, unit: str = "",
              target: float | None = None, improvement: str = "higher",
              rebase: Iterable[object] = ()) -> alt.LayerChart:
    """A Making Data Count XmR chart of `series` (see `spc_points`): an Altair layer chart
    whose data are the plotted points, carrying its table and text alternative in `usermeta`
    (read them with `chart_table` and `chart_description`)."""
    rebase = list(rebase)
    points = spc_points(series, improvement=improvement, target=target, rebase=rebase)
    direction = IMPROVEMENT[improvement]
    icons = _icons(points, direction, target)
    table = _table(series, points, unit)
    description = _describe(points, title, unit, target, improvement, icons,
                            withheld=sum(r["Value"] == WITHHELD for r in table))
    axis_title = unit.strip() or "value"
    x = alt.X("period_end:T", title="Period end", axis=alt.Axis(format="%b %Y"))
    base = alt.Chart(points).encode(x=x)
    order = list(SIGNALS)
    legend = alt.Legend(title="Variation", orient="bottom", columns=2, labelLimit=320,
                        labelExpr=_label_expr())
    layers = [
        base.mark_line(color=GREY, strokeWidth=1.5).encode(
            y=alt.Y("value:Q", title=axis_title, scale=alt.Scale(zero=False)),
            detail="segment:O"),
        base.mark_line(color=DARK, strokeWidth=1.5).encode(y="mean:Q", detail="segment:O"),
        base.mark_line(color=DARK, strokeWidth=1, strokeDash=[6, 4]).encode(
            y="upl:Q", detail="segment:O"),
        base.mark_line(color=DARK, strokeWidth=1, strokeDash=[6, 4]).encode(
            y="lpl:Q", detail="segment:O"),
        base.mark_point(filled=True, size=70, opacity=1).encode(
            y="value:Q",
            color=alt.Color("signal:N", scale=alt.Scale(
                domain=order, range=[SIGNALS[s][2] for s in order]), legend=legend),
            shape=alt.Shape("signal:N", scale=alt.Scale(
                domain=order, range=[SIGNALS[s][1] for s in order]), legend=legend),
            tooltip=[alt.Tooltip("period_end:T", title="Period end", format="%d %B %Y"),
                     alt.Tooltip("value:Q", title="Value", format=",.1f"),
                     alt.Tooltip("mean:Q", title="Mean", format=",.1f"),
                     alt.Tooltip("signal_text:N", title="Variation")]),
    ]
    if target is not None:
        marker = pd.DataFrame({"target": [float(target)], "label": [f"Target {target:g}"]})
        rule = alt.Chart(marker)
        layers.append(rule.mark_rule(color=ORANGE, strokeWidth=2, strokeDash=[2, 2]).encode(
            y="target:Q"))
        layers.append(rule.mark_text(align="left", dx=4, dy=-6, color=ORANGE,
                                     fontWeight="bold").encode(y="target:Q", text="label:N",
                                                               x=alt.value(0)))
    chart = alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)
    return with_table(chart, kind="spc", title=title, table=table, description=description,
                      variation_icon=icons[0], assurance_icon=icons[1],
                      rebase=[str(r)[:10] for r in rebase]
                      ).configure_view(stroke=None).configure_axis(**AXIS)


def _label_expr() -> str:
    """A Vega expression naming each legend key in words (the keys are point-type names)."""
    cases = " : ".join(f"datum.label == '{key}' ? '{text}'" for key, (text, _, _)
                       in SIGNALS.items())
    return f"{cases} : datum.label"


def _icons(points: pd.DataFrame, direction: str, target: float | None
           ) -> tuple[str | None, str | None]:
    """The variation and assurance icons of the latest plotted point, as the statistics
    name them (`SpcChart.variation_icon` and `assurance_icon`)."""
    if points.empty:
        return None, None
    from icsight.stats.process_control import assurance_type, icon_for

    last = points.iloc[-1]
    assurance = assurance_type(target, last["lpl"], last["upl"], direction)
    return (icon_for(last["point_type"], direction),
            {"consistent_pass": "pass", "consistent_fail": "fail",
             "inconsistent": "inconsistent", None: None}[assurance])


def _table(series: pd.DataFrame, points: pd.DataFrame, unit: str) -> list[dict]:
    """One row per period of `series`: a plotted point's value, mean, limits and signal, or a
    withheld period saying so."""
    plotted = {row.period_end: row for row in points.itertuples()}
    rows = []
    for period in sorted({str(p)[:10] for p in series["period_end"]}):
        point = plotted.get(period)
        if point is None:
            rows.append({"Period end": date_text(period), "Value": WITHHELD, "Mean": "",
                         "Lower process limit": "", "Upper process limit": "",
                         "Variation": "not assessed: the value is withheld"})
            continue
        rows.append({"Period end": date_text(period), "Value": fmt(point.value),
                     "Mean": fmt(point.mean), "Lower process limit": fmt(point.lpl),
                     "Upper process limit": fmt(point.upl), "Variation": point.signal_text})
    return rows


def _describe(points: pd.DataFrame, title: str, unit: str, target: float | None,
              improvement: str, icons: tuple[str | None, str | None], withheld: int) -> str:
    """The chart in words: what it plots, the latest value and its signal, the assurance."""
    if points.empty:
        return f"{title}: no published values to chart."
    first, last = points.iloc[0], points.iloc[-1]
    better = {"higher": "higher is better", "lower": "lower is better",
              "neutral": "neither direction is better"}[improvement]
    parts = [f"Statistical process control chart of {title} ({better}), "
             f"{len(points)} periods from {date_text(first.period_end)} to "
             f"{date_text(last.period_end)}.",
             f"Latest value {fmt(last.value, unit)} (period ending "
             f"{date_text(last.period_end)}): "
             f"{VARIATION_TEXT.get(icons[0] or '', 'no signal')}.",
             f"Mean {fmt(last['mean'])}, process limits {fmt(last.lpl)} to "
             f"{fmt(last.upl)}."]
    if points["segment"].nunique() > 1:
        parts.append(f"The limits were recalculated {points['segment'].nunique() - 1} "
                     "time(s) after a change (rebased).")
    if target is not None:
        assurance = ASSURANCE_TEXT[icons[1]] if icons[1] else "no assurance"
        parts.append(f"Target {target:g}: {assurance}.")
    if withheld:
        parts.append(f"{withheld} period(s) withheld to protect privacy are not plotted.")
    return " ".join(parts)


# --- icons ------------------------------------------------------------------------------

#: Each variation icon: (letter, mark beside the letter, colour). The letter says which way
#: the value moved (H higher, L lower); the mark says whether that is good (+), bad (!) or
#: neither (no mark); the colour repeats what the letter and mark say.
_VARIATION_LOOK = {
    "common_cause": ("", "", GREY),
    "improvement_high": ("H", "+", BLUE), "improvement_low": ("L", "+", BLUE),
    "concern_high": ("H", "!", ORANGE), "concern_low": ("L", "!", ORANGE),
    "neutral_high": ("H", "", PURPLE), "neutral_low": ("L", "", PURPLE),
}
_ASSURANCE_LOOK = {"pass": ("P", BLUE), "fail": ("F", ORANGE), "inconsistent": ("?", GREY)}


def _icon(label: str, colour: str, body: str, size: int) -> str:
    text = escape(label)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="icsight-icon" width="{size}" '
            f'height="{size}" viewBox="0 0 40 40" role="img" aria-label="{text}" '
            f'focusable="false"><title>{text}</title>'
            f'<circle cx="20" cy="20" r="17" fill="#FFFFFF" stroke="{colour}" '
            f'stroke-width="3"/>{body}</svg>')


def variation_icon_svg(icon: str | None, size: int = 40) -> str:
    """The Making Data Count variation icon `icon` (a name `icsight.stats` gives:
    common_cause, improvement_high, concern_low, neutral_high, ...) as a small inline SVG:
    a ring with H or L for the direction, + for improvement or ! for concern, a line of
    points for common cause, and its name as the accessible label and tooltip."""
    if icon not in _VARIATION_LOOK:
        return _icon("No SPC chart", GREY, _letter("-", GREY), size)
    letter, mark, colour = _VARIATION_LOOK[icon]
    if not letter:  # common cause: a level run of points, as MDC's icon shows
        body = "".join(f'<circle cx="{x}" cy="20" r="3" fill="{colour}"/>'
                       for x in (10, 17, 24, 31))
    else:
        arrow = ('<path d="M30 9 L34 15 L26 15 Z"' if letter == "H"
                 else '<path d="M30 31 L34 25 L26 25 Z"') + f' fill="{colour}"/>'
        body = _letter(letter, colour, x=17) + arrow + (
            f'<text x="30" y="{24 if letter == "H" else 21}" font-family="Arial, sans-serif" '
            f'font-size="10" font-weight="bold" fill="{colour}" text-anchor="middle">'
            f'{escape(mark)}</text>' if mark else "")
    return _icon(VARIATION_TEXT[icon], colour, body, size)


def assurance_icon_svg(icon: str | None, size: int = 40) -> str:
    """The Making Data Count assurance icon `icon` (pass, fail or inconsistent) as a small
    inline SVG: a ring with P (consistently passes), F (consistently fails) or ? (hit and
    miss), and its name as the accessible label and tooltip."""
    if icon not in _ASSURANCE_LOOK:
        return _icon("No target to assure", GREY, _letter("-", GREY), size)
    letter, colour = _ASSURANCE_LOOK[icon]
    return _icon(ASSURANCE_TEXT[icon], colour, _letter(letter, colour), size)


def _letter(letter: str, colour: str, x: int = 20) -> str:
    return (f'<text x="{x}" y="27" font-family="Arial, sans-serif" font-size="20" '
            f'font-weight="bold" fill="{colour}" text-anchor="middle">{escape(letter)}</text>')
