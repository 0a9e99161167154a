"""Rendering a page: the Jinja environment, with nhsuk-frontend-jinja's templates behind our
own, and the Content-Security-Policy each page is served with."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader

from icsight.governance.access import ANONYMOUS, Principal, Role
from icsight.services.saved_views import NOT_VIEWS

__all__ = ["ASSETS", "NAVIGATION", "navigation_for", "page_policy", "refused", "render",
           "sign_in_first", "who"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: Where the vendored design-system files are served (`install` mounts /static).
ASSETS = "/static/nhsuk"

#: The header's navigation, in this order, the API's last. An entry with `roles` is shown
#: only to those roles (a link to a page that would refuse you is noise).
NAVIGATION = (
    {"href": "/", "text": "Overview"},
    {"href": "/programmes", "text": "Programmes"},
    {"href": "/strategy", "text": "Strategy"},
    {"href": "/places", "text": "Areas"},
    {"href": "/waiting-lists", "text": "Waiting lists"},
    {"href": "/planning", "text": "Planning"},
    {"href": "/worklists", "text": "Worklists", "roles": frozenset({Role.CLINICIAN})},
    {"href": "/data-quality", "text": "Data quality",
     "roles": frozenset({Role.ANALYST, Role.ADMIN})},
    {"href": "/admin", "text": "Admin", "roles": frozenset({Role.ADMIN})},
    {"href": "/api/v1/docs", "text": "API"},
)

def navigation_for(role: Role | None) -> list[dict]:
    """The navigation entries shown to `role` (None: the public), in the header's order."""
    return [item for item in NAVIGATION
            if "roles" not in item or (role is not None and role in item["roles"])]


# ChainableUndefined: the design system's macros read optional nested parameters
# (params.search.input.placeholder) that most calls leave out (nhsuk-frontend-jinja's README).
ENVIRONMENT = Environment(
    loader=ChoiceLoader([FileSystemLoader(TEMPLATES), PackageLoader("nhsuk_frontend_jinja")]),
    undefined=ChainableUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True)


def page_policy(nonce: str) -> str:
    """The pages' Content-Security-Policy: scripts, styles, images and the manifest from
    this server only, and the design system's one inline script (it marks the page as
    having JavaScript) by its nonce; nothing from any other host."""
    return (f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
            "img-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")


def who(request: Request) -> Principal:
    """Who the session acts as (the API's guard checked it), or the public."""
    return getattr(request.state, "principal", ANONYMOUS)


def render(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    """`template` filled with `context`, served with the pages' policy."""
    nonce = secrets.token_urlsafe(16)
    principal = who(request)
    signed_in = principal is not ANONYMOUS
    html = ENVIRONMENT.get_template(template).render(
        **context, cspNonce=nonce, assetPath=f"{ASSETS}/assets", assets=ASSETS,
        navigation=[{"href": item["href"], "text": item["text"],
                     "current": item["href"] == _section(request.url.path)}
                    for item in navigation_for(principal.role if signed_in else None)],
        signed_in=principal if signed_in else None,
        save_href=_save_href(request, status) if signed_in else None,
        sign_in_href=_sign_in_href(request, status))
    # the API's guard puts its own headers on every response; this one is the page's
    request.state.content_security_policy = page_policy(nonce)
    request.state.page_nonce = nonce  # a kept page swaps it for a new one (views.cache)
    return HTMLResponse(html, status_code=status)


def _save_href(request: Request, status: int) -> str | None:
    """The "Save this page" link under a signed-in person's page: a whole page (200) that is
    a view (not the sign-in, sign-out or saved-views pages themselves)."""
    path = request.url.path
    if status != 200 or request.method != "GET" or path.rstrip("/") in NOT_VIEWS \
            or path.startswith("/saved-views/"):
        return None
    here = path + (f"?{request.url.query}" if request.url.query else "")
    return "/saved-views/new?path=" + quote(here, safe="")


def refused(request: Request, reason: str) -> HTMLResponse:
    """The designed 403 page: signed in, but this role may not do this."""
    return render(request, "refused.jinja", {"title": "You cannot use this page",
                                             "reason": reason}, 403)


def sign_in_first(request: Request) -> HTMLResponse:
    """The designed 401 page: sign in to see this page (with a link back here after)."""
    return render(request, "sign_in_first.jinja", {"title": "Sign in to see this page"}, 401)


#: The longest page address a sign-in link offers to come back to: a long address is not
#: echoed back whole (an error page is not somewhere to come back to at all).
LONGEST_NEXT = 200


def _sign_in_href(request: Request, status: int) -> str:
    """The header's "Sign in" link: back to this page after, when it is a page worth coming
    back to (not the sign-in pages, not an error other than "sign in first")."""
    here = _local(request)
    if (here == "/" or here.startswith(("/sign-in", "/sign-out")) or len(here) > LONGEST_NEXT
            or (status >= 400 and status != 401)):
        return "/sign-in"
    return f"/sign-in?next={quote(here, safe='/')}"


def _local(request: Request) -> str:
    """This page's own path and query, to come back to after signing in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _section(path: str) -> str:
    """The navigation entry a path belongs to (an indicator page is under Programmes)."""
    if path.startswith(("/programmes", "/indicators")):
        return "/programmes"
    if path.startswith(("/places", "/pcns", "/practices", "/search")):
        return "/places"
    for staff in ("/data-quality", "/admin", "/worklists", "/waiting-lists", "/planning"):
        if path == staff or path.startswith(staff + "/"):
            return staff
    return path if path in ("/", "/strategy") else ""
