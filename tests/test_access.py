"""Access control: every role against every function and endpoint, accounts, sessions, CSRF,
OIDC, the national data opt-out, and the audit trail of identifiable access and denials."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts, open_database
from icsight.cli import main
from icsight.governance.access import AccessDeniedError, Principal, Role
from icsight.governance.accounts import AccountError, OIDCClient, OIDCConfig
from icsight.governance.audit import verify
from icsight.lake import table_path
from tests.accounts import PASSWORD, SECRET

WHO = {"public": Principal("pub", Role.PUBLIC), "analyst": Principal("ana", Role.ANALYST),
       "admin": Principal("adm", Role.ADMIN)}

#: (operation, roles allowed). The clinician rows are for their own practice's patients.
MATRIX = [
    ("catalogue", {"public", "analyst", "clinician", "admin"}),
    ("values", {"public", "analyst", "clinician", "admin"}),
    ("patient_record", {"analyst"}),
    ("planning_extract", {"analyst"}),
    ("practice_patients", {"clinician"}),
    ("identifiable_record", {"clinician"}),
    ("identifiable_export", {"clinician"}),
    ("audit", {"admin"}),
]


def _service_call(s: dict, who: Principal, operation: str, own: bool = True):
    service = s["service"]
    practice = s["mine"] if own else s["theirs"]
    patient = s["own"] if own else s["other"]
    return {
        "catalogue": lambda: service.catalogue(who),
        "values": lambda: service.indicator_values(who, "CVDP007HYP"),
        "patient_record": lambda: service.patient_record(who, patient),
        "planning_extract": lambda: service.planning_extract(who, "patients"),
        "practice_patients": lambda: service.practice_patients(who, practice),
        "identifiable_record": lambda: service.identifiable_record(who, patient),
        "identifiable_export": lambda: service.identifiable_export(who, practice),
        "audit": lambda: service.audit_entries(who),
    }[operation]()


@pytest.mark.parametrize("role", ["public", "analyst", "clinician", "admin"])
@pytest.mark.parametrize(("operation", "allowed"), MATRIX)
def test_every_role_against_every_function(setting, role, operation, allowed):
    who = WHO.get(role) or Principal("cli", Role.CLINICIAN, practice_code=setting["mine"])
    if role in allowed:
        assert _service_call(setting, who, operation) is not None
    else:
        with pytest.raises(AccessDeniedError):
            _service_call(setting, who, operation)


def test_a_clinician_asking_for_another_practices_patient_is_denied_and_audited(setting):
    who = Principal("cli", Role.CLINICIAN, practice_code=setting["mine"])
    _service_call(setting, who, "identifiable_record")  # their own patient: allowed, audited
    for operation in ("identifiable_record", "practice_patients", "identifiable_export"):
        with pytest.raises(AccessDeniedError, match="direct care of your own patients"):
            _service_call(setting, who, operation, own=False)
    log = [json.loads(line) for line in
           setting["service"].audit_log.read_text().splitlines()]
    denied = [e for e in log if e["actor"] == "cli" and e["action"].startswith("DENIED")]
    assert {e["action"] for e in denied} >= {"DENIED records.identifiable.view",
                                             "DENIED records.identifiable.list",
                                             "DENIED records.identifiable.export"}
    assert any(str(setting["other"]) in e["resource"] for e in denied)
    viewed = [e for e in log if e["action"] == "records.identifiable.view"]
    assert viewed and all(e["detail"] == "purpose: direct_care" for e in viewed)
    assert verify(setting["service"].audit_log).ok


def test_aggregates_below_the_analyst_role_are_suppressed(setting):
    service = setting["service"]
    public = pd.DataFrame(service.indicator_values(WHO["public"], "CVDP007HYP", "practice"))
    analyst = pd.DataFrame(service.indicator_values(WHO["analyst"], "CVDP007HYP", "practice"))
    assert "suppressed" in public.columns and "suppressed" not in analyst.columns
    counts = public.numerator.dropna()
    assert ((counts % 5 == 0) & ((counts == 0) | (counts >= 8))).all()
    small = analyst[(analyst.numerator >= 1) & (analyst.numerator <= 7)]
    if not small.empty:  # each small count is hidden, and so are its rate and limits
        hidden = public.set_index(["period_end", "group"]).loc[
            list(zip(small.period_end, small.group, strict=True))]
        assert hidden.numerator.isna().all() and hidden.value.isna().all()


def test_planning_leaves_out_the_opt_out_but_direct_care_does_not(setting, lake_dir):
    patients = pd.read_parquet(table_path(lake_dir, "patients"))
    opted = set(patients[patients.data_opt_out].patient_id)
    planning = pd.DataFrame(setting["service"].planning_extract(WHO["analyst"], "patients"))
    assert opted and not opted & set(planning.patient_id)
    clinician = Principal("cli", Role.CLINICIAN, practice_code=setting["mine"])
    listed = pd.DataFrame(setting["service"].practice_patients(clinician, setting["mine"]))
    registered = patients[(patients.practice_code == setting["mine"])
                          & patients.registration_end.isna() & patients.date_of_death.isna()]
    # a clinician sees NHS numbers, not pseudonyms: compare through the identifiable zone
    nhs = pd.read_parquet(table_path(lake_dir, "person_identifiers")) \
        .set_index("patient_id").nhs_number
    assert set(listed.nhs_number) == set(nhs[registered.patient_id])
    assert set(nhs[list(opted)]) & set(listed.nhs_number)  # their own practice still sees them


# --- accounts --------------------------------------------------------------------------------

def stored_hashes(url: str) -> list[str]:
    with open_database(url).reading() as connection:
        return list(connection.exec_driver_sql("SELECT password_hash FROM accounts").scalars())


def test_passwords_are_stored_only_as_argon2_hashes(database_url):
    accounts = Accounts(database_url)
    accounts.add("nurse", PASSWORD, "clinician", pcn_code="U12345")
    [stored] = stored_hashes(database_url)
    assert PASSWORD not in stored and stored.startswith("$argon2id$")
    assert accounts.authenticate("nurse", PASSWORD).pcn_code == "U12345"
    assert accounts.authenticate("nurse", PASSWORD + "x") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    accounts.disable("nurse")
    assert accounts.authenticate("nurse", PASSWORD) is None
    with pytest.raises(AccountError):
        accounts.add("x", "short", "analyst")
    with pytest.raises(ValueError, match="scoped"):
        accounts.add("x", PASSWORD, "clinician")


# --- HTTP ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(setting):
    return create_app(setting["service"], setting["accounts"], SECRET, dev=False)


def _client(app, user: str | None) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    token = client.get("/api/v1/session").json()["csrf_token"]
    if user:
        r = client.post("/api/v1/login", json={"username": user, "password": PASSWORD},
                        headers={"X-CSRF-Token": token})
        assert r.status_code == 200, r.text
    return client


USERS = {"anonymous": None, "public": "pub", "analyst": "ana", "clinician": "cli",
         "admin": "adm"}


def _paths(s: dict, own: bool = True) -> dict[str, str]:
    practice = s["mine"] if own else s["theirs"]
    patient = s["own"] if own else s["other"]
    return {"catalogue": "/api/v1/indicators", "values": "/api/v1/indicators/CVDP007HYP/values",
            "patient_record": f"/api/v1/patients/{patient}",
            "planning_extract": "/api/v1/extracts/planning/patients",
            "practice_patients": f"/api/v1/practices/{practice}/patients",
            "identifiable_record": f"/api/v1/patients/{patient}/identifiable",
            "identifiable_export": f"/api/v1/practices/{practice}/export.csv",
            "audit": "/api/v1/audit"}


@pytest.mark.parametrize("role", list(USERS))
def test_every_role_against_every_endpoint(app, setting, role):
    client = _client(app, USERS[role])
    acting_as = "public" if role == "anonymous" else role  # not signed in: the public role
    for operation, allowed in MATRIX:
        status = client.get(_paths(setting)[operation]).status_code
        if acting_as in allowed:
            assert status == 200, (role, operation)
        elif role == "anonymous" and operation not in ("catalogue", "values"):
            assert status == 401, (role, operation)
        else:
            assert status == 403, (role, operation)
    if role == "clinician":  # another practice's patient: denied over HTTP too
        for operation in ("identifiable_record", "practice_patients", "identifiable_export"):
            assert client.get(_paths(setting, own=False)[operation]).status_code == 403


def test_session_cookie_flags_csrf_and_logout(app, setting):
    client = TestClient(app, base_url="https://testserver")
    token = client.get("/api/v1/session").json()["csrf_token"]
    refused = client.post("/api/v1/login", json={"username": "ana", "password": PASSWORD})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    wrong = client.post("/api/v1/login", json={"username": "ana", "password": PASSWORD},
                        headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/login", json={"username": "ana", "password": PASSWORD},
                     headers={"X-CSRF-Token": token})
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert ok.json()["csrf_token"] != token  # renewed on sign-in
    for header in ("content-security-policy", "x-frame-options", "x-content-type-options"):
        assert header in ok.headers
    assert client.get("/api/v1/patients/1").status_code in (200, 404)  # signed in: allowed
    new_token = ok.json()["csrf_token"]
    client.post("/api/v1/logout", headers={"X-CSRF-Token": new_token})
    assert client.get(f"/api/v1/patients/{setting['own']}").status_code == 401
    bad = client.post("/api/v1/login", json={"username": "ana", "password": "nope-nope-nope"},
                      headers={"X-CSRF-Token": client.get("/api/v1/session").json()
                               ["csrf_token"]})
    assert bad.status_code == 401


# --- OIDC ------------------------------------------------------------------------------------

def test_oidc_code_flow_with_pkce_against_a_fake_provider(monkeypatch):
    seen = {}

    def provider(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            base = "https://idp.example"
            return httpx.Response(200, json={"authorization_endpoint": f"{base}/authorize",
                                             "token_endpoint": f"{base}/token",
                                             "userinfo_endpoint": f"{base}/userinfo"})
        if request.url.path == "/token":
            form = parse_qs(request.content.decode())
            seen["verifier"] = form["code_verifier"][0]
            seen["secret"] = form["client_secret"][0]
            return httpx.Response(200, json={"access_token": "at-1"})
        if request.url.path == "/userinfo":
            assert request.headers["authorization"] == "Bearer at-1"
            return httpx.Response(200, json={"sub": "u1", "email": "gp@nhs.net",
                                             "roles": ["R8000"], "ods_code": "E81021"})
        return httpx.Response(404)

    monkeypatch.setenv("CIS2_SECRET", "client-secret")
    config = OIDCConfig(issuer="https://idp.example", client_id="icsight",
                        client_secret_env="CIS2_SECRET", redirect_uri="https://app/cb",
                        role_map={"R8000": "clinician"})
    client = OIDCClient(config, httpx.Client(transport=httpx.MockTransport(provider)))
    url, pending = client.start()
    query = parse_qs(urlparse(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [pending["state"]]
    who = client.finish("code-1", pending["state"], pending)
    assert (who.user, who.role, who.practice_code) == ("gp@nhs.net", Role.CLINICIAN, "E81021")
    assert seen == {"verifier": pending["verifier"], "secret": "client-secret"}
    with pytest.raises(PermissionError, match="state"):
        client.finish("code-1", "forged", pending)


def test_users_cli_manages_accounts(database_url, monkeypatch):
    monkeypatch.setenv("ICSIGHT_DATABASE_URL", database_url)
    runner = CliRunner()
    made = runner.invoke(main, ["users", "add", "gp1", "--role", "clinician", "--practice",
                                "E81021"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    listed = runner.invoke(main, ["users", "list"])
    assert "gp1" in listed.output and "clinician" in listed.output
    [stored] = stored_hashes(database_url)
    assert PASSWORD not in stored and stored.startswith("$argon2id$")


def test_a_clinician_scoped_to_a_pcn_sees_every_practice_in_it_and_no_other(setting, lake_dir):
    practices = pd.read_parquet(table_path(lake_dir, "practices")).set_index(
        "practice_code")
    pcn = practices.loc[setting["mine"], "pcn_code"]
    who = Principal("pcn-nurse", Role.CLINICIAN, pcn_code=pcn)
    service = setting["service"]
    assert service.practice_patients(who, setting["mine"])
    outside = practices[practices.pcn_code != pcn].index[0]
    with pytest.raises(AccessDeniedError):
        service.practice_patients(who, outside)


def test_a_patient_id_outside_64_bits_is_refused_not_a_server_error(app):
    client = TestClient(app)
    for path in ("/api/v1/patients/9223372036854775808", "/api/v1/patients/-9223372036854775809",
                 "/api/v1/patients/9223372036854775808/identifiable"):
        assert client.get(path).status_code in (401, 403, 422), path
