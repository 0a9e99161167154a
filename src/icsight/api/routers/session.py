"""Signing in and out, and the CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from icsight.api.deps import AccountsDep
from icsight.api.security import Who, new_csrf_token
from icsight.governance.access import Principal

router = APIRouter(prefix="/api")


class Login(BaseModel):
    username: str
    password: str


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
def login(body: Login, request: Request, accounts: AccountsDep) -> SessionInfo:
    """Sign in with a local account; the session (and CSRF token) is renewed."""
    who = accounts.authenticate(body.username, body.password)
    if who is None:
        raise HTTPException(status_code=401, detail="wrong username or password")
    request.session.clear()  # a new session on sign-in: no fixation
    request.session["principal"] = {"user": who.user, "role": str(who.role),
                                    "practice_code": who.practice_code,
                                    "pcn_code": who.pcn_code}
    request.session["csrf"] = new_csrf_token()
    return _info(who, request.session["csrf"])


@router.post("/logout")
def logout(request: Request) -> dict:
    request.session.clear()
    return {"signed_out": True}
