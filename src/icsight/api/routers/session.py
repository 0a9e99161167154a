"""Signing in and out, and the CSRF token.

A failed sign-in gets the same 401 and body whatever the reason (no such account, wrong
password, disabled, locked), so the answer does not say which accounts exist (OWASP
Authentication Cheat Sheet, "Authentication and Error Messages"); the reason goes only to the
audit log, under the name tried (never the password). Too many failures from one address or
for one name in a minute get 429 with `Retry-After`, for any name, known or not.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from icsight.api.deps import AccountsDep, Services
from icsight.api.security import Who, begin_session, end_session, new_csrf_token
from icsight.governance.access import ANONYMOUS, Principal
from icsight.governance.audit import record

router = APIRouter()

SIGN_IN_FAILED = "wrong username or password"
THROTTLED = "too many failed sign-ins: wait and try again"


class Login(BaseModel):
    # Bounded: an argon2 verification of a megabyte password is a cheap denial of service.
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class SessionInfo(BaseModel):
    user: str
    role: str
    practice_code: str | None = None
    pcn_code: str | None = None
    csrf_token: str


def _info(who: Principal, token: str) -> SessionInfo:
    return SessionInfo(user=who.user, role=str(who.role), practice_code=who.practice_code,
                       pcn_code=who.pcn_code, csrf_token=token)


@router.get("/session", response_model=SessionInfo)
def session(request: Request, who: Who) -> SessionInfo:
    """Who is signed in (anonymous: the public role), and the CSRF token to send."""
    return _info(who, request.session.setdefault("csrf", new_csrf_token()))


@router.post("/login", response_model=SessionInfo)
def login(body: Login, request: Request, accounts: AccountsDep,
          services: Services) -> SessionInfo:
    """Sign in with a local account; the session (and CSRF token) is renewed."""
    address = request.client.host if request.client else "unknown"
    keys = (f"address:{address}", f"user:{body.username}")
    throttle = request.app.state.throttle
    wait = max(throttle.wait(key) for key in keys)
    if wait:
        record(services.audit_log, body.username, "-", "DENIED sign-in", address,
               "throttled: too many failures in a minute")
        raise HTTPException(status_code=429, detail=THROTTLED,
                            headers={"Retry-After": str(math.ceil(wait))})
    outcome = accounts.sign_in(body.username, body.password)
    if outcome.principal is None:
        for key in keys:
            throttle.fail(key)
        record(services.audit_log, body.username, "-", "DENIED sign-in", address,
               outcome.reason)
        raise HTTPException(status_code=401, detail=SIGN_IN_FAILED)
    who = outcome.principal
    throttle.reset(keys[1])
    token = begin_session(request, who.user, accounts.version(who.user) or 0)
    record(services.audit_log, who.user, str(who.role), "sign-in", address)
    return _info(who, token)


@router.post("/logout")
def logout(request: Request, who: Who, accounts: AccountsDep, services: Services) -> dict:
    """Sign out: this ends every session of the account, on every device."""
    if who is not ANONYMOUS:
        accounts.end_sessions(who.user)
        record(services.audit_log, who.user, str(who.role), "sign-out", "")
    end_session(request)
    return {"signed_out": True}
