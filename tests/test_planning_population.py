"""Population projections by place, age, sex and year (ONS 2022-based and housing-led) and the
registered population reconciled with ONS residents (list inflation). Expected figures are the
published ONS totals and cells, summed by hand here, not recomputed by the code under test."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from icsight.engine import open_lake
from icsight.model.reference import data_path
from icsight.planning import population as pop
from icsight.planning.population import (
    HOUSING_LED,
    ONS,
    PLACES,
    PopulationError,
    growth,
    list_inflation,
    load_trajectory,
    ons_residents_on,
    projection,
)
from tests.lakes import make_lake, patient

# ONS's published "All ages" rows (persons) for mid-2023 and mid-2043, copied from
# snpp2022_persons.csv: the headline is checked against ONS's own totals.
ONS_ALL_AGES = {  # place: (2023, 2043)
    "Bedford Borough": (190759.210, 225042.614),
    "Central Bedfordshire": (307975.222, 376826.081),
    "Luton": (232351.578, 240185.766),
    "Milton Keynes": (297195.124, 333327.943),
}


def _people(table: pd.DataFrame, year: int, place: str | None = None, min_age: int = 0,
            sex: str | None = None) -> float:
    rows = table[(table.year == year) & (table.age >= min_age)]
    if place is not None:
        rows = rows[rows.place == place]
    if sex is not None:
        rows = rows[rows.sex == sex]
    return float(rows.people.sum())


@pytest.fixture(scope="module")
def ons() -> pd.DataFrame:
    return projection(ONS)


@pytest.fixture(scope="module")
def housing() -> pd.DataFrame:
    return projection(HOUSING_LED)


# --- the packaged ONS files ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["snpp2022_persons.csv", "snpp2022_males.csv"])
def test_each_file_s_ages_add_up_to_its_published_all_ages_row(name):
    """The files are transcriptions: a single mistyped cell would break a column's sum."""
    with data_path("population", name).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 92
    for code in ("E06000055", "E06000056", "E06000032", "E06000042"):
        mine = [r for r in rows if r["AREA_CODE"] == code]
        total = next(r for r in mine if r["AGE_GROUP"] == "All ages")
        ages = [r for r in mine if r["AGE_GROUP"] != "All ages"]
        assert len(ages) == 91
        for year in range(2022, 2048):
            assert sum(float(r[str(year)]) for r in ages) == pytest.approx(
                float(total[str(year)]), abs=0.05), (code, year)


# --- the principal (ONS) projection ----------------------------------------------------------

def test_the_ons_table_is_every_place_year_age_and_sex_2023_to_2043(ons):
    assert list(ons.columns) == ["variant", "place", "la_code", "year", "age", "sex", "people"]
    assert len(ons) == 4 * 21 * 91 * 2
    assert set(ons.variant) == {ONS}
    assert sorted(ons.year.unique()) == list(range(2023, 2044))
    assert sorted(ons.age.unique()) == list(range(91))
    assert set(ons.sex) == {"female", "male"}
    assert set(ons.place) == set(PLACES)
    assert (ons.people > 0).all()


def test_each_place_s_total_is_ons_s_published_all_ages_figure(ons):
    for place, (y2023, y2043) in ONS_ALL_AGES.items():
        assert _people(ons, 2023, place) == pytest.approx(y2023, abs=0.05)
        assert _people(ons, 2043, place) == pytest.approx(y2043, abs=0.05)


def test_blmk_grows_14_3_percent_over_2023_2043(ons):
    # by hand: 190,759.210 + 307,975.222 + 232,351.578 + 297,195.124 = 1,028,281.134 in 2023,
    # 225,042.614 + 376,826.081 + 240,185.766 + 333,327.943 = 1,175,382.404 in 2043: +14.31%
    blmk = growth(ons).set_index("area").loc["BLMK"]
    assert blmk.people_start == pytest.approx(1028281.134, abs=0.05)
    assert blmk.people_end == pytest.approx(1175382.404, abs=0.05)
    assert blmk.growth == pytest.approx(0.1431, abs=0.0001)


def test_the_over_80s_grow_79_percent(ons):
    over_80 = growth(ons, min_age=80).set_index("area").loc["BLMK"]
    assert over_80.people_start == pytest.approx(40304.4, abs=0.1)
    assert over_80.people_end == pytest.approx(72083.0, abs=0.1)
    assert round(over_80.growth, 2) == 0.79


def test_places_add_to_blmk_and_sexes_to_persons(ons):
    table = growth(ons).set_index("area")
    assert table.loc["BLMK", "people_end"] == pytest.approx(
        sum(table.loc[p, "people_end"] for p in PLACES))
    # females are ONS persons less ONS males: each cell of the two sexes adds to persons
    with data_path("population", "snpp2022_persons.csv").open(encoding="utf-8") as f:
        persons = {(r["AREA_NAME"], r["AGE_GROUP"]): r for r in csv.DictReader(f)}
    cells = ons[(ons.year == 2031)].pivot_table(index=["la_code", "place", "age"],
                                                 columns="sex", values="people")
    assert len(cells) == 4 * 91
    for (_, place, age), row in cells.iterrows():
        name = "Bedford" if place == "Bedford Borough" else place
        label = "90 and over" if age == 90 else str(age)
        assert row.female + row.male == pytest.approx(float(persons[(name, label)]["2031"]),
                                                      abs=0.001)
        assert row.female > 0 and row.male > 0


def test_a_published_male_cell_is_read_as_published(ons):
    # Milton Keynes, males aged 90 and over, mid-2043: 1,568.822 in the ONS males file
    cell = ons[(ons.place == "Milton Keynes") & (ons.year == 2043) & (ons.age == 90)
               & (ons.sex == "male")]
    assert cell.people.tolist() == [pytest.approx(1568.822)]


# --- the housing-led variant -----------------------------------------------------------------

def test_housing_led_gives_the_strategy_s_plus_25_percent_in_twenty_years(housing):
    blmk = growth(housing).set_index("area").loc["BLMK"]
    assert 0.24 <= blmk.growth <= 0.26
    # by hand: each built-out place gains 20 years x completions x 2.45 residents
    # Bedford 1,355 -> 66,395; Central Bedfordshire 1,967.5 -> 96,407.5; Milton Keynes
    # 1,766.7 -> 86,568.3; Luton follows ONS (+7,834.188): 1,028,281.134 + 257,204.988
    assert blmk.change == pytest.approx(66395 + 96407.5 + 86568.3 + 7834.188, abs=0.01)
    assert blmk.growth == pytest.approx(257204.988 / 1028281.134, abs=1e-6)


def test_housing_led_doubles_the_over_79s_and_milton_keynes_over_77s(housing):
    over_79 = growth(housing, min_age=80).set_index("area")
    assert 1.9 <= over_79.loc["BLMK", "people_end"] / over_79.loc["BLMK", "people_start"] <= 2.1
    over_77 = growth(housing, min_age=78).set_index("area")
    assert over_77.loc["Milton Keynes", "people_end"] >= 2 * over_77.loc[
        "Milton Keynes", "people_start"]


def test_housing_led_starts_from_ons_keeps_its_age_structure_and_leaves_luton_as_ons(
        ons, housing):
    assert len(housing) == len(ons)
    keys = ["place", "year", "age", "sex"]
    both = ons.merge(housing, on=keys, suffixes=("_ons", "_housing"))
    first = both[both.year == 2023]
    assert (first.people_ons - first.people_housing).abs().max() < 1e-9
    luton = both[both.place == "Luton"]
    assert (luton.people_ons - luton.people_housing).abs().max() < 1e-9
    # the over-80s' share of Milton Keynes in 2043 is ONS's share
    for table in (ons, housing):
        share = _people(table, 2043, "Milton Keynes", 80) / _people(table, 2043,
                                                                       "Milton Keynes")
        assert share == pytest.approx(20282.41 / 333327.943, abs=1e-5)
    # each year's Bedford total is 2023's plus that many years' completions x 2.45
    for year in (2024, 2030, 2043):
        assert _people(housing, year, "Bedford Borough") == pytest.approx(
            190759.210 + (year - 2023) * 1355 * 2.45, abs=0.01)


def test_a_trajectory_with_no_building_holds_the_built_out_places_at_2023(tmp_path):
    text = data_path("planning", "housing_led_population.toml").read_text(encoding="utf-8")
    flat = text.replace("per_year = 1355\n", "per_year = 0\n").replace(
        "per_year = 1967.5\n", "per_year = 0\n").replace("per_year = 1766.7\n", "per_year = 0\n")
    path = tmp_path / "flat.toml"
    path.write_text(flat, encoding="utf-8")
    table = projection(HOUSING_LED, years=[2043], trajectory=load_trajectory(path))
    for place in ("Bedford Borough", "Central Bedfordshire", "Milton Keynes"):
        assert _people(table, 2043, place) == pytest.approx(ONS_ALL_AGES[place][0], abs=0.05)
    assert _people(table, 2043, "Luton") == pytest.approx(ONS_ALL_AGES["Luton"][1], abs=0.05)


# --- hostile requests ------------------------------------------------------------------------

@pytest.mark.parametrize("year", [2022, 2044, 2050])
def test_a_year_outside_2023_2043_is_a_clear_error(year):
    with pytest.raises(PopulationError, match=f"year {year} is outside .* 2023-2043"):
        projection(ONS, years=[2030, year])


def test_an_unknown_place_is_a_clear_error_naming_the_places():
    with pytest.raises(PopulationError, match="unknown place 'Bedford': the places are "
                                              "Bedford Borough, Central Bedfordshire"):
        projection(ONS, places=["Luton", "Bedford"])


def test_an_unknown_variant_is_a_clear_error():
    with pytest.raises(PopulationError, match="unknown variant 'high'"):
        projection("high")


def test_growth_refuses_ages_that_run_backwards_and_years_it_lacks(ons):
    with pytest.raises(PopulationError, match="ages 80-65 run backwards"):
        growth(ons, min_age=80, max_age=65)
    with pytest.raises(PopulationError, match="no rows for 2043"):
        growth(projection(ONS, years=[2023, 2030]))


def _trajectory_file(tmp_path: Path, old: str, new: str) -> Path:
    text = data_path("planning", "housing_led_population.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "trajectory.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("from = 2041\n", "from = 2042\n", "Bedford Borough: 0 completions periods cover 2041"),
    ("from = 2036\n", "from = 2035\n",
     "Central Bedfordshire: 2 completions periods cover 2035"),
    ('method = "ons"', 'method = "trend"', "Luton: method must be 'dwellings' or 'ons'"),
    ("persons_per_new_dwelling = 2.45\n", "persons_per_new_dwelling = -1\n",
     "Bedford Borough: persons_per_new_dwelling must be a number between 0 and 10"),
    ("per_year = 1766.7\n", "", "Milton Keynes: completions\\[0\\] has no 'per_year'"),
    ('[places."Luton"]\nmethod = "ons"\n', "", "no plan for Luton"),
    ("base_year = 2023", "base_year = 2022", "base_year must be 2023"),
    ("per_year = 1355\n", 'per_year = "lots"\n',
     "Bedford Borough: completions\\[0\\] needs whole years in from and to and a number"),
    ("version = 1\n", "version = \n", "not valid TOML"),
])
def test_a_trajectory_with_a_mistake_is_refused_naming_the_place_and_field(
        tmp_path, old, new, message):
    with pytest.raises(PopulationError, match=message):
        load_trajectory(_trajectory_file(tmp_path, old, new))


def test_residents_outside_the_ons_years_are_a_clear_error():
    with pytest.raises(PopulationError, match="2021-12-31 is outside the ONS figures"):
        ons_residents_on("2021-12-31")


# --- residents on a date and list inflation --------------------------------------------------

def test_residents_on_a_date_between_mid_years_are_interpolated_by_day():
    # Luton boys 0-4: mid-2024 1,600.174 + 1,594.366 + 1,789.976 + 1,651.916 + 1,685.823 =
    # 8,322.255; mid-2025 1,615.528 + 1,610.847 + 1,589.532 + 1,789.842 + 1,655.451 = 8,261.200.
    # 31 December 2024 is 184 of the 365 days from 30 June 2024 to 30 June 2025.
    def boys(day: str) -> float:
        t = ons_residents_on(day)
        return float(t[(t.place == "Luton") & (t.sex == "male") & (t.age <= 4)].people.sum())

    assert boys("2024-06-30") == pytest.approx(8322.255, abs=1e-6)
    assert boys("2024-12-31") == pytest.approx(8322.255 + (8261.200 - 8322.255) * 184 / 365,
                                               abs=1e-6)
    assert boys("2025-06-30") == pytest.approx(8261.200, abs=1e-6)


BEDFORD, LUTON, ELSEWHERE = "E81021", "E81026", "Y99999"  # Bedford, Luton, no such practice
DAY = "2024-06-30"


def _tiny_people() -> list[dict]:
    return [
        # Bedford Borough: two women of 18-64, two men of 80-89 (one turns 90 next month),
        # someone of 50 whose sex is not recorded
        patient(1, "1994-01-01", practice_code=BEDFORD),
        patient(2, "1990-07-01", practice_code=BEDFORD),
        patient(3, "1939-06-01", sex="male", practice_code=BEDFORD),
        patient(4, "1934-07-01", sex="male", practice_code=BEDFORD),
        patient(5, "1974-01-01", sex="unknown", practice_code=BEDFORD),
        # not on the list at the end of 30 June 2024: left that day, died before, joined after
        patient(6, "1994-01-01", practice_code=BEDFORD, registration_end=DAY),
        patient(7, "1994-01-01", practice_code=BEDFORD, date_of_death="2024-06-01"),
        patient(8, "1994-01-01", practice_code=BEDFORD, registration_start="2024-07-01"),
        # Luton: a boy of 2
        patient(9, "2022-01-01", sex="male", practice_code=LUTON),
        # a practice in none of the four places
        patient(10, "1980-01-01", practice_code=ELSEWHERE),
    ]


@pytest.fixture(scope="module")
def inflation(tmp_path_factory) -> pd.DataFrame:
    lake = open_lake(make_lake(tmp_path_factory.mktemp("inflation"), _tiny_people(), [],
                               reference_date=DAY))
    return list_inflation(lake, DAY)


def _cell(table: pd.DataFrame, place: str, band: str, sex: str) -> pd.Series:
    rows = table[(table.place == place) & (table.age_band == band) & (table.sex == sex)]
    assert len(rows) == 1, (place, band, sex)
    return rows.iloc[0]


def test_list_inflation_counts_the_registered_list_worked_by_hand(inflation):
    assert list(inflation.columns) == ["date", "place", "age_band", "sex", "registered",
                                       "residents", "difference", "ratio"]
    assert set(inflation.date) == {DAY}
    assert len(inflation) == 5 * 6 * 3  # BLMK and 4 places x 6 bands x persons/female/male
    registered = {(r.place, r.age_band, r.sex): r.registered
                  for r in inflation.itertuples() if r.registered}
    assert registered == {
        ("BLMK", "18-64", "persons"): 3, ("BLMK", "80-89", "persons"): 2,
        ("BLMK", "0-4", "persons"): 1, ("BLMK", "18-64", "female"): 2,
        ("BLMK", "80-89", "male"): 2, ("BLMK", "0-4", "male"): 1,
        ("Bedford Borough", "18-64", "persons"): 3, ("Bedford Borough", "80-89", "persons"): 2,
        ("Bedford Borough", "18-64", "female"): 2, ("Bedford Borough", "80-89", "male"): 2,
        ("Luton", "0-4", "persons"): 1, ("Luton", "0-4", "male"): 1,
    }
    assert inflation.attrs["registered_outside_places"] == 1


def test_list_inflation_sets_the_list_beside_ons_residents_worked_by_hand(inflation):
    # Bedford men 80-89, mid-2024 (ONS males file, ages 80 to 89): 546.808 + 442.290 + 369.309
    # + 317.091 + 311.840 + 302.994 + 303.119 + 246.722 + 204.259 + 191.332 = 3,235.764
    men = _cell(inflation, "Bedford Borough", "80-89", "male")
    assert men.residents == pytest.approx(3235.764, abs=1e-6)
    assert men.difference == pytest.approx(2 - 3235.764, abs=1e-6)
    assert men.ratio == pytest.approx(2 / 3235.764)
    boys = _cell(inflation, "Luton", "0-4", "male")
    assert boys.residents == pytest.approx(8322.255, abs=1e-6)
    assert boys.difference == pytest.approx(1 - 8322.255, abs=1e-6)
    # Bedford men 90+: nobody registered, 595.403 residents
    oldest = _cell(inflation, "Bedford Borough", "90+", "male")
    assert (oldest.registered, oldest.residents) == (0, pytest.approx(595.403))


def test_list_inflation_s_persons_are_both_sexes_and_blmk_is_the_four_places(inflation):
    for place in ("BLMK", *PLACES):
        for band in ("0-4", "18-64", "90+"):
            persons = _cell(inflation, place, band, "persons").residents
            assert persons == pytest.approx(_cell(inflation, place, band, "female").residents
                                            + _cell(inflation, place, band, "male").residents)
    blmk = inflation[inflation.place == "BLMK"].set_index(["age_band", "sex"])
    places = inflation[inflation.place.isin(PLACES)].groupby(["age_band", "sex"])[
        ["registered", "residents"]].sum()
    assert (blmk.registered == places.registered.loc[blmk.index]).all()
    assert (blmk.residents - places.residents.loc[blmk.index]).abs().max() < 1e-6
    # BLMK residents on 30 June 2024 are ONS's mid-2024 total, every band and sex included
    total = inflation[(inflation.place == "BLMK") & (inflation.sex == "persons")].residents
    assert total.sum() == pytest.approx(
        sum(float(r["2024"]) for r in _all_ages_rows()), abs=0.05)


def _all_ages_rows() -> list[dict]:
    with data_path("population", "snpp2022_persons.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["AGE_GROUP"] == "All ages"]


def test_the_module_documents_its_variants():
    assert set(pop.VARIANTS) == {ONS, HOUSING_LED}
    assert "no high or low variants" in pop.__doc__


def test_a_trajectory_for_the_ons_variant_is_refused():
    with pytest.raises(PopulationError, match="applies to 'housing-led' only"):
        projection(ONS, trajectory=load_trajectory())


def test_one_year_and_one_place_may_be_given_on_their_own():
    table = projection(ONS, years=2043, places="Luton")
    assert set(table.year) == {2043} and set(table.place) == {"Luton"}
    assert float(table.people.sum()) == pytest.approx(ONS_ALL_AGES["Luton"][1], abs=0.05)
    with pytest.raises(PopulationError, match="unknown place 'Lutton'"):
        projection(ONS, places="Lutton")


def test_banded_sums_single_years_into_the_planning_bands(ons):
    bands = pop.banded(projection(ONS, years=2043, places="Bedford Borough"))
    assert bands.age_band.tolist()[:6] == ["0-4", "5-17", "18-64", "65-79", "80-89", "90+"]
    men = bands[bands.sex == "male"].set_index("age_band").people
    # Bedford men 90 and over, mid-2043 (ONS males file): 1,304.415
    assert men["90+"] == pytest.approx(1304.415)
    # Bedford men 80-89, mid-2043: 717.131 + 700.407 + 641.583 + 576.066 + 544.595 + 479.838
    # + 450.782 + 398.034 + 339.539 + 312.526 = 5,160.501
    assert men["80-89"] == pytest.approx(5160.501, abs=1e-6)
    assert float(bands.people.sum()) == pytest.approx(ONS_ALL_AGES["Bedford Borough"][1],
                                                      abs=0.05)
