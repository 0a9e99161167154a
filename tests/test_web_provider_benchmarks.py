"""The providers-compared pages (`/provider-benchmarks`, `/provider-benchmarks/{code}`) and their
API (`/api/v1/provider-benchmarks`), on the hand-made lake of
tests/test_waiting_list_benchmarking.py: the public sees published figures (RX1's list of 5
for ophthalmology withheld), analysts the exact ones; the dermatology page shows RA3 below
the funnel's 99.8% limit, in the drawing's table as in the providers' table."""

from __future__ import annotations

import pytest

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.services import Service
from tests.accounts import PASSWORD, SECRET
from tests.rtt import rtt_lake
from tests.sessions import Clock
from tests.test_waiting_list_benchmarking import AS_OF, _pathways
from tests.test_web_pages import _assert_designed_page
from tests.web_forms import client, signed_in


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("benchweb")
    rows, died = _pathways()
    lake = rtt_lake(folder / "lake", rows, AS_OF, died)
    (folder / "results").mkdir()
    accounts = Accounts(f"sqlite:///{folder / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    return create_app(Service(lake, folder / "results", folder / "audit.jsonl"), accounts,
                      SECRET, clock=Clock())


def _table(page, starts: str) -> dict[str, list[str]]:
    """The table whose caption starts with `starts`: its rows by their first cell."""
    found = [t for t in page.tables if (t["caption"] or "").startswith(starts)]
    assert found, [t["caption"] for t in page.tables]
    return {row[0]: row[1:] for row in found[0]["rows"][1:]}


def test_public_page_publishes_and_withholds(app):
    response = client(app).get("/provider-benchmarks")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    derm = _table(page, "Dermatology")
    # RA3: 100 waiting, 20 of them within 18 weeks (multiples of 5: published as they are)
    assert derm["RA3"][:4] == ["100", "28", "28", "20.0%"]  # 200 days = 28.6 weeks, floored
    assert derm["RA3"][4] == "Below the 99.8% limit"
    eye = _table(page, "Ophthalmology")
    # RX1: 5 waiting (1 to 7 is withheld), so its waits and share are withheld too
    assert eye["RX1"][:4] == ["withheld"] * 4
    assert "Small numbers are withheld" in response.text
    assert "Vascular surgery" in response.text and "nothing to compare" in response.text


def test_analyst_sees_the_exact_figures(app):
    browser = signed_in(app, "ana")
    page = _assert_designed_page(browser.get("/provider-benchmarks"))
    eye = _table(page, "Ophthalmology")
    # waits 7, 14, 21, 28 and 140 days: median 3.0 weeks, 92% no longer than 20.0
    assert eye["RX1"][:4] == ["5", "3.0", "20.0", "80.0%"]
    assert eye["RX1"][6:8] == ["25.0 (8.3)", "+150.0%"]


def test_service_page_has_the_funnel_and_each_providers_chart(app):
    response = client(app).get("/provider-benchmarks/330")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    funnel = _table(page, "Data for the chart: Dermatology: people waiting within 18 weeks")
    assert funnel["RA3"] == ["20.0%", "20", "100", "Below the 99.8% limit"]
    assert funnel["RA1"][-1] == "Within the 95% limits"
    spc = [t for t in page.tables if "% waiting within 18 weeks" in (t["caption"] or "")]
    assert len(spc) == 3  # one chart a provider, each with its table
    assert response.text.count("<svg") >= 4  # drawn on the server: no JavaScript needed


def test_unknown_service_is_not_found(app):
    response = client(app).get("/provider-benchmarks/999")
    assert response.status_code == 404


def test_api_serves_the_published_figures(app):
    body = client(app).get("/api/v1/provider-benchmarks/130").json()
    assert body["as_of"] == AS_OF and body["exact"] is False
    rx1 = next(p for p in body["providers"] if p["provider_code"] == "RX1")
    assert rx1["list_size"] is None and rx1["median_wait_weeks"] is None
    assert client(app).get("/api/v1/provider-benchmarks/999").status_code == 404
    everything = client(app).get("/api/v1/provider-benchmarks").json()
    assert {s["code"] for s in everything["services"]} == {
        "130", "330", "400", "310", "120", "107", "DIAG"}
