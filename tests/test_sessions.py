"""Sessions that end: a cookie is worth nothing once its account signs out, is disabled,
deleted, downgraded or re-scoped, once it has been idle too long, or once it is too old; a
forged or tampered cookie is anonymous. Hostile cases first; the clock is injected, never
slept on."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.cli import main
from icsight.governance.accounts import AccountError
from tests.accounts import PASSWORD, SECRET
from tests.appdb import another_process
from tests.sessions import (
    EXPORT,
    OTHER_PRACTICE,
    PRACTICE,
    START,
    Clock,
    add_accounts,
    forge,
    replay,
    signed_in_client,
    who_is,
)

# --- ending sessions -------------------------------------------------------------------------

def test_a_cookie_replayed_after_logout_opens_nothing(world):
    client = signed_in_client(world["app"])
    cookie = client.cookies["icsight"]
    assert client.get(EXPORT).status_code == 200
    assert client.post("/api/v1/logout").status_code == 200
    stolen = replay(world["app"], cookie)
    assert stolen.get(EXPORT).status_code == 401
    assert who_is(stolen) == "anonymous"


ENDINGS = {
    "disable": lambda a: a.disable("gp"),
    "delete": lambda a: a.delete("gp"),
    "downgrade to public": lambda a: a.set_role("gp", "public"),
    "move to another practice": lambda a: a.set_role("gp", "clinician", OTHER_PRACTICE),
    "new password": lambda a: a.add("gp", PASSWORD + "!", "clinician", PRACTICE),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_changed_account_s_cookie_opens_nothing_at_once(world, ending):
    client = signed_in_client(world["app"])
    cookie = client.cookies["icsight"]
    assert client.get(EXPORT).status_code == 200
    # Changed through a separate store object, as `icsight users ...` in another process is.
    ENDINGS[ending](another_process(world["url"]))
    for c in (replay(world["app"], cookie), client):
        assert c.get(EXPORT).status_code == 401, ending
        assert who_is(c) == "anonymous"


def test_signing_in_again_after_a_downgrade_gets_only_the_new_role(world):
    client = signed_in_client(world["app"])
    another_process(world["url"]).set_role("gp", "public")
    client = signed_in_client(world["app"])
    assert client.get("/api/v1/session").json()["role"] == "public"
    assert client.get(EXPORT).status_code == 403


def test_a_cookie_from_before_sign_out_is_refused_though_its_account_signed_in_again(world):
    old = signed_in_client(world["app"]).cookies["icsight"]
    fresh = signed_in_client(world["app"])  # signing in does not end other sessions...
    fresh.post("/api/v1/logout")  # ...but signing out ends them all
    assert replay(world["app"], old).get(EXPORT).status_code == 401


# --- forged and tampered cookies -------------------------------------------------------------

def test_forged_and_tampered_cookies_are_anonymous(world):
    app, accounts = world["app"], world["accounts"]
    real = signed_in_client(app).cookies["icsight"]
    version = accounts.version("gp")
    valid = {"user": "gp", "v": version, "at": START, "seen": START}
    admin_claim = {"principal": {"user": "x", "role": "admin"}}  # the cookie shape before
    cases = {
        "tampered": real[:-3] + ("AAA" if not real.endswith("AAA") else "BBB"),
        "wrong secret": forge({"signed_in": valid}, "t" * 40),
        "pre-version cookie": forge(admin_claim),
        "old version": forge({"signed_in": {**valid, "v": version - 1}}),
        "future version": forge({"signed_in": {**valid, "v": version + 1}}),
        "no such account": forge({"signed_in": {**valid, "user": "nobody"}}),
        "begins in the future": forge({"signed_in": {**valid, "at": START + 60,
                                                     "seen": START + 60}}),
        "not a dict": forge({"signed_in": "gp"}),
        "missing times": forge({"signed_in": {"user": "gp", "v": version}}),
        "garbage": "not-a-cookie",
    }
    for name, cookie in cases.items():
        attacker = replay(app, cookie)
        assert attacker.get(EXPORT).status_code == 401, name
        assert who_is(attacker) == "anonymous", name
    assert replay(app, forge({"signed_in": valid})).get(EXPORT).status_code == 200


# --- timeouts --------------------------------------------------------------------------------

def test_an_idle_session_ends_after_thirty_minutes_and_use_keeps_it_alive(world):
    client, clock = signed_in_client(world["app"]), world["clock"]
    for _ in range(3):  # used every 29 minutes: still signed in
        clock.advance(29 * 60)
        assert who_is(client) == "gp"
    cookie = client.cookies["icsight"]
    clock.advance(30 * 60 + 1)
    assert replay(world["app"], cookie).get(EXPORT).status_code == 401
    assert client.get(EXPORT).status_code == 401


def test_a_busy_session_still_ends_eight_hours_after_signing_in(world):
    client, clock = signed_in_client(world["app"]), world["clock"]
    for _ in range(16):  # every 29 minutes for 7 h 44 min
        clock.advance(29 * 60)
        assert who_is(client) == "gp"
    clock.advance(8 * 3600 - 16 * 29 * 60 + 1)
    assert client.get(EXPORT).status_code == 401


def test_timeouts_are_settings(served, database_url, monkeypatch):
    monkeypatch.setenv("ICSIGHT_SESSION_IDLE_MINUTES", "5")
    clock = Clock()
    accounts = Accounts(database_url, clock=clock)
    add_accounts(accounts)
    app = create_app(served["service"], accounts, SECRET, clock=clock)
    client = signed_in_client(app)
    clock.advance(5 * 60 + 1)
    assert client.get(EXPORT).status_code == 401
    for name, bad in (("ICSIGHT_SESSION_MAX_HOURS", "0"), ("ICSIGHT_SIGNIN_LOCK_AFTER", "-1"),
                      ("ICSIGHT_SIGNIN_PER_MINUTE", "ten"), ("ICSIGHT_SIGNIN_LOCK_MINUTES", "²")):
        with monkeypatch.context() as patch:
            patch.setenv(name, bad)
            with pytest.raises(ValueError, match=name):
                create_app(served["service"], accounts, SECRET)


# --- the account store -----------------------------------------------------------------------

def test_a_sqlite_store_is_written_0600_in_a_0700_folder(tmp_path):
    # a file-only property: a PostgreSQL server keeps its own files private
    accounts = Accounts(f"sqlite:///{tmp_path / 'new' / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    accounts.end_sessions("ana")
    assert oct((tmp_path / "new").stat().st_mode)[-3:] == "700"
    files = list((tmp_path / "new").iterdir())
    assert {p.name for p in files} >= {"icsight.db"}
    assert {p.name: oct(p.stat().st_mode)[-3:] for p in files} == {p.name: "600" for p in files}


def test_concurrent_changes_to_the_store_lose_nothing(world):
    accounts = world["accounts"]
    before = {u: accounts.version(u) for u in ("gp", "ana")}

    def bump(user: str) -> None:
        for _ in range(15):
            another_process(world["url"]).end_sessions(user)

    threads = [threading.Thread(target=bump, args=(u,)) for u in ("gp", "ana")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {u: accounts.version(u) for u in ("gp", "ana")} == {u: v + 15
                                                              for u, v in before.items()}


def test_changing_a_missing_account_or_taking_a_reserved_name_is_refused(world):
    accounts = world["accounts"]
    for change in (accounts.delete, accounts.disable, accounts.end_sessions, accounts.unlock):
        with pytest.raises(AccountError, match="no account 'ghost'"):
            change("ghost")
    with pytest.raises(ValueError, match="scoped"):
        accounts.set_role("ana", "clinician")
    for name in ("anonymous", "Anonymous", " gp", ""):
        with pytest.raises(AccountError, match="cannot be an account name"):
            accounts.add(name, PASSWORD, "admin")


def test_the_users_commands_end_sessions_and_refuse_bad_arguments(world, monkeypatch):
    monkeypatch.setenv("ICSIGHT_DATABASE_URL", world["url"])
    runner = CliRunner()
    cookie = signed_in_client(world["app"]).cookies["icsight"]
    moved = runner.invoke(main, ["users", "set-role", "gp", "clinician", "--pcn", "U12345"])
    assert moved.exit_code == 0, moved.output
    assert replay(world["app"], cookie).get(EXPORT).status_code == 401
    unscoped = runner.invoke(main, ["users", "set-role", "gp", "clinician"])
    assert unscoped.exit_code == 2 and "scoped" in unscoped.output
    assert "Traceback" not in unscoped.output
    assert runner.invoke(main, ["users", "set-role", "gp", "king"]).exit_code == 2
    assert runner.invoke(main, ["users", "delete", "gp"]).exit_code == 0
    gone = runner.invoke(main, ["users", "delete", "gp"])
    assert gone.exit_code == 2 and "no account 'gp'" in gone.output
    assert "gp" not in runner.invoke(main, ["users", "list"]).output


@pytest.mark.parametrize("secret", ["s" * 40, "ab" * 20, "change-me-please-0123456789abcdef",
                                    "0123456789abcdef0123456789abcdef", "short"])
def test_a_weak_session_secret_is_refused_naming_it(served, tmp_path, secret):
    # anyone who can guess the secret can sign a cookie for any account (the store does not
    # matter here: SQLite only)
    with pytest.raises(ValueError, match="session secret"):
        create_app(served["service"], Accounts(f"sqlite:///{tmp_path / 'icsight.db'}"),
                   secret)
