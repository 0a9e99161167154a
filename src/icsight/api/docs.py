"""The API's reference page at /api/v1/docs, written on the server from the OpenAPI document.

FastAPI's own pages (Swagger UI, ReDoc) load their scripts and styles from a CDN, which the
application must not do (it works offline, and every response forbids other sources in its
Content-Security-Policy). This page is one of the site's own pages instead (the NHS.UK header,
navigation and footer, served from this server): each operation, its parameters and its
answers, with the machine-readable document at /api/v1/openapi.json.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.web.views.cache import kept_page
from icsight.web.views.render import render as render_page

__all__ = ["API", "operations", "router"]

API = "/api/v1"
router = APIRouter(include_in_schema=False)


@router.get(f"{API}/docs", response_class=HTMLResponse)
@kept_page  # the same until the application changes; kept per build like the other pages
def reference(request: Request) -> HTMLResponse:
    """Every operation of the API, from its OpenAPI document."""
    schema = request.app.openapi()
    info = schema.get("info", {})
    return render_page(request, "api_reference.jinja", {
        "title": f"{info.get('title', 'API')} reference",
        "heading": f"{info.get('title', 'API')} {info.get('version', '')}".strip(),
        "description": info.get("description", ""), "openapi": f"{API}/openapi.json",
        "operations": operations(schema)})


def operations(schema: dict) -> list[dict]:
    """Each operation of the OpenAPI document `schema`: method, path, what it does, its
    parameters (query, path and JSON body fields) and its answers, in the document's order.
    The template escapes every text."""
    models = schema.get("components", {}).get("schemas", {})
    out = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            parameters = [(p.get("name", ""), p.get("in", ""), bool(p.get("required")),
                           p.get("description", ""))
                          for p in operation.get("parameters", [])]
            parameters += [(name, "JSON body", required, kind)
                           for name, required, kind in _body_fields(operation, models)]
            out.append({
                "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                "method": method.upper(), "path": path,
                "summary": operation.get("description") or operation.get("summary") or "",
                "parameters": parameters,
                "answers": [(code, r.get("description", ""))
                            for code, r in operation.get("responses", {}).items()]})
    return out


def _body_fields(operation: dict, models: dict) -> list[tuple[str, bool, str]]:
    """(name, required, type) of each field of the operation's JSON body, if it has one."""
    content = operation.get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    model = models.get(ref.rsplit("/", 1)[-1], {})
    required = set(model.get("required", ()))
    return [(name, name in required, str(field.get("type", "")))
            for name, field in model.get("properties", {}).items()]
