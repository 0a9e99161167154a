"""A programme's inequalities page, over a hand-made run: the public reads the published
(suppressed) figures and the gap worked from them, an analyst the exact ones; deprivation
groups are in number order; an unknown programme is the designed 404."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.services import Service
from icsight.web.views.pages import WITHHELD
from tests.accounts import PASSWORD, SECRET
from tests.sessions import signed_in_client
from tests.test_overview_changes import _row, _run


@pytest.fixture
def site(tmp_path):
    exact = [_row("icb", "BLMK", 60.0, 600, 1000),
             _row("imd_quintile", "1", 52.0, 52, 100), _row("imd_quintile", "5", 71.0, 71, 100),
             _row("imd_quintile", "3", 3.0, 3, 100),
             _row("core20", "CORE20", 52.0, 52, 100), _row("core20", "Rest", 61.0, 549, 900),
             _row("ethnicity_group", "Asian", 58.0, 58, 100)]
    exact += [_row("imd_decile", str(d), 40.0 + 2 * d, 40 + 2 * d, 100) for d in range(1, 11)]
    published = pd.DataFrame(exact)
    # as the build publishes them: counts rounded to 5, a count of 3 withheld
    published.loc[published.group == "1", ["value", "numerator"]] = [50.0, 50]
    published.loc[published.group == "5", ["value", "numerator"]] = [70.0, 70]
    published.loc[published.group == "3", ["value", "numerator", "suppressed"]] = \
        [math.nan, math.nan, True]
    results = _run(tmp_path / "r", pd.DataFrame(exact), published)
    accounts = Accounts(f"sqlite:///{tmp_path / 'app.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    app = create_app(Service(tmp_path, results, tmp_path / "audit.jsonl"), accounts, SECRET)
    return app


def _section(page: str, indicator_id: str) -> str:
    return page.split(f'id="{indicator_id.lower()}"')[1].split("<h2")[0]


def _cells(html: str, caption_word: str) -> list[list[str]]:
    table = next(t for t in html.split("<table")[1:] if caption_word in t.split("</caption>")[0])
    # a responsive table repeats its column heading inside each cell, for narrow screens
    table = re.sub(r'<span class="nhsuk-table__heading"[^>]*>.*?</span>', "",
                   table, flags=re.S)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_the_public_reads_published_figures_and_their_gap(site):
    page = TestClient(site, base_url="https://testserver").get("/programmes/ltc/inequalities")
    assert page.status_code == 200
    section = _section(page.text, "CVDP007HYP")
    quintiles = _cells(section, "quintile")
    assert [r[0] for r in quintiles[1:]] == ["1 (most deprived)", "3", "5 (least deprived)"]
    assert quintiles[1][1].startswith("50.0") and quintiles[3][1].startswith("70.0")
    assert quintiles[2][1].endswith(WITHHELD)
    assert "+20.0 percentage points" in section  # 70 - 50, from the published rows
    deciles = _cells(section, "decile")
    assert [r[0].split(" ")[0] for r in deciles[1:]] == [str(d) for d in range(1, 11)]
    assert "CORE20 (most deprived 20%)" in section and "Asian" in section


def test_an_analyst_reads_the_exact_figures(site):
    client = signed_in_client(site, "ana")
    section = _section(client.get("/programmes/ltc/inequalities").text, "CVDP007HYP")
    quintiles = _cells(section, "quintile")
    assert quintiles[1][1].startswith("52.0") and quintiles[2][1].startswith("3.0")


@pytest.mark.parametrize("path", ["/programmes/nope/inequalities",
                                  "/programmes/%3Cscript%3E/inequalities"])
def test_an_unknown_programme_is_the_designed_404(site, path):
    page = TestClient(site, base_url="https://testserver").get(path)
    assert page.status_code == 404
    assert "Page not found" in page.text and "<script>" not in page.text
