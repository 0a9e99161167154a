"""The admin page, `/admin`: admins only (the public is asked to sign in, every other role is
refused, both audited); accounts added, disabled, enabled and given new roles through forms
with the session's CSRF token, each change audited and a disabled account's sessions ended
at once; the audit log, newest first and paged, under `icsight audit verify`'s verdict."""

from __future__ import annotations

import json

import pytest

from icsight.api.app import create_app
from icsight.governance.audit import verify
from icsight.services import Service
from tests.accounts import PASSWORD, SECRET
from tests.test_web_pages import Page, _assert_designed_page
from tests.web_forms import audit_entries, client, form_token, sign_in, signed_in, who_is


@pytest.fixture
def admin(world) -> dict:
    """`world` with an admin and a public account, and the admin's browser."""
    world["accounts"].add("adm", PASSWORD, "admin")
    world["accounts"].add("pub", PASSWORD, "public")
    return world | {"browser": signed_in(world["app"], "adm")}


def _post(browser, path: str, **fields):
    token = form_token(browser.get("/admin").text)
    return browser.post(path, data={"csrf_token": token, **fields})


def test_only_admins_see_the_admin_page(admin):
    app = admin["app"]
    public = client(app).get("/admin")
    assert public.status_code == 401
    _assert_designed_page(public)
    assert 'href="/sign-in?next=/admin"' in public.text
    for user in ("gp", "ana", "pub"):
        response = signed_in(app, user).get("/admin")
        assert response.status_code == 403, user
        _assert_designed_page(response)
        assert 'href="/admin"' not in response.text  # not offered in their navigation
    response = admin["browser"].get("/admin")
    assert response.status_code == 200
    assert 'class="nhsuk-header__navigation-link" href="/admin"' in response.text
    page = _assert_designed_page(response)
    accounts = page.table("Local accounts")
    assert [row[0] for row in accounts["rows"][1:]] == ["adm", "ana", "gp", "pub"]
    assert [row[1] for row in accounts["rows"][1:]] == ["admin", "analyst", "clinician",
                                                          "public"]
    denied = {e["actor"] for e in audit_entries(admin["audit"])
              if e["action"] == "DENIED accounts.manage"}
    assert {"anonymous", "gp", "ana", "pub"} <= denied


def test_disabling_ends_the_accounts_sessions_at_once_and_enabling_lets_it_back(admin):
    app, browser = admin["app"], admin["browser"]
    gp = signed_in(app, "gp")
    assert who_is(gp) == "gp"
    response = _post(browser, "/admin/accounts/disable", user="gp")
    assert response.status_code == 303
    assert who_is(gp) == "anonymous"  # the session already open has ended
    assert sign_in(app, "gp")[1].status_code == 401  # and no new one starts
    shown = Page(browser.get(response.headers["location"]).text)
    assert [r[3] for r in shown.table("Local accounts")["rows"] if r[0] == "gp"] == ["Disabled"]
    assert _post(browser, "/admin/accounts/enable", user="gp").status_code == 303
    assert sign_in(app, "gp")[1].status_code == 303
    actions = [(e["actor"], e["action"], e["resource"]) for e in audit_entries(admin["audit"])]
    assert ("adm", "accounts.disable", "account gp") in actions
    assert ("adm", "accounts.enable", "account gp") in actions


def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(admin):
    browser = admin["browser"]
    response = browser.post("/admin/accounts/disable", data={"user": "ana"})
    assert response.status_code == 403
    response = browser.post("/admin/accounts", data={"user": "eve", "password": PASSWORD,
                                                     "role": "admin"})
    assert response.status_code == 403
    users = {a["user"]: a for a in admin["accounts"].list()}
    assert "eve" not in users and not users["ana"]["disabled"]


def test_only_an_admin_can_change_accounts_even_with_a_valid_token(admin):
    analyst = signed_in(admin["app"], "ana")
    token = form_token(analyst.get("/sign-out").text)  # the sign-out form's token
    response = analyst.post("/admin/accounts", data={"csrf_token": token, "user": "eve",
                                                     "password": PASSWORD, "role": "admin"})
    assert response.status_code == 403
    assert "eve" not in {a["user"] for a in admin["accounts"].list()}


def test_adding_an_account_lets_it_sign_in_and_bad_input_is_named(admin):
    browser, app = admin["browser"], admin["app"]
    response = _post(browser, "/admin/accounts", user="new.analyst@nhs.net",
                     password=PASSWORD, role="analyst", practice="", pcn="")
    assert response.status_code == 303
    assert who_is(signed_in(app, "new.analyst@nhs.net")) == "new.analyst@nhs.net"
    bad = _post(browser, "/admin/accounts", user="", password="short", role="wizard")
    assert bad.status_code == 400
    _assert_designed_page(bad)
    for words in ("Enter the account name", "Choose a role", "at least 12 characters"):
        assert words in bad.text
    clinician = _post(browser, "/admin/accounts", user="doc", password=PASSWORD,
                      role="clinician")
    assert clinician.status_code == 400 and "practice or PCN code" in clinician.text
    odd = _post(browser, "/admin/accounts", user="<b>x</b> y", password=PASSWORD,
                role="clinician", practice="E81021-and-much-more-than-sixteen")
    assert odd.status_code == 400
    assert "Account name must be" in odd.text and "must be an ODS code" in odd.text
    assert "<b>x</b>" not in odd.text and "&lt;b&gt;x&lt;/b&gt; y" in odd.text
    again = _post(browser, "/admin/accounts", user="ana", password=PASSWORD, role="admin")
    assert again.status_code == 400 and "already an account" in again.text
    assert {a["user"]: a["role"] for a in admin["accounts"].list()}["ana"] == "analyst"


def test_a_new_role_ends_the_sessions_and_an_admin_cannot_lock_themselves_out(admin):
    app, browser = admin["app"], admin["browser"]
    ana = signed_in(app, "ana")
    assert _post(browser, "/admin/accounts/role", user="ana", role="public").status_code == 303
    assert who_is(ana) == "anonymous"
    assert {a["user"]: a["role"] for a in admin["accounts"].list()}["ana"] == "public"
    mine = _post(browser, "/admin/accounts/disable", user="adm")
    assert mine.status_code == 400 and "your own account" in mine.text
    assert who_is(browser) == "adm"


def test_the_audit_log_is_paged_newest_first_under_the_verify_verdict(admin):
    browser = admin["browser"]
    for _ in range(60):  # more than a page
        browser.get("/api/v1/practices/E81021/patients")  # an admin is refused: audited
    entries = audit_entries(admin["audit"])
    first = Page(browser.get("/admin").text)
    table = first.table("Audit log entries")
    shown = [int(row[0]) for row in table["rows"][1:]]
    assert len(shown) == 50
    assert shown == sorted(shown, reverse=True)
    assert shown[0] >= entries[-1]["seq"] - 1  # the newest (reading the page adds entries)
    second = Page(browser.get("/admin?page=2").text).table("Audit log entries")
    assert int(second["rows"][1][0]) == shown[-1] - 1
    assert "The audit log is intact" in browser.get("/admin").text
    assert verify(admin["audit"]).ok
    assert browser.get("/admin?page=abc").status_code == 400
    assert browser.get("/admin?page=0").status_code == 400
    assert browser.get("/admin?page=99999").status_code == 404


def test_a_tampered_audit_log_is_reported_plainly(admin, tmp_path, served):
    log = tmp_path / "audit.jsonl"
    service = Service(served["service"].lake_dir, served["service"].results_dir, log)
    app = create_app(service, admin["accounts"], SECRET, clock=admin["clock"])
    browser = signed_in(app, "adm")
    browser.get("/admin")
    lines = log.read_text().splitlines()
    entry = json.loads(lines[0])
    entry["actor"] = "someone-else"
    log.write_text("\n".join([json.dumps(entry, sort_keys=True), *lines[1:]]) + "\n")
    response = browser.get("/admin")
    assert response.status_code == 200
    assert "The audit log is damaged or has been tampered with" in response.text
    assert "line 1: contents changed after writing" in response.text
