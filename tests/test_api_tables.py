"""The API under /api/v1: its reference page, and every table paged and served as JSON or CSV
with the same rows, the same suppression and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.api.tables import MAX_LIMIT, as_csv
from icsight.appdb import Accounts
from icsight.governance.access import Principal, Role
from tests.accounts import PASSWORD, SECRET
from tests.sessions import signed_in_client

VALUES = "/api/v1/indicators/CVDP007HYP/values"
#: Every table endpoint, and who may read it (filled with the fixture's practice).
TABLES = {"/api/v1/indicators": "pub", VALUES: "pub", "/api/v1/audit": "adm",
          "/api/v1/extracts/planning/patients": "ana",
          "/api/v1/practices/{mine}/patients": "cli"}


@pytest.fixture(scope="module")
def api(access_results, tmp_path_factory):
    """The app over the test lake, with one account per role (SQLite: the database is not
    what these tests are about)."""
    folder = tmp_path_factory.mktemp("api-tables")
    accounts = Accounts(f"sqlite:///{folder / 'icsight.db'}")
    for user, role in (("ana", "analyst"), ("adm", "admin"), ("pub", "public")):
        accounts.add(user, PASSWORD, role)
    accounts.add("cli", PASSWORD, "clinician", practice_code=access_results["mine"])
    app = create_app(access_results["service"], accounts, SECRET)
    clients = {user: signed_in_client(app, user) for user in ("ana", "adm", "pub", "cli")}
    return {**access_results, "app": app, "as": clients}


def _parse(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _as_text(value: object) -> str:
    """A JSON value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, str) else repr(value)


def _neutralised(text: str) -> str:
    return "'" + text if text[:1] and text[:1] in "=+-@" else text


# --- where things are ------------------------------------------------------------------------

def test_every_operation_is_under_api_v1_and_the_old_paths_are_gone(api):
    client = api["as"]["pub"]
    schema = client.get("/api/v1/openapi.json").json()
    assert len(schema["paths"]) >= 10
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    for old in ("/api/indicators", "/api/session", "/openapi.json", "/docs"):
        assert client.get(old).status_code == 404, old
    assert client.get("/api/v1/indicators").status_code == 200


def test_the_reference_page_lists_every_operation_and_loads_nothing_from_elsewhere(api):
    client = api["as"]["pub"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for path in client.get("/api/v1/openapi.json").json()["paths"]:
        assert path in page.text, path
    html = re.sub(r"\s+", " ", page.text)
    login = html[html.index('id="post--api-v1-login"'):]
    login = login[:login.index("</section>")]
    # the sign-in body's fields, each required, read from the rendered table
    for field in ("username", "password"):
        assert re.search(rf"<code>{field}</code>.*?JSON body.*?yes", login), field
    assert 'class="nhsuk-header' in html  # a page of the site, with its header
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # no other host
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    home = client.get("/", follow_redirects=False)  # the web pages' overview, no redirect
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert 'href="/api/v1/docs"' in home.text


# --- CSV and JSON ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", list(TABLES))
def test_every_table_is_the_same_rows_as_csv_and_json(api, path):
    client = api["as"][TABLES[path]]
    url = path.format(mine=api["mine"])
    page = client.get(url, params={"limit": 50})
    assert page.status_code == 200, page.text
    rows = page.json()["rows"]
    got = client.get(url, params={"limit": 50, "format": "csv"})
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.headers["content-disposition"].startswith("attachment; filename=")
    assert got.text.endswith("\r\n")
    parsed = _parse(got.text)
    assert rows and len(parsed) == len(rows)
    for row, line in zip(rows, parsed, strict=True):
        expected = {k: _as_text(v) for k, v in row.items()
                    if not isinstance(v, dict | list)}
        assert {k: line[k] for k in expected} == {k: _neutralised(v)
                                                   for k, v in expected.items()}


def test_csv_is_suppressed_exactly_as_json_for_the_public(api):
    client = api["as"]["pub"]
    params = {"breakdown": "practice", "limit": MAX_LIMIT}
    small = "/api/v1/indicators/LD_PREVALENCE/values"  # about 3 people a practice
    rows = client.get(small, params=params).json()["rows"]
    parsed = _parse(client.get(small, params=params | {"format": "csv"}).text)
    withheld = [i for i, row in enumerate(rows) if row["suppressed"]]
    assert withheld, "the test lake should have some small practice counts"
    for i in withheld:  # a withheld count is an empty cell, not the count
        assert rows[i]["numerator"] is None and parsed[i]["numerator"] == ""
        assert parsed[i]["suppressed"] == "true"
    shown = [float(r["numerator"]) for r in parsed if r["numerator"]]
    assert shown and all(n == 0 or (n >= 8 and n % 5 == 0) for n in shown)
    exact = _parse(api["as"]["ana"].get(small, params=params | {"format": "csv"}).text)
    assert "suppressed" not in exact[0] and len(exact) == len(parsed)  # analysts: exact


def test_the_accept_header_chooses_csv_unless_format_says_otherwise(api):
    client = api["as"]["pub"]

    def kind(params: dict | None = None, accept: str | None = None) -> str:
        headers = {"Accept": accept} if accept else {}
        got = client.get("/api/v1/indicators", params=params, headers=headers)
        assert got.status_code == 200
        return got.headers["content-type"].split(";")[0]

    assert kind() == "application/json"
    assert kind(accept="text/csv") == "text/csv"
    assert kind(accept="application/json, text/csv") == "application/json"
    assert kind(accept="application/json;q=0.5, text/csv") == "text/csv"
    assert kind(accept="text/csv;q=0, application/json;q=0.1") == "application/json"
    assert kind(accept="text/csv;q=nonsense") == "application/json"
    assert kind({"format": "json"}, accept="text/csv") == "application/json"
    assert kind({"format": "csv"}, accept="application/json") == "text/csv"


def test_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_are_not():
    hostile = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
               "  =1", "\n+1"]
    rows = [{"name": text, "value": -0.4, "count": -3, "flag": False, "missing": None,
             "nested": {"a": "=1"}} for text in hostile]
    parsed = _parse(as_csv(rows))
    assert [line["name"] for line in parsed] == ["'" + text for text in hostile]
    assert {line["value"] for line in parsed} == {"-0.4"}
    assert {line["count"] for line in parsed} == {"-3"}
    assert {line["flag"] for line in parsed} == {"false"}
    assert {line["missing"] for line in parsed} == {""}
    assert {line["nested"] for line in parsed} == {'{"a": "=1"}'}
    header = _parse(as_csv([{"=cmd": 1}]))[0]
    assert list(header) == ["'=cmd"]  # a header cell is a cell too
    assert as_csv([], ["a", "b"]) == "a,b\r\n"  # an empty page still says its columns


def test_a_name_an_attacker_typed_reaches_the_audit_csv_harmless(api):
    attacker = TestClient(api["app"], base_url="https://testserver")
    token = attacker.get("/api/v1/session").json()["csrf_token"]
    name = "=cmd|' /C calc'!A0"
    r = attacker.post("/api/v1/login", json={"username": name, "password": "x" * 12},
                      headers={"X-CSRF-Token": token})
    assert r.status_code == 401  # the failure is audited under the name tried
    got = api["as"]["adm"].get("/api/v1/audit", params={"format": "csv", "last": 10_000,
                                                        "limit": MAX_LIMIT})
    actors = [line["actor"] for line in _parse(got.text)]
    assert "'" + name in actors and name not in actors


def test_a_practice_list_as_csv_is_audited_as_an_export(api):
    client, practice = api["as"]["cli"], api["mine"]
    log = api["service"].audit_log

    def actions() -> list[str]:
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        return [e["action"] for e in entries
                if e["actor"] == "cli" and e["resource"] == f"practice {practice}"]

    before = actions()
    assert client.get(f"/api/v1/practices/{practice}/patients").status_code == 200
    assert actions()[len(before):] == ["records.identifiable.list"]
    got = client.get(f"/api/v1/practices/{practice}/patients", headers={"Accept": "text/csv"})
    assert got.status_code == 200 and "nhs_number" in got.text.splitlines()[0]
    assert actions()[len(before) + 1:] == ["records.identifiable.export"]
    assert "patient_id" not in got.text.splitlines()[0]  # no pseudonym beside the NHS number


# --- paging ----------------------------------------------------------------------------------

def test_following_next_links_reads_every_row_once(api):
    client = api["as"]["pub"]
    whole = client.get(VALUES, params={"limit": MAX_LIMIT}).json()
    assert whole["total"] == len(whole["rows"]) > 7 and whole["next"] is None
    url, seen, pages = f"{VALUES}?limit=3", [], 0
    while url:
        page = client.get(url).json()
        assert page["total"] == whole["total"] and len(page["rows"]) <= 3
        seen += page["rows"]
        pages += 1
        assert (page["previous"] is None) == (pages == 1)
        url = page["next"]
        assert url is None or url.startswith("/api/v1/")  # relative: no Host header in it
    assert seen == whole["rows"] and pages == -(-whole["total"] // 3)
    past = client.get(VALUES, params={"offset": whole["total"] + 5}).json()
    assert past["rows"] == [] and past["next"] is None and past["total"] == whole["total"]
    header = client.get(VALUES, params={"format": "csv", "limit": 1}).text.splitlines()[0]
    empty = client.get(VALUES, params={"format": "csv", "offset": whole["total"]})
    assert empty.text == header + "\r\n"  # past the end: the header alone


def test_a_csv_page_links_to_the_next_in_a_link_header(api):
    client = api["as"]["pub"]
    first = client.get(VALUES, params={"format": "csv", "limit": 4})
    total = int(first.headers["x-total-count"])
    assert total > 4 and len(_parse(first.text)) == 4
    assert _links(first.headers["link"]) == {
        "next": (VALUES, {"format": ["csv"], "limit": ["4"], "offset": ["4"]})}
    last = client.get(VALUES, params={"format": "csv", "limit": 4, "offset": total - 1})
    assert len(_parse(last.text)) == 1
    assert _links(last.headers["link"]) == {
        "prev": (VALUES, {"format": ["csv"], "limit": ["4"], "offset": [str(total - 5)]})}
    middle = client.get(VALUES, params={"format": "csv", "limit": 4, "offset": 4})
    assert set(_links(middle.headers["link"])) == {"next", "prev"}


def _links(header: str) -> dict[str, tuple[str, dict]]:
    """A Link header (RFC 8288) as {rel: (path, query)}."""
    found = re.findall(r'<([^>]*)>; rel="([a-z]+)"', header)
    assert ", ".join(f'<{url}>; rel="{rel}"' for url, rel in found) == header
    return {rel: (urlsplit(url).path, parse_qs(urlsplit(url).query)) for url, rel in found}


def test_planning_pages_cover_the_extract_once_in_key_order(api):
    client, service = api["as"]["ana"], api["service"]
    analyst = Principal("ana", Role.ANALYST)
    everyone = {row["patient_id"] for row in service.planning_extract(analyst, "patients")}
    first = client.get("/api/v1/extracts/planning/patients", params={"limit": 1}).json()
    size = MAX_LIMIT
    assert first["total"] > 2 * size  # three pages or more
    ids: list[int] = []
    for offset in range(0, first["total"], size):
        page = client.get("/api/v1/extracts/planning/patients",
                          params={"limit": size, "offset": offset}).json()
        ids += [row["patient_id"] for row in page["rows"]]
    assert first["total"] == len(everyone) == len(ids) and set(ids) == everyone
    assert ids == sorted(ids)  # pages in the table's key order: no overlap, no gap
    empty = client.get("/api/v1/extracts/planning/patients",
                       params={"offset": first["total"], "format": "csv"})
    assert empty.text.splitlines() == [empty.text.splitlines()[0]]  # the header alone
    assert "patient_id" in empty.text


@pytest.mark.parametrize(("name", "value"), [
    ("limit", "-1"), ("limit", "0"), ("limit", str(MAX_LIMIT + 1)), ("limit", "1" + "0" * 30),
    ("limit", "9" * 5000), ("limit", "ten"), ("limit", "1.5"), ("limit", ""),
    ("offset", "-1"), ("offset", "1" + "0" * 30), ("offset", "NaN"), ("offset", "0x10"),
    ("format", "xml"), ("format", "CSV;DROP"),
])
@pytest.mark.parametrize("path", ["/api/v1/indicators", "/api/v1/extracts/planning/patients"])
def test_a_hostile_page_or_format_is_a_422_naming_the_parameter(api, path, name, value):
    got = api["as"]["ana"].get(path, params={name: value})
    assert got.status_code == 422, got.text
    [problem] = got.json()["detail"]
    assert problem["loc"] == ["query", name]
    if len(value) > 4:  # what was sent is not echoed back (short ones could be by chance)
        assert value not in got.text


@pytest.mark.parametrize("value", ["0", "-5", "10001", "many", "1e3"])
def test_a_hostile_audit_window_is_a_422_naming_last(api, value):
    got = api["as"]["adm"].get("/api/v1/audit", params={"last": value})
    assert got.status_code == 422 and got.json()["detail"][0]["loc"] == ["query", "last"]
    assert api["as"]["adm"].get("/api/v1/audit", params={"last": 3}).json()["total"] == 3


def test_the_reference_page_escapes_what_the_openapi_document_says():
    """Every text of the document is escaped: a name or description with markup in it is
    shown as text, never run (the document is made from the code, but a route's docstring
    is free text)."""
    from icsight.api.docs import operations
    from icsight.web.views.render import ENVIRONMENT

    schema = {"paths": {"/api/v1/x": {"get": {
        "description": "<script>alert(1)</script>",
        "parameters": [{"name": "<b>q</b>", "in": "query", "required": True,
                        "description": "<img src=x onerror=alert(1)>"}],
        "responses": {"200": {"description": "<i>ok</i>"}}}}}}
    ops = operations(schema)
    assert ops[0]["parameters"] == [("<b>q</b>", "query", True, "<img src=x onerror=alert(1)>")]
    html = ENVIRONMENT.get_template("api_reference.jinja").render(
        operations=ops, heading="icsight API", navigation=[], assets="", assetPath="")
    for raw in ("<script>alert", "<b>q</b>", "<img src=x", "<i>ok</i>"):
        assert raw not in html, raw
    assert "<code>&lt;b&gt;q&lt;/b&gt;</code>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
