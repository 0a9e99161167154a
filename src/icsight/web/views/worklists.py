"""Worklists for a practice's clinicians: `/worklists` (the practices they may open),
`/worklists/{practice}` (every list with its size, shortfall and follow-ups),
`/worklists/{practice}/{list}` (one list: filters, sorting, a follow-up form per row, CSV and
XLSX) and the follow-up form's POST.

Only clinicians of the practice or its PCN see these pages: each names patients, for their
direct care. The public is asked to sign in; other roles are refused with the reason. What a
list holds, who may see it and what is audited are the service's
(`icsight.services.worklists`).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from icsight.appdb.follow_ups import OUTCOMES
from icsight.governance.access import ANONYMOUS, AccessDeniedError, Role
from icsight.services import NotFoundError
from icsight.services.worklists import (
    COHORT_NAMES,
    SORTS,
    STATUSES,
    FollowUpError,
    WorklistService,
)
from icsight.web.views.forms import FormError, form_fields, form_token
from icsight.web.views.render import refused, render, sign_in_first, who

__all__ = ["router", "worklist_service"]

router = APIRouter(include_in_schema=False)

#: Why only clinicians see worklists, as the refusal page says it.
ONLY_CLINICIANS = ("Worklists name patients, for their direct care: only clinicians of the "
                   "patient's own practice or its primary care network can see them.")
SORT_LABELS = {"priority": "Priority (highest first)", "overdue": "Longest overdue first",
               "risk": "Emergency admission risk (highest first)", "age": "Oldest first"}
STATUS_LABELS = {"all": "Everyone on the list", "open": "No follow-up recorded yet",
                 "any": "Any follow-up recorded", **OUTCOMES}


def worklist_service(request: Request) -> WorklistService:
    """The worklists of the app's lake and results, with follow-ups in the application
    database (the accounts' database) when there is one."""
    return request.app.state.services.worklists


def _gate(request: Request) -> HTMLResponse | None:
    """The page for anyone who is not a clinician (None for a clinician)."""
    principal = who(request)
    if principal is ANONYMOUS:
        return sign_in_first(request)
    if principal.role != Role.CLINICIAN:
        return refused(request, ONLY_CLINICIANS)
    return None


def _problem(request: Request, error: Exception) -> HTMLResponse:
    if isinstance(error, AccessDeniedError):
        return refused(request, f"{error}. {ONLY_CLINICIANS}")
    text = str(error)
    if text.startswith(("no results yet", "the latest build has no worklists")):
        return render(request, "unavailable.jinja", {"title": "No worklists yet",
                                                     "reason": text}, 503)
    return render(request, "not_found.jinja", {"title": "Page not found", "reason": text}, 404)


@router.get("/worklists", response_class=HTMLResponse)
def worklists_home(request: Request) -> Response:
    """The practices a clinician may open; straight to the one when there is only one."""
    gate = _gate(request)
    if gate is not None:
        return gate
    practices = worklist_service(request).practices_for(who(request))
    if len(practices) == 1:
        return RedirectResponse(f"/worklists/{practices[0]}", status_code=303)
    return render(request, "worklists_home.jinja",
                  {"title": "Worklists", "practices": practices})


@router.get("/worklists/{practice_code}", response_class=HTMLResponse)
def practice_worklists(request: Request, practice_code: str) -> HTMLResponse:
    """Every list at one practice: its size, the shortfall against target, follow-ups."""
    gate = _gate(request)
    if gate is not None:
        return gate
    try:
        summary = worklist_service(request).summary(who(request), practice_code)
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    groups: dict[str, list[dict]] = {}
    for row in summary["lists"]:
        groups.setdefault(row["list"].cohort, []).append(row)
    return render(request, "worklists_practice.jinja", {
        "title": f"Worklists for {practice_code}", "summary": summary,
        "groups": [(COHORT_NAMES[c], rows) for c, rows in groups.items()]})


@router.get("/worklists/{practice_code}/{list_id}", response_class=HTMLResponse)
def worklist_page(request: Request, practice_code: str, list_id: str, sort: str = "priority",
                  status: str = "all", core20: str = "", page: int = 1,
                  saved: str = "") -> HTMLResponse:
    """One list at one practice, a page of rows at a time (`saved=1`: back from recording a
    follow-up, which the page confirms)."""
    gate = _gate(request)
    if gate is not None:
        return gate
    return _worklist(request, practice_code, list_id, sort, status, core20 == "yes", page,
                     notice="The follow-up was recorded" if saved == "1" else "")


def _worklist(request: Request, practice_code: str, list_id: str, sort: str, status: str,
              core20_only: bool, page: int, problem: dict | None = None,
              notice: str = "") -> HTMLResponse:
    try:
        found = worklist_service(request).worklist(who(request), practice_code, list_id, sort,
                                                   status, core20_only, page,
                                                   last_page_if_past=bool(notice or problem))
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    query = {"sort": sort, "status": status, **({"core20": "yes"} if core20_only else {})}
    here = f"/worklists/{practice_code}/{list_id}"
    return render(request, "worklist.jinja", {
        "title": found["list"].title, "found": found, "here": here,
        "sorts": [(k, SORT_LABELS[k]) for k in SORTS], "sort_label": SORT_LABELS[found["sort"]],
        "statuses": [(k, STATUS_LABELS[k]) for k in STATUSES],
        "outcomes": OUTCOMES, "form_token": form_token(request),
        "today": dt.date.today().isoformat(), "problem": problem, "notice": notice,
        "page_href": lambda n: f"{here}?{urlencode({**query, 'page': n})}",
        "back": f"{here}?{urlencode({**query, 'page': page})}"},
        400 if problem else 200)


@router.get("/worklists/{practice_code}/{list_id}/export")
def export(request: Request, practice_code: str, list_id: str, format: str = "csv") -> Response:
    """The whole list as CSV or XLSX, NHS numbers first, for a GP system search."""
    gate = _gate(request)
    if gate is not None:
        return gate
    try:
        content, media_type, name = worklist_service(request).export(
            who(request), practice_code, list_id, format)
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@router.post("/worklists/{practice_code}/{list_id}/follow-up", response_class=HTMLResponse)
async def follow_up(request: Request, practice_code: str, list_id: str) -> Response:
    """Record one row's outcome, then back to the list where the clinician was."""
    gate = _gate(request)
    if gate is not None:
        return gate
    try:
        fields = await form_fields(request)
    except FormError as e:
        return render(request, "problem.jinja", {"title": "There is a problem with the form",
                                                 "reason": str(e)}, 400)
    sort, status = fields.get("sort", "priority"), fields.get("status", "all")
    core20_only, page = fields.get("core20") == "yes", _page(fields.get("page"))
    reference = fields.get("patient", "")
    try:
        day = dt.date.fromisoformat(fields.get("date", ""))
    except ValueError:
        return _worklist(request, practice_code, list_id, sort, status, core20_only, page,
                         {"reference": reference,
                          "text": "Enter the date as a real day, like 2026-10-05"})
    try:
        worklist_service(request).record_follow_up(
            who(request), practice_code, list_id, reference, fields.get("outcome", ""), day)
    except FollowUpError as e:
        return _worklist(request, practice_code, list_id, sort, status, core20_only, page,
                         {"reference": reference, "text": str(e)})
    except (NotFoundError, AccessDeniedError) as e:
        return _problem(request, e)
    query = {"sort": sort, "status": status, "page": page, "saved": "1",
             **({"core20": "yes"} if core20_only else {})}
    return RedirectResponse(f"/worklists/{practice_code}/{list_id}?{urlencode(query)}",
                            status_code=303)


def _page(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1
