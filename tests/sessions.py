"""Shared by the session and sign-in tests: a tiny served lake, an injected clock, cheap
argon2 for speed, and clients that sign in, replay or forge cookies."""

from __future__ import annotations

import json
from base64 import b64encode

import itsdangerous
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.governance import accounts as accounts_module
from icsight.services import Service
from tests.accounts import PASSWORD, SECRET
from tests.lakes import PRACTICE, make_lake, patient

OTHER_PRACTICE = "E81046"
EXPORT = f"/api/v1/practices/{PRACTICE}/export.csv"
START = 1_750_000_000.0
#: The real argon2 hasher and timing dummy, before `served` swaps in cheap ones.
REAL_HASHER, REAL_DUMMY = accounts_module._hasher, accounts_module._DUMMY


class Clock:
    """Seconds since the epoch, moved on by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A two-patient lake and its service; argon2id at its
    smallest cost while the module runs (a real verification takes most of a second on a
    busy machine; `test_signin` checks the real parameters are the same for every account)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts_module, "_hasher", cheap)
        patch.setattr(accounts_module, "_DUMMY", cheap.hash("icsight-timing-equaliser"))
        tmp = tmp_path_factory.mktemp("sessions")
        make_lake(tmp / "lake", [patient(1), patient(2)], [])
        (tmp / "results").mkdir()
        yield {"service": Service(tmp / "lake", tmp / "results", tmp / "audit.jsonl")}


def add_accounts(accounts: Accounts) -> None:
    """The two accounts every session test starts with."""
    accounts.add("gp", PASSWORD, "clinician", practice_code=PRACTICE)
    accounts.add("ana", PASSWORD, "analyst")


@pytest.fixture
def world(served, database_url) -> dict:
    """A fresh application database with two accounts, a clock and an app for each test, on
    SQLite and on PostgreSQL (the lake is shared). `url` opens the same database again, as
    another process (`icsight users ...`) would."""
    clock = Clock()
    accounts = Accounts(database_url, clock=clock)
    add_accounts(accounts)
    app = create_app(served["service"], accounts, SECRET, clock=clock)
    return {"app": app, "accounts": accounts, "clock": clock, "url": database_url,
            "audit": served["service"].audit_log}


def signed_in_client(app, user: str = "gp") -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    token = client.get("/api/v1/session").json()["csrf_token"]
    r = client.post("/api/v1/login", json={"username": user, "password": PASSWORD},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def replay(app, cookie: str) -> TestClient:
    """A fresh client (an attacker's) carrying a captured session cookie."""
    return TestClient(app, base_url="https://testserver", cookies={"icsight": cookie})


def who_is(client: TestClient) -> str:
    return client.get("/api/v1/session").json()["user"]


def forge(content: dict, secret: str = SECRET) -> str:
    """A cookie as Starlette's SessionMiddleware signs it."""
    data = b64encode(json.dumps(content).encode())
    return itsdangerous.TimestampSigner(secret).sign(data).decode()
