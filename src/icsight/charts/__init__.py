"""Charts, made once in Python and used by the web pages and the board reports.

Each chart is an Altair (Vega-Lite) spec built from plain data the services give (a pandas
frame or a list of dicts); nothing here reads a file of results. The same spec is drawn on the
server as SVG by vl-convert (`to_svg`) and, where JavaScript runs, in the browser by the
vendored vega-embed. Every chart carries the rows of the data table printed beside it
(`chart_table`) and its text alternative (`chart_description`).

The charts: `spc_chart` (Making Data Count XmR), `funnel_chart` (practices against 95% and
99.8% limits), `deprivation_chart` (IMD deciles with the SII line), `pyramid_chart` (5-year
bands by sex), `trajectory_chart` (a waiting list's simulated year as a fan), the planning charts
(`demand_fan_chart`, `waterfall_chart`, `pyramid_change_chart`, `forecast_chart`), `lsoa_map`
(a choropleth of LSOAs) and `place_map` (of BLMK's four places); the Making Data Count icons as SVG.

The names the board reports (`icsight.reports`) and the programme pages call:
`spc_chart`, `to_svg`, `variation_icon_svg` and `assurance_icon_svg`.
"""

from icsight.charts._common import (
    WITHHELD,
    chart_description,
    chart_meta,
    chart_table,
    to_svg,
)
from icsight.charts.funnel import FUNNEL_METHODS, funnel_chart
from icsight.charts.inequality import deprivation_chart, sii_line
from icsight.charts.maps import lsoa_boundaries, lsoa_map, place_boundaries, place_map
from icsight.charts.planning import (
    demand_fan_chart,
    forecast_chart,
    pyramid_change_chart,
    waterfall_chart,
)
from icsight.charts.population import pyramid_chart
from icsight.charts.spc import (
    ASSURANCE_TEXT,
    VARIATION_TEXT,
    assurance_icon_svg,
    spc_chart,
    spc_points,
    variation_icon_svg,
)
from icsight.charts.waiting_lists import trajectory_chart

__all__ = [
    "ASSURANCE_TEXT",
    "FUNNEL_METHODS",
    "VARIATION_TEXT",
    "WITHHELD",
    "assurance_icon_svg",
    "chart_description",
    "chart_meta",
    "chart_table",
    "demand_fan_chart",
    "deprivation_chart",
    "forecast_chart",
    "funnel_chart",
    "lsoa_boundaries",
    "lsoa_map",
    "place_boundaries",
    "place_map",
    "pyramid_change_chart",
    "pyramid_chart",
    "sii_line",
    "spc_chart",
    "spc_points",
    "to_svg",
    "trajectory_chart",
    "variation_icon_svg",
    "waterfall_chart",
]
