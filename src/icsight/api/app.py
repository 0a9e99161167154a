"""The HTTP application: the JSON and CSV API under /api/v1 over the services, its reference
at /api/v1/docs (the OpenAPI document at /api/v1/openapi.json), and the web pages at `/`
(`icsight.web`, with the same sessions, access rules and suppression).

Access is enforced by the services (`icsight.services`); this layer signs people in
(`routers.session`), guards sessions (`security`) and turns the services' answers into HTTP:
401 when signing in would help, 403 when the role or scope forbids it (both audited), 404 for
what does not exist, and a generic 500 (no exception text or path) for anything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from icsight import __version__
from icsight.api import docs, security
from icsight.api.docs import API
from icsight.api.routers import ALL
from icsight.governance.access import AccessDeniedError
from icsight.governance.accounts import AccountStore
from icsight.services import NotFoundError, Service
from icsight.settings import get as setting
from icsight.web import install as install_pages

__all__ = ["app_from_environment", "create_app"]

#: Service errors as HTTP statuses.
STATUS = {AccessDeniedError: 403, NotFoundError: 404}


def create_app(service: Service, accounts: AccountStore, secret_key: str,
               dev: bool = False, clock: Callable[[], float] = time.time) -> FastAPI:
    """The application. `secret_key` signs session cookies: keep it out of the repository.
    `clock` (seconds since the epoch) times sessions and throttles; tests replace it."""
    app = FastAPI(title="icsight API", version=__version__,
                  description="Population-health indicators and records for BLMK, with "
                              "role-based access.",
                  openapi_url=f"{API}/openapi.json", docs_url=None, redoc_url=None)
    security.install(app, secret_key, dev, clock)
    app.state.services, app.state.accounts = service, accounts
    service.use_database(getattr(accounts, "database", None))
    for error in STATUS:
        app.add_exception_handler(error, _as_status)
    api = APIRouter(prefix=API)  # one prefix: a later version can sit beside this one
    for router in ALL:
        api.include_router(router)
    app.include_router(api)
    app.include_router(docs.router)
    install_pages(app)
    return app


async def _as_status(request: Request, error: Exception) -> JSONResponse:
    status = next(code for kind, code in STATUS.items() if isinstance(error, kind))
    return JSONResponse({"detail": str(error)}, status_code=status,
                        headers=security.SECURITY_HEADERS)


def app_from_environment() -> FastAPI:  # pragma: no cover - for `uvicorn --factory`
    """The application for the lake, results, audit log and application database named by
    `ICSIGHT_*` settings (the database is migrated first)."""
    from icsight.appdb import Accounts

    lake, results = setting("ICSIGHT_LAKE"), setting("ICSIGHT_RESULTS")
    secret = setting("ICSIGHT_SESSION_SECRET")
    if not (lake and results and secret):
        raise RuntimeError("set ICSIGHT_LAKE, ICSIGHT_RESULTS and ICSIGHT_SESSION_SECRET")
    service = Service(lake, results, setting("ICSIGHT_AUDIT_LOG"))
    return create_app(service, Accounts(), secret, dev=setting("ICSIGHT_DEV") == "1")
