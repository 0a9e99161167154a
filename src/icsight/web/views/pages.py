"""The pages: the system overview, the programmes, and each indicator.

Every figure comes from the services, with the principal's access: suppressed for everyone
below analyst, exactly as the API serves it (`/api/v1/indicators/{id}/values`), so a page can
never show a number the public API withholds. The indicators' definitions come from the
catalogue, which every role may read.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.charts import assurance_icon_svg, variation_icon_svg
from icsight.governance.access import Principal, Role
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES, Indicator
from icsight.model.reference import data_path
from icsight.services import NotFoundError, Service
from icsight.web.views.cache import kept_page
from icsight.web.views.charts import indicator_figures, place_figure
from icsight.web.views.commentary import commentary_service
from icsight.web.views.population import pyramid_figure
from icsight.web.views.render import render, who

__all__ = ["ASSURANCE", "POPULATION_INDICATOR", "VARIATION", "area_pyramid", "router"]

router = APIRouter(include_in_schema=False)

#: Population by place is the published denominator of this indicator: every person on a
#: BLMK practice list at the period end, all ages (its definition says so).
POPULATION_INDICATOR = "LD_PREVALENCE"

#: Making Data Count's variation icons in words, with the shape drawn beside them (so that
#: no meaning rests on colour alone): (text, shape, tag colour).
VARIATION = {
    "common_cause": ("Common cause variation", "circle", "grey"),
    "improvement_high": ("Special cause improvement: higher", "up", "blue"),
    "improvement_low": ("Special cause improvement: lower", "down", "blue"),
    "concern_high": ("Special cause concern: higher", "up-outline", "orange"),
    "concern_low": ("Special cause concern: lower", "down-outline", "orange"),
    "neutral_high": ("Special cause variation: higher", "up-outline", "purple"),
    "neutral_low": ("Special cause variation: lower", "down-outline", "purple"),
}
#: Making Data Count's assurance icons in words.
ASSURANCE = {
    "pass": "Consistently meets the target",
    "fail": "Consistently misses the target",
    "inconsistent": "May or may not meet the target",
}
WITHHELD = "withheld (small numbers)"


def _services(request: Request) -> Service:
    return request.app.state.services


@router.get("/", response_class=HTMLResponse)
@kept_page
def overview(request: Request) -> HTMLResponse:
    """The system overview: population by place and BLMK's population pyramid, and each
    programme's indicators."""
    figures = _latest_figures(request)
    if isinstance(figures, HTMLResponse):
        return figures
    build, values, variation = figures
    services, principal = _services(request), who(request)
    gaps = {row["indicator_id"]: row for row in services.aggregates.inequality_gaps(principal)}
    population = [{"place": row["group"], "people": _count(row["denominator"])}
                  for row in _icb_then_places(values.get(POPULATION_INDICATOR, []))]
    programmes = [{"id": key, "name": name,
                   "rows": [_summary_row(ind, values, variation)
                            | {"gap": _gap_text(gaps.get(ind.id), ind.unit)}
                            for ind in _indicators(key)]}
                  for key, name in PROGRAMMES.items()]
    return render(request, "overview.jinja", {
        "title": "BLMK population health overview", "period": _date(build["last_period_end"]),
        "population": population, "population_period": _period(values, POPULATION_INDICATOR),
        "pyramid": area_pyramid(request, "BLMK", build),
        "pyramid_public": principal.role != Role.ANALYST,
        "programmes": programmes,
        "changes": _changes(services.aggregates.new_signals(principal))})


@router.get("/programmes", response_class=HTMLResponse)
@kept_page
def programmes(request: Request) -> HTMLResponse:
    """The six programmes, each with the number of its indicators."""
    rows = [{"id": key, "name": name, "count": len(_indicators(key))}
            for key, name in PROGRAMMES.items()]
    return render(request, "programmes.jinja", {"title": "Programmes", "programmes": rows})


def _commentary_marker(request: Request) -> int | None:
    """What changes when anyone saves commentary: the programme page shows it, so it is kept
    under this too (None: this server keeps no application database)."""
    service = commentary_service(request)
    return service.marker() if service is not None else None


@router.get("/programmes/{programme_id}", response_class=HTMLResponse)
@kept_page(also=_commentary_marker)
def programme(request: Request, programme_id: str) -> HTMLResponse:
    """One programme: its indicators' latest values for BLMK and each place, a map of the
    first (the headline metric) by place, then a section per metric with its SPC chart,
    variation, assurance, target, latest commentary and the funnel of practices."""
    name = PROGRAMMES.get(programme_id)
    if name is None:
        return _not_found(request, f"There is no programme called {programme_id!r}.")
    figures = _latest_figures(request)
    if isinstance(figures, HTMLResponse):
        return figures
    build, values, variation = figures
    services, principal = _services(request), who(request)
    exact = principal.role == Role.ANALYST
    places = sorted({row["group"] for rows in values.values() for row in rows
                     if row["breakdown"] == "place"})
    indicators = _indicators(programme_id)
    rows = []
    for ind in indicators:
        by_group = {row["group"]: row for row in values.get(ind.id, [])}
        icb = next((row for row in values.get(ind.id, []) if row["breakdown"] == "icb"), None)
        rows.append(_summary_row(ind, values, variation) | {
            "places": [_value_text(by_group.get(place), ind.unit) for place in places],
            "icb_value": _value_text(icb, ind.unit)})
    month = str(build["last_period_end"] or "")[:7]
    notes, commentary = _commentary(request, programme_id)
    figures = _programme_figures(services, principal, indicators, _run_key(services, build),
                                 exact)
    metrics = [_metric(ind, row, drawn, variation, notes.get(ind.id))
               for ind, row, drawn in zip(indicators, rows, figures, strict=True)]
    headline = next((ind for ind in indicators
                     if any(r["breakdown"] == "place" for r in values.get(ind.id, []))), None)
    place_chart = None
    if headline is not None:
        place_chart = place_figure(headline, [r for r in values[headline.id]
                                              if r["breakdown"] == "place"],
                                   _run_key(services, build), exact)
    return render(request, "programme.jinja", {
        "title": name, "programme_id": programme_id, "places": places,
        "period": _date(build["last_period_end"]), "exact": exact,
        "month_text": _month(month) if month else "",
        "indicators": rows, "metrics": metrics, "commentary": commentary,
        "headline": headline, "map": place_chart,
        "has_charts": place_chart is not None or any(m["spc"] or m["funnel"]
                                                      for m in metrics)})


def _programme_figures(services: Service, principal: Principal, indicators: list[Indicator],
                       run_key: str, exact: bool) -> list[dict[str, dict]]:
    """Each indicator's SPC chart and funnel of practices by kind, as the indicator page has
    them (made once and kept: `indicator_figures`), each with its own element ids, since a
    programme's page holds many; none for an indicator the build did not compute. (Drawing
    two at a time in threads was tried: on a shared two-core machine the page took no less
    time, so they are drawn one after another.)"""
    out = []
    for ind in indicators:
        try:
            rows = services.aggregates.indicator_values(principal, ind.id)
        except NotFoundError:
            rows = []
        suffix = ind.id.lower()
        out.append({figure["id"].removeprefix("chart-"):
                    figure | {"id": f"{figure['id']}-{suffix}"}
                    for figure in indicator_figures(ind, rows, run_key, exact=exact,
                                                    kinds=("spc", "funnel"))})
    return out


def _metric(ind: Indicator, summary: dict, figures: dict[str, dict], variation: dict,
            note: dict | None) -> dict:
    """A metric's section: its summary line, the Making Data Count icons of its BLMK signal
    (the same the summary table tells in words), its charts and its latest commentary."""
    signal = next((r for r in variation.get(ind.id, []) if r["breakdown"] == "icb"), None)
    spc = figures.get("spc")
    return summary | {
        "variation_icon": _quiet(variation_icon_svg(signal["variation_icon"]
                                                    if signal else None)),
        "assurance_icon": _quiet(assurance_icon_svg(signal.get("assurance_icon")
                                                    if signal else None)),
        # the section shows the icons of the services' signal beside their words, so the
        # chart's own copy of them is left out
        "spc": spc | {"icons": []} if spc else None,
        "funnel": figures.get("funnel"),
        "note": note and (note | {"month_text": _month(note["month"])})}


def _quiet(icon: str) -> str:
    """A Making Data Count icon beside its words: decoration, hidden from screen readers,
    which read the words (the icon's own label would say them twice)."""
    return re.sub(r'role="img" aria-label="[^"]*"', 'aria-hidden="true"', icon, count=1)


def _commentary(request: Request, programme_id: str) -> tuple[dict[str, dict], dict]:
    """Each metric's newest commentary in the build's months, and what the page says about
    commentary: whether this person may write it (analysts and admins), and the month new
    commentary is written for."""
    service = commentary_service(request)
    if service is None:
        return {}, {"available": False}
    try:
        months = service.months()
        notes = service.newest(programme_id)
    except NotFoundError:
        return {}, {"available": False}
    return notes, {"available": True, "may_edit": service.may_edit(who(request)),
                   "month": months[-1] if months else ""}


def _month(month: str) -> str:
    """`YYYY-MM` as September 2026."""
    return f"{dt.date.fromisoformat(month + '-01'):%B %Y}"


@router.get("/indicators/{indicator_id}", response_class=HTMLResponse)
@kept_page
def indicator_page(request: Request, indicator_id: str) -> HTMLResponse:
    """One indicator: its definition, method, codelists and source, its latest values for
    BLMK and each place, and where to download them."""
    ind = catalogue().get(indicator_id.upper())
    if ind is None:
        return _not_found(request, f"There is no indicator {indicator_id!r}.")
    services, principal = _services(request), who(request)
    try:
        build = services.aggregates.build(principal)
        rows = services.aggregates.indicator_values(principal, ind.id)
        signals = services.aggregates.variation(principal)
        missing = None
    except NotFoundError as e:
        build, rows, signals, missing = None, [], [], str(e)
    latest = max((row["period_end"] for row in rows), default=None)
    current = [row for row in rows if row["period_end"] == latest
               and row["breakdown"] in ("icb", "place")]
    variation = {row["group"]: row for row in signals if row["indicator_id"] == ind.id}
    table = [{"place": row["group"], "value": _value_text(row, ind.unit),
              "interval": _interval(row), "numerator": _count(row["numerator"]),
              "denominator": _count(row["denominator"]),
              "variation": _variation(variation.get(row["group"]))}
             for row in _icb_then_places(current)]
    # the method as the build labels it (with its interval: "proportion (Wilson)")
    about = ind.describe() | ({"method": rows[0]["method"]} if rows else {})
    # the charts draw the rows this principal was served (published, below analyst), never
    # the results' files; made once per build, indicator and level of access
    figures = indicator_figures(ind, rows, _run_key(services, build) if build else "",
                                exact=principal.role == Role.ANALYST)
    return render(request, "indicator.jinja", {
        "title": ind.title, "indicator": ind, "about": about,
        "programme_name": PROGRAMMES[ind.programme], "build": build, "missing": missing,
        "period": _date(latest), "values": table, "codelists": _codelists(ind),
        "downloads": _downloads(ind.id, rows), "figures": figures})


def area_pyramid(request: Request, area: str, build: dict) -> dict | None:
    """The population pyramid of `area` (BLMK or a place) in `build` as the principal may see
    it: drawn from the rows the services serve them (published below analyst)."""
    principal, services = who(request), _services(request)
    rows = services.aggregates.population_pyramid(principal, area)
    return pyramid_figure(rows, area, _run_key(services, build),
                          exact=principal.role == Role.ANALYST)


def _run_key(services: Service, build: dict) -> str:
    """The build the figures are kept under: its run in its results store (a run id alone
    is unique only within one store)."""
    return f"{services.results_dir.resolve()}/{build['run_id']}"


def _latest_figures(request: Request) -> tuple[dict, dict, dict] | HTMLResponse:
    """The latest build, its values and its SPC signals by indicator, as the principal may
    see them; or, before any build, the page that says so."""
    services, principal = _services(request), who(request)
    try:
        build = services.aggregates.build(principal)
        latest = services.aggregates.latest_values(principal)
        signals = services.aggregates.variation(principal)
    except NotFoundError as e:
        return render(request, "unavailable.jinja", {"title": "No figures yet",
                                                     "reason": str(e)}, 503)
    return build, _by_indicator(latest), _by_indicator(signals)


def _not_found(request: Request, reason: str) -> HTMLResponse:
    return render(request, "not_found.jinja", {"title": "Page not found", "reason": reason},
                  404)


def _indicators(programme_id: str) -> list[Indicator]:
    return [ind for ind in catalogue().values() if ind.programme == programme_id]


def _by_indicator(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        out[row["indicator_id"]].append(row)
    return out


def _icb_then_places(rows: list[dict]) -> list[dict]:
    """BLMK first, then the places by name."""
    return sorted((r for r in rows if r["breakdown"] in ("icb", "place")),
                  key=lambda r: (r["breakdown"] != "icb", r["group"]))


def _summary_row(ind: Indicator, values: dict, variation: dict) -> dict:
    """An indicator's line in a summary: its ICB value, target and signal."""
    icb = next((r for r in values.get(ind.id, []) if r["breakdown"] == "icb"), None)
    signal = next((r for r in variation.get(ind.id, []) if r["breakdown"] == "icb"), None)
    return {"id": ind.id, "title": ind.title, "value": _value_text(icb, ind.unit),
            "period": _date(icb["period_end"]) if icb else "",
            "target": _target(ind), "variation": _variation(signal),
            "assurance": _assurance(signal)}


def _period(values: dict, indicator_id: str) -> str:
    rows = values.get(indicator_id, [])
    return _date(rows[0]["period_end"]) if rows else ""


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _value_text(row: dict | None, unit: str) -> str:
    """A value with its unit; what is withheld or missing says so."""
    if row is None:
        return "not in this build"
    value = _number(row.get("value"))
    if value is None:
        return WITHHELD if row.get("suppressed") else "no value"
    return f"{value:,.1f}{_joined(unit)}"


def _joined(unit: str) -> str:
    """A unit as it follows a number: 61.4% and 98.0% of expected, but 12.3 per 1,000."""
    return unit if unit.startswith("%") else f" {unit}"


def _interval(row: dict) -> str:
    low, high = _number(row.get("lower_ci")), _number(row.get("upper_ci"))
    if low is None or high is None:
        return WITHHELD if row.get("suppressed") else "none"
    return f"{low:,.1f} to {high:,.1f}"


def _count(value: object) -> str:
    number = _number(value)
    return WITHHELD if number is None else f"{number:,.0f}"


def _target(ind: Indicator) -> str:
    if ind.target is None:
        return "no target set"
    return f"{ind.target:g}{_joined(ind.unit)} by {ind.target_date or 'no date set'}"


def _variation(signal: dict | None) -> dict:
    if signal is None:
        return {"text": "No SPC chart in this build", "shape": "none", "colour": "white"}
    text, shape, colour = VARIATION.get(signal["variation_icon"],
                                        (str(signal["variation_icon"]), "none", "white"))
    return {"text": text, "shape": shape, "colour": colour}


def _gap_text(gap: dict | None, unit: str) -> str:
    """The least minus the most deprived fifth (IMD quintile 5 minus quintile 1), in the
    indicator's unit: percentages differ by percentage points."""
    value = _number(gap.get("gap_q5_minus_q1")) if gap else None
    if value is None:
        return "no gap worked out"
    if unit.startswith("%"):
        return f"{value:+,.1f} percentage points"
    return f"{value:+,.1f} {unit}"


#: Point types in words, for what changed since the last period.
POINT_TYPES = {
    "common_cause": "common cause variation",
    "special_cause_improvement": "special cause improvement",
    "special_cause_concern": "special cause concern",
    "special_cause_neutral_high": "special cause variation (higher)",
    "special_cause_neutral_low": "special cause variation (lower)",
}


def _changes(signals: list[dict]) -> list[dict]:
    """New special-cause signals in the latest period: concern first, then by indicator and
    area (BLMK before the places)."""
    indicators = catalogue()
    rows = []
    for row in signals:
        ind = indicators.get(row["indicator_id"])
        if ind is None:
            continue
        now, before = row["point_type"], row["previous_point_type"]
        rows.append({"id": ind.id, "title": ind.title,
                     "area": "BLMK" if row["breakdown"] == "icb" else row["group"],
                     "now": POINT_TYPES.get(now, now), "before": POINT_TYPES.get(before, before),
                     "concern": now == "special_cause_concern",
                     "key": (now != "special_cause_concern", ind.title,
                             row["breakdown"] != "icb", row["group"])})
    return sorted(rows, key=lambda r: r["key"])


def _assurance(signal: dict | None) -> str:
    if signal is None or not signal.get("assurance_icon"):
        return "No target to assure"
    return ASSURANCE.get(signal["assurance_icon"], str(signal["assurance_icon"]))


def _date(value: object) -> str:
    """A period end as 30 September 2026 (the NHS style for dates)."""
    if not value:
        return ""
    day = dt.date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%B %Y}"


def _codelists(ind: Indicator) -> list[dict]:
    """Each codelist the indicator uses, with every code and its term."""
    out = []
    for name in ind.codelists:
        path = data_path("codelists", f"{name}.csv")
        codes: list[dict] = []
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as f:
                codes = [{"code": row.get("code", ""), "term": row.get("term", "")}
                         for row in csv.DictReader(f)]
        out.append({"name": name, "codes": codes})
    return out


#: The API's longest page (`icsight.api.tables.MAX_LIMIT`): a download asks for the whole
#: table in one page when it fits (the API pages by 1,000 rows unless asked).
LONGEST_PAGE = 10_000


def _downloads(indicator_id: str, rows: list[dict]) -> list[dict]:
    """The API's files of this indicator's values, each asking for all its rows at once."""
    base = f"/api/v1/indicators/{indicator_id}/values"
    every = min(max(len(rows), 1), LONGEST_PAGE)
    places = min(max(sum(r["breakdown"] == "place" for r in rows), 1), LONGEST_PAGE)
    return [{"href": f"{base}?format=csv&limit={every}",
             "text": "every breakdown and month (CSV)"},
            {"href": f"{base}?format=csv&breakdown=place&limit={places}",
             "text": "Places, every month (CSV)"},
            {"href": f"{base}?format=json&limit={every}",
             "text": "Every breakdown and month (JSON)"}]
