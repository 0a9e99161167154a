"""The population pyramids on the overview and the place profiles, and the deprivation map of a
place's neighbourhoods: each a figure with its drawing, text alternative and data table; the
pyramid's table is the rows the services serve (published for the public, exact for
analysts) and its total the overview's registered population; the map is the packaged IMD
2019 reference data, read here straight from its CSV."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest

from icsight.governance.access import ANONYMOUS, Principal, Role
from icsight.model.reference import data_path
from icsight.results import latest_run
from tests.test_web_pages import Page, _assert_designed_page
from tests.web_areas import area_site

BANDS = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44",
         "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89",
         "90+"]
ANALYST = Principal("ana", Role.ANALYST)


@pytest.fixture(scope="module")
def site(lake_dir, tmp_path_factory):
    out = area_site(lake_dir, tmp_path_factory)
    run = latest_run(out["app"].state.services.results_dir)
    return out | {"run": run}


def _chart_table(page: Page, title_start: str) -> list[list[str]]:
    """The body rows of the data table of the chart whose title starts `title_start`."""
    return page.table(f"Data for the chart: {title_start}")["rows"][1:]


def _expected_rows(rows: list[dict]) -> list[list[str]]:
    """The pyramid's table worked out from the service's rows: youngest band first, women
    then men, a withheld count saying so and a band with no row 0."""
    cells = {(r["age_band"], r["sex"]): r["people"] for r in rows}

    def text(band: str, sex: str) -> str:
        if (band, sex) not in cells:
            return "0"
        value = cells[(band, sex)]
        return "withheld" if value is None else f"{value:,.0f}"

    return [[band, text(band, "female"), text(band, "male")] for band in BANDS]


def _ids(page: Page) -> set[str]:
    return {attrs.get("id") for _, attrs in page.elements if attrs.get("id")}


def test_the_public_overview_draws_blmks_pyramid_from_the_published_rows(site):
    page = _assert_designed_page(site["public"].get("/"))
    assert "chart-pyramid" in _ids(page)
    served = site["app"].state.services.aggregates.population_pyramid(ANONYMOUS, "BLMK")
    assert _chart_table(page, "BLMK's registered population") == \
        _expected_rows(served)
    # what the public is served is the published table, rounded to 5: never the exact one
    published = pd.read_parquet(site["run"] / "published_population.parquet")
    ours = published[published.group == "BLMK"]
    assert [r["people"] for r in served] == [None if pd.isna(v) else v for v in ours.people]
    assert all(r["people"] is None or r["people"] % 5 == 0 for r in served)
    exact = pd.read_parquet(site["run"] / "population.parquet")
    assert (exact[exact.group == "BLMK"].people % 5 != 0).any()  # so rounding shows


def test_the_analysts_pyramid_is_exact_and_adds_up_to_the_overviews_population(site):
    response = site["analyst"].get("/")
    page = _assert_designed_page(response)
    served = site["app"].state.services.aggregates.population_pyramid(ANALYST, "BLMK")
    assert _chart_table(page, "BLMK's registered population") == \
        _expected_rows(served)
    exact = pd.read_parquet(site["run"] / "population.parquet")
    assert sum(r["people"] for r in served) == exact[exact.group == "BLMK"].people.sum()
    # the population by place on the overview is the pyramid's total, area by area
    population = {row[0]: row[1] for row in page.table("People registered with a BLMK "
                                                       "practice on")["rows"][1:]}
    totals = exact.groupby("group").people.sum()
    assert population == {group: f"{int(n):,}" for group, n in totals.items()}


def test_a_place_profile_has_its_own_pyramid(site):
    for client, principal in ((site["public"], ANONYMOUS), (site["analyst"], ANALYST)):
        page = _assert_designed_page(client.get("/places/luton"))
        assert "chart-pyramid" in _ids(page)
        served = site["app"].state.services.aggregates.population_pyramid(principal, "Luton")
        assert served and {r["group"] for r in served} == {"Luton"}
        assert _chart_table(page, "Luton's registered population") == \
            _expected_rows(served)


def _luton_lsoas() -> dict[str, tuple[str, int]]:
    """Luton's LSOAs (local authority E06000032): code -> (name, IMD 2019 decile)."""
    with data_path("geography", "blmk_lsoa_imd2019.csv").open(newline="",
                                                              encoding="utf-8") as f:
        return {r["lsoa11_code"]: (r["lsoa11_name"], int(r["imd2019_decile"]))
                for r in csv.DictReader(f) if r["lad19_code"] == "E06000032"}


def test_a_place_profile_maps_its_neighbourhoods_by_deprivation(site):
    text = site["public"].get("/places/luton").text
    page = Page(text)
    assert "chart-deprivation-map" in _ids(page)
    lsoas = _luton_lsoas()
    rows = _chart_table(page, "Deprivation of Luton's neighbourhoods")
    assert len(rows) == len(lsoas) > 100
    assert {row[1]: (row[0], int(row[2]), row[3]) for row in rows} == {
        code: (name, decile, "Yes" if decile <= 2 else "No")
        for code, (name, decile) in lsoas.items()}
    core20 = sum(decile <= 2 for _, decile in lsoas.values())
    assert 0 < core20 < len(lsoas)
    assert (f"{core20} of Luton's {len(lsoas)} neighbourhoods (LSOAs) are among the most "
            "deprived 20% in England") in " ".join(text.split())
    # the drawing's spec (kept beside it for the browser) holds the place's neighbourhoods
    # only, not all 533 of BLMK
    spec = json.loads(re.search(r'<script type="application/json" '
                                r'id="chart-deprivation-map-spec"[^>]*>(.*?)</script>',
                                text, re.S).group(1))
    assert {f["id"] for f in spec["data"]["values"]} == set(lsoas)
    # the same for an analyst: reference data, no patient figure
    analyst = Page(site["analyst"].get("/places/luton").text)
    assert _chart_table(analyst, "Deprivation of Luton's") == rows


def test_pcn_and_practice_profiles_have_no_pyramid_or_map(site):
    page = Page(site["public"].get("/pcns/U74819").text)
    assert not {"chart-pyramid", "chart-deprivation-map"} & _ids(page)


def test_a_withheld_count_is_a_row_saying_so_and_unknown_sex_is_said_not_drawn():
    from icsight.web.views.population import pyramid_figure

    rows = [{"period_end": "2026-09-30", "breakdown": "place", "group": "Luton", "sex": sex,
             "age_band": band, "people": people, "suppressed": people is None}
            for sex, band, people in (("female", "0-4", 120.0), ("male", "0-4", None),
                                      ("male", "90+", 15.0), ("unknown", "30-34", 10.0))]
    figure = pyramid_figure(rows, "Luton", "test-run-withheld", exact=False)
    table = {row[0]: row[1:] for row in figure["rows"]}
    assert figure["head"] == ["Age band", "Female", "Male"]
    assert table["0-4"] == ["120", "withheld"]
    assert table["90+"] == ["0", "15"] and table["45-49"] == ["0", "0"]
    assert len(table) == 19
    assert "1 count(s) withheld" in figure["description"]
    assert "neither female nor male are not drawn" in figure["description"]
    assert "120 females and 15 males shown" in figure["description"]
    assert pyramid_figure([], "Luton", "test-run-withheld", exact=False) is None
