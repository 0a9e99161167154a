"""Search: finds a practice by code or part of its name, a PCN, a place and an indicator,
ignoring case, grouped by kind with links; hostile queries are escaped and answered with a
clear message, never an error."""

from __future__ import annotations

import csv
import re

import pytest

from icsight.model.reference import data_path
from tests.test_web_pages import _assert_designed_page
from tests.web_areas import area_site


@pytest.fixture(scope="module")
def site(lake_dir, tmp_path_factory):
    return area_site(lake_dir, tmp_path_factory)


def _practices() -> list[dict]:
    path = data_path("geography", "blmk_gp_practices_pcn_jan2022.csv")
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _search(site, query: str):
    return site["public"].get("/search", params={"q": query})


def test_a_practice_is_found_by_its_code_in_any_case(site):
    code = _practices()[0]["practice_code"]
    for query in (code, code.lower()):
        response = _search(site, query)
        assert response.status_code == 200
        _assert_designed_page(response)
        assert f'href="/practices/{code}"' in response.text
        assert "GP practices (1)" in response.text


def test_a_practice_is_found_by_part_of_its_name(site):
    """A word from the middle of a name, in lower case, finds every practice whose name
    holds it, and no other."""
    practices = _practices()
    word = "park"
    expected = {p["practice_code"] for p in practices if word in p["practice_name"].lower()}
    assert expected
    text = _search(site, word).text
    found = {p["practice_code"] for p in practices
             if f'href="/practices/{p["practice_code"]}"' in text}
    assert found == expected


def test_pcns_places_and_indicators_are_found_grouped_by_kind(site):
    pcn = next(p for p in _practices() if p["pcn_code"] != "U")
    text = _search(site, pcn["pcn_code"].lower()).text
    assert f'href="/pcns/{pcn["pcn_code"]}"' in text and "Primary care networks (1)" in text
    text = _search(site, "milton").text
    assert 'href="/places/milton-keynes"' in text and "Places (1)" in text
    text = _search(site, "cvdp007hyp").text
    assert 'href="/indicators/CVDP007HYP"' in text and "Indicators (1)" in text
    text = _search(site, "Hypertension treated").text
    assert 'href="/indicators/CVDP007HYP"' in text
    pcns = {p["pcn_code"] for p in _practices() if "luton" in p["pcn_name"].lower()}
    assert pcns
    groups = _headings(_search(site, "LUTON").text)
    assert groups[0] == "Places (1)"
    assert f"Primary care networks ({len(pcns)})" in groups


def _headings(text: str) -> list[str]:
    return [" ".join(h.split()) for h in re.findall(r"<h3>(.*?)</h3>", text, re.S)]


@pytest.mark.parametrize("query", ["'; DROP TABLE practices; --", "<script>alert(1)</script>",
                                   "Ünïcödé ✓ 診療所", "%_", "\\", "a' OR '1'='1"])
def test_hostile_queries_are_escaped_and_answered(site, query):
    response = _search(site, query)
    assert response.status_code == 200
    _assert_designed_page(response)
    assert "<script>alert" not in response.text
    assert "Traceback" not in response.text
    assert "0 results" in response.text


def test_a_very_long_query_gets_a_clear_message_and_is_not_echoed(site):
    response = _search(site, "a" * 5000)
    assert response.status_code == 400
    _assert_designed_page(response)
    assert "100 characters or fewer" in response.text
    assert "a" * 200 not in response.text


@pytest.mark.parametrize(("query", "status", "message"), [
    ("", 200, "Enter the name or code"),
    ("   ", 200, "Enter the name or code"),
    ("abc\x00def", 400, "letters, numbers, spaces and punctuation only"),
    ("line\nbreak", 400, "letters, numbers, spaces and punctuation only"),
])
def test_empty_and_odd_queries_get_the_error_summary(site, query, status, message):
    response = _search(site, query)
    assert response.status_code == status
    _assert_designed_page(response)
    assert "nhsuk-error-summary" in response.text and message in response.text


def test_the_search_page_without_a_query_is_the_form_alone(site):
    response = site["public"].get("/search")
    assert response.status_code == 200
    _assert_designed_page(response)
    assert 'action="/search"' in response.text and "nhsuk-error-summary" not in response.text
