"""Waiting lists (issue 15, point 5): `/waiting-lists` (every treatment function at every
provider: people waiting, within 18 weeks, 52 weeks or more, and the wait a patient referred
now should expect), `/waiting-lists/{function}/{provider}` (one list: its simulated year as
fan charts with their tables, and a what-if form that simulates it again with more capacity)
and `/waiting-lists/{function}/{provider}/expected-wait` (in plain words, for a GP to show a
patient).

The pages are public: everyone sees the published figures (small counts withheld, the rest
rounded to 5), analysts the exact ones (`icsight.services.waiting_lists`). The what-if form is
an ordinary GET form: the server simulates and draws the answer, so it works without
JavaScript.
"""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.charts import trajectory_chart
from icsight.governance.access import AccessDeniedError
from icsight.planning.waiting_lists.weekly import PRIORITIES, PRIORITY_TARGET_WEEKS
from icsight.services import NotFoundError
from icsight.services.waiting_lists import (
    MAX_EXTRA_PERCENT,
    MAX_INSOURCING,
    PROVIDER_NAMES,
    TREATMENT_FUNCTIONS,
    WHAT_IF_RUNS,
    WaitingListService,
    WhatIfError,
    headline,
    list_name,
)
from icsight.web.views.charts import _figure
from icsight.web.views.render import refused, render, who

__all__ = ["router", "wait_sentence"]

router = APIRouter(include_in_schema=False)

#: The clinical priorities in words (FSSA / NHS England surgical prioritisation).
PRIORITY_WORDS = {"P1": "P1: within 72 hours", "P2": "P2: within 1 month",
                  "P3": "P3: within 3 months", "P4": "P4: can wait more than 3 months",
                  "any": "Priority not yet known"}
#: The measures the list page draws: (measure, heading, axis name, percentage?)
FANS = (("list_size", "People waiting", "People waiting", False),
        ("percent_within_18_weeks", "Waiting 18 weeks or less", "Waiting 18 weeks or less",
         True))
TAILS = (("over_52_weeks", "52 weeks or more"), ("over_65_weeks", "65 weeks or more"),
         ("over_78_weeks", "78 weeks or more"))


def _service(request: Request) -> WaitingListService:
    return request.app.state.services.waiting_lists


def _problem(request: Request, error: Exception) -> HTMLResponse:
    if isinstance(error, AccessDeniedError):
        return refused(request, str(error))
    text = str(error)
    if text.startswith(("no results yet", "the latest build has no waiting lists")):
        return render(request, "unavailable.jinja", {"title": "No waiting lists yet",
                                                     "reason": text}, 503)
    return render(request, "not_found.jinja", {"title": "Page not found", "reason": text}, 404)


def _count(value: float | None) -> str:
    return "withheld" if value is None else f"{value:,.0f}"


def _percent(value: float | None) -> str:
    return "withheld" if value is None else f"{value:.1f}%"


def _weeks(value: float | None, more: bool) -> str:
    if value is None:
        return "no one referred"
    return f"more than {value:.0f}" if more else f"{value:.0f}"


def wait_sentence(name: str, wait: dict | None, weeks: int) -> list[str]:
    """The expected wait in plain words: "Most people referred to X at Y are treated within
    N weeks. 92 in every 100 are treated within M weeks." (`wait`: the `any` row)."""
    if wait is None or wait.get("median_weeks") is None:
        return [f"There is not enough to say how long people referred to {name} wait."]
    median, p92 = wait["median_weeks"], wait["p92_weeks"]
    if wait["median_more_than"]:
        # fewer than half are treated within the weeks simulated: one sentence says it all
        return [f"Most people referred to {name} now are expected to wait more than "
                f"{median} weeks for treatment (longer than the {weeks} weeks we can look "
                "ahead)."]
    first = (f"Most people referred to {name} now are expected to be treated within "
             f"{median} week{'s' if median != 1 else ''}.")
    if wait["p92_more_than"]:
        second = (f"Some will wait more than {p92} weeks: fewer than 92 in every 100 are "
                  f"expected to be treated within the {weeks} weeks we can look ahead.")
    else:
        second = (f"92 in every 100 are expected to be treated within {p92} "
                  f"week{'s' if p92 != 1 else ''}.")
    return [first, second]


@router.get("/waiting-lists", response_class=HTMLResponse)
def waiting_lists(request: Request) -> HTMLResponse:
    """Every list, with the wait a patient referred now should expect."""
    service = _service(request)
    try:
        queues = service.queues(who(request))
        waits = service.expected_waits(who(request))
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    new = {(w["treatment_function"], w["provider_code"]): w for w in waits
           if w["priority"] == "any"}
    rows = []
    for q in queues:
        key = (q["treatment_function"], q["provider_code"])
        wait = new.get(key) or {}
        rows.append({
            "href": f"/waiting-lists/{key[0]}/{key[1]}",
            "function": TREATMENT_FUNCTIONS.get(key[0], key[0]), "code": key[0],
            "provider": PROVIDER_NAMES.get(key[1], key[1]), "provider_code": key[1],
            "waiting": _count(q["queue_size"]),
            "within": _percent(q["percent_within_18_weeks"]),
            "over_52": _count(q["over_52_weeks"]),
            "median": _weeks(wait.get("median_weeks"), wait.get("median_more_than", False)),
            "p92": _weeks(wait.get("p92_weeks"), wait.get("p92_more_than", False))})
    build = service.build()
    return render(request, "waiting_lists.jinja", {
        "title": "Waiting lists", "rows": rows, "build": build,
        "exact": who(request).role == "analyst"})


def _fan(kind: str, heading: str, rows: list[dict], measure: str, name: str, axis: str,
         percent: bool, baseline: list[dict] | None = None) -> dict | None:
    frame = pd.DataFrame([r for r in rows if r["measure"] == measure])
    if frame.empty:
        return None
    base = None
    if baseline is not None:
        base = pd.DataFrame([r for r in baseline if r["measure"] == measure])
    chart = trajectory_chart(frame, title=f"{heading}: {name}", measure_name=axis,
                             percent=percent, baseline=base)
    return _figure(kind, heading, chart)


def _tails(rows: list[dict]) -> list[list[str]]:
    """The last simulated week's tails: (measure, p10, median, p90)."""
    last = max((r["week"] for r in rows), default=None)
    out = []
    for measure, words in TAILS:
        row = next((r for r in rows if r["week"] == last and r["measure"] == measure), None)
        if row is not None:
            out.append([words, *(_count(row[p]) for p in ("p10", "p50", "p90"))])
    return out


def _found(request: Request, service, treatment_function: str, provider_code: str
           ) -> dict | HTMLResponse:
    """The list as the service gives it to this reader, or the problem page saying why not."""
    try:
        return service.waiting_list(who(request), treatment_function, provider_code)
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)


def _wait_rows(waits: list[dict]) -> list[list[str]]:
    order = [*PRIORITIES, "any"]
    rows = sorted(waits, key=lambda w: order.index(w["priority"]))
    return [[PRIORITY_WORDS[w["priority"]], _weeks(w["median_weeks"], w["median_more_than"]),
             _weeks(w["p92_weeks"], w["p92_more_than"])] for w in rows]


@router.get("/waiting-lists/{treatment_function}/{provider_code}",
            response_class=HTMLResponse)
def waiting_list(request: Request, treatment_function: str, provider_code: str
                 ) -> HTMLResponse:
    """One list's year ahead with today's capacity, and the what-if when the form asks."""
    service = _service(request)
    found = _found(request, service, treatment_function, provider_code)
    if isinstance(found, HTMLResponse):
        return found
    # named one by one: the hostile-address sweep reads a view's query names from its source
    asked = {"extra_sessions_percent": request.query_params.get("extra_sessions_percent", ""),
             "start": request.query_params.get("start", ""),
             "insourcing_per_week": request.query_params.get("insourcing_per_week", "")}
    what_if, errors, status = None, {}, 200
    if any(asked.values()):
        try:
            what_if = service.what_if(
                who(request), treatment_function, provider_code,
                asked["extra_sessions_percent"] or 0, asked["start"] or None,
                asked["insourcing_per_week"] or 0)
        except WhatIfError as e:
            errors, status = {e.field: str(e).replace("`", "")}, 422
    name = found["name"]
    rows = found["trajectories"]
    figures = [f for f in (_fan(f"fan-{m}", h, rows, m, name, a, p) for m, h, a, p in FANS)
               if f]
    what_if_figure = None
    if what_if is not None:
        what_if_figure = _fan("fan-what-if", "People waiting with the change",
                              what_if["what_if"]["trajectories"], "list_size", name,
                              "People waiting", False, what_if["baseline"]["trajectories"])
    build = found["build"]
    return render(request, "waiting_list.jinja", {
        "title": name, "found": found, "queue": found["queue"], "figures": figures,
        "tails": _tails(rows), "waits": _wait_rows(found["expected_waits"]),
        "weeks": build.get("weeks", 52), "runs": build.get("runs"), "build": build,
        "asked": asked, "errors": errors, "what_if": what_if,
        "what_if_figure": what_if_figure,
        "what_if_waits": (wait_sentence(name, headline(what_if["what_if"]["expected_waits"]),
                                        build.get("weeks", 52)) if what_if else []),
        "what_if_tails": _tails(what_if["what_if"]["trajectories"]) if what_if else [],
        "what_if_runs": WHAT_IF_RUNS, "max_extra": MAX_EXTRA_PERCENT,
        "max_insourcing": MAX_INSOURCING,
        "count": _count, "percent": _percent,
        "href": f"/waiting-lists/{treatment_function}/{provider_code}"}, status)


@router.get("/waiting-lists/{treatment_function}/{provider_code}/expected-wait",
            response_class=HTMLResponse)
def expected_wait(request: Request, treatment_function: str, provider_code: str
                  ) -> HTMLResponse:
    """The wait a patient referred now should expect, in words a GP can show them."""
    found = _found(request, _service(request), treatment_function, provider_code)
    if isinstance(found, HTMLResponse):
        return found
    build = found["build"]
    weeks = build.get("weeks", 52)
    name = list_name(treatment_function, provider_code)
    return render(request, "waiting_list_expected_wait.jinja", {
        "title": f"How long you may wait: {name}", "name": name, "found": found,
        "sentences": wait_sentence(name, headline(found["expected_waits"]), weeks),
        "waits": _wait_rows(found["expected_waits"]), "build": build, "weeks": weeks,
        "targets": PRIORITY_TARGET_WEEKS,
        "href": f"/waiting-lists/{treatment_function}/{provider_code}"})
