"""Red team (issue 9), sessions and the HTTP surface: cases no earlier list named. Each asserts
the safe behaviour (OWASP Session Management, Authentication and REST Security Cheat Sheets)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from icsight.api.security import SECURITY_HEADERS
from tests.accounts import PASSWORD
from tests.appdb import another_process
from tests.sessions import EXPORT, PRACTICE, replay, signed_in_client, who_is


def _login(client: TestClient, user: str, password: str = PASSWORD):
    token = client.get("/api/v1/session").json()["csrf_token"]
    return client.post("/api/v1/login", json={"username": user, "password": password},
                       headers={"X-CSRF-Token": token})


def _client(app, address: str = "testclient") -> TestClient:
    return TestClient(app, base_url="https://testserver", client=(address, 50000))


def test_a_cookie_from_a_deleted_account_opens_nothing_once_the_name_is_re_created(world):
    cookie = signed_in_client(world["app"]).cookies["icsight"]
    store = another_process(world["url"])
    store.delete("gp")
    store.add("gp", PASSWORD + "-new", "clinician", practice_code=PRACTICE)
    stolen = replay(world["app"], cookie)
    assert stolen.get(EXPORT).status_code == 401
    assert who_is(stolen) == "anonymous"


@pytest.mark.parametrize("variant", ["GP", "Gp", "gp ", " gp", "ｇｐ", "gp\u200b", "gp\x00"])
def test_a_case_or_unicode_variant_of_a_name_never_signs_in_as_that_account(world, variant):
    response = _login(_client(world["app"]), variant)
    assert response.status_code in (401, 422)
    assert "csrf_token" not in response.text


def test_x_forwarded_for_does_not_reset_the_per_address_throttle(world):
    client = _client(world["app"], "203.0.113.9")
    for i in range(10):
        token = client.get("/api/v1/session").json()["csrf_token"]
        client.post("/api/v1/login", json={"username": f"guess{i}", "password": "x" * 12},
                    headers={"X-CSRF-Token": token, "X-Forwarded-For": f"198.51.100.{i}"})
    token = client.get("/api/v1/session").json()["csrf_token"]
    response = client.post("/api/v1/login", json={"username": "ana", "password": PASSWORD},
                           headers={"X-CSRF-Token": token, "X-Forwarded-For": "192.0.2.1",
                                    "X-Real-IP": "192.0.2.1", "Forwarded": "for=192.0.2.1"})
    assert response.status_code == 429


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"])
def test_unusual_methods_on_the_export_give_no_data_and_carry_the_headers(world, method):
    for client in (_client(world["app"]), signed_in_client(world["app"], "ana")):
        response = client.request(method, EXPORT)
        assert response.status_code in (401, 403, 405), method
        assert not response.content or b"detail" in response.content
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (method, name)


@pytest.mark.parametrize("path", [
    "/api/v1/practices/" + "E" * 60_000 + "/export.csv",
    "/api/v1/patients/" + "9" * 5000,
    "/api/v1/patients/..%2F..%2F..%2Fetc%2Fpasswd/identifiable",
    "/api/v1/patients/%00/identifiable",
    "/api/v1/practices/..%2F" + PRACTICE + "/export.csv",
    "/api/v1/planning/..%2Fpatients",
    "/api/v1/planning/identifiable%2Fpatients",
    "/api/v1/indicators/..%2F..%2Faudit/values",
    "/api/v1/indicators/%2e%2e/values",
])
def test_long_and_traversing_ids_are_refused_cleanly_with_no_data(world, path):
    for client in (signed_in_client(world["app"], "gp"), signed_in_client(world["app"], "ana")):
        response = client.get(path)
        assert response.status_code in (400, 401, 403, 404, 414, 422), (path, response.text)
        assert "nhs_number" not in response.text and "/tmp" not in response.text
        assert response.headers.get("X-Frame-Options") == "DENY"


@pytest.mark.parametrize("body", [
    b'{"username": "ana", "username": "gp", "password": "' + PASSWORD.encode() + b'"}',
    b'[' * 100_000 + b']' * 100_000,
    b'{"username": ' + b'{"a": ' * 50_000 + b'1' + b'}' * 50_000 + b', "password": "x"}',
    b'{"username": "ana", "password": "' + b'x' * 5_000_000 + b'"}',
    b'{"username": "ana", "password": "\xff\xfe"}',
    b'{"username": "ana", "password": NaN}',
])
def test_hostile_json_bodies_at_sign_in_never_crash_and_never_sign_the_wrong_account_in(
        world, body):
    client = _client(world["app"])
    token = client.get("/api/v1/session").json()["csrf_token"]
    response = client.post("/api/v1/login", content=body,
                           headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
    if response.status_code == 200:  # duplicate keys: the last one wins, and only its account
        assert response.json()["user"] == "gp"
    else:
        assert response.status_code in (400, 401, 413, 422), response.status_code
    assert PASSWORD not in response.text and "xxxxxxxx" not in response.text
    assert response.headers.get("Content-Security-Policy") == SECURITY_HEADERS[
        "Content-Security-Policy"]


def test_a_role_change_between_two_requests_applies_to_the_second(world):
    client = signed_in_client(world["app"], "gp")
    assert client.get(EXPORT).status_code == 200
    another_process(world["url"]).set_role("gp", "clinician", practice_code="E81046")
    assert client.get(EXPORT).status_code == 401
    client = signed_in_client(world["app"], "gp")
    assert client.get(EXPORT).status_code == 403


def test_a_burst_of_parallel_guesses_gets_no_more_checks_than_the_lockout_allows(world):
    """Guesses raced in parallel must each see those before them: at most
    ICSIGHT_SIGNIN_LOCK_AFTER (5) are checked, the rest are refused as locked, and the right
    password sent once the burst has locked the account is refused too."""
    accounts, barrier = world["accounts"], threading.Barrier(20)
    reasons: list[str] = []

    def guess(i: int) -> None:
        barrier.wait()
        reasons.append(accounts.sign_in("ana", f"wrong-guess-{i:04d}").reason)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.startswith("wrong password") for r in reasons) == 5, reasons
    assert reasons.count("account locked") == 15
    assert accounts.sign_in("ana", PASSWORD).principal is None
