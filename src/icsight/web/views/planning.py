"""Planning to 2043 (issue 14, point 5: the pages): `/planning` (population growth by area and
the two scenarios side by side), `/planning/demand/{pod}` (a point of delivery's fan chart to
2043 and, when the build made them, its monthly forecast), `/planning/waterfall` (the change
factors from the baseline to 2043), `/planning/capacity` (beds, theatre and clinic sessions,
staff, and what the mitigated scenario saves) and `/planning/population` (a pyramid of 2023
against 2043, and the registered list beside ONS's residents).

Everyone sees the published tables (the lake's small counts withheld, the rest rounded to 5),
analysts the exact ones: `icsight.services.projections` decides from `who`. The pickers are
ordinary GET forms, so every page works without JavaScript. An unknown area, point of
delivery, scenario or population variant is the not-found page (the service names the ones
there are).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.charts.planning import (
    demand_fan_chart,
    forecast_chart,
    pyramid_change_chart,
    scenario_change_chart,
    waterfall_chart,
)
from icsight.governance.access import AccessDeniedError, Role
from icsight.planning.demand import POD_IDS
from icsight.planning.demand.projection import baseline_mid_year
from icsight.planning.population import BLMK, FIRST_YEAR, LAST_YEAR, ONS, VARIANTS
from icsight.services import NotFoundError
from icsight.services.projections import AREAS, PlanningResultsService, pod_label
from icsight.web.views.cache import kept_page
from icsight.web.views.charts import _figure
from icsight.web.views.render import refused, render, who

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The packaged scenarios, as the pickers offer them (the service reads any case).
SCENARIOS = {"principal": "Principal", "mitigated": "Mitigated"}
#: The years the capacity page shows beside the baseline: the NHS long-term plan's
#: midpoint and the horizon.
CAPACITY_YEARS = (2030, LAST_YEAR)
#: The point of delivery the waterfall opens on: the one the strategy's mitigators (avoidable
#: emergency admissions, virtual wards) act on.
DEFAULT_POD = "non_elective"
#: The population variants as a table's column headings name them.
SHORT_VARIANTS = {ONS: "ONS", "housing-led": "housing-led"}
#: Capacity units counted in whole numbers (the rest, beds and staff, to one decimal place).
WHOLE_UNITS = ("sessions", "slots")


def _service(request: Request) -> PlanningResultsService:
    return request.app.state.services.projections


def _problem(request: Request, error: Exception) -> HTMLResponse:
    if isinstance(error, AccessDeniedError):
        return refused(request, str(error))
    text = str(error)
    if text.startswith(("no results yet", "the latest build has no planning tables")):
        return render(request, "unavailable.jinja", {"title": "No planning figures yet",
                                                     "reason": text}, 503)
    return render(request, "not_found.jinja", {"title": "Page not found", "reason": text}, 404)


def _area(place: str | None) -> str:
    """The area asked for: BLMK when none is (an empty picker sends "")."""
    return place or BLMK


def _count(value: float | None) -> str:
    # `+ 0.0` after rounding: a saving of -0.3 is "0", not "-0"
    return "withheld" if value is None else f"{round(value) + 0.0:,.0f}"


def _interval(row: dict | None, whole: bool = True) -> str:
    """`p50 [p10 to p90]`, or "withheld"."""
    if row is None:
        return ""
    if row.get("p50") is None:
        return "withheld"
    shown = _count if whole else _tenth
    low = "withheld" if row.get("p10") is None else shown(row["p10"])
    high = "withheld" if row.get("p90") is None else shown(row["p90"])
    return f"{shown(row['p50'])} [{low} to {high}]"


def _tenth(value: float | None) -> str:
    return "withheld" if value is None else f"{round(value, 1) + 0.0:,.1f}"


def _percent_change(before: float | None, after: float | None) -> str:
    if not before or after is None:
        return ""
    return f"{(after / before - 1) * 100:+.1f}%"


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(str(iso)[:10])
    return f"{day.day} {day:%B %Y}"


def _window(build: dict) -> str:
    """The baseline year in words: "the 12 months to 30 September 2026"."""
    window = build.get("baseline_window")
    return f"the 12 months to {_day(window[1])}" if window else "the baseline year"


def _baseline_year(build: dict) -> float | None:
    """The baseline's middle on the projection's mid-year scale (2025.75 for the year to 30
    September 2026), where the fan chart marks it."""
    return baseline_mid_year(build.get("baseline_window"))


def _choices(options: dict[str, str], chosen: str) -> list[dict]:
    """The items of a picker (nhsuk select), `chosen` selected."""
    return [{"value": value, "text": text, "selected": value == chosen}
            for value, text in options.items()]


def _common(request: Request, build: dict) -> dict:
    """What every planning page's context has."""
    return {"build": build, "window": _window(build),
            "exact": who(request).role == Role.ANALYST,
            "areas": {a: a for a in AREAS},
            "pods": {p: pod_label(p) for p in POD_IDS},
            "scenarios": SCENARIOS, "choices": _choices}


# --- /planning -----------------------------------------------------------------------------

def _growth(service: PlanningResultsService, request: Request, variants: list[str]
            ) -> list[dict]:
    """Residents in 2023 and 2043 by area in each variant, with the growth of all ages and of
    those aged 80 and over."""
    totals: dict[tuple[str, str, int], tuple[float, float]] = {}
    for variant in variants:
        for year in (FIRST_YEAR, LAST_YEAR):
            frame = pd.DataFrame(service.population(who(request), variant=variant, year=year))
            if frame.empty:
                continue
            frame = pd.concat([frame, frame.assign(place=BLMK)])
            for place, rows in frame.groupby("place"):
                totals[(variant, str(place), year)] = (float(rows.people.sum()),
                                                       float(rows.people[rows.age >= 80].sum()))
    out = []
    for area in AREAS:
        row: dict = {"area": area, "cells": []}
        for variant in variants:
            before = totals.get((variant, area, FIRST_YEAR))
            after = totals.get((variant, area, LAST_YEAR))
            if before is None or after is None:
                row["cells"] += ["", "", ""]
                continue
            row["cells"] += [f"{after[0]:,.0f}", _percent_change(before[0], after[0]),
                             _percent_change(before[1], after[1])]
        row["base"] = (f"{totals[(variants[0], area, FIRST_YEAR)][0]:,.0f}"
                       if (variants and (variants[0], area, FIRST_YEAR) in totals) else "")
        out.append(row)
    return out


def _scenario_figure(at: dict[tuple[str, str], dict], area: str, horizon: int) -> dict | None:
    """The scenarios side by side as a chart: each point of delivery's change from the
    baseline year to `horizon` (`at`: the horizon year's rows by scenario and point of
    delivery), None when nothing was projected."""
    rows = [{"label": pod_label(pod), "scenario": row["scenario"], "baseline": row["baseline"],
             "p10": row["p10"], "p50": row["p50"], "p90": row["p90"]}
            for pod in POD_IDS for scenario in ("principal", "mitigated")
            if (row := at.get((scenario, pod))) is not None]
    if not rows:
        return None
    chart = scenario_change_chart(pd.DataFrame(rows), title=f"Demand in {horizon}, {area}",
                                  horizon=horizon)
    return _figure("scenario-change", f"Change from the baseline year to {horizon}", chart)


@router.get("/planning", response_class=HTMLResponse)
@kept_page
def planning(request: Request, place: str | None = None) -> HTMLResponse:
    """The planning home: population growth to 2043 by area, and the two scenarios' 2043
    demand side by side for the area picked."""
    service = _service(request)
    area = _area(place)
    try:
        rows = service.demand(who(request), place=area)
        build = service.build()
        made = build.get("population_variants", list(VARIANTS))
        variants = [v for v in VARIANTS if v in made]  # ONS's principal first
        growth = _growth(service, request, variants)
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    horizon = max((r["year"] for r in rows), default=LAST_YEAR)
    at = {(r["scenario"].lower(), r["pod"]): r for r in rows if r["year"] == horizon}
    comparison = []
    for pod in POD_IDS:
        principal, mitigated = at.get(("principal", pod)), at.get(("mitigated", pod))
        if principal is None and mitigated is None:
            continue  # a point of delivery the build did not project
        first = principal or mitigated
        comparison.append({
            "pod": pod, "label": pod_label(pod), "unit": first["unit"],
            "href": f"/planning/demand/{pod}?{urlencode({'place': area})}",
            "baseline": _count(first["baseline"]),
            "principal": _interval(principal), "mitigated": _interval(mitigated)})
    figure = _scenario_figure(at, area, horizon)
    return render(request, "planning.jinja", {
        **_common(request, build), "title": "Planning to 2043", "area": area,
        "horizon": horizon, "comparison": comparison, "growth": growth, "figure": figure,
        "variants": [SHORT_VARIANTS.get(v, v) for v in variants]})


# --- /planning/demand/{pod} -------------------------------------------------------------------

def _forecast_section(service: PlanningResultsService, request: Request, area: str,
                      pod: str, unit: str) -> dict:
    """The forecast part of a demand page: `reason` when there is none to show, else the
    chosen model's figure and the back-test's scores."""
    if area == BLMK:
        return {"reason": "Monthly forecasts are made for each place, not for BLMK as a "
                          "whole: choose a place to see its forecast."}
    try:
        rows = service.forecasts(who(request), place=area, pod=pod, chosen_only=True)
        scores = service.backtest(who(request), place=area, pod=pod)
    except NotFoundError as e:
        if str(e).startswith("the latest build has no forecasts"):
            return {"reason": "The latest build made no monthly forecasts (they are made "
                              "by `icsight build --forecasts`)."}
        raise
    if not rows:
        return {"reason": f"There is no monthly forecast of {pod_label(pod)} in "
                          f"{area}: its series was too short or too sparse to forecast."}
    model = rows[0]["model"]
    frame = pd.DataFrame(rows)
    chart = forecast_chart(frame, title=f"{pod_label(pod)}, {area}, month by month",
                           measure_name=f"{unit.capitalize()} a month", model=model)
    return {"model": model, "figure": _figure("forecast", "The next 24 months", chart),
            "months": len(frame),
            "scores": [{"model": s["model"], "chosen": bool(s.get("chosen")),
                        "mase": "" if s.get("mase") is None else f"{s['mase']:.2f}",
                        "coverage_80": ("" if s.get("coverage_80") is None
                                        else f"{s['coverage_80'] * 100:.0f}%"),
                        "coverage_95": ("" if s.get("coverage_95") is None
                                        else f"{s['coverage_95'] * 100:.0f}%")}
                       for s in scores]}


@router.get("/planning/demand/{pod}", response_class=HTMLResponse)
@kept_page
def demand(request: Request, pod: str, place: str | None = None) -> HTMLResponse:
    """One point of delivery's demand to 2043 in an area: both scenarios as fan charts with
    the baseline year marked, the figures as a table, and the monthly forecast."""
    service = _service(request)
    area = _area(place)
    try:
        rows = service.demand(who(request), place=area, pod=pod)
        if not rows:
            raise NotFoundError(f"the latest build did not project {pod!r}")
        unit = str(rows[0]["unit"])
        build = service.build()
        forecast = _forecast_section(service, request, area, pod, unit)
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    label = pod_label(pod)
    frame = pd.DataFrame(rows)
    baseline = rows[0]["baseline"]
    chart = demand_fan_chart(frame, title=f"{label}, {area}", measure_name=f"{unit.capitalize()}"
                             " a year", baseline=baseline, baseline_year=_baseline_year(build),
                             baseline_label=f"baseline year ({_window(build)})")
    figure = _figure("fan-demand", f"{label} a year to {int(frame.year.max())}", chart)
    horizon = int(frame.year.max())
    at = {r["scenario"]: r for r in rows if r["year"] == horizon}
    return render(request, "planning_demand.jinja", {
        **_common(request, build), "title": f"{label}: demand to {horizon}", "area": area,
        "pod": pod, "label": label, "unit": unit, "figure": figure, "horizon": horizon,
        "baseline": _count(baseline),
        "at_horizon": [(name, _interval(row)) for name, row in at.items()],
        "forecast": forecast})


# --- /planning/waterfall -----------------------------------------------------------------------

@router.get("/planning/waterfall", response_class=HTMLResponse)
@kept_page
def waterfall(request: Request, scenario: str | None = None, place: str | None = None,
              pod: str | None = None) -> HTMLResponse:
    """The change factors from the baseline to 2043 of one scenario, area and point of
    delivery, as a waterfall and its table."""
    service = _service(request)
    area, pod, scenario = _area(place), pod or DEFAULT_POD, scenario or "principal"
    try:
        rows = service.waterfall(who(request), scenario=scenario, place=area, pod=pod)
        build = service.build()
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    if not rows:
        return _problem(request, NotFoundError(f"the latest build did not project {pod!r}"))
    frame = pd.DataFrame(rows)
    name = str(frame.scenario.iloc[0])
    horizon = int(frame.horizon.iloc[0])
    label = pod_label(pod)
    # withheld with its baseline: a chart of no bars says less than the sentence
    withheld = bool(frame.level.isna().all())
    chart = waterfall_chart(frame, title=f"{label}, {area}, {name} scenario",
                            measure_name=f"{label} a year", horizon=horizon)
    figure = _figure("waterfall", f"From the baseline year to {horizon}", chart)
    return render(request, "planning_waterfall.jinja", {
        **_common(request, build), "title": f"What changes demand to {horizon}",
        "area": area, "pod": pod, "scenario": name.lower(), "scenario_name": name,
        "label": label, "horizon": horizon, "figure": None if withheld else figure,
        "withheld": withheld, "rows": figure["rows"], "head": figure["head"]})


# --- /planning/capacity ------------------------------------------------------------------------

def _measure_rows(rows: list[dict], years: tuple[int, ...]) -> list[dict]:
    """One row per measure, in the build's order: its label, unit, baseline and each year's
    `p50 [p10 to p90]`."""
    by = {(r["measure"], r["year"]): r for r in rows}
    out = []
    for measure in dict.fromkeys(r["measure"] for r in rows):
        first = next(r for r in rows if r["measure"] == measure)
        whole = first["unit"] in WHOLE_UNITS
        base = first.get("baseline")
        out.append({"measure": measure, "label": first["label"], "unit": first["unit"],
                    "baseline": "" if "baseline" not in first else
                    (_count(base) if whole else _tenth(base)),
                    "years": [_interval(by.get((measure, y)), whole) for y in years]})
    return out


@router.get("/planning/capacity", response_class=HTMLResponse)
@kept_page
def capacity(request: Request, scenario: str | None = None, place: str | None = None
             ) -> HTMLResponse:
    """Beds, theatre sessions, clinic slots and sessions and staff a scenario needs in an
    area, and what the mitigated scenario saves."""
    service = _service(request)
    area, scenario = _area(place), scenario or "principal"
    try:
        rows = service.capacity(who(request), scenario=scenario, place=area)
        saved = service.savings(who(request), place=area)
        beds = service.capacity(who(request), place=area, measure="beds")
        build = service.build()
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    name = rows[0]["scenario"] if rows else SCENARIOS.get(scenario.lower(), scenario)
    figure = None
    if beds:
        chart = demand_fan_chart(pd.DataFrame(beds), title=f"Beds needed, {area}",
                                 measure_name="General and acute beds")
        figure = _figure("fan-beds", "General and acute beds needed, both scenarios", chart)
    return render(request, "planning_capacity.jinja", {
        **_common(request, build), "title": f"Capacity and staff to {LAST_YEAR}",
        "area": area, "scenario": str(name).lower(), "scenario_name": name,
        "years": CAPACITY_YEARS, "measures": _measure_rows(rows, CAPACITY_YEARS),
        "savings": _measure_rows(saved, CAPACITY_YEARS), "figure": figure})


# --- /planning/population ----------------------------------------------------------------------

@router.get("/planning/population", response_class=HTMLResponse)
@kept_page
def population(request: Request, place: str | None = None, variant: str | None = None
               ) -> HTMLResponse:
    """A population pyramid of 2023 against 2043 for an area in one variant, and the
    registered list beside ONS's residents by age band."""
    service = _service(request)
    area, variant = _area(place), variant or ONS
    try:
        pyramid = service.pyramid(who(request), place=area, variant=variant)
        inflation = service.list_inflation(who(request), place=area)
        build = service.build()
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    name = VARIANTS.get(variant, variant)
    chart = pyramid_change_chart(pyramid, title=f"{area}, {name}", first=FIRST_YEAR,
                                 last=LAST_YEAR)
    figure = _figure("pyramid-change", f"Age and sex: {FIRST_YEAR} and {LAST_YEAR}", chart)
    persons = [r for r in inflation if r["sex"] == "persons"]
    bands = sorted(persons, key=lambda r: int(str(r["age_band"]).split("-")[0].rstrip("+")))
    listed = [{"band": r["age_band"], "registered": _count(r["registered"]),
               "residents": _count(r["residents"]),
               "difference": ("withheld" if r["difference"] is None
                              else f"{r['difference']:+,.0f}"),
               "ratio": ("withheld" if r["ratio"] is None else f"{r['ratio'] * 100:.1f}")}
              for r in bands]
    on = _day(inflation[0]["date"]) if inflation else None
    return render(request, "planning_population.jinja", {
        **_common(request, build), "title": f"Population to {LAST_YEAR}", "area": area,
        "variant": variant, "variant_name": name, "variant_options": VARIANTS,
        "figure": figure, "inflation": listed, "inflation_day": on,
        "first": FIRST_YEAR, "last": LAST_YEAR})
