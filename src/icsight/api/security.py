"""Sessions, CSRF, security headers and error bodies, and who is asking.

- **sessions** are signed cookies (Starlette's SessionMiddleware, itsdangerous): `HttpOnly`,
  `SameSite=Lax`, `Secure` unless started with `dev=True`. The cookie holds only the account
  name, the account's session version, when the session began and when it was last used,
  and a CSRF token. On EVERY request the server checks them against the account store and
  the clock (OWASP Session Management Cheat Sheet, "Session Expiration"): the session ends
  when the account is deleted, disabled, changed or signed out (its version moves on), after
  ICSIGHT_SESSION_IDLE_MINUTES unused, and ICSIGHT_SESSION_MAX_HOURS after signing in. The
  role and scope come from the store, never from the cookie;
- **CSRF**: every request that changes state (POST, PUT, PATCH, DELETE) must send the session's
  token in the `X-CSRF-Token` header (the synchroniser-token pattern, OWASP CSRF Prevention
  Cheat Sheet); `GET /api/v1/session` hands it out. A web page's form (outside /api/, which
  cannot set a header without JavaScript) may send it instead as the form field `csrf_token`.
  A missing, wrong, over-long or non-ASCII token is a 403, audited (a page gets a designed
  page);
- **headers** on every response, errors included: `Content-Security-Policy: default-src
  'none'` (a web page's own, naming this server as the only source, replaces it),
  `X-Content-Type-Options`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`,
  `Cache-Control: no-store` (OWASP HTTP Headers Cheat Sheet);
- **errors**: a server error is a generic 500 (logged here, never the exception text or a
  path in the body; OWASP Error Handling Cheat Sheet); a 422 does not echo what was sent
  (it could be a password).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from icsight.api.throttle import Throttle
from icsight.governance.access import ANONYMOUS, Principal, record_denial
from icsight.governance.pseudonymise import PseudonymKeyError, check_key
from icsight.settings import positive

__all__ = ["SECURITY_HEADERS", "SignedIn", "Who", "begin_session", "end_session", "install",
           "new_csrf_token", "principal", "signed_in"]

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_CSRF = 128  # our tokens are 43 characters
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: Static files (`icsight.web`'s /static): public, so they may be cached.
STATIC_PREFIX, STATIC_CACHE = "/static/", "public, max-age=86400"
CSRF_REFUSED = ("missing or wrong CSRF token: get one from GET /api/v1/session and send it as "
                "X-CSRF-Token")
#: A web form's field carrying the CSRF token, and the largest form body read to find it (a
#: commentary of 5,000 characters, percent-encoded, fits several times over).
CSRF_FIELD, MAX_FORM_BYTES = "csrf_token", 256 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
SERVER_ERROR = "internal error: it has been logged; try again or tell the service desk"
log = logging.getLogger("icsight.api")


def install(app: FastAPI, secret_key: str, dev: bool,
            clock: Callable[[], float] = time.time) -> None:
    """Add sessions, the CSRF guard, headers and error handlers to `app`. `clock` (seconds
    since the epoch) is for tests: session times and throttles are read from it."""
    try:  # a guessable secret lets anyone sign a cookie for any account
        check_key(secret_key, "the session secret (ICSIGHT_SESSION_SECRET)")
    except PseudonymKeyError as e:
        raise ValueError(str(e)) from None
    app.state.clock = clock
    app.state.idle_seconds = 60 * positive("ICSIGHT_SESSION_IDLE_MINUTES")
    app.state.max_seconds = 3600 * positive("ICSIGHT_SESSION_MAX_HOURS")
    app.state.throttle = Throttle(positive("ICSIGHT_SIGNIN_PER_MINUTE"), 60, clock)
    for name in ("ICSIGHT_SIGNIN_LOCK_AFTER", "ICSIGHT_SIGNIN_LOCK_MINUTES"):
        positive(name)  # read again at each failure; a bad value stops the start, not a sign-in
    app.middleware("http")(_guard)
    # Added last so it runs first: the guard reads the session it decodes. The cookie's
    # max_age only tidies the browser; the server enforces both limits itself.
    app.add_middleware(SessionMiddleware, secret_key=secret_key, session_cookie="icsight",
                       max_age=app.state.max_seconds, same_site="lax", https_only=not dev)
    app.add_exception_handler(Exception, _server_error)
    app.add_exception_handler(RequestValidationError, _invalid)


async def _guard(request: Request, call_next) -> Response:
    """Check the session; refuse a state-changing request without the session's CSRF token;
    add the headers."""
    who = request.state.principal = _current(request)
    if request.method in UNSAFE and not _csrf_ok(request, await _form_token(request)):
        _deny(request, who, "api.csrf", "missing or wrong CSRF token")
        if not request.url.path.startswith("/api/"):
            from icsight.web.views.render import refused  # the pages' designed 403

            response = refused(request, "This form has expired or did not come from this "
                               "service. Go back, reload the page and try again.")
            response.headers.update({**SECURITY_HEADERS, "Content-Security-Policy":
                                     request.state.content_security_policy})
            return response
        return JSONResponse({"detail": CSRF_REFUSED}, status_code=403,
                            headers=SECURITY_HEADERS)
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    # A web page names the few sources it may load (this server's styles and scripts, and
    # its own inline script by nonce: `icsight.web`); everything else keeps 'none'.
    page_policy = getattr(request.state, "content_security_policy", None)
    if page_policy:
        response.headers["Content-Security-Policy"] = page_policy
    if request.url.path.startswith(STATIC_PREFIX) and response.status_code == 200:
        # the vendored design system and our script: public files, the same for everyone,
        # so a browser may keep them for a day instead of fetching 270 KB with every page
        response.headers["Cache-Control"] = STATIC_CACHE
    return response


async def _form_token(request: Request) -> str | None:
    """The `csrf_token` field of a web page's form (never for the API, which takes the
    header only); None when there is none. Starlette keeps the body read here for the view."""
    if (request.url.path.startswith("/api/") or "x-csrf-token" in request.headers
            or request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE):
        return None
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return None
    body = await request.body()
    try:
        fields = parse_qs(body[:MAX_FORM_BYTES].decode("latin-1"), max_num_fields=100)
    except ValueError:  # more fields than any of our forms has
        return None
    values = fields.get(CSRF_FIELD, [])
    return values[0] if len(values) == 1 else None


def _csrf_ok(request: Request, form_token: str | None = None) -> bool:
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token", "") if form_token is None else form_token
    if not isinstance(expected, str) or not expected or len(sent) > MAX_CSRF:
        return False
    # Header values arrive as latin-1 text; compare bytes, since compare_digest refuses
    # non-ASCII str (it raised, and the request became a 500).
    return secrets.compare_digest(sent.encode("latin-1", "replace"), expected.encode())


def _current(request: Request) -> Principal:
    """Who the session acts as now, or anonymous (the session is then emptied)."""
    began = request.session.get("signed_in")
    if not began:
        return ANONYMOUS
    who = _still_valid(request, began)
    if who is None:
        end_session(request)
        return ANONYMOUS
    # Refreshed on use (the idle clock restarts); assigned, not mutated, so the cookie is
    # re-signed.
    request.session["signed_in"] = {**began, "seen": request.app.state.clock()}
    return who


def _still_valid(request: Request, began: object) -> Principal | None:
    state = request.app.state
    try:
        user, version = str(began["user"]), int(began["v"])
        at, seen = float(began["at"]), float(began["seen"])
    except (KeyError, TypeError, ValueError):  # a cookie from before versions, or malformed
        return None
    now = state.clock()
    if not (at <= seen <= now and now - seen <= state.idle_seconds
            and now - at <= state.max_seconds):
        return None
    return state.accounts.session_principal(user, version)


def begin_session(request: Request, user: str, version: int) -> str:
    """A fresh session for `user` (no fixation: everything before is dropped); its CSRF
    token."""
    now = request.app.state.clock()
    request.session.clear()
    request.session["signed_in"] = {"user": user, "v": version, "at": now, "seen": now}
    request.session["csrf"] = new_csrf_token()
    return request.session["csrf"]


def end_session(request: Request) -> None:
    """Forget who is signed in; keep the CSRF token so the page can still sign in again."""
    csrf = request.session.get("csrf")
    request.session.clear()
    if csrf:
        request.session["csrf"] = csrf


def new_csrf_token() -> str:
    """A fresh CSRF token for a session."""
    return secrets.token_urlsafe(32)


def principal(request: Request) -> Principal:
    """The principal the session acts as, checked by the guard (anonymous: the public
    role)."""
    return getattr(request.state, "principal", ANONYMOUS)


def signed_in(request: Request, who: Annotated[Principal, Depends(principal)]) -> Principal:
    """The principal, or 401 (audited) for someone not signed in (signing in would help)."""
    if who is ANONYMOUS:
        _deny(request, who, "api.signed_in", "not signed in")
        raise HTTPException(status_code=401, detail="sign in first (POST /api/v1/login)")
    return who


def _deny(request: Request, who: Principal, action: str, reason: str) -> None:
    resource = f"{request.method} {request.url.path}"
    record_denial(who, action, request.app.state.services.audit_log, resource, reason)


async def _server_error(request: Request, error: Exception) -> Response:
    log.error("server error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": SERVER_ERROR}, status_code=500, headers=SECURITY_HEADERS)


async def _invalid(request: Request, error: RequestValidationError) -> Response:
    problems = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                 "type": e.get("type", "")} for e in error.errors()]
    return JSONResponse({"detail": problems}, status_code=422)


Who = Annotated[Principal, Depends(principal)]
SignedIn = Annotated[Principal, Depends(signed_in)]
