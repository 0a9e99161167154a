"""`icsight serve --demo-accounts` and `make demo`'s last step: one new sign-in per role,
printed once, that works against the app about to be served; no server is started here."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from fastapi.testclient import TestClient

from icsight.cli import main
from icsight.cli.serve import busiest_practice
from icsight.governance import accounts as accounts_module
from icsight.lake import table_path
from tests.accounts import SECRET

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^\s+(\w+)\s+user (demo-\w+)\s+password (\S+)(?:\s+\(practice (\w+)\))?$")


@pytest.fixture
def serving(access_results, tmp_path, monkeypatch):
    """`serve` as `make demo` runs it, with uvicorn replaced: the app it would serve is kept."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # speed, not security
    monkeypatch.setattr(accounts_module, "_hasher", cheap)
    monkeypatch.setattr(accounts_module, "_DUMMY", cheap.hash("icsight-timing-equaliser"))
    monkeypatch.setenv("ICSIGHT_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("ICSIGHT_SESSION_SECRET", SECRET)
    monkeypatch.setenv("ICSIGHT_WARM_PAGES", "none")  # test_the_overview_is_made_before_...
    served: list = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append((app, kw)))
    lake = access_results["service"].lake_dir
    args = ["serve", "--lake", str(lake), "--results",
            str(access_results["service"].results_dir), "--audit-log",
            str(tmp_path / "audit.jsonl"), "--port", "8001"]

    def run(*extra: str):
        served.clear()
        return CliRunner().invoke(main, [*args, *extra]), served

    return {"run": run, "lake": lake}


def _sign_ins(output: str) -> dict[str, dict]:
    found = {}
    for line in output.splitlines():
        match = LINE.match(line)
        if match:
            role, user, password, practice = match.groups()
            found[role] = {"user": user, "password": password, "practice": practice}
    return found


def _sign_in(app, user: str, password: str):
    client = TestClient(app, base_url="https://testserver")
    token = client.get("/api/v1/session").json()["csrf_token"]
    return client.post("/api/v1/login", json={"username": user, "password": password},
                       headers={"X-CSRF-Token": token})


def test_each_role_gets_a_new_sign_in_that_works_printed_once(serving):
    result, served = serving["run"]("--dev", "--demo-accounts")
    assert result.exit_code == 0, result.output
    [(app, options)] = served
    assert options == {"host": "127.0.0.1", "port": 8001}
    assert "http://127.0.0.1:8001" in result.output
    first = _sign_ins(result.output)
    assert set(first) == {"public", "analyst", "clinician", "admin"}
    for role, sign_in in first.items():
        assert len(sign_in["password"]) >= 24 and result.output.count(sign_in["password"]) == 1
        signed = _sign_in(app, sign_in["user"], sign_in["password"])
        assert signed.status_code == 200, signed.text
        assert signed.json()["role"] == role
    assert first["clinician"]["practice"] == busiest_practice(serving["lake"])
    assert _sign_in(app, "demo-clinician", first["clinician"]["password"]).json()[
        "practice_code"] == first["clinician"]["practice"]

    again, served = serving["run"]("--dev", "--demo-accounts")  # the next `make demo`
    second = _sign_ins(again.output)
    [(app, _)] = served
    for role in first:
        assert second[role]["password"] != first[role]["password"]
        assert _sign_in(app, first[role]["user"], first[role]["password"]).status_code == 401
        assert _sign_in(app, second[role]["user"], second[role]["password"]).status_code == 200


def test_demo_accounts_need_dev_and_plain_serve_makes_none(serving):
    refused, served = serving["run"]("--demo-accounts")
    assert refused.exit_code == 2 and "--dev" in refused.output and not served
    plain, served = serving["run"]("--dev")
    assert plain.exit_code == 0 and served and "password" not in plain.output
    [(app, _)] = served
    assert _sign_in(app, "demo-admin", "x" * 24).status_code == 401  # no such account


def test_the_demo_clinician_has_the_most_registered_patients(serving):
    patients = pd.read_parquet(table_path(serving["lake"], "patients"))
    current = patients[patients.registration_end.isna() & patients.date_of_death.isna()]
    counts = current.practice_code.value_counts()
    assert counts[busiest_practice(serving["lake"])] == counts.max()


def test_make_demo_ends_by_serving_with_demo_accounts():
    """`make -n` prints what `make demo` would run, running nothing but itself."""
    # run as a top-level make: under `make test` the environment says this is a sub-make,
    # which then prints "make[1]: Entering/Leaving directory" lines around its plan
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    planned = subprocess.run(["make", "--no-print-directory", "-n", "demo"], cwd=ROOT, env=env,
                             capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()
    last = planned[-1].split()
    assert last[0].endswith("/icsight") and last[1] == "serve"
    assert {"--dev", "--demo-accounts"} <= set(last)
    assert "ICSIGHT_SESSION_SECRET=$(" in "\n".join(planned[-3:])  # a new secret each start
    assert "ICSIGHT_DATABASE_URL=sqlite:///" in "\n".join(planned[-3:])  # the demo's own db


def test_the_overview_is_made_before_the_server_listens_and_the_rest_after(serving, monkeypatch):
    """ICSIGHT_WARM_PAGES: the overview is kept before uvicorn starts, the other public pages
    are handed to the background (not started here: the test stops at uvicorn)."""
    from icsight.web import warm

    started = []
    monkeypatch.setattr(warm.Warmer, "start",
                        lambda self, done=None: started.append(list(self.paths)))
    monkeypatch.setenv("ICSIGHT_WARM_PAGES", "main")
    result, served = serving["run"]()
    assert result.exit_code == 0, result.output
    [(app, _)] = served
    assert "Made the overview in" in result.output
    assert "No pages made at start-up" not in result.output
    [key] = list(app.state.page_cache._pages)  # (path, query, principal, build, ...)
    assert (key[0], key[1], key[2].role) == ("/", "", "public")
    [rest] = started
    assert rest[0] == "/programmes" and "/" not in rest
    monkeypatch.setenv("ICSIGHT_WARM_PAGES", "some")
    result, _ = serving["run"]()
    assert result.exit_code != 0
    assert "ICSIGHT_WARM_PAGES must be one of all, main, none, not 'some'" in result.output
