"""The site the area, strategy and search page tests share: the app over a small build (a
few indicators, three months, every breakdown down to practice) of the session's test lake,
built once for the session however many test modules ask for it."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.results import latest_run
from icsight.services import Service
from tests.accounts import PASSWORD, SECRET
from tests.shared import shared_build

#: A proportion, a rate, an observed/expected ratio, a DSR, and the registered list.
BUILT = ("CVDP007HYP", "LD_PREVALENCE", "EMERG_ADM_RATE", "HYP_DETECTION", "SCREEN_BOWEL",
         "PREM_MORT_CVD")
_SITES: dict[str, dict] = {}


def area_site(lake_dir, tmp_path_factory) -> dict:
    """The app, a public client, an analyst's client, and the run's published and exact
    tables."""
    key = str(lake_dir)
    if key not in _SITES:
        folder = tmp_path_factory.mktemp("web-areas")
        results = shared_build(tmp_path_factory, lake_dir, 3, BUILT)  # one per run, read-only
        accounts = Accounts(f"sqlite:///{folder / 'icsight.db'}")
        accounts.add("ana", PASSWORD, "analyst")
        app = create_app(Service(lake_dir, results, folder / "audit.jsonl"), accounts, SECRET)
        run = latest_run(results)
        _SITES[key] = {"app": app, "public": TestClient(app, base_url="https://testserver"),
                       "analyst": signed_in(app, "ana"),
                       "published": pd.read_parquet(run / "published_values.parquet"),
                       "exact": pd.read_parquet(run / "indicator_values.parquet")}
    return _SITES[key]


def signed_in(app, user: str) -> TestClient:
    """A client signed in as `user` (through the API's login, with its CSRF token)."""
    client = TestClient(app, base_url="https://testserver")
    token = client.get("/api/v1/session").json()["csrf_token"]
    response = client.post("/api/v1/login", json={"username": user, "password": PASSWORD},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    return client


def latest(table: pd.DataFrame, indicator_id: str, breakdown: str) -> pd.DataFrame:
    """One indicator's rows at one breakdown in its latest period, by group."""
    rows = table[(table.indicator_id == indicator_id) & (table.breakdown == breakdown)]
    return rows[rows.period_end == rows.period_end.max()].set_index("group")
