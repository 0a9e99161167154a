"""Programme commentary, versioned: `/programmes/{id}/commentary?period=YYYY-MM` shows each
metric's latest commentary for a month of the build, everyone reads it, analysts and admins
write it through a form carrying the CSRF token; every version is kept and shown newest
first; text is escaped, length-limited and audited; and the month, programme and metric are
checked, with a designed page for each mistake, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from icsight.api.app import create_app
from icsight.appdb import Accounts, commentary_for
from icsight.appdb.models import Commentary, CommentaryVersion
from icsight.cli import main
from icsight.services import Service
from icsight.services.commentary import MAX_TEXT
from tests.accounts import PASSWORD, SECRET
from tests.lakes import PRACTICE, make_lake, patient
from tests.sessions import Clock
from tests.test_web_pages import Page, _assert_designed_page
from tests.web_forms import audit_entries, client, form_token, signed_in

PAGE = "/programmes/ltc/commentary"
METRIC = "CVDP007HYP"  # a Long-term conditions metric
ELSEWHERE = "SCREEN_BOWEL"  # a Cancer metric


@pytest.fixture(scope="module")
def built(served, tmp_path_factory):
    """A three-month build (January to March 2025) of one metric from a tiny lake."""
    folder = tmp_path_factory.mktemp("commentary")
    make_lake(folder / "lake", [patient(1), patient(2)], [])
    done = CliRunner().invoke(main, ["build", "--lake", str(folder / "lake"), "--months", "3",
                                     "--out", str(folder / "results"), "--id", METRIC])
    assert done.exit_code == 0, done.output
    return folder


@pytest.fixture
def site(built, database_url) -> dict:
    """The app over the build, with one account of each role, on each database."""
    accounts = Accounts(database_url)
    for user, role in (("ana", "analyst"), ("adm", "admin"), ("pub", "public")):
        accounts.add(user, PASSWORD, role)
    accounts.add("gp", PASSWORD, "clinician", practice_code=PRACTICE)
    audit = built / f"audit-{id(accounts)}.jsonl"
    app = create_app(Service(built / "lake", built / "results", audit), accounts, SECRET,
                     clock=Clock())
    return {"app": app, "accounts": accounts, "audit": audit, "url": database_url}


def _save(browser, text: str, metric: str = METRIC, period: str = "2025-03",
          programme: str = "ltc"):
    html = browser.get(f"/programmes/{programme}/commentary?period=2025-03").text
    # someone not signed in has no form on the page: the session's token, as the API gives it
    token = form_token(html) if "csrf_token" in html else \
        browser.get("/api/v1/session").json()["csrf_token"]
    return browser.post(f"/programmes/{programme}/commentary",
                        data={"csrf_token": token, "metric": metric, "period": period,
                              "text": text})


def _versions(url: str, month: str = "2025-03-01") -> list[tuple[int, str, str]]:
    """Every stored version of METRIC's commentary for the month, read from the table."""
    from icsight.appdb import open_database

    with Session(open_database(url).engine) as session:
        rows = session.scalars(select(CommentaryVersion)
                               .where(CommentaryVersion.metric_id == METRIC)
                               .order_by(CommentaryVersion.version)).all()
        return [(r.version, r.author, r.text) for r in rows if str(r.month) == month]


def test_everyone_reads_and_only_analysts_and_admins_get_the_form(site):
    app = site["app"]
    public = client(app).get(f"{PAGE}?period=2025-03")
    assert public.status_code == 200
    page = _assert_designed_page(public)
    assert page.h1 == ["Long-term conditions: commentary"] or page.h1[0].endswith(
        ": commentary")
    assert "<textarea" not in public.text and "sign in</a> to write" in public.text
    for user in ("gp", "pub"):
        response = signed_in(app, user).get(f"{PAGE}?period=2025-03")
        assert response.status_code == 200 and "<textarea" not in response.text
    for user in ("ana", "adm"):
        response = signed_in(app, user).get(f"{PAGE}?period=2025-03")
        # one form per metric of the programme
        assert response.text.count("<textarea") == response.text.count('class="icsight-'
                                                                         'commentary"') > 1
        assert f'id="text-{METRIC}"' in response.text
        # each button names its metric to a screen reader (they are otherwise all alike)
        assert response.text.count('Save commentary<span class="nhsuk-u-visually-hidden"> on ') \
            == response.text.count("<textarea")


def test_every_version_is_kept_and_shown_newest_first(site):
    ana, adm = signed_in(site["app"], "ana"), signed_in(site["app"], "adm")
    assert _save(ana, "First look: below target.").status_code == 303
    assert _save(ana, "Revised: below target\nafter the winter dip.").status_code == 303
    saved = _save(adm, "Agreed at the HCPLG.")
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(f"{PAGE}?period=2025-03&saved={METRIC}")
    assert _versions(site["url"]) == [
        (1, "ana", "First look: below target."),
        (2, "ana", "Revised: below target\nafter the winter dip."),
        (3, "adm", "Agreed at the HCPLG.")]
    # the latest is what the board report reads
    latest = commentary_for([METRIC, "NOT_A_METRIC"], "2025-03", site["url"])
    assert set(latest) == {METRIC}
    assert (latest[METRIC]["text"], latest[METRIC]["author"], latest[METRIC]["version"]) == (
        "Agreed at the HCPLG.", "adm", 3)
    from icsight.appdb import open_database

    with Session(open_database(site["url"]).engine) as session:
        rows = session.scalars(select(Commentary)).all()
    assert [(r.metric_id, r.text) for r in rows] == [(METRIC, "Agreed at the HCPLG.")]
    listing = client(site["app"]).get(f"{PAGE}?period=2025-03").text
    assert "Agreed at the HCPLG." in listing and "Version 3, by adm" in listing
    history = client(site["app"]).get(f"{PAGE}/{METRIC}?period=2025-03")
    assert history.status_code == 200
    page = _assert_designed_page(history)
    headings = [h for h in history.text.split("<h2")[1:]]
    assert [h.split(">", 1)[1].split(":")[0] for h in headings[:3]] == [
        "Version 3", "Version 2", "Version 1"]
    # a line break is a new paragraph, shown as such
    assert "<p>Revised: below target</p><p>after the winter dip.</p>" in history.text
    assert page.h1[0].startswith("Commentary history")
    # another month has none of it
    assert commentary_for(METRIC, "2025-02", site["url"]) == {}
    edits = [e for e in audit_entries(site["audit"]) if e["action"] == "commentary.edit"]
    assert [(e["actor"], e["resource"], e["detail"]) for e in edits] == [
        ("ana", f"{METRIC} 2025-03", "version 1"), ("ana", f"{METRIC} 2025-03", "version 2"),
        ("adm", f"{METRIC} 2025-03", "version 3")]


def test_commentary_is_shown_as_text_never_as_markup(site):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'
    assert _save(signed_in(site["app"], "ana"), hostile).status_code == 303
    for path in (f"{PAGE}?period=2025-03", f"{PAGE}/{METRIC}?period=2025-03"):
        text = client(site["app"]).get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" \
               " &amp; &#34;quotes&#34;" in text
    assert _versions(site["url"])[-1][2] == hostile  # stored as typed


def test_over_long_or_empty_commentary_is_refused_with_a_message_and_nothing_saved(site):
    ana = signed_in(site["app"], "ana")
    long = _save(ana, "x" * (MAX_TEXT + 1))
    assert long.status_code == 400
    page = _assert_designed_page(long)
    assert "Commentary must be 5,000 characters or fewer (this is 5,001)" in long.text
    assert any(a.get("href") == f"#text-{METRIC}" for tag, a in page.elements if tag == "a")
    assert "x" * (MAX_TEXT + 1) in long.text  # what was typed is kept to shorten
    empty = _save(ana, "   \r\n  ")
    assert empty.status_code == 400 and "Enter the commentary" in empty.text
    assert _versions(site["url"]) == []
    assert _save(ana, "y" * MAX_TEXT).status_code == 303  # exactly the limit is fine
    # a browser's CRLF line ends count once each
    assert _save(ana, "a\r\n" * 2000 + "b" * 990).status_code == 303


def test_only_analysts_and_admins_may_write_even_with_a_valid_token(site):
    for user in ("gp", "pub"):
        response = _save(signed_in(site["app"], user), "Not mine to write.")
        assert response.status_code == 403, user
        _assert_designed_page(response)
    anonymous = client(site["app"])
    response = _save(anonymous, "Not signed in.")
    assert response.status_code == 401
    assert _versions(site["url"]) == []
    denied = [e["actor"] for e in audit_entries(site["audit"])
              if e["action"] == "DENIED commentary.edit"]
    assert sorted(denied) == ["anonymous", "gp", "pub"]


def test_a_post_without_the_csrf_token_is_refused(site):
    ana = signed_in(site["app"], "ana")
    response = ana.post(PAGE, data={"metric": METRIC, "period": "2025-03", "text": "Hello"})
    assert response.status_code == 403
    assert _versions(site["url"]) == []


@pytest.mark.parametrize(("path", "status", "words"), [
    (f"{PAGE}?period=2025-13", 400, "like 2026-09"),
    (f"{PAGE}?period=March", 400, "like 2026-09"),
    (f"{PAGE}?period=2024-01", 404, "covers 2025-01 to 2025-03"),
    ("/programmes/nonsense/commentary?period=2025-03", 404, "no programme called"),
    (f"{PAGE}/{ELSEWHERE}?period=2025-03", 404, "is not a metric of the programme"),
    (f"{PAGE}/{METRIC}?period=2025-3", 400, "like 2026-09"),
])
def test_a_wrong_month_programme_or_metric_gets_a_designed_page(site, path, status, words):
    response = client(site["app"]).get(path)
    assert response.status_code == status
    _assert_designed_page(response)
    assert words in response.text


def test_the_page_defaults_to_the_builds_latest_month(site):
    response = client(site["app"]).get(PAGE)
    assert response.status_code == 200
    assert "for 2025-03" in response.text
    options = Page(response.text).elements
    assert [a["value"] for tag, a in options if tag == "option"] == [
        "2025-03", "2025-02", "2025-01"]


def test_writing_to_a_metric_of_another_programme_or_month_is_refused(site):
    ana = signed_in(site["app"], "ana")
    assert _save(ana, "Wrong place.", metric=ELSEWHERE).status_code == 404
    assert _save(ana, "Wrong month.", period="2024-12").status_code == 404
    assert _save(ana, "Bad month.", period="2025-3").status_code == 400
    assert _save(ana, "Wrong programme.", programme="nonsense").status_code == 404
    assert _versions(site["url"]) == []


def test_a_kept_page_of_figures_carries_no_token_and_each_session_signs_out(site):
    """Pages of figures are kept once made, per user (views/cache.py): the header must not
    hand one session's CSRF token to another session of the same account."""
    first, second = signed_in(site["app"], "ana"), signed_in(site["app"], "ana")
    made = first.get("/programmes")
    kept = second.get("/programmes")
    assert made.status_code == kept.status_code == 200
    assert len(site["app"].state.page_cache) >= 1  # the second was served as kept
    assert "csrf_token" not in made.text and "csrf_token" not in kept.text
    assert 'href="/sign-out"' in kept.text
    page = second.get("/sign-out").text
    assert second.post("/sign-out", data={"csrf_token": form_token(page)}).status_code == 200
    assert second.get("/api/v1/session").json()["user"] == "anonymous"
