"""Worklists in the application, on a hand-made lake whose lists are worked out by hand:
who sees them (the practice's and its PCN's clinicians only), what a row shows, the
shortfall, follow-ups kept across a rebuild, the CSV and XLSX for a GP system search, the API
under the same rules, and every refusal and identifiable view in the audit log.

The lake (CVDPREVENT rules, as of 2025-03-31; target 80%): at practice E81021, on the
hypertension register,
  1  aged 65, last BP 160/95 on 2025-01-10: above target      -> on the list
  2  aged 65, last BP 130/80 on 2025-02-01: treated to target -> not on the list
  3  aged 70, no BP in 12 months                             -> on the list
  5  aged 50, no BP, with a national data opt-out             -> on the list (direct care)
and at E81019 (another PCN) patient 4, no BP: on E81019's list only.
So E81021's CVDP007HYP is 1 of 4 treated; 80% of 4 needs 4, so 3 more: all three rows.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pyarrow as pa
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from icsight.api.app import create_app
from icsight.appdb import Accounts, open_database
from icsight.appdb.follow_ups import latest_outcomes
from icsight.cli import main
from icsight.lake import write_table
from icsight.model.schema import TABLES
from icsight.services import Service
from icsight.worklists.catalogue import WORKLISTS
from tests.accounts import PASSWORD, SECRET
from tests.lakes import make_lake, patient
from tests.sessions import Clock
from tests.spec.indicators.cvdp007hyp import bp, hyp
from tests.test_web_pages import _assert_designed_page
from tests.web_forms import audit_entries, client, form_token, signed_in

MINE, SAME_PCN, THEIRS, PCN = "E81021", "E81038", "E81019", "U74819"
LIST = "hypertension-above-target"
PAGE = f"/worklists/{MINE}/{LIST}"
NHS = {1: "9000000009", 2: "9000000017", 3: "9000000025", 4: "9000000033",
       5: "9000000041"}
BORN = {1: dt.date(1959, 1, 15), 2: dt.date(1959, 1, 15), 3: dt.date(1954, 1, 15),
        4: dt.date(1959, 1, 15), 5: dt.date(1975, 1, 15)}
NAMES = {1: ("Ada", "Lovelace"), 2: ("Bob", "Treated"), 3: ("Cyd", "Nobp"),
         4: ("Dee", "Elsewhere"), 5: ("Eve", "Optout")}


def _identifiers() -> pa.Table:
    rows = [{"patient_id": pid, "nhs_number": NHS[pid], "local_id_system": None,
             "local_id_value": None, "given_name": NAMES[pid][0],
             "family_name": NAMES[pid][1], "date_of_birth": BORN[pid],
             "address_line": None, "postcode": None} for pid in NHS]
    schema = TABLES["person_identifiers"].schema
    return pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worklists")
    lake = make_lake(folder / "lake", [
        patient(1, "1959-01-01"), patient(2, "1959-01-01"), patient(3, "1954-01-01"),
        patient(4, "1959-01-01", practice_code=THEIRS),
        patient(5, "1975-01-01", data_opt_out=True)],
        [hyp(1), *bp(1, "2025-01-10", 160, 95), hyp(2), *bp(2, "2025-02-01", 130, 80),
         hyp(3), hyp(4), hyp(5)])
    write_table(lake, "person_identifiers", _identifiers())
    _build(folder)
    return folder


def _build(folder):
    done = CliRunner().invoke(main, ["build", "--lake", str(folder / "lake"), "--months", "1",
                                     "--out", str(folder / "results"), "--id", "CVDP007HYP"])
    assert done.exit_code == 0, done.output


@pytest.fixture
def site(built, database_url) -> dict:
    accounts = Accounts(database_url)
    accounts.add("gp", PASSWORD, "clinician", practice_code=MINE)
    accounts.add("pcn", PASSWORD, "clinician", pcn_code=PCN)
    accounts.add("other", PASSWORD, "clinician", practice_code=THEIRS)
    accounts.add("ana", PASSWORD, "analyst")
    audit = built / f"audit-{id(accounts)}.jsonl"
    app = create_app(Service(built / "lake", built / "results", audit), accounts, SECRET,
                     clock=Clock())
    return {"app": app, "audit": audit, "folder": built, "url": database_url}


def _in_order(html: str) -> list[str]:
    found = sorted((html.find(f"NHS number {n}"), n) for n in NHS.values()
                   if f"NHS number {n}" in html)
    return [n for _, n in found]


def test_only_clinicians_reach_worklists(site):
    public = client(site["app"])
    assert public.get("/worklists").status_code == 401
    assert public.get(PAGE).status_code == 401
    analyst = signed_in(site["app"], "ana")
    refused = analyst.get(PAGE)
    assert refused.status_code == 403 and "only clinicians" in refused.text
    _assert_designed_page(refused)
    gp = signed_in(site["app"], "gp")
    assert gp.get("/worklists").headers["location"] == f"/worklists/{MINE}"
    # the PCN's clinician chooses between the PCN's practices
    pcn = signed_in(site["app"], "pcn").get("/worklists")
    assert pcn.status_code == 200 and f"/worklists/{MINE}" in pcn.text
    assert f"/worklists/{SAME_PCN}" in pcn.text and f"/worklists/{THEIRS}" not in pcn.text


def test_the_navigation_offers_worklists_to_clinicians_only(site):
    assert 'href="/worklists"' in signed_in(site["app"], "gp").get(PAGE).text
    assert 'href="/worklists"' not in signed_in(site["app"], "ana").get("/").text


def test_the_list_holds_exactly_the_hand_worked_patients_with_who_and_why(site):
    page = signed_in(site["app"], "gp").get(PAGE)
    assert page.status_code == 200, page.text
    _assert_designed_page(page)
    shown = _in_order(page.text)
    assert sorted(shown) == sorted([NHS[1], NHS[3], NHS[5]])  # never 2 (at target), 4
    assert "LOVELACE, Ada" in page.text and "Aged 66" in page.text  # born 15 Jan 1959
    assert "160/95" in page.text  # the facts behind the reason
    assert "No blood pressure recorded" in page.text
    assert "national data opt-out does not apply" in page.text
    # the shortfall: 1 of 4 treated, 80% of 4 needs 4, so 3 more
    assert "1 of 4 patients" in page.text and "<strong>3 more</strong>" in page.text
    assert page.text.count("Fastest to target") == 3


def test_the_pcn_clinician_sees_a_practice_of_the_pcn_and_not_another(site):
    pcn = signed_in(site["app"], "pcn")
    assert pcn.get(PAGE).status_code == 200
    assert pcn.get(f"/worklists/{THEIRS}/{LIST}").status_code == 403


def test_another_practice_is_refused_on_pages_files_forms_and_api_and_audited(site):
    other = signed_in(site["app"], "other")
    assert other.get(f"/worklists/{MINE}").status_code == 403
    assert other.get(PAGE).status_code == 403
    assert other.get(PAGE + "/export?format=csv").status_code == 403
    token = form_token(other.get(f"/worklists/{THEIRS}/{LIST}").text)
    posted = other.post(PAGE + "/follow-up", data={
        "csrf_token": token, "patient": NHS[1], "outcome": "invited", "date": "2025-04-02"})
    assert posted.status_code == 403
    assert other.get(f"/api/v1/practices/{MINE}/worklists/{LIST}").status_code == 403
    api = other.post(f"/api/v1/practices/{MINE}/worklists/{LIST}/follow-ups",
                     json={"patient": NHS[1], "outcome": "invited", "date": "2025-04-02"},
                     headers={"X-CSRF-Token": token})
    assert api.status_code == 403
    denied = [e for e in audit_entries(site["audit"]) if e["action"].startswith("DENIED")]
    assert len(denied) >= 6
    assert all(e["actor"] == "other" for e in denied)
    # and their own list shows only their own patient
    assert _in_order(other.get(f"/worklists/{THEIRS}/{LIST}").text) == [NHS[4]]


def test_a_follow_up_is_recorded_audited_shown_and_kept_across_a_rebuild(site):
    gp = signed_in(site["app"], "gp")
    token = form_token(gp.get(PAGE).text)
    done = gp.post(PAGE + "/follow-up", data={
        "csrf_token": token, "patient": NHS[3], "outcome": "booked", "date": "2025-04-02",
        "sort": "priority", "status": "all", "page": "1"})
    assert done.status_code == 303 and "saved=1" in done.headers["location"]
    assert NHS[3] not in done.headers["location"]  # no NHS number in an address
    after = gp.get(done.headers["location"]).text
    assert "The follow-up was recorded" in after and "Booked on 2025-04-02 (gp)" in after
    assert any(e["action"] == "worklists.follow_up" and e["actor"] == "gp"
               for e in audit_entries(site["audit"]))
    # filtering by follow-up
    assert _in_order(gp.get(PAGE + "?status=booked").text) == [NHS[3]]
    assert NHS[3] not in gp.get(PAGE + "?status=open").text
    _build(site["folder"])  # a new run: the follow-up is found again by list and patient
    assert "Booked on 2025-04-02 (gp)" in gp.get(PAGE).text
    summary = gp.get(f"/worklists/{MINE}")
    assert summary.status_code == 200 and "Followed up" in summary.text


@pytest.mark.parametrize(("fields", "status", "says"), [
    ({"patient": NHS[2], "outcome": "invited", "date": "2025-04-02"}, 404, "not on this list"),
    ({"patient": NHS[4], "outcome": "invited", "date": "2025-04-02"}, 404, "not on this list"),
    ({"patient": "", "outcome": "invited", "date": "2025-04-02"}, 404, "not on this list"),
    ({"patient": NHS[1], "outcome": "cured", "date": "2025-04-02"}, 400, "choose an outcome"),
    ({"patient": NHS[1], "outcome": "invited", "date": "2025-02-30"}, 400, "real day"),
    ({"patient": NHS[1], "outcome": "invited", "date": "1999-01-01"}, 400, "real day"),
    ({"patient": NHS[1], "outcome": "invited", "date": "<script>x</script>"}, 400, "real day"),
])
def test_a_follow_up_that_cannot_be_recorded_says_why_and_writes_nothing(site, fields, status,
                                                                         says):
    gp = signed_in(site["app"], "gp")
    token = form_token(gp.get(PAGE).text)
    answer = gp.post(PAGE + "/follow-up", data={"csrf_token": token, **fields})
    assert answer.status_code == status and says in answer.text
    _assert_designed_page(answer)
    assert "<script>x</script>" not in answer.text
    assert latest_outcomes(open_database(site["url"]), MINE) == {}


def test_a_follow_up_without_the_form_token_is_refused(site):
    gp = signed_in(site["app"], "gp")
    answer = gp.post(PAGE + "/follow-up", data={"patient": NHS[1], "outcome": "invited",
                                                "date": "2025-04-02"})
    assert answer.status_code == 403


def test_the_csv_and_xlsx_put_nhs_numbers_first_and_are_audited_as_exports(site):
    gp = signed_in(site["app"], "gp")
    csv_file = gp.get(PAGE + "/export?format=csv")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-disposition"].endswith('.csv"')
    lines = csv_file.text.splitlines()
    assert lines[0].startswith('"NHS number"')
    assert sorted(line.split(",")[0].strip('"') for line in lines[1:]) == sorted(
        [NHS[1], NHS[3], NHS[5]])
    book = load_workbook(io.BytesIO(gp.get(PAGE + "/export?format=xlsx").content))
    sheet = book.active
    assert sheet.cell(1, 1).value == "NHS number"
    assert sorted(sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)) == sorted(
        [NHS[1], NHS[3], NHS[5]])
    assert all(isinstance(sheet.cell(r, 1).value, str) for r in range(2, sheet.max_row + 1))
    exports = [e for e in audit_entries(site["audit"])
               if e["action"] == "records.identifiable.export"]
    assert len(exports) == 2 and all("purpose: direct_care" in e["detail"] for e in exports)
    assert gp.get(PAGE + "/export?format=pdf").status_code == 404


def test_the_api_serves_the_same_list_under_the_same_rules(site):
    gp = signed_in(site["app"], "gp")
    definitions = client(site["app"]).get("/api/v1/worklists").json()
    assert LIST in [d["id"] for d in definitions]  # the definitions are public
    found = gp.get(f"/api/v1/practices/{MINE}/worklists/{LIST}")
    assert found.status_code == 200, found.text
    body = found.json()
    assert sorted(r["nhs_number"] for r in body["rows"]) == sorted([NHS[1], NHS[3], NHS[5]])
    assert all("patient_id" not in r for r in body["rows"])  # no pseudonym for clinicians
    assert body["summary"]["needed"] == 3 and body["summary"]["denominator"] == 4
    token = gp.get("/api/v1/session").json()["csrf_token"]
    made = gp.post(f"/api/v1/practices/{MINE}/worklists/{LIST}/follow-ups",
                   json={"patient": NHS[1], "outcome": "declined", "date": "2025-04-03"},
                   headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    again = gp.get(f"/api/v1/practices/{MINE}/worklists/{LIST}?status=declined").json()
    assert [r["nhs_number"] for r in again["rows"]] == [NHS[1]]
    summary = gp.get(f"/api/v1/practices/{MINE}/worklists").json()
    mine = {r["list_id"]: r for r in summary["lists"]}
    assert mine[LIST]["patients"] == 3 and mine[LIST]["followed_up"] == 1
    assert json.dumps(summary)  # plain JSON throughout


@pytest.mark.parametrize("query", ["sort=name", "status=<script>", "page=0", "page=99",
                                   "sort=priority&page=-1"])
def test_a_list_address_that_makes_no_sense_gets_a_designed_answer(site, query):
    gp = signed_in(site["app"], "gp")
    answer = gp.get(f"{PAGE}?{query}")
    assert answer.status_code in (404, 422) and "<script>" not in answer.text
    if answer.status_code == 404:
        _assert_designed_page(answer)


def test_unknown_practice_and_list_are_not_found(site):
    gp = signed_in(site["app"], "gp")
    assert gp.get(f"/worklists/{MINE}/no-such-list").status_code == 404
    assert gp.get("/worklists/X99999").status_code == 404


def test_the_practice_page_counts_every_list_of_the_build_zero_included(site):
    page = signed_in(site["app"], "gp").get(f"/worklists/{MINE}")
    assert page.status_code == 200
    _assert_designed_page(page)
    cells = re.findall(r'<td class="nhsuk-table__cell[^"]*"[^>]*>\s*'
                       r'<span class="nhsuk-table__heading" aria-hidden="true">([^<]+)</span>'
                       r'\s*([^<]*?)\s*</td>', page.text)
    patients = [value for heading, value in cells if heading.strip() == "Patients"]
    # above target: patients 1, 3 and 5; high-risk (none has diabetes, CKD or HF): 0; the
    # other lists were not built (a build of CVDP007HYP only), so 0 too
    assert len(patients) == len(WORKLISTS)
    assert "3 more to reach 80%" in page.text
    assert patients.count("3") == 1 and set(patients) == {"0", "3"}
