"""Hostile input in every address: each GET route of the application, pages and API, with
every path parameter and every query parameter replaced by hostile text, as the public and as
an admin (who may reach every page). Whatever is asked, the answer is a designed page or a
JSON error, never a server error or a stack trace, and nothing asked is sent back unescaped.

The routes are read from the application itself, so a route added later is attacked too.
"""

from __future__ import annotations

import inspect
import re
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from starlette.routing import Route

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.governance import accounts as accounts_module
from tests.accounts import PASSWORD, SECRET, access_results  # noqa: F401  (the fixture)

HOSTILE = (
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "' OR '1'='1",
    "%00",
    "\u202e\u0000nul",
    "x" * 3000,
    "-1",
    "9" * 40,
    "NaN",
    "2026-13-45",
    "..",
    "\U0001f600",
)
#: What an answer to a hostile address may be: a page or a refusal, never a 500.
ALLOWED = {200, 303, 400, 401, 403, 404, 405, 413, 414, 422, 503}
#: and a form may also say "too many tries, wait" (sign-in is throttled)
FORM_ALLOWED = ALLOWED | {429}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"/|site-packages")


def _query_names(dependant) -> list[str]:
    """The query parameters of a route and of every dependency it has (paging, format)."""
    if dependant is None:
        return []
    names = [p.name for p in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_names(sub)
    return names


def _routes(app, method: str) -> list[tuple[str, Route]]:
    """(full path template, route) of every route answering `method`, from the app itself
    (routers included in routers, each with its prefix)."""
    found = []

    def walk(routes, prefix: str = "") -> None:
        for route in routes:
            if hasattr(route, "original_router"):
                walk(route.original_router.routes,
                     prefix + (getattr(route.include_context, "prefix", "") or ""))
            elif isinstance(route, Route) and method in (route.methods or ()):
                found.append((prefix + route.path, route))

    walk(app.router.routes)
    return found


def _get_routes(app) -> list[tuple[str, list[str]]]:
    """(path template, query parameter names) of every GET route."""
    found = []
    for path, route in _routes(app, "GET"):
        query = _query_names(getattr(route, "dependant", None))
        # a view reading request.query_params itself: its names from its source
        source = inspect.getsource(route.endpoint) if route.endpoint else ""
        query += re.findall(r"query_params\.get\(\"(\w+)\"", source)
        found.append((path, sorted(set(query))))
    return found


@pytest.fixture(scope="module")
def site(access_results, tmp_path_factory):  # noqa: F811
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts_module, "_hasher", cheap)
        patch.setattr(accounts_module, "_DUMMY", cheap.hash("icsight-timing-equaliser"))
        tmp = tmp_path_factory.mktemp("hostile")
        accounts = Accounts(f"sqlite:///{tmp / 'app.db'}")
        accounts.add("adm", PASSWORD, "admin")
        app = create_app(access_results["service"], accounts, SECRET)
        public = TestClient(app, base_url="https://testserver")
        admin = TestClient(app, base_url="https://testserver")
        token = admin.get("/api/v1/session").json()["csrf_token"]
        signed = admin.post("/api/v1/login", json={"username": "adm", "password": PASSWORD},
                            headers={"X-CSRF-Token": token})
        assert signed.status_code == 200, signed.text
        yield {"app": app, "clients": {"public": public, "admin": admin},
               "fixture": access_results}


def _good(template: str, name: str, fixture: dict) -> str:
    """A real value of path parameter `name` of `template` in the test build, so that the
    query parameters are attacked on a page that exists."""
    values = {"programme_id": "ltc", "indicator_id": "CVDP007HYP", "metric_id": "CVDP007HYP",
              "name": "luton", "patient_id": str(fixture["own"]),
              "practice_code": fixture["mine"], "table_name": "patients"}
    if name == "code":
        return "U74819" if template.startswith("/pcns") else fixture["mine"]
    return values.get(name, "CVDP007HYP")


def _addresses(template: str, query: list[str], fixture: dict) -> list[str]:
    """The route's address with each path parameter, then each query parameter, hostile."""
    names = re.findall(r"{(\w+)(?::\w+)?}", template)
    plain = template
    for name in names:
        plain = re.sub(r"{" + name + r"(?::\w+)?}", _good(template, name, fixture), plain)
    out = []
    for value in HOSTILE:
        for name in names:
            path = template
            for other in names:
                fill = (quote(value, safe="") if other == name
                        else _good(template, other, fixture))
                path = re.sub(r"{" + other + r"(?::\w+)?}", fill, path)
            out.append(path)
        for name in query:
            out.append(f"{plain}?{name}={quote(value, safe='')}")
    # a parameter no route reads, and a query string that is not name=value, are ignored
    # alike by every route: a few values of each are enough
    for value in HOSTILE[:3]:
        out += [f"{plain}?unexpected={quote(value, safe='')}", f"{plain}?{quote(value, safe='')}"]
    return out


def test_every_get_route_is_attacked(site):
    """The sweep below covers pages and API alike (a route missing here is a test bug)."""
    paths = {path for path, _ in _get_routes(site["app"])}
    for expected in ("/", "/indicators/{indicator_id}", "/search", "/admin",
                     "/api/v1/indicators/{indicator_id}/values",
                     "/programmes/{programme_id}/report.pdf", "/api/v1/docs"):
        assert expected in paths, expected
    queries = dict(_get_routes(site["app"]))
    assert "q" in queries["/search"] and "period" in queries[
        "/programmes/{programme_id}/report.pdf"]
    assert {"limit", "offset", "format"} <= set(
        queries["/api/v1/indicators/{indicator_id}/values"])


@pytest.mark.parametrize("who", ["public", "admin"])
def test_hostile_addresses_get_a_designed_answer_never_a_crash(site, who):
    client = site["clients"][who]
    problems = []
    for template, query in _get_routes(site["app"]):
        if template.endswith("/openapi.json"):
            continue
        for address in _addresses(template, query, site["fixture"]):
            answer = client.get(address, follow_redirects=False)
            body = answer.text if "pdf" not in answer.headers.get("content-type", "") else ""
            if answer.status_code not in ALLOWED:
                problems.append(f"{address[:120]}: HTTP {answer.status_code}")
            elif TRACEBACK.search(body):
                problems.append(f"{address[:120]}: a stack trace in the answer")
            elif "<script>alert(1)</script>" in body:
                problems.append(f"{address[:120]}: hostile markup sent back unescaped")
            elif answer.status_code >= 400 and "text/html" in answer.headers.get(
                    "content-type", "") and "<h1" not in body:
                problems.append(f"{address[:120]}: an error that is not a designed page")
    assert not problems, "\n".join(problems[:40])


#: Each form of the pages and the fields it reads (a new form must be added here: the test
#: below fails on a POST route it does not know). Signing out is left out: it would end the
#: session the sweep runs in (tests/test_web_account.py covers it).
FORMS = {
    "/sign-in": ("username", "password", "next"),
    "/programmes/{programme_id}/commentary": ("metric", "period", "text"),
    "/admin/accounts": ("user", "password", "role", "practice", "pcn"),
    "/admin/accounts/disable": ("user",),
    "/admin/accounts/enable": ("user",),
    "/admin/accounts/role": ("user", "role", "practice", "pcn"),
    "/saved-views": ("name", "path"),
    "/saved-views/delete": ("name",),
    "/worklists/{practice_code}/{list_id}/follow-up": ("patient", "outcome", "date", "sort",
                                                       "status", "page", "core20"),
}
#: POST routes that are not forms: signing out has no fields; the API's take JSON, attacked
#: by the schema-driven tests (tests/test_api_schemathesis.py).
LEFT_OUT = {"/sign-out", "/api/v1/login", "/api/v1/logout",
            "/api/v1/practices/{practice_code}/worklists/{list_id}/follow-ups"}


def _post_routes(app) -> set[str]:
    return {path for path, _ in _routes(app, "POST")}


def test_every_form_is_attacked(site):
    assert _post_routes(site["app"]) == set(FORMS) | LEFT_OUT


def test_hostile_form_fields_get_a_designed_answer_never_a_crash(site):
    """Each field of each form hostile in turn (the others sensible), with a valid CSRF
    token, as an admin (who may send every form)."""
    client = site["clients"]["admin"]
    token = client.get("/api/v1/session").json()["csrf_token"]
    sensible = {"username": "nobody", "password": "a sensible long passphrase 1",
                "next": "/", "metric": "CVDP007HYP", "period": "2024-01",
                "text": "On track.", "user": "someone-new", "role": "analyst",
                "practice": "", "pcn": "", "name": "A view", "path": "/programmes",
                "patient": "9000000009", "outcome": "invited", "date": "2025-04-02",
                "sort": "priority", "status": "all", "page": "1", "core20": ""}
    problems = []
    for template, fields in FORMS.items():
        path = template.replace("{programme_id}", "ltc").replace(
            "{practice_code}", site["fixture"]["mine"]).replace("{list_id}", "hypertension-no-bp")
        for field in fields:
            for value in HOSTILE:
                form = {name: sensible[name] for name in fields} | {field: value,
                                                                    "csrf_token": token}
                answer = client.post(path, data=form, follow_redirects=False)
                where = f"{path} {field}={value[:30]!r}"
                if answer.status_code not in FORM_ALLOWED:
                    problems.append(f"{where}: HTTP {answer.status_code}")
                elif TRACEBACK.search(answer.text):
                    problems.append(f"{where}: a stack trace in the answer")
                elif "<script>alert(1)</script>" in answer.text:
                    problems.append(f"{where}: hostile markup sent back unescaped")
    assert not problems, "\n".join(problems[:40])
    # the sweep ran signed in throughout (no form signed the admin out)
    assert client.get("/api/v1/session").json()["role"] == "admin"
