"""The indicator page's charts: the BLMK SPC chart, the funnel of practices and the
deprivation gradient, each a figure with its drawing (SVG made on the server, inline, so the
page needs no JavaScript), its text alternative and its data table.

The charts are `icsight.charts`'s, drawn from the rows the services served this principal
(published values below analyst: a withheld value is a table row saying so, never a point).
Drawing takes vl-convert a fraction of a second a chart, so a page's figures are kept per
build, indicator and level of access: a build is never rewritten, and the rows of one build at
one level of access are the same for everyone at that level.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

import altair as alt
import pandas as pd

from icsight.charts import (
    FUNNEL_METHODS,
    assurance_icon_svg,
    chart_description,
    chart_table,
    deprivation_chart,
    funnel_chart,
    spc_chart,
    to_svg,
    variation_icon_svg,
)
from icsight.indicators.definition import Indicator

__all__ = ["IMPROVEMENT", "indicator_figures"]

log = logging.getLogger(__name__)

#: An indicator's polarity -> the SPC chart's improvement direction.
IMPROVEMENT = {"higher is better": "higher", "lower is better": "lower"}

_KEPT = 256  # figures of this many (build, indicator, access) kept in memory
_FIGURES: OrderedDict[tuple[str, str, bool], list[dict]] = OrderedDict()
_LOCK = threading.Lock()


def indicator_figures(ind: Indicator, rows: list[dict], run_id: str, exact: bool
                      ) -> list[dict]:
    """The figures of indicator `ind` from its `rows` (every breakdown and period, as the
    services served them), kept per (`run_id`, indicator, `exact`)."""
    if not rows:
        return []
    key = (run_id, ind.id, exact)
    with _LOCK:
        if key in _FIGURES:
            _FIGURES.move_to_end(key)
            return _FIGURES[key]
    figures = _figures(ind, rows)
    with _LOCK:
        _FIGURES[key] = figures
        while len(_FIGURES) > _KEPT:
            _FIGURES.popitem(last=False)
    return figures


def _figures(ind: Indicator, rows: list[dict]) -> list[dict]:
    table = pd.DataFrame(rows)
    table["period_end"] = table["period_end"].astype(str).str[:10]
    latest = table["period_end"].max()
    out = []
    icb = table[table.breakdown == "icb"].sort_values("period_end")
    if not icb.empty:
        chart = spc_chart(icb[["period_end", "value"]], title=f"{ind.title}, BLMK",
                          unit=ind.unit, target=ind.target,
                          improvement=IMPROVEMENT.get(ind.polarity, "neutral"))
        meta = chart.to_dict()["usermeta"]["icsight"]
        out.append(_figure("spc", "Over time: statistical process control (SPC) chart",
                           chart, icons=[variation_icon_svg(meta["variation_icon"]),
                                         assurance_icon_svg(meta["assurance_icon"])]))
    practices = table[(table.breakdown == "practice") & (table.period_end == latest)]
    if not practices.empty and ind.method in FUNNEL_METHODS:
        figure = _safely("funnel", "Practices compared: funnel plot", lambda: funnel_chart(
            practices, title=f"{ind.title}, practices", unit=ind.unit, method=ind.method,
            multiplier=ind.multiplier))
        out += figure
    deciles = table[(table.breakdown == "imd_decile") & (table.period_end == latest)]
    if not deciles.empty:
        out += _safely("deprivation", "By deprivation: the gradient and the slope index of "
                       "inequality", lambda: deprivation_chart(
                           deciles, title=f"{ind.title} by deprivation decile", unit=ind.unit,
                           method=ind.method))
    return out


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
    spec = chart.to_dict()
    return {"id": f"chart-{kind}", "heading": heading, "title": spec.get("title", ""),
            "description": chart_description(chart), "svg": responsive(to_svg(chart)),
            "head": head, "rows": [[row[c] for c in head] for row in rows],
            "icons": icons or [], "spec": json.dumps(spec, separators=(",", ":")),
            "attribution": spec["usermeta"]["icsight"].get("attribution")}


def responsive(svg: str) -> str:
    """`svg` without its fixed width and height, so that it fills its column and keeps its
    shape by its viewBox (on a phone as on a wide screen), and hidden from assistive
    technology: the figure's caption and table say what it shows."""
    return re.sub(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"',
                  r'<svg\1 aria-hidden="true" focusable="false"', svg, count=1)
