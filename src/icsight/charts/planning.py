"""The planning charts (issue 14, point 5): demand to 2043 as a fan chart per scenario, the
two scenarios' change by point of delivery side by side, the waterfall of change factors from
the baseline to the horizon, a population pyramid of 2023 against 2043, and a point of
delivery's monthly forecast handed over to the projection.

A fan chart draws the median of the Monte Carlo runs as a line and the band from the 10th to
the 90th percentile shaded around it (as the Bank of England and ONS draw projections: 8 runs
in 10 fall inside the band). The two scenarios are told apart by line style as well as colour
(WCAG 2.2 1.4.1: colour is not the only means), and the baseline year, which sits between two
mid-years, is marked by a vertical rule with its activity as a point.

Values are drawn as the services give them: a withheld value is a row of the table saying so,
and no mark.
"""

from __future__ import annotations

import datetime as dt

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
    number,
    with_table,
)

__all__ = ["demand_fan_chart", "forecast_chart", "pyramid_change_chart", "scenario_change_chart",
           "waterfall_chart"]

#: Scenario -> (colour, dash): the principal solid, the mitigated dashed.
STYLES = {"Principal": (BLUE, [1, 0]), "Mitigated": (ORANGE, [6, 3])}


def _count(value: float | None) -> str:
    value = number(value)  # a frame holds a withheld value as NaN
    return WITHHELD if value is None else f"{value:,.0f}"


def _range(low: float | None, high: float | None) -> str:
    low, high = number(low), number(high)
    if low is None or high is None:
        return WITHHELD
    return f"{low:,.0f} to {high:,.0f}"


def demand_fan_chart(rows: pd.DataFrame, *, title: str, measure_name: str,
                     baseline: float | None = None, baseline_year: float | None = None,
                     baseline_label: str = "baseline year") -> alt.LayerChart:
    """A fan chart of `rows` (columns `scenario`, `year`, `p10`, `p50`, `p90`), one band and
    median line per scenario, for one point of delivery named `measure_name` ("A&E
    attendances"). `baseline`: the baseline year's activity, drawn as a point at
    `baseline_year` (a mid-year such as 2025.75) with a vertical rule, named
    `baseline_label` in the text."""
    frame = pd.DataFrame({"scenario": rows["scenario"].astype(str),
                          "year": rows["year"].astype(int),
                          **{p: [number(v) for v in rows[p]] for p in ("p10", "p50", "p90")}})
    scenarios = list(dict.fromkeys(frame.scenario))
    frame = frame.sort_values(["scenario", "year"], ignore_index=True)
    shown = frame.dropna(subset=["p50"])
    x = alt.X("year:Q", title="Year (mid-year)", axis=alt.Axis(format="d", tickMinStep=1),
              scale=alt.Scale(zero=False, nice=False))
    colours = alt.Scale(domain=scenarios,
                        range=[STYLES.get(s, (PURPLE, None))[0] for s in scenarios])
    colour = alt.Color("scenario:N", title="Scenario", scale=colours,
                       legend=alt.Legend(orient="bottom"))
    dash = alt.StrokeDash("scenario:N", title="Scenario", scale=alt.Scale(
        domain=scenarios, range=[STYLES.get(s, (None, [2, 2]))[1] for s in scenarios]),
        legend=alt.Legend(orient="bottom"))
    band = alt.Chart(shown.dropna(subset=["p10", "p90"])).mark_area(opacity=0.2).encode(
        x=x, y=alt.Y("p10:Q", title=measure_name), y2="p90:Q",
        color=alt.Color("scenario:N", scale=colours, legend=None),
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"),
                 alt.Tooltip("year:Q", title="Year", format="d"),
                 alt.Tooltip("p10:Q", title="10th percentile", format=",.0f"),
                 alt.Tooltip("p90:Q", title="90th percentile", format=",.0f")])
    line = alt.Chart(shown).mark_line(strokeWidth=2).encode(
        x=x, y=alt.Y("p50:Q", title=measure_name), color=colour, strokeDash=dash,
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"),
                 alt.Tooltip("year:Q", title="Year", format="d"),
                 alt.Tooltip("p50:Q", title="Median of the runs", format=",.0f")])
    # the lines first: the first layer's legend is the one drawn (the lines' colour and
    # dash, not the band's pale swatch); the bands are pale enough not to hide them
    layers: list[alt.Chart] = [line, band]
    if baseline_year is not None:
        mark = pd.DataFrame({"year": [baseline_year], "baseline": [number(baseline)]})
        layers.append(alt.Chart(mark).mark_rule(color=GREY, strokeDash=[2, 2]).encode(x=x))
        if number(baseline) is not None:
            layers.append(alt.Chart(mark).mark_point(
                color=DARK, filled=True, size=60, shape="diamond").encode(
                x=x, y=alt.Y("baseline:Q", title=measure_name),
                tooltip=[alt.Tooltip("baseline:Q", title="Baseline year", format=",.0f")]))
    chart = alt.layer(*layers).properties(width=560, height=280)

    table = []
    wide = {(r.scenario, r.year): r for r in frame.itertuples(index=False)}
    for year in sorted(frame.year.unique()):
        cells: dict[str, str] = {"Year": str(year)}
        for scenario in scenarios:
            row = wide.get((scenario, year))
            cells[f"{scenario}: median"] = _count(row.p50 if row else None)
            cells[f"{scenario}: low to high"] = _range(row.p10 if row else None,
                                                       row.p90 if row else None)
        table.append(cells)
    years = sorted(frame.year.unique())
    description = (f"Fan chart of {title}, {years[0]} to {years[-1]}" if years else
                   f"Fan chart of {title}")
    description += (f", one line and shaded band per scenario ({', '.join(scenarios)}). "
                    "The line is the median of the runs; low and high are the 10th and 90th "
                    "percentiles (p10, p90): 8 runs in 10 fall between them.")
    if baseline_year is not None:
        description += f" The {baseline_label} is marked with a vertical line"
        description += (f": {_count(number(baseline))}." if number(baseline) is not None
                        else " (its activity is withheld).")
    for scenario in scenarios:
        own = shown[shown.scenario == scenario]
        if len(own):
            last = own.iloc[-1]
            description += (f" {scenario}: median {_count(last.p50)} in {last.year}, 8 runs "
                            f"in 10 between {_count(last.p10)} and {_count(last.p90)}.")
    withheld = int(frame.p50.isna().sum())
    if withheld:
        description += f" {withheld} figure(s) withheld to protect privacy."
    return with_table(chart, kind="fan", title=title, table=table,
                      description=description).configure_view(stroke=None).configure_axis(
        **AXIS)


def _change(value: float | None, baseline: float | None) -> float | None:
    """`value` as a percentage change on `baseline` (None if either is withheld or the
    baseline is nothing)."""
    value, baseline = number(value), number(baseline)
    if value is None or baseline is None or baseline == 0:
        return None
    return 100 * (value / baseline - 1)


def _percent(value: float | None) -> str:
    value = number(value)  # a frame holds a withheld value as NaN
    return WITHHELD if value is None else f"{value:+.1f}%"


def scenario_change_chart(rows: pd.DataFrame, *, title: str, horizon: int) -> alt.LayerChart:
    """Each point of delivery's change from the baseline year to `horizon` under each
    scenario, side by side: the median of the runs as a point and the 10th to 90th
    percentile as a line through it, in per cent of the baseline year's activity, so points
    of delivery counted in different units (admissions, bed days, attendances) share one
    axis. `rows`: columns `label` (the point of delivery), `scenario`, `baseline`, `p10`,
    `p50`, `p90` (activity in the horizon year). A withheld figure is a row of the table
    saying so, and no mark."""
    frame = pd.DataFrame({
        "label": rows["label"].astype(str), "scenario": rows["scenario"].astype(str),
        **{f"change_{p}": [_change(v, b) for v, b in zip(rows[p], rows["baseline"],
                                                          strict=True)]
           for p in ("p10", "p50", "p90")}})
    labels = list(dict.fromkeys(frame.label))
    scenarios = list(dict.fromkeys(frame.scenario))
    shown = frame.dropna(subset=["change_p50"])
    scale = alt.Scale(domain=scenarios,
                      range=[STYLES.get(s, (PURPLE, None))[0] for s in scenarios])
    colour = alt.Color("scenario:N", title="Scenario", legend=alt.Legend(orient="bottom"),
                       scale=scale)
    y = alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=260))
    offset = alt.YOffset("scenario:N", sort=scenarios)
    x_title = f"Change from the baseline year to {horizon} (%)"
    whisker = alt.Chart(shown.dropna(subset=["change_p10", "change_p90"])).mark_rule(
        strokeWidth=2).encode(
        x=alt.X("change_p10:Q", title=x_title), x2="change_p90:Q", y=y, yOffset=offset,
        color=alt.Color("scenario:N", scale=scale, legend=None))
    # the scenarios differ by shape as well as colour (WCAG 2.2 1.4.1)
    point = alt.Chart(shown).mark_point(filled=True, size=70).encode(
        x=alt.X("change_p50:Q", title=x_title), y=y, yOffset=offset, color=colour,
        shape=alt.Shape("scenario:N", title="Scenario", scale=alt.Scale(domain=scenarios),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title="Point of delivery"),
                 alt.Tooltip("scenario:N", title="Scenario"),
                 alt.Tooltip("change_p50:Q", title="Median change (%)", format="+.1f"),
                 alt.Tooltip("change_p10:Q", title="10th percentile (%)", format="+.1f"),
                 alt.Tooltip("change_p90:Q", title="90th percentile (%)", format="+.1f")])
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=GREY).encode(x="x:Q")
    chart = alt.layer(point, whisker, zero).properties(width=480, height=alt.Step(14))

    wide = {(r.label, r.scenario): r for r in frame.itertuples(index=False)}
    table = []
    for label in labels:
        cells: dict[str, str] = {"Point of delivery": label}
        for scenario in scenarios:
            row = wide.get((label, scenario))
            cells[f"{scenario}: median change"] = _percent(row.change_p50 if row else None)
            low, high = (row.change_p10, row.change_p90) if row else (None, None)
            cells[f"{scenario}: 8 runs in 10"] = (
                WITHHELD if number(low) is None or number(high) is None
                else f"{_percent(low)} to {_percent(high)}")
        table.append(cells)
    description = (f"Dot plot of {title}: the change from the baseline year to {horizon} of "
                   f"each of {len(labels)} points of delivery under each scenario "
                   f"({', '.join(scenarios)}), the median of the runs as a point and the "
                   "10th to 90th percentile as a line.")
    for scenario in scenarios:
        own = shown[shown.scenario == scenario]
        if len(own):
            most = own.loc[own.change_p50.idxmax()]
            least = own.loc[own.change_p50.idxmin()]
            description += (f" {scenario}: the most growth {most.label} "
                            f"({_percent(most.change_p50)}), the least {least.label} "
                            f"({_percent(least.change_p50)}).")
    withheld = int(frame.change_p50.isna().sum())
    if withheld:
        description += f" {withheld} figure(s) withheld to protect privacy."
    return with_table(chart, kind="scenario-change", title=title, table=table,
                      description=description).configure_view(stroke=None).configure_axis(
        **AXIS)


def waterfall_chart(rows: pd.DataFrame, *, title: str, measure_name: str,
                    horizon: int) -> alt.LayerChart:
    """The change factors of `rows` (columns `order`, `step`, `change`, `level`: the baseline
    first, each later step's change added to the level before it) as a waterfall: the
    baseline and the `horizon` total as bars from 0, each step a bar from the level before
    to the level after, increases in blue and decreases in orange (and labelled)."""
    frame = rows.sort_values("order")
    steps = []
    before = 0.0
    for row in frame.itertuples(index=False):
        change, level = number(row.change), number(row.level)
        first = int(row.order) == 0
        steps.append({"step": str(row.step)[0].upper() + str(row.step)[1:],
                      "start": 0.0 if first else before, "end": level, "change": change,
                      "kind": ("Total" if first else
                               "Increase" if (change or 0) >= 0 else "Decrease")})
        before = level if level is not None else before
    last = number(frame.level.iloc[-1]) if len(frame) else None
    steps.append({"step": f"{horizon}", "start": 0.0, "end": last, "change": None,
                  "kind": "Total"})
    shown = pd.DataFrame([s for s in steps if s["end"] is not None])
    order = [s["step"] for s in steps]
    kinds = ["Total", "Increase", "Decrease"]
    chart = alt.Chart(shown).mark_bar().encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30,
                                                              labelLimit=320)),
        y=alt.Y("start:Q", title=measure_name), y2="end:Q",
        color=alt.Color("kind:N", title="Bar", scale=alt.Scale(domain=kinds,
                                                             range=[GREY, BLUE, ORANGE]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("step:N", title="Step"),
                 alt.Tooltip("change:Q", title="Change", format=",.0f"),
                 alt.Tooltip("end:Q", title="Level after", format=",.0f")],
    ).properties(width=560, height=280)
    table = []
    for i, s in enumerate(steps):
        # the baseline and the horizon are levels, not changes
        change = ("" if i in (0, len(steps) - 1) else
                  WITHHELD if s["change"] is None else f"{s['change']:+,.0f}")
        table.append({"Step": s["step"], "Change": change, "Level after": _count(s["end"])})
    description = f"Waterfall of {title}: "
    if shown.empty:
        description += "withheld to protect privacy."
    else:
        parts = [f"{s['step'].lower()} {s['change']:+,.0f}" for s in steps[1:-1]
                 if s["change"] is not None]
        description += (f"from a baseline of {_count(steps[0]['end'])} to {_count(last)} in "
                        f"{horizon}" + (f"; the steps: {', '.join(parts)}." if parts else "."))
        description += (" The changes are means over the runs, so they add up; the median "
                        "on the demand page may differ slightly.")
    return with_table(chart, kind="waterfall", title=title, table=table,
                      description=description).configure_view(stroke=None).configure_axis(
        **AXIS)


def _band_start(band: str) -> int:
    head = str(band).split("-")[0].rstrip("+")
    return int(head) if head.isdigit() else -1


def pyramid_change_chart(rows: pd.DataFrame, *, title: str, first: int, last: int
                         ) -> alt.LayerChart:
    """A population pyramid of `last` (bars, males left and females right) with `first`
    drawn over it as a black tick per band and sex, from `rows` (columns `year`, `age_band`,
    `sex` "female"/"male", `people`): how each band grows or shrinks."""
    frame = pd.DataFrame({"year": rows["year"].astype(int),
                          "age_band": rows["age_band"].astype(str),
                          "sex": rows["sex"].astype(str).str.capitalize(),
                          "people": [number(v) for v in rows["people"]]})
    bands = sorted(frame.age_band.unique(), key=_band_start, reverse=True)
    shown = frame.dropna(subset=["people"]).copy()
    shown["signed"] = [p * (-1 if s == "Male" else 1) for p, s in
                       zip(shown.people, shown.sex, strict=True)]
    y = alt.Y("age_band:N", sort=bands, title="Age band (years)")
    x_title = "People (males left, females right)"
    axis = alt.Axis(labelExpr="format(abs(datum.value), ',')")
    bars = alt.Chart(shown[shown.year == last]).mark_bar(opacity=0.8).encode(
        y=y, x=alt.X("signed:Q", title=x_title, axis=axis),
        color=alt.Color("sex:N", scale=alt.Scale(domain=["Male", "Female"],
                                                 range=[BLUE, PURPLE]),
                        legend=alt.Legend(title=f"Bars: {last}", orient="bottom")),
        tooltip=[alt.Tooltip("age_band:N", title="Age band"), alt.Tooltip("sex:N"),
                 alt.Tooltip("people:Q", title=f"People in {last}", format=",.0f")])
    ticks = alt.Chart(shown[shown.year == first]).mark_tick(
        color=DARK, thickness=2, size=14).encode(
        y=y, x=alt.X("signed:Q", title=x_title, axis=axis),
        tooltip=[alt.Tooltip("age_band:N", title="Age band"), alt.Tooltip("sex:N"),
                 alt.Tooltip("people:Q", title=f"People in {first}", format=",.0f")])
    chart = alt.layer(bars, ticks).properties(width=480, height=max(160, 18 * len(bands)))
    value = {(r.year, r.age_band, r.sex): r.people for r in frame.itertuples(index=False)}
    table = []
    for band in reversed(bands):  # the table reads youngest first
        row = {"Age band": band}
        for sex in ("Female", "Male"):
            for year in (first, last):
                row[f"{sex} {year}"] = _count(value.get((year, band, sex)))
        table.append(row)
    totals = shown.groupby("year").people.sum()
    before, after = totals.get(first), totals.get(last)
    description = (f"Population pyramid of {title}: bars for {last}, black marks for "
                   f"{first}, in {len(bands)} age bands.")
    if before and after:
        description += (f" {before:,.0f} people in {first}, {after:,.0f} in {last} "
                        f"({(after / before - 1) * 100:+.1f}%).")
        old = shown[shown.age_band.map(_band_start) >= 80].groupby("year").people.sum()
        if old.get(first) and old.get(last):
            description += (f" Aged 80 and over: {old[first]:,.0f} to {old[last]:,.0f} "
                            f"({(old[last] / old[first] - 1) * 100:+.1f}%).")
    return with_table(chart, kind="pyramid-change", title=title, table=table,
                      description=description).configure_view(stroke=None).configure_axis(
        **AXIS)


def _month(iso: str) -> str:
    day = dt.date.fromisoformat(iso[:10])
    return f"{day:%b %Y}"


def forecast_chart(rows: pd.DataFrame, *, title: str, measure_name: str, model: str
                   ) -> alt.LayerChart:
    """A series' monthly forecast by its chosen `model` from `rows` (columns `month`, `mean`,
    `lo_80`, `hi_80`, `path`, `weight`): the forecast as a line in its 80% interval, and the
    planning path (the forecast handed over to the long-term projection) dashed."""
    frame = pd.DataFrame({"month": rows["month"].astype(str).str[:10],
                          **{c: [number(v) for v in rows[c]]
                             for c in ("mean", "lo_80", "hi_80", "path", "weight")}})
    frame = frame.sort_values("month", ignore_index=True)
    x = alt.X("month:T", title="Month", axis=alt.Axis(format="%b %Y"))
    band = alt.Chart(frame.dropna(subset=["lo_80", "hi_80"])).mark_area(
        color=BLUE, opacity=0.2).encode(
        x=x, y=alt.Y("lo_80:Q", title=measure_name), y2="hi_80:Q",
        tooltip=[alt.Tooltip("month:T", title="Month", format="%b %Y"),
                 alt.Tooltip("lo_80:Q", title="80% interval from", format=",.0f"),
                 alt.Tooltip("hi_80:Q", title="80% interval to", format=",.0f")])
    line = alt.Chart(frame.dropna(subset=["mean"])).mark_line(
        color=BLUE, strokeWidth=2).encode(
        x=x, y=alt.Y("mean:Q", title=measure_name),
        tooltip=[alt.Tooltip("month:T", title="Month", format="%b %Y"),
                 alt.Tooltip("mean:Q", title="Forecast", format=",.0f")])
    path = alt.Chart(frame.dropna(subset=["path"])).mark_line(
        color=DARK, strokeDash=[6, 3], strokeWidth=1.5).encode(
        x=x, y=alt.Y("path:Q", title=measure_name),
        tooltip=[alt.Tooltip("month:T", title="Month", format="%b %Y"),
                 alt.Tooltip("path:Q", title="Planning path", format=",.0f")])
    chart = alt.layer(band, line, path).properties(width=560, height=260)
    table = [{"Month": _month(r.month), "Forecast": _count(r.mean),
              "80% interval": _range(r.lo_80, r.hi_80), "Planning path": _count(r.path),
              "Projection's share": ("" if number(r.weight) is None
                                     else f"{r.weight * 100:.0f}%")}
             for r in frame.itertuples(index=False)]
    description = (f"Forecast of {title} month by month with the {model} model (the one the "
                   f"back-test chose): {len(frame)} months")
    if len(frame):
        description += f" from {_month(frame.month.iloc[0])} to {_month(frame.month.iloc[-1])}"
        first, last = frame.iloc[0], frame.iloc[-1]
        description += (f". The forecast goes from {_count(first['mean'])} to "
                        f"{_count(last['mean'])} a month (80% interval in the last month "
                        f"{_range(last.lo_80, last.hi_80)}); the dashed planning path, which "
                        f"hands over to the long-term projection, ends at "
                        f"{_count(last.path)}.")
    else:
        description += "."
    return with_table(chart, kind="forecast", title=title, table=table,
                      description=description).configure_view(stroke=None).configure_axis(
        **AXIS)
