"""The pages' charts: an indicator's BLMK SPC chart, funnel of practices and deprivation
gradient (the indicator page shows all three, the programme page the first two), and the map
of its latest value by place (the programme page), each a figure with its drawing (SVG made
on the server, inline, so the page needs no JavaScript), its text alternative and its data
table.

The charts are `icsight.charts`'s, drawn from the rows the services served this principal
(published values below analyst: a withheld value is a table row saying so, never a point).
Drawing takes vl-convert a fraction of a second a chart, so each figure is kept per build,
indicator, level of access and kind: a build is never rewritten, and the rows of one build at
one level of access are the same for everyone at that level.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable

import altair as alt
import pandas as pd

from icsight.charts import (
    FUNNEL_METHODS,
    assurance_icon_svg,
    chart_description,
    chart_meta,
    chart_table,
    deprivation_chart,
    funnel_chart,
    place_map,
    spc_chart,
    to_svg,
    variation_icon_svg,
)
from icsight.indicators.definition import Indicator
from icsight.web.views.cache import KeptFigures

__all__ = ["IMPROVEMENT", "KINDS", "indicator_figures", "place_figure"]

log = logging.getLogger(__name__)

#: An indicator's polarity -> the SPC chart's improvement direction.
IMPROVEMENT = {"higher is better": "higher", "lower is better": "lower"}

#: The kinds of figure an indicator has, in the order a page shows them.
KINDS = ("spc", "funnel", "deprivation")

#: Figures of this many (build, indicator, access, kind) kept in memory.
_FIGURES = KeptFigures(limit=1024)


def indicator_figures(ind: Indicator, rows: list[dict], run_id: str, exact: bool,
                      kinds: tuple[str, ...] = KINDS) -> list[dict]:
    """The figures of indicator `ind` from its `rows` (every breakdown and period, as the
    services served them), of each of `kinds` it has, kept per (`run_id`, indicator, `exact`,
    kind): a page that shows only some kinds (the programme page: the SPC chart and the
    funnel) draws only those, and the indicator page then draws only the rest."""
    if not rows:
        return []
    out: list[dict] = []
    table: list[pd.DataFrame] = []  # made once, by the first kind that is drawn

    def draw(kind: str) -> list[dict]:
        if not table:
            table.append(_frame(rows))
        return _DRAW[kind](ind, table[0])

    for kind in kinds:
        out += _FIGURES.get_or_make((run_id, ind.id, exact, kind),
                                    functools.partial(draw, kind))
    return out


def place_figure(ind: Indicator, places: list[dict], run_id: str, exact: bool) -> dict | None:
    """The map of indicator `ind`'s latest value in each place (`places`: the place rows of
    the latest period as the services served them), kept as the other figures are; None
    when no place has a row."""
    if not places:
        return None

    def draw() -> list[dict]:
        frame = pd.DataFrame({"place": [row["group"] for row in places],
                              "value": [row.get("value") for row in places]})
        end = dt.date.fromisoformat(max(str(row["period_end"])[:10] for row in places))
        return _safely("map", "By place: map", lambda: place_map(
            frame, title=f"{ind.title}, by place, to {end.day} {end:%B %Y}", unit=ind.unit))

    kept = _FIGURES.get_or_make((run_id, ind.id, exact, "map"), draw)
    return kept[0] if kept else None


def _figures(ind: Indicator, rows: list[dict], kinds: tuple[str, ...] = KINDS) -> list[dict]:
    """The figures of `kinds` drawn from `rows`, without keeping them."""
    table = _frame(rows)
    return [figure for kind in kinds for figure in _DRAW[kind](ind, table)]


def _frame(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    table["period_end"] = table["period_end"].astype(str).str[:10]
    return table


# a chart is drawn only when it has something to plot: a chart of nothing but withheld
# values says less than the sentence the page has for it (DSRs from fewer than 10 events
# and life expectancy from too few deaths are not computed, even for analysts)

def _spc(ind: Indicator, table: pd.DataFrame) -> list[dict]:
    icb = table[table.breakdown == "icb"].sort_values("period_end")
    if not icb["value"].notna().any():
        return []
    chart = spc_chart(icb[["period_end", "value"]], title=f"{ind.title}, BLMK",
                      unit=ind.unit, target=ind.target,
                      improvement=IMPROVEMENT.get(ind.polarity, "neutral"))
    meta = chart_meta(chart)
    return [_figure("spc", "Over time: statistical process control (SPC) chart",
                    chart, icons=[variation_icon_svg(meta["variation_icon"]),
                                  assurance_icon_svg(meta["assurance_icon"])])]


def _funnel(ind: Indicator, table: pd.DataFrame) -> list[dict]:
    latest = table["period_end"].max()
    practices = table[(table.breakdown == "practice") & (table.period_end == latest)]
    if practices["value"].notna().sum() < 2 or ind.method not in FUNNEL_METHODS:
        return []
    practices = practices.assign(group=[_practice(code) for code in practices.group])
    return _safely("funnel", "Practices compared: funnel plot", lambda: funnel_chart(
        practices, title=f"{ind.title}, practices", unit=ind.unit, method=ind.method,
        multiplier=ind.multiplier))


def _deprivation(ind: Indicator, table: pd.DataFrame) -> list[dict]:
    latest = table["period_end"].max()
    deciles = table[(table.breakdown == "imd_decile") & (table.period_end == latest)]
    if not deciles["value"].notna().any():
        return []
    return _safely("deprivation", "By deprivation: the gradient and the slope index of "
                   "inequality", lambda: deprivation_chart(
                       deciles, title=f"{ind.title}, by deprivation decile", unit=ind.unit,
                       method=ind.method))


_DRAW: dict[str, Callable[[Indicator, pd.DataFrame], list[dict]]] = {
    "spc": _spc, "funnel": _funnel, "deprivation": _deprivation}


def _practice(code: str) -> str:
    """A practice as a reader knows it: its name, with its ODS code (both are published in
    NHS Digital's ODS reference data, so naming one withholds nothing)."""
    names = _practice_names()
    return f"{names[code]} ({code})" if code in names else code


@functools.cache
def _practice_names() -> dict[str, str]:
    from icsight.model.reference import practices

    table = practices()
    return dict(zip(table["practice_code"].to_pylist(), table["practice_name"].to_pylist(),
                    strict=True))


def _safely(kind: str, heading: str, make: Callable[[], alt.TopLevelMixin]) -> list[dict]:
    """The figure `make()` draws, or none when its statistics cannot be worked out from these
    rows (too few areas, every count withheld): the page then goes without it."""
    try:
        return [_figure(kind, heading, make())]
    except (ValueError, ZeroDivisionError, FloatingPointError) as e:
        log.warning("no %s chart: %s", kind, e)
        return []


def _figure(kind: str, heading: str, chart: alt.TopLevelMixin,
            icons: list[str] | None = None) -> dict:
    """A chart as the chart partial prints it."""
    rows = chart_table(chart)
    head = list(rows[0]) if rows else []
    spec = chart.to_dict(validate=False)  # validated in the tests; not again per page
    return {"id": f"chart-{kind}", "heading": heading, "title": spec.get("title", ""),
            "description": chart_description(chart), "svg": responsive(to_svg(spec)),
            "head": head, "rows": [[row[c] for c in head] for row in rows],
            "icons": icons or [], "spec": json.dumps(spec, separators=(",", ":")),
            "attribution": chart_meta(chart).get("attribution")}


def responsive(svg: str) -> str:
    """`svg` without its fixed width and height, so that it fills its column and keeps its
    shape by its viewBox (on a phone as on a wide screen), and hidden from assistive
    technology: the figure's caption and table say what it shows. Vega's labels on each mark
    (its ARIA roles and a label per point) go too, since nothing reads them inside a hidden
    drawing, and positions are kept to a hundredth of a pixel: a funnel of a hundred
    practices is then about half the size."""
    svg = re.sub(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"',
                 r'<svg\1 aria-hidden="true" focusable="false"', svg, count=1)
    head, _, body = svg.partition(">")
    body = re.sub(r' (?:aria-label|aria-roledescription|role)="[^"]*"', "", body)
    body = re.sub(r"(\d\.\d\d)\d+", r"\1", body)
    return f"{head}>{body}"
