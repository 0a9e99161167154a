"""Mounting the pages on the application: the router, the static files and the 404 page."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from icsight.web.views import (
    account,
    admin,
    commentary,
    data_quality,
    inequalities,
    pages,
    planning,
    profiles,
    provider_benchmarks,
    reports,
    saved,
    search,
    strategy,
    waiting_lists,
    worklists,
)
from icsight.web.views.cache import PageCache
from icsight.web.views.render import render

__all__ = ["STATIC", "install"]

STATIC = Path(__file__).resolve().parent.parent / "static"


def install(app: FastAPI, api_prefix: str = "/api/") -> None:
    """Mount the pages at `/` and the static files at `/static` on `app`; a path outside
    `api_prefix` that does not exist gets the designed 404 page (the API keeps its JSON)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.page_cache = PageCache()
    app.include_router(pages.router)
    app.include_router(inequalities.router)
    for view in (strategy, profiles, search, account, commentary, data_quality, admin,
                 saved, worklists, provider_benchmarks, waiting_lists, planning):
        app.include_router(view.router)
    app.include_router(reports.router)  # board paper downloads

    async def not_found(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and not request.url.path.startswith(api_prefix):
            return render(request, "not_found.jinja", {"title": "Page not found"}, 404)
        return await http_exception_handler(request, error)

    app.add_exception_handler(StarletteHTTPException, not_found)
