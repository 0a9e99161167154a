"""Waiting lists compared between providers for the fragile services: `/provider-benchmarks`
(every service's providers' table) and `/provider-benchmarks/{code}` (one service: its table,
a funnel plot of the share within the standard against list size, and each provider's SPC
chart of that share month by month, each chart with its table and text alternative).

The figures are the services' (`icsight.services.provider_benchmarks`): exact for analysts,
published for everyone else, so a withheld count is a table row saying so, never a point. The
charts are `icsight.charts`'s `funnel_chart` and `spc_chart`, drawn on the server as SVG (the
page needs no JavaScript) and kept per lake, day, level of access and service: drawing a service's
charts costs vl-convert about a second.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.charts import (
    VARIATION_TEXT,
    assurance_icon_svg,
    chart_meta,
    funnel_chart,
    spc_chart,
    variation_icon_svg,
)
from icsight.charts.funnel import POSITIONS
from icsight.services import NotFoundError
from icsight.web.views.cache import KeptFigures
from icsight.web.views.charts import _figure, _safely
from icsight.web.views.render import render, who

__all__ = ["PROVIDERS", "router"]

router = APIRouter(include_in_schema=False)

#: The providers' names as NHS Digital's ODS publishes them (naming a trust withholds nothing).
PROVIDERS = {
    "RC9": "Bedfordshire Hospitals NHS Foundation Trust",
    "RD8": "Milton Keynes University Hospital NHS Foundation Trust",
    "RWH": "East and North Hertfordshire NHS Trust",
    "RGT": "Cambridge University Hospitals NHS Foundation Trust",
}

#: Figures of this many (lake, day, access, service) kept in memory.
_FIGURES = KeptFigures(limit=64)

WITHHELD = "withheld"


def provider_name(code: str) -> str:
    """A provider as a reader knows it: its name, with its ODS code."""
    return f"{PROVIDERS[code]} ({code})" if code in PROVIDERS else code


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    day = dt.date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%B %Y}"


@router.get("/provider-benchmarks", response_class=HTMLResponse)
def benchmarks_page(request: Request) -> HTMLResponse:
    """Every fragile service's providers compared on the lake's last day."""
    figures = request.app.state.services.provider_benchmarks.benchmarks(who(request))
    return render(request, "provider_benchmarks.jinja", {
        "title": "Waiting lists: providers compared", "service": None,
        "as_of": _date(figures["as_of"]), "exact": figures["exact"],
        "unavailable": figures["unavailable"],
        "services": [_service_rows(s, figures) for s in figures["services"]]})


@router.get("/provider-benchmarks/{code}", response_class=HTMLResponse)
def service_page(request: Request, code: str) -> HTMLResponse:
    """One fragile service: its providers' table, funnel plot and SPC charts."""
    try:
        figures = request.app.state.services.provider_benchmarks.benchmarks(who(request), code)
    except NotFoundError:
        return render(request, "not_found.jinja", {"title": "Page not found"}, 404)
    service = _service_rows(figures["services"][0], figures)
    lake = str(request.app.state.services.lake_dir)  # the day alone could be another lake's
    charts = _FIGURES.get_or_make((lake, figures["as_of"], figures["exact"], code),
                                  lambda: _charts(service, figures))
    return render(request, "provider_benchmarks.jinja", {
        "title": f"{service['name']}: waiting lists by provider", "service": service,
        "as_of": _date(figures["as_of"]), "exact": figures["exact"], "services": [service],
        "unavailable": figures["unavailable"], "charts": charts})


def _number(value, digits: int = 0, unit: str = "") -> str:
    if value is None or value != value:
        return WITHHELD
    return f"{value:,.{digits}f}{unit}"


def _service_rows(service: dict, figures: dict) -> dict:
    """A service with its providers' table rows, as the page prints them."""
    rows = [p for p in figures["providers"] if p["service"] == service["code"]]
    out = []
    for p in rows:
        growth = p["growth_12m_percent"]
        out.append({
            "provider": provider_name(p["provider_code"]),
            "waiting": _number(p["list_size"]),
            "median": _number(p["median_wait_weeks"], 0 if not figures["exact"] else 1),
            "p92": _number(p["p92_wait_weeks"], 0 if not figures["exact"] else 1),
            "within": _number(p["percent_within_standard"], 1, "%"),
            "funnel": POSITIONS[p["funnel_position"]][0] if p["funnel_position"] in POSITIONS
            else "not placed",
            "variation": VARIATION_TEXT.get(p["variation"] or "", "not charted"),
            "stops": f"{_number(p['treated_per_100'], 1)} ({_number(p['other_per_100'], 1)})",
            "growth": f"{growth:+.1f}%" if growth is not None
            else ("not known" if figures["exact"] else "withheld or not known")})
    return {**service, "rows": out}


def _charts(service: dict, figures: dict) -> dict:
    """The service's funnel and each provider's SPC chart, as the chart partial prints them."""
    name, standard = service["name"], service["standard"]
    providers = pd.DataFrame(figures["providers"])
    funnel = []
    if len(providers) >= 2:
        areas = pd.DataFrame({"group": [provider_name(c) for c in providers.provider_code],
                              "numerator": providers.within_standard,
                              "denominator": providers.list_size,
                              "value": providers.percent_within_standard})
        funnel = _safely("funnel", "Providers compared: funnel plot", lambda: funnel_chart(
            areas, title=f"{name}: people waiting within {standard}, by provider", unit="%"))
    series = pd.DataFrame(figures["series"])
    spc = []
    for code in providers.get("provider_code", []):
        mine = series[series.provider_code == code]
        if not mine.percent_within_standard.notna().any():
            continue
        chart = spc_chart(mine.rename(columns={"percent_within_standard": "value"})[
            ["period_end", "value"]], title=f"{name} at {provider_name(code)}: % waiting "
            f"within {standard}", unit="%", target=service["target_percent"],
            improvement="higher")
        meta = chart_meta(chart)
        spc.append(_figure(f"spc-{code.lower()}", f"{provider_name(code)}: month by month",
                           chart, icons=[variation_icon_svg(meta["variation_icon"]),
                                         assurance_icon_svg(meta["assurance_icon"])]))
    return {"funnel": funnel[0] if funnel else None, "spc": spc}
