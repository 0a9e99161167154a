"""Data quality, `/data-quality` (analysts and admins): each load's reconciliation, rows
received = loaded + quarantined per file and table, and the quarantine with its reasons
(file, row, table, field, what is wrong), 50 entries a page, newest first.

Someone not signed in is asked to sign in (401); a signed-in role without access gets the
designed 403 page; both are audited by the service (`icsight.services.quality`), which also
keeps every payload and identifying value off the page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.governance.access import ANONYMOUS
from icsight.services import NotFoundError
from icsight.services.quality import QualityService
from icsight.web.views.render import refused, render, sign_in_first, who

__all__ = ["PAGE_SIZE", "page_number", "router"]

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def page_number(raw: str) -> int | None:
    """A `?page=` value as a page number from 1 (None: not a page number)."""
    raw = (raw or "1").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or int(raw) < 1:
        return None
    return int(raw)


@router.get("/data-quality", response_class=HTMLResponse)
def data_quality(request: Request, page: str = "1") -> HTMLResponse:
    """The loads' reconciliation and one page of the quarantine."""
    principal = who(request)
    number = page_number(page)
    services = request.app.state.services
    service = QualityService(services.lake_dir, services.audit_log)
    try:
        loads = service.reconciliation(principal)
        if number is None:
            return render(request, "problem.jinja", {
                "title": "There is a problem with the page number",
                "reason": "The page number must be a whole number from 1, like page=2."}, 400)
        entries, total = service.quarantine(principal, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    except PermissionError:
        if principal is ANONYMOUS:
            return sign_in_first(request)
        return refused(request, "Data quality is for analysts and admins.")
    except NotFoundError as e:
        return render(request, "unavailable.jinja", {"title": "Data quality is not available",
                                                     "reason": str(e)}, 503)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    if number > pages:
        return render(request, "not_found.jinja", {
            "title": "Page not found",
            "reason": f"The quarantine has {pages} page{'s' if pages != 1 else ''}."}, 404)
    totals = {key: sum(row[key] for row in loads)
              for key in ("received", "loaded", "replaced", "quarantined")}
    return render(request, "data_quality.jinja", {
        "title": "Data quality", "loads": loads, "totals": totals,
        "unbalanced": [row for row in loads if not row["balanced"]],
        "entries": entries, "total": total, "page": number, "pages": pages,
        "first": (number - 1) * PAGE_SIZE + 1 if total else 0,
        "last": min(number * PAGE_SIZE, total)})
