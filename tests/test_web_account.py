"""Signing in and out through the web pages: the same account checks, lockout, throttle and
audit as the API, a CSRF token in every form, the API's cookie flags, errors in the NHS
error summary naming their field, and `?next=` followed only to a path on this site."""

from __future__ import annotations

import pytest

from tests.accounts import PASSWORD
from tests.test_web_pages import Page, _assert_designed_page
from tests.web_forms import audit_entries, client, form_token, sign_in, who_is

WRONG = "not the password at all"


def test_the_sign_in_page_is_a_designed_form_carrying_the_sessions_csrf_token(world):
    browser = client(world["app"])
    response = browser.get("/sign-in")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    inputs = {a.get("name"): a for tag, a in page.elements if tag == "input"}
    assert inputs["username"]["autocomplete"] == "username"
    assert inputs["password"]["type"] == "password"
    forms = [a for tag, a in page.elements if tag == "form" and a.get("action") == "/sign-in"]
    assert forms and forms[0]["method"] == "post"
    # the form's token is the session's, as the API hands it out
    assert form_token(response.text) == browser.get("/api/v1/session").json()["csrf_token"]
    assert "Sign in" in response.text and "Sign out" not in response.text
    # every page's header offers signing in, coming back to that page after
    assert 'href="/sign-in?next=/programmes"' in browser.get("/programmes").text
    # but not back to an error page, nor to an address too long to echo
    assert 'href="/sign-in"' in browser.get("/no-such-page").text
    assert "?next=" not in browser.get("/programmes?x=" + "y" * 300).text


def test_signing_in_starts_a_session_the_api_honours_with_the_apis_cookie_flags(world):
    browser, response = sign_in(world["app"], "ana", next_path="/programmes")
    assert response.status_code == 303
    assert response.headers["location"] == "/programmes"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert who_is(browser) == "ana"
    page = browser.get("/programmes").text
    assert "ana (analyst)" in page
    assert 'href="/sign-out"' in page
    # no session's token in a page of figures: those are kept once made, per user
    assert "csrf_token" not in page
    entries = [e for e in audit_entries(world["audit"]) if e["actor"] == "ana"]
    assert entries[-1]["action"] == "sign-in"


def test_a_form_without_the_csrf_token_is_refused_with_a_designed_page(world):
    browser = client(world["app"])
    browser.get("/sign-in")
    response = browser.post("/sign-in", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 403
    _assert_designed_page(response)
    assert "did not come from this service" in response.text
    assert who_is(browser) == "anonymous"
    wrong = browser.post("/sign-in", data={"csrf_token": "x" * 43, "username": "ana",
                                           "password": PASSWORD})
    assert wrong.status_code == 403 and who_is(browser) == "anonymous"
    denied = [e for e in audit_entries(world["audit"]) if e["action"] == "DENIED api.csrf"
              and e["resource"] == "POST /sign-in"]
    assert len(denied) >= 2


def test_a_wrong_password_gets_one_answer_in_the_error_summary_and_is_audited(world):
    browser, response = sign_in(world["app"], "ana", WRONG)
    assert response.status_code == 401
    page = _assert_designed_page(response)
    assert "nhsuk-error-summary" in response.text
    links = [a["href"] for tag, a in page.elements if tag == "a" and a.get("href") == "#username"]
    assert links, "the error summary links to the field"
    assert "Your username or password is not right" in response.text
    unknown = sign_in(world["app"], "nobody-here", WRONG)[1]
    # the same words whether or not the account exists
    assert unknown.status_code == 401
    assert "Your username or password is not right" in unknown.text
    assert who_is(browser) == "anonymous"
    reasons = [e["detail"] for e in audit_entries(world["audit"])
               if e["action"] == "DENIED sign-in"]
    assert any("wrong password" in r for r in reasons)
    assert "no such account" in reasons


def test_empty_fields_are_each_named_in_the_error_summary(world):
    browser = client(world["app"])
    token = form_token(browser.get("/sign-in").text)
    response = browser.post("/sign-in", data={"csrf_token": token, "username": " ",
                                              "password": ""})
    assert response.status_code == 400
    page = Page(response.text)
    hrefs = [a["href"] for tag, a in page.elements if tag == "a"
             and a.get("href", "").startswith("#")]
    assert "#username" in hrefs and "#password" in hrefs
    assert "Enter your username" in response.text and "Enter your password" in response.text
    assert page.h1 == ["Sign in"]
    assert "<title>Error: Sign in" in response.text


def test_five_wrong_passwords_through_the_page_lock_the_account(world):
    for _ in range(5):
        assert sign_in(world["app"], "gp", WRONG, address="10.0.0.9")[1].status_code in (401,
                                                                                          429)
    world["clock"].advance(61)  # past the per-minute throttle: the lock is what refuses now
    assert sign_in(world["app"], "gp", PASSWORD, address="10.0.0.8")[1].status_code == 401
    assert [a["locked"] for a in world["accounts"].list() if a["user"] == "gp"] == [True]


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "http:/evil.example", " //evil.example", "/\t/evil.example",
    "/\r\nLocation: https://evil.example"])
def test_next_to_anywhere_but_a_path_on_this_site_is_refused(world, target):
    response = sign_in(world["app"], "ana", next_path=target)[1]
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    # and the form never offers it either
    page = client(world["app"]).get("/sign-in", params={"next": target}).text
    assert 'name="next" value="/"' in page


def test_a_local_next_with_a_query_is_kept(world):
    response = sign_in(world["app"], "ana", next_path="/programmes/ltc?period=2025-03")[1]
    assert response.headers["location"] == "/programmes/ltc?period=2025-03"


def test_signing_out_ends_the_session_everywhere_and_is_audited(world):
    browser, _ = sign_in(world["app"], "ana")
    other, _ = sign_in(world["app"], "ana", address="10.0.0.2")  # a second device
    captured = browser.cookies.get("icsight")
    page = browser.get("/sign-out")  # the header's link: a page with the form
    assert page.status_code == 200
    _assert_designed_page(page)
    response = browser.post("/sign-out", data={"csrf_token": form_token(page.text)})
    assert response.status_code == 200
    _assert_designed_page(response)
    assert "You have signed out" in response.text
    assert who_is(browser) == "anonymous"
    assert who_is(other) == "anonymous"
    assert browser.get("/sign-out").headers["location"] == "/sign-in"
    replayed = client(world["app"])
    replayed.cookies.set("icsight", captured)
    assert who_is(replayed) == "anonymous"
    assert [e for e in audit_entries(world["audit"]) if e["actor"] == "ana"][-1]["action"] \
        == "sign-out"


def test_signing_out_without_the_token_is_refused(world):
    browser, _ = sign_in(world["app"], "ana")
    assert browser.post("/sign-out", data={}).status_code == 403
    assert who_is(browser) == "ana"


def test_the_api_takes_the_token_only_in_its_header_never_from_a_form(world):
    browser, _ = sign_in(world["app"], "ana")
    token = form_token(browser.get("/sign-out").text)
    response = browser.post("/api/v1/logout", data={"csrf_token": token})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/json")
    assert who_is(browser) == "ana"


def test_too_many_failures_from_one_address_are_throttled_with_retry_after(world):
    for n in range(10):  # ICSIGHT_SIGNIN_PER_MINUTE: names unknown, so nothing gets locked
        assert sign_in(world["app"], f"guess{n}", WRONG, address="10.0.0.7")[1].status_code \
            == 401
    response = sign_in(world["app"], "ana", PASSWORD, address="10.0.0.7")[1]
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "too many failed sign-ins" in response.text
    assert "nhsuk-error-summary" in response.text
    world["clock"].advance(61)
    assert sign_in(world["app"], "ana", PASSWORD, address="10.0.0.7")[1].status_code == 303
