"""The HTTP layer: JSON endpoints over the Python API, for the web app.

Security:

- **sessions** are signed cookies (Starlette's SessionMiddleware, itsdangerous): `HttpOnly`,
  `SameSite=Lax`, `Secure` unless started with `dev=True`, 8-hour lifetime; the session holds
  the principal and a CSRF token, never data;
- **CSRF**: every request that changes state (POST, PUT, PATCH, DELETE) must send the session's
  token in the `X-CSRF-Token` header (the synchroniser-token pattern, OWASP CSRF Prevention
  Cheat Sheet); `GET /api/session` hands it out;
- **headers**: `Content-Security-Policy: default-src 'none'`, `X-Content-Type-Options`,
  `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, `Cache-Control: no-store`;
- **access** is enforced by the service layer: 401 when signing in would help, 403 when the
  role or scope forbids it (audited), 404 for what does not exist.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from starlette.middleware.sessions import SessionMiddleware

from icsight import __version__
from icsight.api.service import NotFoundError, Service
from icsight.governance.access import ANONYMOUS, AccessDeniedError, Principal, Role
from icsight.governance.accounts import Accounts

SESSION_SECONDS = 8 * 60 * 60
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Login(BaseModel):
    username: str
    password: str


class SessionInfo(BaseModel):
    user: str
    role: str
    practice_code: str | None = None
    pcn_code: str | None = None
    csrf_token: str


def principal(request: Request) -> Principal:
    """The signed-in principal from the session (anonymous: the public role)."""
    data = request.session.get("principal")
    if not data:
        return ANONYMOUS
    return Principal(data["user"], Role(data["role"]), data.get("practice_code"),
                     data.get("pcn_code"))


Who = Annotated[Principal, Depends(principal)]


def create_app(service: Service, accounts: Accounts, secret_key: str,
               dev: bool = False) -> FastAPI:
    """The application. `secret_key` signs session cookies: keep it out of the repository."""
    if len(secret_key) < 32:
        raise ValueError("the session secret must be at least 32 characters")
    app = FastAPI(title="icsight API", version=__version__,
                  description="Population-health indicators and records for BLMK, with "
                              "role-based access.")
    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.method in UNSAFE:
            expected = request.session.get("csrf")
            sent = request.headers.get("x-csrf-token", "")
            if not expected or not secrets.compare_digest(sent, expected):
                return JSONResponse({"detail": "missing or wrong CSRF token: get one from "
                                               "GET /api/session and send it as X-CSRF-Token"},
                                    status_code=403)
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    # Added last so it runs first: the CSRF guard above reads the session it decodes.
    app.add_middleware(SessionMiddleware, secret_key=secret_key, session_cookie="icsight",
                       max_age=SESSION_SECONDS, same_site="lax", https_only=not dev)

    def call(function, *args):
        try:
            return function(*args)
        except AccessDeniedError as e:
            raise HTTPException(status_code=403, detail=str(e)) from None
        except NotFoundError as e:
            raise HTTPException(status_code=404, detail=str(e)) from None

    def signed_in(who: Principal) -> None:
        if who.role == Role.PUBLIC and who.user == ANONYMOUS.user:
            raise HTTPException(status_code=401, detail="sign in first (POST /api/login)")

    @app.get("/api/session", response_model=SessionInfo)
    def session(request: Request, who: Who) -> SessionInfo:
        """Who is signed in (anonymous: the public role), and the CSRF token to send."""
        token = request.session.setdefault("csrf", secrets.token_urlsafe(32))
        return SessionInfo(user=who.user, role=str(who.role), practice_code=who.practice_code,
                           pcn_code=who.pcn_code, csrf_token=token)

    @app.post("/api/login", response_model=SessionInfo)
    def login(body: Login, request: Request) -> SessionInfo:
        """Sign in with a local account; the session (and CSRF token) is renewed."""
        who = accounts.authenticate(body.username, body.password)
        if who is None:
            raise HTTPException(status_code=401, detail="wrong username or password")
        request.session.clear()
        request.session["principal"] = {"user": who.user, "role": str(who.role),
                                        "practice_code": who.practice_code,
                                        "pcn_code": who.pcn_code}
        request.session["csrf"] = secrets.token_urlsafe(32)
        return SessionInfo(user=who.user, role=str(who.role), practice_code=who.practice_code,
                           pcn_code=who.pcn_code, csrf_token=request.session["csrf"])

    @app.post("/api/logout")
    def logout(request: Request) -> dict:
        request.session.clear()
        return {"signed_out": True}

    @app.get("/api/indicators")
    def indicators(who: Who) -> list[dict]:
        """The indicator catalogue."""
        return call(service.catalogue, who)

    @app.get("/api/indicators/{indicator_id}/values")
    def values(who: Who, indicator_id: str, breakdown: str | None = None) -> list[dict]:
        """An indicator's latest values (small-number suppressed unless you are an analyst)."""
        return call(service.indicator_values, who, indicator_id, breakdown)

    @app.get("/api/patients/{patient_id}")
    def patient(who: Who, patient_id: int) -> dict:
        """One patient's pseudonymised record (analysts)."""
        signed_in(who)
        return call(service.patient_record, who, patient_id)

    @app.get("/api/patients/{patient_id}/identifiable")
    def identifiable(who: Who, patient_id: int) -> dict:
        """Who a patient is, for direct care (their own practice's clinicians; audited)."""
        signed_in(who)
        return call(service.identifiable_record, who, patient_id)

    @app.get("/api/practices/{practice_code}/patients")
    def practice_patients(who: Who, practice_code: str) -> list[dict]:
        """The practice's registered patients with identifiers (its clinicians; audited)."""
        signed_in(who)
        return call(service.practice_patients, who, practice_code)

    @app.get("/api/practices/{practice_code}/export.csv", response_class=PlainTextResponse)
    def export(who: Who, practice_code: str) -> str:
        """Download the practice's patient list (its clinicians; audited as an export)."""
        signed_in(who)
        return call(service.identifiable_export, who, practice_code)

    @app.get("/api/extracts/planning/{table}")
    def planning(who: Who, table: str) -> list[dict]:
        """Pseudonymised rows for planning, national data opt-out applied (analysts)."""
        signed_in(who)
        if table not in ("patients", "apc_spells", "ec_attendances", "rtt_pathways"):
            raise HTTPException(status_code=404, detail=f"no planning extract {table!r}")
        return call(service.planning_extract, who, table)

    @app.get("/api/audit")
    def audit(who: Who, last: int = 100) -> list[dict]:
        """The latest audit entries (administrators)."""
        signed_in(who)
        if not 1 <= last <= 10_000:
            raise HTTPException(status_code=422, detail="last must be 1-10,000")
        return call(service.audit_entries, who, last)

    return app


def app_from_environment() -> FastAPI:  # pragma: no cover - used by `icsight serve`
    import os

    service = Service(Path(os.environ["ICSIGHT_LAKE"]), Path(os.environ["ICSIGHT_RESULTS"]),
                      Path(os.environ["ICSIGHT_AUDIT_LOG"]))
    return create_app(service, Accounts(), os.environ["ICSIGHT_SESSION_SECRET"],
                      dev=os.environ.get("ICSIGHT_DEV") == "1")
