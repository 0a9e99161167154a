"""Signing a browser page in and out through the API (POST /api/v1/login and /logout, with
the session's CSRF token), in the page's own context, so the browser holds the session
cookie exactly as it would after signing in on a page.

The journeys that are about signing in use the sign-in page's form
(`test_staff_journeys.py`); these are for the tests that need a signed-in page to begin with."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.harness import PASSWORD, account

__all__ = ["sign_in", "sign_out"]


def _token(page: Page) -> str:
    """The session's CSRF token (GET /api/v1/session hands it out)."""
    answer = page.request.get("/api/v1/session")
    assert answer.ok, answer.status
    return answer.json()["csrf_token"]


def sign_in(page: Page, role: str) -> dict:
    """Sign `page`'s browser context in with the test account of `role` (`harness.account`);
    the session the API answers with."""
    user = account(role)
    answer = page.request.post("/api/v1/login", data={"username": user, "password": PASSWORD},
                               headers={"X-CSRF-Token": _token(page)})
    assert answer.status == 200, f"sign-in as {user}: {answer.status} {answer.text()}"
    return answer.json()


def sign_out(page: Page) -> None:
    """Sign `page`'s browser context out (every session of the account ends)."""
    answer = page.request.post("/api/v1/logout", headers={"X-CSRF-Token": _token(page)})
    assert answer.status == 200, f"sign-out: {answer.status} {answer.text()}"
