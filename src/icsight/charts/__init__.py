"""Charts, made once in Python and used by the web pages and the board reports.

Each chart is an Altair (Vega-Lite) spec built from plain data the services give (a pandas
frame or a list of dicts); nothing here reads a file of results. The same spec is drawn on the
server as SVG by vl-convert (`to_svg`) and, where JavaScript runs, in the browser by the
vendored vega-embed. Every chart carries the rows of the data table printed beside it
(`chart_table`) and its text alternative (`chart_description`).

The names the board reports (`icsight.reports`) and the programme pages call:
`spc_chart`, `to_svg`, `variation_icon_svg` and `assurance_icon_svg`.
"""

from icsight.charts._common import WITHHELD, to_svg
from icsight.charts.spc import (
    ASSURANCE_TEXT,
    VARIATION_TEXT,
    assurance_icon_svg,
    chart_description,
    chart_table,
    spc_chart,
    spc_points,
    variation_icon_svg,
)

__all__ = [
    "ASSURANCE_TEXT",
    "VARIATION_TEXT",
    "WITHHELD",
    "assurance_icon_svg",
    "chart_description",
    "chart_table",
    "spc_chart",
    "spc_points",
    "to_svg",
    "variation_icon_svg",
]
