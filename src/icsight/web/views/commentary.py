"""A programme's commentary: `/programmes/{id}/commentary?period=YYYY-MM` lists each metric's
latest commentary for the month, with a form per metric for analysts and admins (everyone
else reads), and `/programmes/{id}/commentary/{metric}?period=YYYY-MM` every version of one
metric's commentary, newest first.

Commentary is the programme lead's account of a metric's month, as in an NHS board paper's
integrated performance report (NHS England, "Making Data Count": each chart with the story
behind it). Text is shown escaped, paragraph by paragraph: what someone typed is never
markup. The rules (which months, which metrics, how long, who) are the service's
(`icsight.services.commentary`).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from icsight.appdb import Database
from icsight.governance.access import ANONYMOUS
from icsight.indicators.definition import PROGRAMMES
from icsight.services import NotFoundError
from icsight.services.commentary import (
    MAX_TEXT,
    CommentaryError,
    CommentaryService,
    MonthError,
)
from icsight.web.views.forms import FormError, form_fields, form_token
from icsight.web.views.render import refused, render, sign_in_first, who

__all__ = ["commentary_service", "router"]

router = APIRouter(include_in_schema=False)


def commentary_service(request: Request) -> CommentaryService | None:
    """The commentary service over the application's database (the accounts' database:
    the one application database), or None if the accounts are kept elsewhere."""
    database = getattr(request.app.state.accounts, "database", None)
    if not isinstance(database, Database):
        return None
    services = request.app.state.services
    return CommentaryService(database, services.results_dir, services.audit_log)


def _problem(request: Request, error: Exception) -> HTMLResponse:
    """A designed page for what the service refused: 404 for what is not there, 400 for a
    malformed month, 503 before any build."""
    if isinstance(error, MonthError):
        return render(request, "problem.jinja", {"title": "There is a problem with the month",
                                                 "reason": str(error)}, 400)
    text = str(error)
    if text.startswith("no results yet"):
        return render(request, "unavailable.jinja", {"title": "No figures yet",
                                                     "reason": text}, 503)
    return render(request, "not_found.jinja", {"title": "Page not found", "reason": text}, 404)


@router.get("/programmes/{programme_id}/commentary", response_class=HTMLResponse)
def commentary_page(request: Request, programme_id: str, period: str = "") -> HTMLResponse:
    """Each metric's latest commentary for the month (the build's latest by default)."""
    service = commentary_service(request)
    if service is None:
        return _no_database(request)
    try:
        period = period or _latest_month(service)
        return _listing(request, service, programme_id, period, {}, [], 200)
    except (NotFoundError, MonthError) as e:
        return _problem(request, e)


@router.post("/programmes/{programme_id}/commentary", response_class=HTMLResponse)
async def save(request: Request, programme_id: str) -> Response:
    """Save one metric's commentary as its next version, then show the page again."""
    principal, service = who(request), commentary_service(request)
    if service is None:
        return _no_database(request)
    try:
        fields = await form_fields(request)
    except FormError as e:
        return render(request, "problem.jinja", {"title": "There is a problem",
                                                 "reason": str(e)}, 400)
    metric, period = fields.get("metric", ""), fields.get("period", "")
    text = fields.get("text", "")
    try:
        note = service.edit(principal, programme_id, metric, period, text)
    except PermissionError:
        if principal is ANONYMOUS:
            return sign_in_first(request)
        return refused(request, "Only analysts and admins can write commentary.")
    except (NotFoundError, MonthError) as e:
        return _problem(request, e)
    except CommentaryError as e:  # the text: the page again, with what was typed kept
        errors = {metric.upper(): {"text": str(e), "value": text}}
        return _listing(request, service, programme_id, period, errors,
                        [{"text": str(e), "href": f"#text-{metric.upper()}"}], 400)
    # 303 to the page (a reload does not post again), at the metric just saved
    return RedirectResponse(
        f"/programmes/{quote(programme_id)}/commentary?period={quote(period)}"
        f"&saved={quote(note.metric_id)}#metric-{quote(note.metric_id)}", status_code=303)


@router.get("/programmes/{programme_id}/commentary/{metric_id}", response_class=HTMLResponse)
def history_page(request: Request, programme_id: str, metric_id: str,
                 period: str = "") -> HTMLResponse:
    """Every version of one metric's commentary for the month, newest first."""
    service = commentary_service(request)
    if service is None:
        return _no_database(request)
    try:
        period = period or _latest_month(service)
        ind = service.metric(programme_id, metric_id)
        versions = service.history(programme_id, metric_id, period)
    except (NotFoundError, MonthError) as e:
        return _problem(request, e)
    return render(request, "commentary_history.jinja", {
        "title": f"Commentary history: {ind.title}, {period}", "indicator": ind,
        "programme_id": programme_id, "programme_name": PROGRAMMES[programme_id],
        "period": period, "versions": versions})


def _listing(request: Request, service: CommentaryService, programme_id: str, period: str,
             errors: dict, summary: list[dict], status: int) -> HTMLResponse:
    rows = service.for_programme(programme_id, period)
    saved = request.query_params.get("saved", "")
    return render(request, "commentary.jinja", {
        "title": ("Error: " if summary else "") + f"{PROGRAMMES[programme_id]}: commentary",
        "heading": f"{PROGRAMMES[programme_id]}: commentary",
        "programme_id": programme_id, "programme_name": PROGRAMMES[programme_id],
        "period": service.month(period), "months": service.months(), "rows": rows,
        "may_edit": service.may_edit(who(request)), "errors": errors, "summary": summary,
        "saved": saved if any(ind.id == saved for ind, _ in rows) else "",
        "max_text": MAX_TEXT,
        "form_token": form_token(request)}, status)


def _no_database(request: Request) -> HTMLResponse:
    """The designed 503 of a server that keeps no application database."""
    return render(request, "unavailable.jinja", {
        "title": "Commentary is not available",
        "reason": "This server keeps no application database."}, 503)


def _latest_month(service: CommentaryService) -> str:
    """The build's latest month ("" before any build): the month a page shows by default."""
    months = service.months()
    return months[-1] if months else ""
