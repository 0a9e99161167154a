"""The board paper downloads: `/programmes/{id}/report.pdf?period=YYYY-MM` (and `.html`).

The same paper `icsight report --programme ID` writes (`icsight.reports`), with the published
figures whoever asks (a board paper is public), and the commentary from the application
database the site signs people in with. A bad programme or month gets a designed page that
says what to give instead, never a stack trace.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from icsight.indicators.definition import PROGRAMMES
from icsight.reports import build_paper, html_policy, to_html, to_pdf
from icsight.services import NotFoundError, Service
from icsight.web.views.render import render, who

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_MONTH = re.compile(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])", re.ASCII)


@router.get("/programmes/{programme_id}/report.pdf")
def report_pdf(request: Request, programme_id: str, period: str | None = None) -> Response:
    """The programme's board paper for `period` (default: the build's latest month), PDF."""
    paper = _paper(request, programme_id, period)
    if isinstance(paper, Response):
        return paper
    return Response(to_pdf(to_html(paper)), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{programme_id}-{paper.month}.pdf"'})


@router.get("/programmes/{programme_id}/report.html", response_class=HTMLResponse)
def report_html(request: Request, programme_id: str, period: str | None = None) -> Response:
    """The same paper as one HTML page (its own stylesheet inline, allowed by its hash)."""
    paper = _paper(request, programme_id, period)
    if isinstance(paper, Response):
        return paper
    request.state.content_security_policy = html_policy()
    return HTMLResponse(to_html(paper))


def _paper(request: Request, programme_id: str, period: str | None):
    """The paper, or the designed page saying what is wrong with the address."""
    services: Service = request.app.state.services
    principal = who(request)
    if programme_id not in PROGRAMMES:
        shown = programme_id if len(programme_id) <= 40 else programme_id[:40] + "..."
        return _problem(request, "Page not found", f"There is no programme called {shown!r}.",
                        404)
    try:
        periods = services.reports.periods(principal)
    except NotFoundError as e:
        return _problem(request, "No figures yet", str(e), 503)
    if not periods:
        return _problem(request, "No figures yet", "The latest build covers no months.", 503)
    example = f"/programmes/{programme_id}/report.pdf?period={periods[-1]}"
    if period is None:
        period = periods[-1]
    elif not _MONTH.fullmatch(period):
        shown = period if len(period) <= 20 else period[:20] + "..."
        return _problem(request, "That is not a month",
                        f"{shown!r} is not a month written YYYY-MM.", 400, periods, example)
    elif period not in periods:
        return _problem(request, "No board paper for that month",
                        f"The latest build has no figures for {period}.", 404, periods,
                        example)
    database = getattr(request.app.state.accounts, "database", None)
    try:
        return build_paper(services, database, period, programme_id, principal)
    except NotFoundError as e:
        return _problem(request, "No figures yet", str(e), 503)


def _problem(request: Request, title: str, reason: str, status: int,
             periods: list[str] | None = None, example: str = "") -> HTMLResponse:
    return render(request, "report_error.jinja", {"title": title, "reason": reason,
                                                  "periods": periods, "example": example},
                  status)
