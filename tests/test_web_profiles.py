"""Place, PCN and practice profiles: every indicator for one area beside its parents and BLMK,
as the principal may see it (the published table for the public, exact for analysts), the
parents those of the published ODS mapping, the funnel position worked out again here, and
designed 404 pages for codes that are unknown or malformed."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest
from scipy.stats import norm

from icsight.governance.access import ANONYMOUS
from icsight.indicators.catalogue import catalogue
from icsight.model.reference import data_path
from icsight.web.views.pages import WITHHELD
from tests.test_web_pages import Page, _assert_designed_page
from tests.web_areas import BUILT, area_site, latest


@pytest.fixture(scope="module")
def site(lake_dir, tmp_path_factory):
    return area_site(lake_dir, tmp_path_factory)


def _mapping() -> list[dict]:
    """The practice -> PCN -> place mapping, read straight from the packaged CSV."""
    path = data_path("geography", "blmk_gp_practices_pcn_jan2022.csv")
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _slug(place: str) -> str:
    return place.lower().replace(" ", "-")


def _count(value: float) -> str:
    return WITHHELD if pd.isna(value) else f"{value:,.0f}"


def _rows(page: Page) -> dict[str, list[str]]:
    """Each indicator's row of the profile's tables, by indicator title."""
    out = {}
    for table in page.tables:
        if " beside " in (table["caption"] or ""):
            out |= {row[0]: row for row in table["rows"][1:]}
    return out


def _practice_with_withheld_and_shown(published: pd.DataFrame) -> str:
    """A practice with some indicators published and some withheld (so both are tested)."""
    rows = published[published.breakdown == "practice"]
    rows = rows[rows.period_end == rows.period_end.max()]
    mixed = rows.groupby("group").suppressed.agg(["any", "all"])
    candidates = mixed[mixed["any"] & ~mixed["all"]].index
    assert len(candidates), "no practice has both withheld and published figures"
    return sorted(candidates)[0]


@pytest.mark.parametrize("path", ["/places", "/places/luton", "/places/Milton%20Keynes",
                                  "/pcns/U74819", "/practices/E81021", "/practices/e81021"])
def test_every_profile_is_a_whole_design_system_page(site, path):
    response = site["public"].get(path)
    assert response.status_code == 200, response.text[:500]
    _assert_designed_page(response)


def test_the_public_practice_profile_shows_the_published_figures_only(site):
    published, exact = site["published"], site["exact"]
    code = _practice_with_withheld_and_shown(published)
    rows = _rows(Page(site["public"].get(f"/practices/{code}").text))
    withheld = shown = 0
    for indicator_id in BUILT:
        title = catalogue()[indicator_id].title
        expected = latest(published, indicator_id, "practice").loc[code]
        row = rows[title]
        assert row[4:6] == [_count(expected.numerator), _count(expected.denominator)]
        if expected.suppressed:
            withheld += 1
            secret = latest(exact, indicator_id, "practice").loc[code]
            assert row[2] == WITHHELD and row[3] == WITHHELD
            assert f"{secret.numerator:,.0f}" not in row[2:6] or secret.numerator == 0
            assert row[-2] == "Not placed: figure withheld"
        else:
            shown += 1
    assert withheld and shown


def test_an_analyst_sees_the_exact_practice_figures(site):
    exact = site["exact"]
    code = _practice_with_withheld_and_shown(site["published"])
    rows = _rows(Page(site["analyst"].get(f"/practices/{code}").text))
    for indicator_id in BUILT:
        expected = latest(exact, indicator_id, "practice").loc[code]
        row = rows[catalogue()[indicator_id].title]
        assert row[4:6] == [_count(expected.numerator), _count(expected.denominator)]


def test_a_practice_is_shown_beside_its_own_pcn_place_and_blmk(site):
    """The parents, their links and their values are those of the ODS mapping's PCN and
    place, read here from the reference CSV, not from the code under test."""
    published = site["published"]
    mapping = {row["practice_code"]: row for row in _mapping()}
    code = _practice_with_withheld_and_shown(published)
    row = mapping[code]
    text = site["public"].get(f"/practices/{code}").text
    page = Page(text)
    assert f'href="/pcns/{row["pcn_code"]}"' in text
    assert f'href="/places/{_slug(row["place"])}"' in text
    assert page.h1[0].strip().lower() == row["practice_name"].lower()
    rows = _rows(page)
    ind = catalogue()["CVDP007HYP"]
    pcn = latest(published, ind.id, "pcn").loc[row["pcn_code"]]
    place = latest(published, ind.id, "place").loc[row["place"]]
    icb = latest(published, ind.id, "icb").iloc[0]
    parents = rows[ind.title][6:9]
    for cell, expected in zip(parents, (pcn, place, icb), strict=True):
        assert cell == (WITHHELD if expected.suppressed else f"{expected.value:,.1f}%")


def test_drilling_down_from_a_place_to_its_pcns_and_their_practices(site):
    """A place lists exactly its PCNs and a PCN exactly its practices, as the mapping has
    them, each a link that opens; the breadcrumbs go BLMK > place > PCN."""
    client = site["public"]
    mapping = [row for row in _mapping() if row["pcn_code"] != "U"]
    place = "Luton"
    pcns = {row["pcn_code"] for row in mapping if row["place"] == place}
    text = client.get(f"/places/{_slug(place)}").text
    linked = {p for p in pcns if f'href="/pcns/{p}"' in text}
    assert linked == pcns
    pcn = sorted(pcns)[0]
    practices = {row["practice_code"] for row in mapping if row["pcn_code"] == pcn}
    text = client.get(f"/pcns/{pcn}").text
    page = Page(text)
    table = page.table("GP practices in")
    assert {row[1] for row in table["rows"][1:]} == practices
    for code in sorted(practices)[:2]:
        assert client.get(f"/practices/{code}").status_code == 200
    crumbs = text[text.index('class="nhsuk-breadcrumb'):text.index("</nav>",
                                                                     text.index("nhsuk-breadcrumb"))]
    assert crumbs.index('href="/places"') < crumbs.index(f'href="/places/{_slug(place)}"')


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    """The Wilson score interval of x/n, written out from Wilson (1927)."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_funnel_positions_agree_with_the_wilson_limits_worked_out_here(site):
    """For a proportion, a practice is above the funnel's 95% (99.8%) limit exactly when the
    lower end of its own two-sided 95% (99.8%) Wilson interval is above the average of all
    practices: the limits are the Wilson interval turned around (PHE, "Technical guide:
    funnel plots"). Public positions use only published figures, in their average too."""
    published = site["published"]
    rows = latest(published, "CVDP007HYP", "practice")
    shown = rows[~rows.suppressed.astype(bool) & (rows.denominator > 0)]
    p_bar = shown.numerator.sum() / shown.denominator.sum()
    expected = {}
    for group, row in shown.iterrows():
        label = "Within the 95% limits"
        for level, name in ((0.999, "99.8%"), (0.975, "95%")):
            low, high = _wilson(row.numerator, row.denominator, norm.ppf(level))
            within = " (within 99.8%)" if name == "95%" else ""
            if low > p_bar:
                label = f"Above the {name} limit{within}"
                break
            if high < p_bar:
                label = f"Below the {name} limit{within}"
                break
        expected[group] = label
    code = sorted(expected)[0]
    title = catalogue()["CVDP007HYP"].title
    row = _rows(Page(site["public"].get(f"/practices/{code}").text))[title]
    assert row[-2] == expected[code]
    served = site["app"].state.services.areas.funnel_positions(ANONYMOUS, "practice")
    assert {g: served[("CVDP007HYP", g)] for g in expected} == expected


@pytest.mark.parametrize(("path", "words"), [
    ("/practices/Z99999", "There is no practice Z99999"),
    ("/practices/not-a-code", "is not a practice code"),
    ("/practices/%3Cscript%3Ealert(1)", "is not a practice code"),
    ("/pcns/U00000", "There is no PCN U00000"),
    ("/pcns/E81021", "is not a PCN code"),
    ("/places/atlantis", "There is no place called"),
    ("/places/" + "x" * 300, "is not the name of a place"),
    ("/places/l%C3%BCton%3B%20drop", "is not the name of a place"),
])
def test_unknown_and_malformed_areas_get_the_designed_404(site, path, words):
    response = site["public"].get(path)
    assert response.status_code == 404
    page = _assert_designed_page(response)
    assert page.h1 == ["Page not found"]
    assert words in response.text.replace("&#39;", "'")
    assert "<script>alert" not in response.text and "Traceback" not in response.text
    assert "x" * 100 not in response.text  # a long address is not echoed back whole


def test_a_programme_page_drills_down_to_each_place_profile(site):
    client = site["public"]
    text = client.get("/programmes/ltc").text
    places = {row["place"] for row in _mapping()}
    for place in places:
        assert f'href="/places/{_slug(place)}"' in text
        assert client.get(f"/places/{_slug(place)}").status_code == 200


def test_an_analysts_funnel_positions_come_from_the_exact_figures(site):
    """The analyst's average takes in every practice, withheld from the public or not: the
    same Wilson test against it, worked out here, gives each position."""
    from icsight.governance.access import Principal, Role

    rows = latest(site["exact"], "CVDP007HYP", "practice")
    rows = rows[rows.denominator > 0]
    p_bar = rows.numerator.sum() / rows.denominator.sum()
    served = site["app"].state.services.areas.funnel_positions(
        Principal("ana", Role.ANALYST), "practice")
    for group, row in rows.iterrows():
        low, high = _wilson(row.numerator, row.denominator, norm.ppf(0.975))
        within = low <= p_bar <= high
        assert (served[("CVDP007HYP", group)] == "Within the 95% limits") == within, group


def test_before_any_build_profiles_and_search_still_answer(lake_dir, tmp_path):
    """No results yet: the areas come from the reference mapping, a profile says to run
    `icsight build`, and search still finds practices; nothing is a stack trace."""
    from fastapi.testclient import TestClient

    from icsight.api.app import create_app
    from icsight.appdb import Accounts
    from icsight.services import Service
    from tests.accounts import SECRET

    app = create_app(Service(lake_dir, tmp_path / "no-results", tmp_path / "audit.jsonl"),
                     Accounts(f"sqlite:///{tmp_path / 'icsight.db'}"), SECRET)
    client = TestClient(app, base_url="https://testserver")
    for path in ("/places", "/places/luton", "/pcns/U74819", "/practices/E81021"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_designed_page(response)
    assert "icsight build" in client.get("/practices/E81021").text
    assert 'href="/practices/E81021"' in client.get("/search", params={"q": "e81021"}).text
    strategy = client.get("/strategy")
    assert strategy.status_code == 503 and "icsight build" in strategy.text


def _peers(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["group", "numerator", "denominator", "value",
                                       "suppressed"])


def test_funnel_positions_by_method_worked_by_hand():
    """Observed 40 against 10 expected is far above any limit; 10 against 10 is on the
    average; a withheld row is not placed, nor is any row of an amount, nor an area alone."""
    from icsight.services.areas import funnel_positions

    ratio = funnel_positions(_peers([("A", 40, 10, 400.0, False), ("B", 10, 10, 100.0, False),
                                     ("C", 9, 11, 81.8, False), ("D", None, None, None, True)]),
                             "ratio")
    assert ratio == {"A": "Above the 99.8% limit", "B": "Within the 95% limits",
                     "C": "Within the 95% limits", "D": "Not placed: figure withheld"}
    # a rate: 1 event in 10,000 against about 100 per 10,000 elsewhere is far below
    rate = funnel_positions(_peers([("A", 1, 10_000, 0.1, False),
                                    ("B", 100, 10_000, 10.0, False),
                                    ("C", 110, 10_000, 11.0, False)]), "rate", 1_000)
    assert rate["A"] == "Below the 99.8% limit"
    amount = funnel_positions(_peers([("A", 5, 10, 0.5, False), ("B", 6, 10, 0.6, False)]),
                              "amount")
    assert set(amount.values()) == {"No funnel for this method"}
    alone = funnel_positions(_peers([("A", 5, 10, 50.0, False), ("B", None, None, None, True)]),
                             "proportion")
    assert alone == {"A": "Too few areas to compare", "B": "Not placed: figure withheld"}
