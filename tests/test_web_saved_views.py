"""Saved views: each signed-in person saves pages of icsight under names of their own, sees
only their own, and deletes them; a view is always a page of this site; the forms carry the
CSRF token; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from icsight.appdb import open_database
from icsight.appdb.saved_views import views_of
from icsight.governance.access import ANONYMOUS, AccessDeniedError, Principal, Role
from icsight.services import NotFoundError
from icsight.services.saved_views import (
    MAX_NAME,
    MAX_VIEWS,
    SavedViewError,
    SavedViewService,
    page_name,
    page_path,
)
from tests import test_web_commentary
from tests.test_web_pages import _assert_designed_page
from tests.web_forms import client, form_token, signed_in

PLACE = "/places/luton"
#: The commentary tests' build and app, with an account of each role, on each database.
built, site = test_web_commentary.built, test_web_commentary.site


def _save(browser, path: str, name: str):
    form = browser.get("/saved-views/new?path=" + quote(path, safe=""))
    assert form.status_code == 200, form.text
    return browser.post("/saved-views", data={"csrf_token": form_token(form.text),
                                              "path": path, "name": name})


def _listed(browser) -> list[tuple[str, str]]:
    """(name, address) of each view on the person's list, as the page links them."""
    html = browser.get("/saved-views").text
    if "<tbody" not in html:
        return []
    body = html[html.index("<tbody"):html.index("</tbody>")]
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', body)


# --- the rules, on the service --------------------------------------------------------------

@pytest.mark.parametrize("path", ["https://elsewhere.example/x", "//elsewhere.example/x",
                                  "javascript:alert(1)", "places/luton", "/\\elsewhere",
                                  "/places/luton\r\nSet-Cookie: x=1", "", "/sign-out",
                                  "/saved-views", "/saved-views/new?path=/", "/" + "x" * 1000])
def test_a_view_is_always_a_page_of_this_site(path):
    with pytest.raises(SavedViewError):
        page_path(path)


def test_a_page_keeps_its_query_and_loses_its_fragment():
    assert page_path(" /search?q=luton#results ") == "/search?q=luton"
    assert page_path("/") == "/"


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME + 1), "tab\there", "bell\x07"])
def test_a_name_is_one_to_two_hundred_printable_characters(name):
    with pytest.raises(SavedViewError):
        page_name(name)


def test_only_someone_signed_in_has_saved_views_and_only_their_own(site):
    service = SavedViewService(open_database(site["url"]))
    with pytest.raises(AccessDeniedError):
        service.views(ANONYMOUS)
    with pytest.raises(AccessDeniedError):
        service.save(ANONYMOUS, "Luton", PLACE)
    ana, adm = Principal("ana", Role.ANALYST), Principal("adm", Role.ADMIN)
    assert service.save(ana, "Luton", PLACE) is True
    assert service.save(ana, "Luton", "/places/milton-keynes") is False  # replaced
    service.save(adm, "Luton", "/indicators/CVDP007HYP")
    assert [(v.name, v.path) for v in service.views(ana)] == [
        ("Luton", "/places/milton-keynes")]
    assert [(v.name, v.path) for v in service.views(adm)] == [
        ("Luton", "/indicators/CVDP007HYP")]
    with pytest.raises(NotFoundError):
        service.delete(ana, "No such view")
    service.delete(ana, "Luton")
    assert service.views(ana) == [] and len(service.views(adm)) == 1


def test_each_person_keeps_at_most_a_hundred(site):
    service = SavedViewService(open_database(site["url"]))
    ana = Principal("ana", Role.ANALYST)
    for i in range(MAX_VIEWS):
        service.save(ana, f"View {i:03d}", f"/indicators/X{i}")
    with pytest.raises(SavedViewError, match="delete one"):
        service.save(ana, "One too many", PLACE)
    service.save(ana, "View 000", PLACE)  # replacing one is not one more
    assert len(service.views(ana)) == MAX_VIEWS


# --- the pages ------------------------------------------------------------------------------

def test_a_person_saves_a_page_finds_it_on_their_list_and_deletes_it(site):
    ana = signed_in(site["app"], "ana")
    page = ana.get("/programmes")
    link = "/saved-views/new?path=" + quote("/programmes", safe="")
    assert f'href="{link}"' in page.text  # "Save this page" under the page
    assert 'href="/saved-views"' in page.text  # and the list in the account links
    saved = _save(ana, "/programmes", "All programmes")
    assert saved.status_code == 303 and saved.headers["location"] == "/saved-views?done=saved"
    listing = ana.get(saved.headers["location"])
    _assert_designed_page(listing)
    assert "View saved" in listing.text
    assert _listed(ana) == [("/programmes", "All programmes")]
    stored = views_of(open_database(site["url"]), "ana")
    assert [(v.name, v.path) for v in stored] == [("All programmes", "/programmes")]
    deleted = ana.post("/saved-views/delete", data={
        "csrf_token": form_token(listing.text), "name": "All programmes"})
    assert deleted.status_code == 303
    assert _listed(ana) == [] and "You have no saved views yet" in ana.get("/saved-views").text


def test_someone_elses_views_are_never_shown_nor_deleted(site):
    ana, adm = signed_in(site["app"], "ana"), signed_in(site["app"], "adm")
    _save(ana, PLACE, "Luton")
    assert _listed(adm) == []
    token = form_token(adm.get("/saved-views/new?path=/").text)
    answer = adm.post("/saved-views/delete", data={"csrf_token": token, "name": "Luton"})
    assert answer.status_code == 404
    assert _listed(ana) == [(PLACE, "Luton")]


def test_the_public_is_asked_to_sign_in_and_sees_no_save_link(site):
    browser = client(site["app"])
    assert browser.get("/saved-views").status_code == 401
    assert browser.get("/saved-views/new?path=/").status_code == 401
    assert "/saved-views/new" not in browser.get("/programmes").text
    token = browser.get("/api/v1/session").json()["csrf_token"]
    answer = browser.post("/saved-views", data={"csrf_token": token, "path": "/",
                                                "name": "x"})
    assert answer.status_code == 401


def test_a_bad_name_shows_the_form_again_with_the_error_and_what_was_typed(site):
    ana = signed_in(site["app"], "ana")
    answer = _save(ana, PLACE, "   ")
    assert answer.status_code == 400
    page = _assert_designed_page(answer)
    assert page.h1 == ["Save this page"] and "There is a problem" in answer.text
    assert "Enter a name for the view" in answer.text
    assert _listed(ana) == []


def test_another_sites_address_is_refused_with_a_designed_page_never_saved(site):
    ana = signed_in(site["app"], "ana")
    token = form_token(ana.get("/saved-views/new?path=/").text)
    for path in ("https://elsewhere.example/", "//elsewhere.example/", "javascript:x"):
        assert ana.get("/saved-views/new?path=" + quote(path, safe="")).status_code == 400
        answer = ana.post("/saved-views", data={"csrf_token": token, "path": path,
                                                "name": "Away"})
        assert answer.status_code == 400
        _assert_designed_page(answer)
    assert _listed(ana) == []


def test_a_form_without_the_csrf_token_is_refused(site):
    ana = signed_in(site["app"], "ana")
    answer = ana.post("/saved-views", data={"path": PLACE, "name": "Luton"})
    assert answer.status_code == 403
    assert _listed(ana) == []


def test_names_are_shown_as_text_never_as_markup(site):
    ana = signed_in(site["app"], "ana")
    _save(ana, PLACE, "<script>alert(1)</script>")
    html = ana.get("/saved-views").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
