"""Saved views, `/saved-views` (anyone signed in): the pages a person saved under names of
their own, each a link, with a button to delete it; `/saved-views/new?path=...` asks for a
name for the page it came from ("Save this page", under every page of a signed-in person).

The forms carry the session's CSRF token, so these pages are made every time, never kept.
The rules (whose views, which pages, how long a name) are the services' (`SavedViewService`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from icsight.appdb import Database
from icsight.governance.access import ANONYMOUS, Principal
from icsight.services import NotFoundError
from icsight.services.saved_views import MAX_NAME, SavedViewError, SavedViewService, page_path
from icsight.web.views.forms import FormError, form_fields, form_token
from icsight.web.views.render import render, sign_in_first, who

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _service(request: Request) -> SavedViewService | None:
    database = getattr(request.app.state.accounts, "database", None)
    return SavedViewService(database) if isinstance(database, Database) else None


def _page(request: Request, service: SavedViewService, status: int = 200,
          notice: str = "") -> HTMLResponse:
    return render(request, "saved_views.jinja", {
        "title": "Your saved views", "views": service.views(who(request)), "notice": notice,
        "form_token": form_token(request)}, status)


def _form(request: Request, path: str, name: str = "", error: str = "",
          status: int = 200) -> HTMLResponse:
    return render(request, "saved_view_new.jinja", {
        "title": ("Error: " if error else "") + "Save this page", "path": path, "name": name,
        "error": error, "max_name": MAX_NAME,
        "form_token": form_token(request)}, status)


def _unavailable(request: Request) -> HTMLResponse:
    return render(request, "unavailable.jinja", {
        "title": "Saved views are not available",
        "reason": "This server keeps no application database."}, 503)


def _problem(request: Request, reason: str, status: int) -> HTMLResponse:
    return render(request, "problem.jinja", {"title": "There is a problem",
                                             "reason": reason}, status)


async def _posted(request: Request
                  ) -> tuple[Principal, SavedViewService, dict[str, str]] | Response:
    """Who sent the form, the service and the form's fields; or the page saying why not
    (not signed in, no application database, not a form of ours)."""
    principal, service = who(request), _service(request)
    if principal is ANONYMOUS:
        return sign_in_first(request)
    if service is None:
        return _unavailable(request)
    try:
        return principal, service, await form_fields(request)
    except FormError as e:
        return _problem(request, str(e), 400)


@router.get("/saved-views", response_class=HTMLResponse)
def saved_views(request: Request) -> HTMLResponse:
    """The signed-in person's saved views."""
    if who(request) is ANONYMOUS:
        return sign_in_first(request)
    service = _service(request)
    if service is None:
        return _unavailable(request)
    notice = {"saved": "View saved", "deleted": "View deleted"}.get(
        request.query_params.get("done", ""), "")
    return _page(request, service, notice=notice)


@router.get("/saved-views/new", response_class=HTMLResponse)
def new_view(request: Request, path: str = "/") -> HTMLResponse:
    """Ask for a name for the page `path` (the page the link was on)."""
    if who(request) is ANONYMOUS:
        return sign_in_first(request)
    try:
        page = page_path(path)
    except SavedViewError as e:
        return _problem(request, str(e), 400)
    return _form(request, page)


@router.post("/saved-views", response_class=HTMLResponse)
async def save(request: Request) -> Response:
    """Save the page under the name given, then show the list (303: a reload does not post
    again)."""
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    principal, service, fields = posted
    name, path = fields.get("name", ""), fields.get("path", "")
    try:
        service.save(principal, name, path)
    except SavedViewError as e:  # the form again, with what was typed kept
        try:
            page = page_path(path)
        except SavedViewError:
            return _problem(request, str(e), 400)
        return _form(request, page, name, str(e), 400)
    return RedirectResponse("/saved-views?done=saved", status_code=303)


@router.post("/saved-views/delete", response_class=HTMLResponse)
async def delete(request: Request) -> Response:
    """Delete one of the person's views."""
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    principal, service, fields = posted
    try:
        service.delete(principal, fields.get("name", ""))
    except NotFoundError as e:
        return _problem(request, str(e), 404)
    return RedirectResponse("/saved-views?done=deleted", status_code=303)

