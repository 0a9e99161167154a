"""Signing in under attack: failures audited, throttled and locked out, with one answer for
every kind of failure; and every error the API gives carries the security headers and no
server detail, the CSRF guard included (Hypothesis over the header)."""

from __future__ import annotations

import json
import string

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icsight.api.security import SECURITY_HEADERS
from icsight.governance import accounts as accounts_module
from tests.accounts import PASSWORD
from tests.appdb import another_process
from tests.sessions import EXPORT, REAL_DUMMY, REAL_HASHER, signed_in_client, who_is

WRONG = "not the password at all"


def attempt(app, user: str, password: str, address: str = "10.0.0.1"):
    client = TestClient(app, base_url="https://testserver", client=(address, 4000))
    token = client.get("/api/v1/session").json()["csrf_token"]
    return client.post("/api/v1/login", json={"username": user, "password": password},
                       headers={"X-CSRF-Token": token})


def audit_entries(path) -> list[dict]:
    """The audit log's entries; a log nothing has been written to yet (the world is shared by
    module, and which tests ran first in this worker varies) has none."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- lockout ---------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(world):
    app, clock = world["app"], world["clock"]
    for _ in range(5):
        assert attempt(app, "gp", WRONG).status_code == 401
    assert attempt(app, "gp", PASSWORD).status_code == 401  # locked
    clock.advance(15 * 60 - 1)
    assert attempt(app, "gp", PASSWORD).status_code == 401  # still locked
    clock.advance(2)
    assert attempt(app, "gp", PASSWORD).status_code == 200


def test_the_lock_survives_a_restart_and_unlock_lifts_it(world, served):
    for _ in range(5):
        attempt(world["app"], "gp", WRONG)
    restarted = another_process(world["url"], clock=world["clock"])  # a new process, same store
    assert restarted.sign_in("gp", PASSWORD).reason == "account locked"
    assert [a["locked"] for a in restarted.list() if a["user"] == "gp"] == [True]
    restarted.unlock("gp")
    assert attempt(world["app"], "gp", PASSWORD).status_code == 200


def test_a_successful_sign_in_resets_the_count(world):
    app = world["app"]
    for _ in range(4):
        attempt(app, "gp", WRONG)
    assert attempt(app, "gp", PASSWORD).status_code == 200
    for _ in range(4):
        attempt(app, "gp", WRONG)
    assert attempt(app, "gp", PASSWORD).status_code == 200  # 8 failures, never 5 in a row


def test_lockout_thresholds_are_settings(world, monkeypatch):
    monkeypatch.setenv("ICSIGHT_SIGNIN_LOCK_AFTER", "2")
    monkeypatch.setenv("ICSIGHT_SIGNIN_LOCK_MINUTES", "1")
    accounts = world["accounts"]
    accounts.sign_in("ana", WRONG)
    outcome = accounts.sign_in("ana", WRONG)
    assert outcome.reason.endswith("locked for 1 minutes")
    assert accounts.sign_in("ana", PASSWORD).principal is None
    world["clock"].advance(61)
    assert accounts.sign_in("ana", PASSWORD).principal is not None


# --- one answer for every failure ------------------------------------------------------------

def test_locked_disabled_unknown_and_wrong_password_get_the_same_answer(world):
    app, accounts = world["app"], world["accounts"]
    accounts.add("locked1", PASSWORD, "analyst")
    accounts.add("off1", PASSWORD, "analyst")
    accounts.disable("off1")
    for _ in range(5):
        attempt(app, "locked1", WRONG, address="10.9.9.9")
    answers = {
        "wrong password": attempt(app, "ana", WRONG),
        "unknown": attempt(app, "nobody-here", PASSWORD),
        "disabled, right password": attempt(app, "off1", PASSWORD),
        "locked, right password": attempt(app, "locked1", PASSWORD),
    }
    seen = {(r.status_code, r.content, r.headers.get("retry-after"))
            for r in answers.values()}
    assert seen == {(401, b'{"detail":"wrong username or password"}', None)}, answers
    for r in answers.values():
        assert "set-cookie" not in r.headers or "signed_in" not in r.headers["set-cookie"]


def test_every_kind_of_failure_costs_one_argon2_verification_at_the_same_parameters(world):
    accounts = world["accounts"]
    accounts.add("off2", PASSWORD, "analyst")
    accounts.disable("off2")
    for _ in range(5):
        accounts.sign_in("ana", WRONG)  # ana is now locked
    spied: list[str] = []
    real = accounts_module._hasher

    class Spy:
        def verify(self, digest: str, password: str) -> bool:
            spied.append(digest.split("$")[3])  # m=...,t=...,p=...
            return real.verify(digest, password)

        def __getattr__(self, name):
            return getattr(real, name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts_module, "_hasher", Spy())
        for user, password in (("gp", WRONG), ("nobody", PASSWORD), ("off2", PASSWORD),
                               ("ana", PASSWORD)):
            spied.clear()
            assert accounts.sign_in(user, password).principal is None
            assert spied == [real.hash("x").split("$")[3]], user


def test_the_real_dummy_hash_has_the_real_parameters():
    fresh = REAL_HASHER.hash("x")  # the module's own hasher, not this file's cheap one
    assert REAL_DUMMY.split("$")[:4] == fresh.split("$")[:4]
    assert fresh.split("$")[:4] == PasswordHasher().hash("x").split("$")[:4]


# --- throttling ------------------------------------------------------------------------------

def test_one_address_is_throttled_after_ten_failures_a_minute_whatever_the_names(world):
    app, clock = world["app"], world["clock"]
    for i in range(10):  # spraying names: no account reaches its lock
        assert attempt(app, f"guess{i}", WRONG, "10.1.1.1").status_code == 401
    blocked = attempt(app, "gp", PASSWORD, "10.1.1.1")  # even the right password waits
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert attempt(app, "gp", PASSWORD, "10.2.2.2").status_code == 200  # another address
    clock.advance(61)
    assert attempt(app, "gp", PASSWORD, "10.1.1.1").status_code == 200


def test_one_name_is_throttled_across_addresses_and_an_unknown_name_exactly_alike(world):
    app = world["app"]
    world["accounts"].add("spare", PASSWORD, "analyst")
    answers = {}
    for name in ("spare", "no-such-user"):
        world["accounts"].unlock("spare")
        for i in range(10):  # from ten addresses: the per-name limit applies
            attempt(app, name, WRONG, f"10.3.{i}.{len(name)}")
            world["accounts"].unlock("spare")  # keep the lock out of the way
        answers[name] = attempt(app, name, WRONG, "10.4.4.4")
    assert {(r.status_code, r.content) for r in answers.values()} == {
        (429, b'{"detail":"too many failed sign-ins: wait and try again"}')}


# --- audit -----------------------------------------------------------------------------------

def test_failed_sign_ins_are_audited_under_the_name_tried_without_the_password(world):
    secret_guess = "Hunter2-secret-guess"
    attempt(world["app"], "nobody-at-all", secret_guess, "10.5.5.5")
    attempt(world["app"], "gp", secret_guess, "10.5.5.6")
    signed_in_client(world["app"])
    log = audit_entries(world["audit"])
    failed = {e["actor"]: e for e in log if e["action"] == "DENIED sign-in"}
    assert failed["nobody-at-all"]["detail"] == "no such account"
    assert failed["nobody-at-all"]["resource"] == "10.5.5.5"
    assert failed["gp"]["detail"].startswith("wrong password")
    assert any(e["action"] == "sign-in" and e["actor"] == "gp" for e in log)
    assert secret_guess not in world["audit"].read_text()
    assert PASSWORD not in world["audit"].read_text()


def test_anonymous_denials_are_audited_as_anonymous(world):
    client = TestClient(world["app"], base_url="https://testserver")
    before = len(audit_entries(world["audit"]))
    assert client.get(EXPORT).status_code == 401
    assert client.post("/api/v1/logout").status_code == 403  # no CSRF token
    assert client.get("/api/v1/audit").status_code == 401
    new = audit_entries(world["audit"])[before:]
    assert [(e["actor"], e["action"], e["resource"]) for e in new] == [
        ("anonymous", "DENIED api.signed_in", f"GET {EXPORT}"),
        ("anonymous", "DENIED api.csrf", "POST /api/v1/logout"),
        ("anonymous", "DENIED api.signed_in", "GET /api/v1/audit")]


# --- headers and error bodies ----------------------------------------------------------------

def _boom() -> None:
    raise RuntimeError("/srv/icsight/secret/path.parquet exploded")


def test_every_error_status_carries_the_security_headers_and_no_server_detail(world):
    app = world["app"]
    app.add_api_route("/api/v1/boom", _boom)
    anonymous = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    analyst = signed_in_client(app, "ana")
    for _ in range(10):
        attempt(app, "x", WRONG, "10.6.6.6")
    responses = {
        401: anonymous.get(EXPORT),
        403: analyst.get("/api/v1/audit"),
        "403 csrf": anonymous.post("/api/v1/logout"),
        404: anonymous.get("/api/v1/nowhere"),
        "404 service": analyst.get("/api/v1/extracts/planning/nope"),
        405: anonymous.get("/api/v1/login"),
        422: analyst.get("/api/v1/patients/not-a-number"),
        "422 login": anonymous.post("/api/v1/login", json={"username": "ana", "password": ""},
                                    headers={"X-CSRF-Token": who_token(anonymous)}),
        429: attempt(app, "x", WRONG, "10.6.6.6"),
        500: anonymous.get("/api/v1/boom"),
    }
    for status, r in responses.items():
        assert r.status_code == int(str(status)[:3]), (status, r.text)
        for header, value in SECURITY_HEADERS.items():
            assert r.headers.get(header) == value, (status, header)
    body = responses[500].text
    assert "exploded" not in body and "/srv" not in body and "Traceback" not in body


def who_token(client: TestClient) -> str:
    return client.get("/api/v1/session").json()["csrf_token"]


def test_a_422_does_not_echo_the_password(world):
    client = TestClient(world["app"], base_url="https://testserver")
    long_password = "p" * 1025
    r = client.post("/api/v1/login", json={"username": "ana", "password": long_password},
                    headers={"X-CSRF-Token": who_token(client)})
    assert r.status_code == 422 and long_password not in r.text


# --- the CSRF header, fuzzed -----------------------------------------------------------------

#: Bytes a client can put in a header value (no CR, LF or NUL; not starting or ending with
#: space, which HTTP strips).
HEADER_BYTES = st.binary(max_size=400).map(
    lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b"").strip())


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=HEADER_BYTES | st.text(string.printable.strip(), max_size=300).map(str.encode))
def test_any_wrong_csrf_header_is_a_403_with_headers_never_a_500(world, sent):
    if "client" not in world:  # one signed-in client for every example
        world["client"] = signed_in_client(world["app"])
    client = world["client"]
    r = client.post("/api/v1/logout", headers={"X-CSRF-Token": sent})
    if sent == client.headers["X-CSRF-Token"].encode():
        return  # the right token (Hypothesis will not find it, but say what it would mean)
    assert r.status_code == 403, (sent, r.status_code)
    assert r.headers["X-Frame-Options"] == "DENY"
    assert who_is(client) == "gp"  # the refused request did not sign anyone out


def test_the_csrf_guard_still_accepts_the_right_token_and_refuses_non_ascii_and_long(world):
    client = signed_in_client(world["app"])
    right = client.headers["X-CSRF-Token"]
    for sent in ("é" + right[1:], right + "é", right * 4, right[:-1], "ünïcödé"):
        sent_bytes = sent.encode("latin-1")
        assert client.post("/api/v1/logout", headers={"X-CSRF-Token": sent_bytes}
                           ).status_code == 403, sent
    assert client.post("/api/v1/logout").status_code == 200
    assert who_is(client) == "anonymous"
