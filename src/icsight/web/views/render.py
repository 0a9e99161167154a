"""Rendering a page: the Jinja environment, with nhsuk-frontend-jinja's templates behind our
own, and the Content-Security-Policy each page is served with."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader

from icsight.governance.access import ANONYMOUS, Principal

__all__ = ["ASSETS", "NAVIGATION", "page_policy", "render", "who"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: Where the vendored design-system files are served (`install` mounts /static).
ASSETS = "/static/nhsuk"

#: The header's navigation. The pages still to come (data quality, admin, worklists,
#: planning) add their entry here, in this order, before the API's.
NAVIGATION = (
    {"href": "/", "text": "Overview"},
    {"href": "/programmes", "text": "Programmes"},
    {"href": "/strategy", "text": "Strategy"},
    {"href": "/places", "text": "Areas"},
    {"href": "/api/v1/docs", "text": "API"},
)

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
    html = ENVIRONMENT.get_template(template).render(
        **context, cspNonce=nonce, assetPath=f"{ASSETS}/assets", assets=ASSETS,
        navigation=[item | {"current": item["href"] == _section(request.url.path)}
                    for item in NAVIGATION],
        signed_in=None if principal is ANONYMOUS else principal)
    # the API's guard puts its own headers on every response; this one is the page's
    request.state.content_security_policy = page_policy(nonce)
    request.state.page_nonce = nonce  # a kept page swaps it for a new one (views.cache)
    return HTMLResponse(html, status_code=status)


def _section(path: str) -> str:
    """The navigation entry a path belongs to (an indicator page is under Programmes)."""
    if path.startswith(("/programmes", "/indicators")):
        return "/programmes"
    if path.startswith(("/places", "/pcns", "/practices", "/search")):
        return "/places"
    return path if path in ("/", "/strategy") else ""
