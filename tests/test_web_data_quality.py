"""The data-quality page, `/data-quality`: for analysts and admins only (the public is asked
to sign in, other roles refused, both audited); every load's reconciliation, checked here
against the files loaded and the lake's own tables; and the quarantine with its reasons,
paged, newest first, without the payloads or any value that could identify someone."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow.parquet as pq
import pytest

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.ingest.load import ingest, quarantine_path
from icsight.lake import table_path
from icsight.services import Service
from tests.accounts import PASSWORD, SECRET
from tests.lakes import PRACTICE, TEST_KEY
from tests.sessions import Clock
from tests.test_web_pages import Page, _assert_designed_page
from tests.web_forms import audit_entries, client, signed_in

TODAY = dt.date(2026, 11, 22)
HEADER = "nhs_number,sex,month_of_birth,ethnicity_group,ethnicity_category,given_name"
FIRST = [  # two good rows, three bad
    "9434765919,female,1950-03-01,White,A,Alice",
    "0000000000,female,1950-03-01,White,A,Zed",  # a placeholder NHS number
    "9434765870,male,1960-07-01,Asian,H",  # a field short
    "4010232137,female,0001-01-01,White,A,Olivia",  # born before 1900
    "9990000018,female,1970-01-01,White,A,Eve"]
BAD_SEX = 120  # rows whose sex is not one of the allowed codes: more than two pages


def _valid_nhs_numbers(count: int, start: int = 943_400_000) -> list[str]:
    """`count` NHS numbers with a valid modulus 11 check digit."""
    out, n = [], start
    while len(out) < count:
        digits = [int(c) for c in f"{n:09d}"]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            out.append(f"{n:09d}{check}")
        n += 1
    return out


@pytest.fixture(scope="module")
def loaded(served, tmp_path_factory) -> dict:
    """A lake made by two loads: a mixed patients file, then one with many bad rows."""
    folder = tmp_path_factory.mktemp("quality")
    first = folder / "drop" / "patients.csv"
    first.parent.mkdir()
    first.write_text("\n".join([HEADER, *FIRST]) + "\n")
    numbers = _valid_nhs_numbers(BAD_SEX + 3)
    second = folder / "drop" / "patients-december.csv"
    rows = [f"{n},Purple,1980-05-01,White,A,Name{i}" for i, n in enumerate(numbers[:BAD_SEX])]
    rows += [f"{n},male,1981-06-01,White,A,Good{i}" for i, n in enumerate(numbers[BAD_SEX:])]
    second.write_text("\n".join([HEADER, *rows]) + "\n")
    lake = folder / "lake"
    ingest(lake, [first], key=TEST_KEY, today=TODAY)
    ingest(lake, [second], key=TEST_KEY, today=TODAY)
    (folder / "results").mkdir()
    accounts = Accounts(f"sqlite:///{folder / 'icsight.db'}")
    for user, role in (("ana", "analyst"), ("adm", "admin"), ("pub", "public")):
        accounts.add(user, PASSWORD, role)
    accounts.add("gp", PASSWORD, "clinician", practice_code=PRACTICE)
    audit = folder / "audit.jsonl"
    app = create_app(Service(lake, folder / "results", audit), accounts, SECRET, clock=Clock())
    return {"app": app, "lake": lake, "audit": audit, "files": [first, second],
            "numbers": numbers}


def _records(path) -> int:
    """The data rows of a CSV file, counted by the standard library's reader."""
    return len(list(csv.reader(io.StringIO(path.read_text())))) - 1


def test_only_analysts_and_admins_see_data_quality(loaded):
    app = loaded["app"]
    public = client(app).get("/data-quality")
    assert public.status_code == 401
    _assert_designed_page(public)
    assert 'href="/sign-in?next=/data-quality"' in public.text
    for user in ("gp", "pub"):
        response = signed_in(app, user).get("/data-quality")
        assert response.status_code == 403
        _assert_designed_page(response)
        assert 'href="/data-quality"' not in response.text
    for user in ("ana", "adm"):
        response = signed_in(app, user).get("/data-quality")
        assert response.status_code == 200
        _assert_designed_page(response)
        assert 'class="nhsuk-header__navigation-link" href="/data-quality"' in response.text
    denied = {e["actor"] for e in audit_entries(loaded["audit"])
              if e["action"] == "DENIED quality.read"}
    assert denied == {"anonymous", "gp", "pub"}


def test_the_reconciliation_matches_the_files_and_the_lake(loaded):
    page = Page(signed_in(loaded["app"], "ana").get("/data-quality").text)
    table = page.table("Rows received, loaded and quarantined")
    rows = {r[0]: r for r in table["rows"][1:]}
    assert list(rows) == ["patients-december.csv", "patients.csv"]  # newest load first
    quarantine = pq.read_table(quarantine_path(loaded["lake"])).to_pylist()
    lake_rows = pq.read_table(table_path(loaded["lake"], "patients")).num_rows
    loaded_total = 0
    for path in loaded["files"]:
        row = rows[path.name]
        received, loaded_rows, quarantined = (int(row[i].replace(",", "")) for i in (3, 4, 6))
        assert received == _records(path)
        assert quarantined == sum(q["source"].endswith(path.name) for q in quarantine)
        assert received == loaded_rows + quarantined and row[7] == "Yes"
        loaded_total += loaded_rows
    assert loaded_total == lake_rows  # every loaded row is in the lake, once
    assert (int(rows["patients.csv"][4]), int(rows["patients.csv"][6])) == (2, 3)


def test_the_quarantine_is_paged_newest_first_with_reasons_and_no_identifiers(loaded):
    browser = signed_in(loaded["app"], "adm")
    stored = pq.read_table(quarantine_path(loaded["lake"])).to_pylist()
    total = len(stored)
    assert total == BAD_SEX + 3
    pages = [Page(browser.get(f"/data-quality?page={n}").text) for n in (1, 2, 3)]
    shown = [t["rows"][1:] for t in (p.table("Quarantined rows") for p in pages)]
    assert [len(rows) for rows in shown] == [50, 50, total - 100]
    every = [row for rows in shown for row in rows]
    # newest first: the second load's rows, then the first's three
    assert {r[0] for r in every[:BAD_SEX]} == {"patients-december.csv"}
    assert {r[0] for r in every[BAD_SEX:]} == {"patients.csv"}
    assert sorted(r[1] for r in every[BAD_SEX:]) == sorted(
        s["locator"] for s in stored if s["source"].endswith("patients.csv"))
    sexes = [r for r in every if r[3] == "sex"]
    assert len(sexes) == BAD_SEX and all("is not one of" in r[4] for r in sexes)
    html = "".join(browser.get(f"/data-quality?page={n}").text for n in (1, 2, 3))
    for number in [*loaded["numbers"], "9434765870", "4010232137", "0000000000"]:
        assert number not in html
    for name in ("Alice", "Olivia", "Name7", "Good1"):
        assert name not in html
    assert "payload" not in html.lower()


@pytest.mark.parametrize(("page", "status"), [("0", 400), ("-1", 400), ("two", 400),
                                              ("1e3", 400), ("4", 404), ("99999999", 400)])
def test_a_page_number_that_is_not_a_page_gets_a_designed_page(loaded, page, status):
    response = signed_in(loaded["app"], "ana").get(f"/data-quality?page={page}")
    assert response.status_code == status
    _assert_designed_page(response)


def test_a_lake_never_loaded_into_says_so(served, tmp_path):
    accounts = Accounts(f"sqlite:///{tmp_path / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    service = served["service"]  # a lake written whole by the test helper, never ingested
    app = create_app(Service(service.lake_dir, service.results_dir, tmp_path / "a.jsonl"),
                     accounts, SECRET, clock=Clock())
    response = signed_in(app, "ana").get("/data-quality")
    assert response.status_code == 200
    assert "Nothing has been loaded into this lake" in response.text
    assert "No rows are in quarantine" in response.text
