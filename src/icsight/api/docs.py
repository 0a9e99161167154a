"""The API's reference page at /api/v1/docs, written on the server from the OpenAPI document.

FastAPI's own pages (Swagger UI, ReDoc) load their scripts and styles from a CDN, which the
application must not do (it works offline, and every response forbids other sources in its
Content-Security-Policy). This page is plain HTML, with no script or style: each operation,
its parameters and its answers, with the machine-readable document at /api/v1/openapi.json.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

__all__ = ["API", "router"]

API = "/api/v1"
router = APIRouter(include_in_schema=False)


@router.get(f"{API}/docs", response_class=HTMLResponse)
def reference(request: Request) -> HTMLResponse:
    """Every operation of the API, from its OpenAPI document."""
    return HTMLResponse(render(request.app.openapi()))


def render(schema: dict) -> str:
    """The OpenAPI document `schema` as an HTML page (every text escaped)."""
    info = schema.get("info", {})
    parts = [f"<h1>{escape(info.get('title', 'API'))} {escape(info.get('version', ''))}</h1>",
             f"<p>{escape(info.get('description', ''))}</p>",
             f'<p>Machine-readable: <a href="{API}/openapi.json">{API}/openapi.json</a> '
             "(OpenAPI 3). Tables take <code>?limit=</code>, <code>?offset=</code> and "
             "<code>?format=csv</code>.</p>"]
    models = schema.get("components", {}).get("schemas", {})
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            parts.append(_operation(method, path, operation, models))
    body = "\n".join(parts)
    return ('<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(info.get('title', 'API'))} reference</title></head>"
            f"<body><main>\n{body}\n</main></body></html>\n")


def _operation(method: str, path: str, operation: dict, models: dict) -> str:
    heading = f"<h2><code>{escape(method.upper())} {escape(path)}</code></h2>"
    summary = escape(operation.get("description") or operation.get("summary") or "")
    rows = [f"<tr><td><code>{escape(p.get('name', ''))}</code></td>"
            f"<td>{escape(p.get('in', ''))}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td>{escape(p.get('description', ''))}</td></tr>"
            for p in operation.get("parameters", [])]
    rows += [f"<tr><td><code>{escape(name)}</code></td><td>JSON body</td>"
             f"<td>{'yes' if required else 'no'}</td><td>{escape(kind)}</td></tr>"
             for name, required, kind in _body_fields(operation, models)]
    table = ("<table><caption>Parameters</caption><thead><tr><th scope=\"col\">name</th>"
             "<th scope=\"col\">in</th><th scope=\"col\">required</th>"
             "<th scope=\"col\">meaning</th></tr></thead><tbody>" + "".join(rows)
             + "</tbody></table>") if rows else "<p>No parameters.</p>"
    answers = ", ".join(f"{escape(code)} {escape(r.get('description', ''))}"
                        for code, r in operation.get("responses", {}).items())
    return f"<section>{heading}<p>{summary}</p>{table}<p>Answers: {answers}</p></section>"


def _body_fields(operation: dict, models: dict) -> list[tuple[str, bool, str]]:
    """(name, required, type) of each field of the operation's JSON body, if it has one."""
    content = operation.get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    model = models.get(ref.rsplit("/", 1)[-1], {})
    required = set(model.get("required", ()))
    return [(name, name in required, str(field.get("type", "")))
            for name, field in model.get("properties", {}).items()]
