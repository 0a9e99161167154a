"""Sessions, CSRF and security headers, and who is asking.

- **sessions** are signed cookies (Starlette's SessionMiddleware, itsdangerous): `HttpOnly`,
  `SameSite=Lax`, `Secure` unless started with `dev=True`, 8-hour lifetime; the session holds
  the principal and a CSRF token, never data;
- **CSRF**: every request that changes state (POST, PUT, PATCH, DELETE) must send the session's
  token in the `X-CSRF-Token` header (the synchroniser-token pattern, OWASP CSRF Prevention
  Cheat Sheet); `GET /api/session` hands it out;
- **headers**: `Content-Security-Policy: default-src 'none'`, `X-Content-Type-Options`,
  `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, `Cache-Control: no-store`.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from icsight.governance.access import ANONYMOUS, Principal, Role

__all__ = ["SECURITY_HEADERS", "SESSION_SECONDS", "SignedIn", "Who", "install",
           "new_csrf_token", "principal", "signed_in"]

SESSION_SECONDS = 8 * 60 * 60
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
CSRF_REFUSED = ("missing or wrong CSRF token: get one from GET /api/session and send it as "
                "X-CSRF-Token")


def install(app: FastAPI, secret_key: str, dev: bool) -> None:
    """Add the CSRF guard, security headers and signed session cookies to `app`."""
    if len(secret_key) < 32:
        raise ValueError("the session secret must be at least 32 characters")
    app.middleware("http")(_guard)
    # Added last so it runs first: the CSRF guard reads the session it decodes.
    app.add_middleware(SessionMiddleware, secret_key=secret_key, session_cookie="icsight",
                       max_age=SESSION_SECONDS, same_site="lax", https_only=not dev)


async def _guard(request: Request, call_next) -> Response:
    """Refuse a state-changing request without the session's CSRF token; add the headers."""
    if request.method in UNSAFE:
        expected = request.session.get("csrf")
        sent = request.headers.get("x-csrf-token", "")
        if not expected or not secrets.compare_digest(sent, expected):
            return JSONResponse({"detail": CSRF_REFUSED}, status_code=403)
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response


def new_csrf_token() -> str:
    """A fresh CSRF token for a session."""
    return secrets.token_urlsafe(32)


def principal(request: Request) -> Principal:
    """The signed-in principal from the session (anonymous: the public role)."""
    data = request.session.get("principal")
    if not data:
        return ANONYMOUS
    return Principal(data["user"], Role(data["role"]), data.get("practice_code"),
                     data.get("pcn_code"))


def signed_in(who: Annotated[Principal, Depends(principal)]) -> Principal:
    """The principal, or 401 for someone not signed in (signing in would help)."""
    if who.role == Role.PUBLIC and who.user == ANONYMOUS.user:
        raise HTTPException(status_code=401, detail="sign in first (POST /api/login)")
    return who


Who = Annotated[Principal, Depends(principal)]
SignedIn = Annotated[Principal, Depends(signed_in)]
