"""Shared by the web form tests: signing in through the page, reading a form's CSRF token,
and the audit log's entries."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.accounts import PASSWORD


def client(app, address: str = "10.0.0.1") -> TestClient:
    """A browser: cookies kept, redirects not followed (tests look at them)."""
    return TestClient(app, base_url="https://testserver", client=(address, 4000),
                      follow_redirects=False)


def form_token(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(app, user: str, password: str = PASSWORD, next_path: str = "/",
            address: str = "10.0.0.1") -> tuple[TestClient, object]:
    """A browser that filled in the sign-in form; the response to its POST."""
    browser = client(app, address)
    token = form_token(browser.get("/sign-in").text)
    response = browser.post("/sign-in", data={"csrf_token": token, "username": user,
                                              "password": password, "next": next_path})
    return browser, response


def signed_in(app, user: str) -> TestClient:
    """A browser signed in as `user` through the sign-in page."""
    browser, response = sign_in(app, user)
    assert response.status_code == 303, response.text
    return browser


def who_is(browser: TestClient) -> str:
    """Who the API says the browser's session is."""
    return browser.get("/api/v1/session").json()["user"]


def audit_entries(path: Path) -> list[dict]:
    """The audit log's entries (none before anything was written)."""
    if not Path(path).exists():
        return []
    return [json.loads(line) for line in Path(path).read_text().splitlines()]
