"""Property-based testing of the HTTP API from its own OpenAPI spec (schemathesis): whatever a
signed-in analyst sends, the server never fails (no 5xx), and no response gives an analyst
identifiable data."""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from icsight.api.app import create_app
from tests.accounts import PASSWORD, SECRET


def test_the_api_never_fails_whatever_it_is_sent(setting):
    app = create_app(setting["service"], setting["accounts"], SECRET, dev=True)
    client = TestClient(app)
    token = client.get("/api/v1/session").json()["csrf_token"]
    signed = client.post("/api/v1/login", json={"username": "ana", "password": PASSWORD},
                         headers={"X-CSRF-Token": token})
    headers = {"Cookie": f"icsight={signed.cookies.get('icsight')}",
               "X-CSRF-Token": signed.json()["csrf_token"]}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        if operation.path == "/api/v1/logout":
            continue  # would end the session the other operations run in

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
            if "identifiable" in case.path or case.path.startswith("/api/v1/practices/"):
                assert response.status_code in (403, 404, 422), (case.path, response.text)

        run()
