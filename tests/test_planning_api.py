"""Planning to 2043 in the HTTP API (issue 14, point 5): /api/v1/planning/* over a build of the
60,000-person test lake with its planning tables (256 runs of each packaged scenario).

What is checked by hand here, against the tables the build wrote:

* a percentile re-aggregated from the runs an analyst downloads equals the one served: BLMK's
  p10 / p50 / p90 are numpy's linear percentiles of each run's sum of the four places (never
  the sum of the places' percentiles), a place's of its own runs;
* the public's figures are the exact ones rounded to 5 (or withheld), the waterfall's steps
  still add up, and an analyst asking for `published=true` sees what the public sees;
* the runs are refused, with 403 and an audit entry, to everyone but analysts;
* JSON and CSV carry the same rows; filters select exactly the rows they name; a bad filter
  is a 422 naming the parameter, or a 404 naming what the build has.
"""

from __future__ import annotations

import csv
import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.engine import open_lake
from icsight.planning.demand import POD_IDS
from icsight.planning.population import BLMK, PLACES
from icsight.results import latest_run
from icsight.results.store import build
from icsight.services import Service
from tests.accounts import PASSWORD, SECRET
from tests.web_forms import audit_entries, client, signed_in

API = "/api/v1/planning"
AREAS = (BLMK, *PLACES)
FIGURES = ("baseline", "mean", "p10", "p50", "p90")


@pytest.fixture(scope="module")
def built(lake_dir, tmp_path_factory):
    """One build of the test lake with its planning tables (for planning: opt-outs out)."""
    folder = tmp_path_factory.mktemp("planapi")
    build(open_lake(lake_dir, purpose="planning"), folder / "results", months=1,
          ids=["RTT_18WK"], planning=True)
    return folder


@pytest.fixture(scope="module")
def app(built, lake_dir, tmp_path_factory):
    service = Service(lake_dir, built / "results", built / "audit.jsonl")
    accounts = Accounts(f"sqlite:///{tmp_path_factory.mktemp('db') / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    accounts.add("pub", PASSWORD, "public")
    accounts.add("gp", PASSWORD, "clinician", practice_code="E81001")
    return create_app(service, accounts, SECRET)


@pytest.fixture(scope="module")
def analyst(app):
    return signed_in(app, "ana")


@pytest.fixture(scope="module")
def public(app):
    return client(app)


def _rows(browser, path: str, **params) -> list[dict]:
    """Every row of a table endpoint (one page of up to 10,000 rows)."""
    got = browser.get(f"{API}{path}", params={"limit": 10_000, **params})
    assert got.status_code == 200, got.text
    page = got.json()
    assert page["total"] == len(page["rows"]), "more than one page: narrow the filter"
    return page["rows"]


# --- JSON and CSV, filters -----------------------------------------------------------------

def test_demand_as_json_and_csv_has_the_same_rows_and_every_area_pod_and_year(public):
    rows = _rows(public, "/demand")
    # 2 scenarios x 5 areas x 13 points of delivery x 21 years (2023-2043)
    assert len(rows) == 2 * 5 * len(POD_IDS) * 21
    frame = pd.DataFrame(rows)
    assert set(frame.scenario) == {"Principal", "Mitigated"}
    assert set(frame.place) == set(AREAS) and set(frame.pod) == set(POD_IDS)
    assert (frame.year.min(), frame.year.max()) == (2023, 2043)
    got = public.get(f"{API}/demand", params={"format": "csv", "limit": 10_000})
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["x-total-count"] == str(len(rows))
    assert 'filename="planning-demand.csv"' in got.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(got.text)))
    assert list(table[0]) == list(rows[0])
    for json_row, csv_row in zip(rows, table, strict=True):
        for key, value in json_row.items():
            if value is None:
                assert csv_row[key] == ""
            elif isinstance(value, bool):
                assert csv_row[key] == str(value).lower()
            elif isinstance(value, int | float):
                assert float(csv_row[key]) == value
            else:
                assert csv_row[key] == value


def test_filters_select_exactly_the_rows_they_name(public):
    one = _rows(public, "/demand", scenario="MITIGATED", place="Luton", pod="ae", year=2043)
    assert [(r["scenario"], r["place"], r["pod"], r["year"]) for r in one] == [
        ("Mitigated", "Luton", "ae", 2043)]
    whole = pd.DataFrame(_rows(public, "/demand", place="Luton", pod="ae"))
    assert len(whole) == 2 * 21
    assert whole[(whole.year == 2043) & (whole.scenario == "Mitigated")].p50.tolist() == [
        one[0]["p50"]]
    # ONS's residents of Luton in 2043: single years 0-90 by two sexes, one variant
    people = _rows(public, "/population", variant="ons-2022", place="Luton", year=2043)
    assert len(people) == 91 * 2
    assert {(r["variant"], r["place"], r["year"]) for r in people} == {
        ("ons-2022", "Luton", 2043)}
    capacity = _rows(public, "/capacity", scenario="principal", place=BLMK, measure="beds",
                     year=2043)
    assert [(r["measure"], r["year"], r["place"]) for r in capacity] == [("beds", 2043, BLMK)]
    savings = _rows(public, "/savings", place="Milton Keynes", measure="wte:consultants")
    assert {(r["place"], r["measure"]) for r in savings} == {("Milton Keynes",
                                                              "wte:consultants")}
    assert sorted(r["year"] for r in savings) == list(range(2023, 2044))
    steps = _rows(public, "/waterfall", scenario="mitigated", place=BLMK, pod="non_elective")
    assert [r["order"] for r in steps] == list(range(len(steps)))
    assert steps[0]["step"] == "baseline" and steps[-1]["step"] == "random variation"
    assert any(r["step"].startswith("mitigator: ") for r in steps)
    inflation = _rows(public, "/list-inflation", place="Bedford Borough")
    assert {r["place"] for r in inflation} == {"Bedford Borough"}
    assert {r["sex"] for r in inflation} == {"female", "male", "persons"}


def test_the_pyramid_is_the_population_in_five_year_bands(public):
    pyramid = pd.DataFrame(_rows(public, "/pyramid", place="Luton", from_year=2023,
                                 to_year=2043))
    # 19 bands (0-4 ... 85-89, 90+) x 2 sexes x 2 years
    assert len(pyramid) == 19 * 2 * 2 and set(pyramid.year) == {2023, 2043}
    people = pd.DataFrame(_rows(public, "/population", variant="ons-2022", place="Luton",
                                year=2043))
    band = pyramid[(pyramid.year == 2043) & (pyramid.sex == "female")].set_index("age_band")
    women = people[people.sex == "female"].set_index("age")
    assert band.people["90+"] == pytest.approx(women.people[90])  # ONS's 90 and over
    assert band.people["80-84"] == pytest.approx(women.people.loc[80:84].sum())
    assert pyramid[pyramid.year == 2043].people.sum() == pytest.approx(people.people.sum())
    # BLMK is the four places summed
    blmk = pd.DataFrame(_rows(public, "/pyramid"))
    everyone = pd.DataFrame(_rows(public, "/population", variant="ons-2022", year=2023))
    assert blmk[blmk.year == 2023].people.sum() == pytest.approx(everyone.people.sum())


# --- percentiles re-aggregated from the runs -----------------------------------------------

@pytest.mark.parametrize("pod", ["non_elective_bed_days", "ae"])
def test_percentiles_reaggregated_by_hand_from_the_runs_equal_the_served_ones(analyst, pod):
    runs = pd.DataFrame(_rows(analyst, "/demand/runs", scenario="principal", pod=pod,
                              year=2043))
    assert len(runs) == 256 * 4 and set(runs.place) == set(PLACES)  # BLMK is not a run row
    served = {r["place"]: r for r in _rows(analyst, "/demand", scenario="principal",
                                           pod=pod, year=2043)}
    per_run = runs.pivot(index="run", columns="place", values="activity")
    totals = per_run.sum(axis=1)  # BLMK in each run: the four places summed
    assert [served[BLMK][p] for p in ("p10", "p50", "p90")] == pytest.approx(
        np.percentile(totals, [10, 50, 90]), rel=1e-9)
    assert served[BLMK]["mean"] == pytest.approx(totals.mean(), rel=1e-9)
    for place in PLACES:
        assert served[place]["p50"] == pytest.approx(np.median(per_run[place]), rel=1e-9)
    if pod == "non_elective_bed_days":  # bed days are not whole: the two sums differ
        summed = sum(served[place]["p90"] for place in PLACES)
        assert served[BLMK]["p90"] != pytest.approx(summed, rel=1e-9)


def test_the_runs_are_for_analysts_only_and_a_refusal_is_audited(app, public, analyst,
                                                                  built):
    before = len(audit_entries(built / "audit.jsonl"))
    assert public.get(f"{API}/demand/runs").status_code == 403
    for user in ("pub", "gp"):
        got = signed_in(app, user).get(f"{API}/demand/runs", params={"pod": "ae"})
        assert got.status_code == 403, user
        assert "rows" not in got.json()
    denied = [e for e in audit_entries(built / "audit.jsonl")[before:]
              if e["action"] == "DENIED aggregates.unsuppressed"]
    assert [(e["actor"], e["resource"]) for e in denied] == [
        ("anonymous", "planning runs"), ("pub", "planning runs"), ("gp", "planning runs")]
    page = analyst.get(f"{API}/demand/runs", params={"limit": 3}).json()
    # 2 scenarios x 256 runs x 21 years x 4 places x 13 points of delivery
    assert page["total"] == 2 * 256 * 21 * 4 * len(POD_IDS)
    assert page["next"] == f"{API}/demand/runs?offset=3&limit=3"


# --- what the public sees ------------------------------------------------------------------

def _multiples_of_5_or_withheld(frame: pd.DataFrame, columns) -> None:
    values = frame[list(columns)].stack(future_stack=True).dropna()
    assert len(values) and (values % 5 == 0).all()


def test_the_public_sees_activity_rounded_to_5_or_withheld(public, analyst):
    shown = pd.DataFrame(_rows(public, "/demand"))
    exact = pd.DataFrame(_rows(analyst, "/demand"))
    _multiples_of_5_or_withheld(shown, FIGURES)
    both = exact.merge(shown, on=["scenario", "place", "pod", "year"],
                       suffixes=("_exact", "_shown"))
    assert len(both) == len(shown)
    for figure in FIGURES:
        value = both[f"{figure}_exact"].round()
        small = value.between(1, 7)
        assert both.loc[small, f"{figure}_shown"].isna().all()
        assert (both.loc[~small & ~both.suppressed, f"{figure}_shown"]
                == (value[~small & ~both.suppressed] / 5).round() * 5).all()
    assert (exact[list(FIGURES)] % 5 != 0).any().any()  # the analyst's are not rounded
    # an analyst asking for the published figures sees what the public sees
    assert _rows(analyst, "/demand", published="true", pod="maternity") == _rows(
        public, "/demand", pod="maternity")


def test_the_published_waterfall_is_rounded_and_still_adds_up(public):
    steps = pd.DataFrame(_rows(public, "/waterfall"))
    _multiples_of_5_or_withheld(steps, ("change", "level"))
    for _, one in steps.groupby(["scenario", "place", "pod"]):
        if one.suppressed.any():  # withheld with its baseline: nothing to add up
            assert one.level.isna().all()
            continue
        one = one.sort_values("order")
        assert one.change.sum() == one.level.iloc[-1]


def test_published_capacity_is_to_one_decimal_place(public, analyst):
    shown = pd.DataFrame(_rows(public, "/capacity", year=2043))
    exact = pd.DataFrame(_rows(analyst, "/capacity", year=2043))
    both = exact.merge(shown, on=["scenario", "place", "measure", "year"],
                       suffixes=("_exact", "_shown"))
    assert (both.p50_shown == both.p50_exact.round(1)).all()
    assert (both.p50_shown != both.p50_exact).any()


def test_the_public_list_inflation_uses_the_published_pyramid(public, analyst):
    shown = pd.DataFrame(_rows(public, "/list-inflation", place=BLMK))
    _multiples_of_5_or_withheld(shown, ("registered",))
    exact = pd.DataFrame(_rows(analyst, "/list-inflation", place=BLMK))
    assert (exact.registered % 5 != 0).any()
    assert shown.residents.tolist() == pytest.approx(exact.residents.tolist())


# --- bad parameters ------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "params", "parameter"), [
    ("/demand", {"place": "Bedford"}, "place"),
    ("/demand", {"pod": "gp_appointments"}, "pod"),
    ("/demand", {"year": 2044}, "year"),
    ("/demand", {"year": "soon"}, "year"),
    ("/demand/runs", {"place": BLMK}, "place"),  # the runs are by place: BLMK is their sum
    ("/population", {"variant": "ons-2018"}, "variant"),
    ("/population", {"year": 2022}, "year"),
    ("/pyramid", {"to_year": 2050}, "to_year"),
    ("/capacity", {"published": "perhaps"}, "published"),
    ("/waterfall", {"limit": 0}, "limit"),
])
def test_a_bad_filter_is_a_422_naming_the_parameter(analyst, path, params, parameter):
    got = analyst.get(f"{API}{path}", params=params)
    assert got.status_code == 422, got.text
    assert [e["loc"] for e in got.json()["detail"]] == [["query", parameter]]


@pytest.mark.parametrize(("path", "params", "says"), [
    ("/demand", {"scenario": "optimistic"}, "no scenario 'optimistic'; one of Principal, "
                                            "Mitigated"),
    ("/waterfall", {"scenario": "x"}, "no scenario 'x'"),
    ("/capacity", {"measure": "ambulances"}, "no capacity measure 'ambulances'; one of "
                                             "beds_occupied, beds"),
    ("/forecasts", {}, "the latest build has no forecasts"),
    ("/backtest", {}, "the latest build has no forecasts"),
])
def test_what_the_build_does_not_have_is_a_404_saying_what_it_has(public, path, params, says):
    got = public.get(f"{API}{path}", params=params)
    assert got.status_code == 404
    assert got.json()["detail"].startswith(says)


def test_the_build_endpoint_gives_the_provenance(public):
    said = public.get(f"{API}/build").json()
    assert (said["runs"], said["seed"], said["years"]) == (256, 1, [2023, 2043])
    assert set(said["scenarios"]) == {"principal", "mitigated"}
    assert said["population_variants"] == ["housing-led", "ons-2022"]


def test_a_store_without_planning_tables_is_a_404_saying_how_to_make_them(built, lake_dir,
                                                                           tmp_path):
    shutil.copytree(built / "results", tmp_path / "results")
    run = latest_run(tmp_path / "results")
    for table in run.glob("*planning_*.parquet"):
        table.unlink()
    provenance = json.loads((run / "provenance.json").read_text())
    del provenance["planning"]
    (run / "provenance.json").write_text(json.dumps(provenance))
    accounts = Accounts(f"sqlite:///{tmp_path / 'icsight.db'}")
    app = create_app(Service(lake_dir, tmp_path / "results", tmp_path / "audit.jsonl"),
                     accounts, SECRET)
    browser = client(app)
    for path in ("/demand", "/population", "/capacity", "/build"):
        got = browser.get(f"{API}{path}")
        assert got.status_code == 404, path
        assert "no planning tables" in got.json()["detail"]


# --- forecasts and back-test (hand-made tables: a build with forecasts takes minutes) ------

def _forecast_rows() -> pd.DataFrame:
    rows = []
    for place in ("Luton", "Milton Keynes"):
        for model, chosen in (("AutoETS", True), ("SeasonalNaive", False)):
            for h in (1, 2):
                rows.append({"place": place, "pod": "ae", "month": f"2026-1{h - 1}-01",
                             "h": h, "model": model, "mean": 401.3 + h, "lo_80": 358.4,
                             "hi_80": 443.6, "chosen": chosen, "path": 402.2,
                             "path_lo_80": 359.0, "path_hi_80": 444.9, "weight": 0.0})
    frame = pd.DataFrame(rows)
    frame["month"] = pd.to_datetime(frame.month)
    return frame


@pytest.fixture
def forecast_app(built, lake_dir, tmp_path):
    """The build with forecast and back-test tables written by hand beside it."""
    shutil.copytree(built / "results", tmp_path / "results")
    run = latest_run(tmp_path / "results")
    exact = _forecast_rows()
    published = exact.copy()
    for column in ("mean", "lo_80", "hi_80", "path", "path_lo_80", "path_hi_80"):
        published[column] = (published[column].round() / 5).round() * 5
    exact.to_parquet(run / "planning_forecasts.parquet", index=False)
    published.to_parquet(run / "published_planning_forecasts.parquet", index=False)
    scores = exact.drop_duplicates(["place", "pod", "model"])[["place", "pod", "model",
                                                               "chosen"]]
    scores = scores.assign(mase=0.7, coverage_80=0.8)
    scores.to_parquet(run / "planning_backtest.parquet", index=False)
    scores.to_parquet(run / "published_planning_backtest.parquet", index=False)
    accounts = Accounts(f"sqlite:///{tmp_path / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    return create_app(Service(lake_dir, tmp_path / "results", tmp_path / "audit.jsonl"),
                      accounts, SECRET)


def test_forecasts_filter_by_place_and_chosen_model_and_are_published(forecast_app):
    public = client(forecast_app)
    chosen = _rows(public, "/forecasts", place="Luton", chosen_only="true")
    assert [(r["place"], r["model"], r["h"]) for r in chosen] == [("Luton", "AutoETS", 1),
                                                                  ("Luton", "AutoETS", 2)]
    assert [r["mean"] for r in chosen] == [400.0, 405.0]  # 402.3 and 403.3, rounded to 5
    assert chosen[0]["month"].startswith("2026-10-01")
    exact = _rows(signed_in(forecast_app, "ana"), "/forecasts", place="Luton",
                  chosen_only="true")
    assert [r["mean"] for r in exact] == pytest.approx([402.3, 403.3])
    assert len(_rows(public, "/forecasts")) == 8
    scores = _rows(public, "/backtest", place="Milton Keynes")
    assert {(r["model"], r["chosen"]) for r in scores} == {("AutoETS", True),
                                                           ("SeasonalNaive", False)}
    got = public.get(f"{API}/forecasts", params={"place": BLMK})
    assert got.status_code == 422  # forecasts are of the places
    assert got.json()["detail"][0]["loc"] == ["query", "place"]


# --- documented, and never a server error --------------------------------------------------

PATHS = ("/population", "/pyramid", "/list-inflation", "/demand", "/demand/runs",
         "/waterfall", "/capacity", "/savings", "/forecasts", "/backtest", "/build")


def test_every_planning_operation_is_documented_with_a_summary_and_an_example(public):
    schema = public.get("/api/v1/openapi.json").json()
    for path in PATHS:
        operation = schema["paths"][f"{API}{path}"]["get"]
        assert operation["summary"] and operation["description"], path
        assert "example" in operation["responses"]["200"]["content"]["application/json"], path
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])
    demand = {p["name"]: p for p in schema["paths"][f"{API}/demand"]["get"]["parameters"]}
    assert demand["place"]["schema"]["anyOf"][0]["enum"] == list(AREAS)
    reference = public.get("/api/v1/docs").text
    for path in PATHS:
        assert f"{API}{path}" in reference


def test_no_planning_request_is_a_server_error(app):
    """schemathesis over the planning operations only, with the build's tables behind them
    (the whole API's run, tests/test_api_schemathesis.py, has no planning build)."""
    import schemathesis
    from fastapi.testclient import TestClient
    from schemathesis.checks import not_a_server_error

    browser = TestClient(app)
    token = browser.get("/api/v1/session").json()["csrf_token"]
    signed = browser.post("/api/v1/login", json={"username": "ana", "password": PASSWORD},
                          headers={"X-CSRF-Token": token})
    headers = {"Cookie": f"icsight={signed.cookies.get('icsight')}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [op.ok() for op in schema.get_all_operations()]
    planning = [op for op in operations if op.path.startswith(API)]
    assert sorted(op.path for op in planning) == sorted(f"{API}{p}" for p in PATHS)
    for operation in planning:
        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        run()
