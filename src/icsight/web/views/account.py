"""Signing in and out from a web page: `/sign-in` (a form) and `/sign-out` (a form's POST).

The same rules as `POST /api/v1/login` (`icsight.api.routers.session`): the account store's
checks and lockout (`AccountStore.sign_in`), the same throttle per address and per name, the
same audit entries, and one answer for every kind of failure so the page does not say which
accounts exist (OWASP Authentication Cheat Sheet, "Authentication and Error Messages"). The
form carries the session's CSRF token (checked by the API's guard before this runs), and the
session it starts is the API's own signed cookie, with the API's flags (`HttpOnly`,
`SameSite=Lax`, `Secure`). Errors follow the NHS design system's error summary and error
message pattern (https://service-manual.nhs.uk/design-system/components/error-summary),
each naming and linking to its field. `?next=` is followed only to a path on this site.
"""

from __future__ import annotations

import math
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from icsight.governance.access import ANONYMOUS
from icsight.governance.audit import record
from icsight.web.views.forms import FormError, form_fields, form_token, local_path
from icsight.web.views.render import render, who

__all__ = ["MAX_PASSWORD", "MAX_USERNAME", "begin_session", "router"]

router = APIRouter(include_in_schema=False)

#: As the API bounds them: an argon2 verification of a megabyte password is a cheap denial
#: of service.
MAX_USERNAME, MAX_PASSWORD = 128, 1024
SIGN_IN_FAILED = "Your username or password is not right"
THROTTLED = "There have been too many failed sign-ins. Wait a minute and try again"


def begin_session(request: Request, user: str, version: int) -> str:
    """A fresh session for `user`, exactly as `icsight.api.security.begin_session` makes it
    (the pages sit below the API and cannot import it; a test checks that a session begun
    here is honoured by the API): everything before is dropped (no fixation), a new CSRF
    token is made and returned."""
    now = request.app.state.clock()
    request.session.clear()
    request.session["signed_in"] = {"user": user, "v": version, "at": now, "seen": now}
    request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in form; someone already signed in is told so, with the way on."""
    return _form(request, local_path(next), "", [], 200)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Check the username and password; on success start a session and go to `next`."""
    try:
        fields = await form_fields(request)
    except FormError as e:
        return _form(request, "/", "", [{"text": str(e), "href": "#username"}], 400)
    username, password = fields.get("username", ""), fields.get("password", "")
    target = local_path(fields.get("next"))
    errors = _missing(username, password)
    if errors:
        return _form(request, target, username[:MAX_USERNAME], errors, 400)
    services, accounts = request.app.state.services, request.app.state.accounts
    address = request.client.host if request.client else "unknown"
    keys = (f"address:{address}", f"user:{username}")
    throttle = request.app.state.throttle
    wait = max(throttle.wait(key) for key in keys)
    if wait:
        record(services.audit_log, username, "-", "DENIED sign-in", address,
               "throttled: too many failures in a minute")
        response = _form(request, target, username, [{"text": THROTTLED, "href": "#username"}],
                         429)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    outcome = accounts.sign_in(username, password)
    if outcome.principal is None:
        for key in keys:
            throttle.fail(key)
        record(services.audit_log, username, "-", "DENIED sign-in", address, outcome.reason)
        return _form(request, target, username,
                     [{"text": SIGN_IN_FAILED, "href": "#username", "field": "username"}], 401)
    principal = outcome.principal
    throttle.reset(keys[1])
    begin_session(request, principal.user, accounts.version(principal.user) or 0)
    record(services.audit_log, principal.user, str(principal.role), "sign-in", address)
    # 303: the browser follows with a GET, so a reload does not post the password again
    return RedirectResponse(target, status_code=303)


@router.get("/sign-out", response_class=HTMLResponse)
def sign_out_page(request: Request) -> Response:
    """The header's "Sign out" leads here: one button, a form posting the session's token
    (signing out changes state, so it is never a GET)."""
    if who(request) is ANONYMOUS:
        return RedirectResponse("/sign-in", status_code=303)
    return render(request, "sign_out.jinja", {"title": "Sign out",
                                              "form_token": form_token(request)})


@router.post("/sign-out", response_class=HTMLResponse)
def sign_out(request: Request) -> HTMLResponse:
    """End every session of the account (as the API's logout does) and say so."""
    principal = who(request)
    if principal is not ANONYMOUS:
        request.app.state.accounts.end_sessions(principal.user)
        record(request.app.state.services.audit_log, principal.user, str(principal.role),
               "sign-out", "")
    csrf = request.session.get("csrf")
    request.session.clear()
    if csrf:  # kept, so the sign-in form that follows still works
        request.session["csrf"] = csrf
    request.state.principal = ANONYMOUS  # the page below shows the header signed out
    return render(request, "signed_out.jinja", {"title": "You have signed out"})


def _missing(username: str, password: str) -> list[dict]:
    """The fields left empty or too long, as the error summary lists them."""
    errors = []
    if not username.strip():
        errors.append({"text": "Enter your username", "href": "#username", "field": "username"})
    elif len(username) > MAX_USERNAME:
        errors.append({"text": f"Username must be {MAX_USERNAME} characters or fewer",
                       "href": "#username", "field": "username"})
    if not password:
        errors.append({"text": "Enter your password", "href": "#password", "field": "password"})
    elif len(password) > MAX_PASSWORD:
        errors.append({"text": f"Password must be {MAX_PASSWORD} characters or fewer",
                       "href": "#password", "field": "password"})
    return errors


def _form(request: Request, target: str, username: str, errors: list[dict],
          status: int) -> HTMLResponse:
    by_field = {e["field"]: e["text"] for e in errors if "field" in e}
    return render(request, "sign_in.jinja", {
        "title": ("Error: " if errors else "") + "Sign in", "next": target,
        "username": username, "errors": errors, "field_errors": by_field,
        "form_token": form_token(request)}, status)
