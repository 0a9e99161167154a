"""The strategy page: the BLMK Health Services Strategy's 15 "We will" and 8 "We commit"
statements and six programmes, configured as data (every indicator id in the catalogue,
every programme covered), each shown with its indicators' published BLMK values."""

from __future__ import annotations

import re

import pytest

from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES
from icsight.web.views.pages import WITHHELD
from icsight.web.views.strategy import load_strategy
from tests.test_web_pages import _assert_designed_page
from tests.web_areas import BUILT, area_site, latest


@pytest.fixture(scope="module")
def site(lake_dir, tmp_path_factory):
    return area_site(lake_dir, tmp_path_factory)


def _groups() -> dict[str, list[dict]]:
    return {g["id"]: g["statement"] for g in load_strategy()["group"]}


def test_the_strategy_has_its_15_we_will_and_8_we_commit_statements():
    groups = _groups()
    assert [s["number"] for s in groups["we-will"]] == list(range(1, 16))
    assert [s["number"] for s in groups["we-commit"]] == list(range(1, 9))
    assert all(s["text"].startswith("We will ") for s in groups["we-will"])
    assert all(s["text"].startswith("We commit ") for s in groups["we-commit"])


def test_every_indicator_id_is_in_the_catalogue_and_every_statement_says_its_evidence():
    known = catalogue()
    for statements in _groups().values():
        for s in statements:
            assert set(s["indicators"]) <= set(known), s["number"]
            assert s["indicators"] or s.get("note"), f"statement {s['number']}: no evidence"


def test_every_programme_is_covered():
    """The six programmes are the catalogue's, and each has at least one indicator that
    evidences a statement."""
    programmes = load_strategy()["programme"]
    assert sorted(p["id"] for p in programmes) == sorted(PROGRAMMES)
    assert [p["number"] for p in programmes] == list(range(1, 7))
    linked = {i for statements in _groups().values() for s in statements
              for i in s["indicators"]}
    covered = {catalogue()[i].programme for i in linked}
    assert covered == set(PROGRAMMES)


def test_the_strategy_page_shows_each_statement_with_its_published_evidence(site):
    response = site["public"].get("/strategy")
    assert response.status_code == 200
    page = _assert_designed_page(response)
    text = response.text.replace("&#39;", "'")
    for statements in _groups().values():
        for s in statements:
            assert s["text"] in text
    published = site["published"]
    checked = 0
    for s in _groups()["we-will"]:
        built = [i for i in s["indicators"] if i in BUILT]
        if not built:
            continue
        table = page.table(f"Indicators evidencing statement {s['number']} ")
        rows = {row[0]: row for row in table["rows"][1:]}
        assert set(rows) == {catalogue()[i].title for i in s["indicators"]}
        for indicator_id in built:
            ind = catalogue()[indicator_id]
            icb = latest(published, indicator_id, "icb").iloc[0]
            unit = ind.unit if ind.unit.startswith("%") else f" {ind.unit}"
            shown = WITHHELD if icb.suppressed else f"{icb.value:,.1f}{unit}"
            assert rows[ind.title][1] == shown
            checked += 1
    assert checked
    for key in PROGRAMMES:
        assert f'href="/programmes/{key}"' in response.text
    links = set(re.findall(r'href="/indicators/([A-Z0-9_]+)"', response.text))
    assert links == {ind.id for ind in catalogue().values()}
