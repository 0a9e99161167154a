"""Projected residents of BLMK by place, single year of age, sex and year, 2023-2043, and the
registered population reconciled with them (list inflation).

Two variants, one tidy table each (`projection`): columns variant, place, la_code, year, age
(0-90, where 90 is "90 and over"), sex (female, male) and people (a count, not rounded).

- `ons-2022` is the principal projection: ONS's 2022-based subnational population projections
  (migration category variant, the one ONS leads with), single year of age by local authority.
  ONS publishes persons and males; females are persons less males.
- `housing-led` follows a dwellings trajectory kept as data
  (`icsight/data/planning/housing_led_population.toml`): in a place built out by its local plan
  the population grows by each year's completions times the residents of a new dwelling, with
  the ONS age and sex structure for that place and year; the other places follow ONS. It
  reproduces the strategy's own statements (BLMK +25% in 20 years, the over-79s doubling).

The 2022-based subnational release, as found in its source, has two variants: migration
category and five-year migration. No high or low variant of it was found (ONS's high and low
migration variants are for the national projections), so there are no high or low variants
here.

`list_inflation` counts a lake's registered population by place, age band and sex on a date,
by the rule every indicator uses (`icsight.indicators.population.population_margins`:
registered and alive at the end of the day, place of the practice), and sets it beside the ONS
residents on that date: the difference is the list inflation.

Sources and checks: `icsight/data/population/SOURCES.md`; for analysts,
docs/planning-population.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from icsight.indicators.breakdown import reference_frames
from icsight.indicators.periods import PERIOD, as_date, periods_table
from icsight.indicators.population import PYRAMID_BANDS, population_margins, pyramid_band
from icsight.model.reference import LA_TO_PLACE, data_path

__all__ = ["AGE_BANDS", "BLMK", "FIRST_YEAR", "HOUSING_LED", "LAST_YEAR", "OLDEST", "ONS",
           "PLACES", "SEXES", "VARIANTS", "Completions", "HousingTrajectory", "PlacePlan",
           "PopulationError", "age_band", "banded", "growth", "headline_figures", "list_inflation",
           "load_trajectory", "ons_residents_on", "projection", "projections"]

ONS = "ons-2022"
HOUSING_LED = "housing-led"
#: variant id -> what a planner reads
VARIANTS = {ONS: "ONS 2022-based (principal)", HOUSING_LED: "Housing-led (local plans)"}

PLACES = ("Bedford Borough", "Central Bedfordshire", "Luton", "Milton Keynes")
BLMK = "BLMK"
FIRST_YEAR, LAST_YEAR = 2023, 2043
#: the single year of age that stands for "90 and over", as ONS publishes it
OLDEST = 90
SEXES = ("female", "male")
#: the ONS files' years: mid-2022 (the estimate the projection starts from) to mid-2047
_DATA_YEARS = range(2022, 2048)
#: age bands a planner reads, with the over-79s visible on their own
AGE_BANDS = (("0-4", 0, 4), ("5-17", 5, 17), ("18-64", 18, 64), ("65-79", 65, 79),
             ("80-89", 80, 89), ("90+", 90, OLDEST))
TRAJECTORY_VERSION = 1


class PopulationError(ValueError):
    """A request the projections cannot answer (a year or place they do not cover), or a
    trajectory file that does not say what it must."""


def age_band(age: int) -> str:
    """The planning age band (`AGE_BANDS`) of a single year of age (any age past 90 is 90+)."""
    if age < 0:
        raise PopulationError(f"age {age} is below 0")
    for label, low, high in AGE_BANDS:
        if low <= age <= high:
            return label
    return AGE_BANDS[-1][0]


# --- the ONS projection ----------------------------------------------------------------------

def _read_ons(sex_file: str) -> pd.DataFrame:
    """One of the packaged ONS files (persons or males) as long rows: la_code, age, year,
    people. The "All ages" rows are left out (they are the sum of the ages)."""
    with data_path("population", sex_file).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        if row["AGE_GROUP"] == "All ages":
            continue
        age = OLDEST if row["AGE_GROUP"] == "90 and over" else int(row["AGE_GROUP"])
        out.extend((row["AREA_CODE"], age, year, float(row[str(year)])) for year in _DATA_YEARS)
    return pd.DataFrame(out, columns=["la_code", "age", "year", "people"])


@cache
def _ons_all_years() -> pd.DataFrame:
    """The ONS projection for every year the files hold (2022-2047), by place, age and sex."""
    persons = _read_ons("snpp2022_persons.csv")
    males = _read_ons("snpp2022_males.csv")
    both = persons.merge(males, on=["la_code", "age", "year"], suffixes=("_persons", "_males"),
                         validate="one_to_one")
    if len(both) != len(persons):
        raise PopulationError("the ONS persons and males files do not hold the same rows")
    female = both.assign(sex="female", people=both.people_persons - both.people_males)
    male = both.assign(sex="male", people=both.people_males)
    out = pd.concat([female, male], ignore_index=True)
    out["place"] = out.la_code.map(LA_TO_PLACE)
    out["variant"] = ONS
    return _order(out[["variant", "place", "la_code", "year", "age", "sex", "people"]])


def _order(table: pd.DataFrame) -> pd.DataFrame:
    place_order = {p: i for i, p in enumerate(PLACES)}
    return (table.assign(_p=table.place.map(place_order))
            .sort_values(["_p", "year", "sex", "age"]).drop(columns="_p")
            .reset_index(drop=True))


def _checked_years(years: Iterable[int] | int | None) -> list[int]:
    if years is None:
        return list(range(FIRST_YEAR, LAST_YEAR + 1))
    if isinstance(years, int):
        years = [years]
    chosen = sorted({int(y) for y in years})
    outside = [y for y in chosen if not FIRST_YEAR <= y <= LAST_YEAR]
    if outside:
        raise PopulationError(
            f"year {outside[0]} is outside the projection years {FIRST_YEAR}-{LAST_YEAR}")
    if not chosen:
        raise PopulationError("no years asked for")
    return chosen


def _checked_places(places: Iterable[str] | str | None) -> list[str]:
    if places is None:
        return list(PLACES)
    if isinstance(places, str):  # one place, not its letters
        places = [places]
    chosen = list(dict.fromkeys(places))
    unknown = [p for p in chosen if p not in PLACES]
    if unknown:
        raise PopulationError(
            f"unknown place {unknown[0]!r}: the places are {', '.join(PLACES)}")
    if not chosen:
        raise PopulationError("no places asked for")
    return chosen


def _select(table: pd.DataFrame, years: list[int], places: list[str]) -> pd.DataFrame:
    keep = table.year.isin(years) & table.place.isin(places)
    return table[keep].reset_index(drop=True)


# --- the housing-led variant -----------------------------------------------------------------

@dataclass(frozen=True)
class Completions:
    """Dwellings completed a year (mid-year to mid-year) from `first` to `last` inclusive."""

    first: int
    last: int
    per_year: float
    source: str
    confidence: str


@dataclass(frozen=True)
class PlacePlan:
    """How one place's population grows in the housing-led variant."""

    place: str
    method: str  # "dwellings" or "ons"
    persons_per_new_dwelling: float | None = None
    persons_source: str = ""
    completions: tuple[Completions, ...] = ()

    def completed_in(self, year: int) -> float:
        """Dwellings completed in the year to mid-`year`."""
        for period in self.completions:
            if period.first <= year <= period.last:
                return period.per_year
        raise PopulationError(f"{self.place}: no completions given for {year}")


@dataclass(frozen=True)
class HousingTrajectory:
    """The housing-led variant's data: a plan per place and the assumptions, as text."""

    name: str
    base_year: int
    assumptions: dict[str, str]
    places: dict[str, PlacePlan]


def load_trajectory(path: str | Path | None = None) -> HousingTrajectory:
    """Read and check a housing trajectory file (by default the packaged one). A mistake is a
    `PopulationError` naming the place and the field."""
    source = data_path("planning", "housing_led_population.toml") if path is None else Path(path)
    try:
        with source.open("rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as error:
        raise PopulationError(f"the trajectory file is not valid TOML: {error}") from None
    if raw.get("version") != TRAJECTORY_VERSION:
        raise PopulationError(f"trajectory version must be {TRAJECTORY_VERSION}, "
                              f"not {raw.get('version')!r}")
    base = raw.get("base_year")
    if base != FIRST_YEAR:
        raise PopulationError(f"base_year must be {FIRST_YEAR} (the first projection year), "
                              f"not {base!r}")
    given = raw.get("places", {})
    missing = [p for p in PLACES if p not in given]
    if missing:
        raise PopulationError(f"the trajectory has no plan for {missing[0]}")
    unknown = [p for p in given if p not in PLACES]
    if unknown:
        raise PopulationError(f"the trajectory names an unknown place {unknown[0]!r}")
    plans = {place: _place_plan(place, given[place]) for place in PLACES}
    return HousingTrajectory(name=str(raw.get("name", "Housing-led")), base_year=base,
                             assumptions=dict(raw.get("assumptions", {})), places=plans)


def _place_plan(place: str, raw: object) -> PlacePlan:
    if not isinstance(raw, dict):
        raise PopulationError(f"{place}: its plan must be a table of fields")
    method = raw.get("method")
    if method == "ons":
        return PlacePlan(place=place, method="ons")
    if method != "dwellings":
        raise PopulationError(f"{place}: method must be 'dwellings' or 'ons', not {method!r}")
    per_dwelling = raw.get("persons_per_new_dwelling")
    if not isinstance(per_dwelling, int | float) or not 0 < per_dwelling < 10:
        raise PopulationError(f"{place}: persons_per_new_dwelling must be a number between 0 "
                              f"and 10, not {per_dwelling!r}")
    periods = []
    for i, period in enumerate(raw.get("completions", [])):
        try:
            periods.append(Completions(first=int(period["from"]), last=int(period["to"]),
                                       per_year=float(period["per_year"]),
                                       source=str(period["source"]),
                                       confidence=str(period.get("confidence", ""))))
        except KeyError as missing:
            raise PopulationError(f"{place}: completions[{i}] has no {missing}") from None
        except (TypeError, ValueError):
            raise PopulationError(f"{place}: completions[{i}] needs whole years in from and to "
                                  "and a number in per_year") from None
        if periods[-1].per_year < 0 or periods[-1].first > periods[-1].last:
            raise PopulationError(f"{place}: completions[{i}] must run forwards and build "
                                  "zero or more dwellings a year")
    plan = PlacePlan(place=place, method="dwellings", persons_per_new_dwelling=per_dwelling,
                     persons_source=str(raw.get("persons_per_new_dwelling_source", "")),
                     completions=tuple(periods))
    for year in range(FIRST_YEAR + 1, LAST_YEAR + 1):
        covering = [p for p in periods if p.first <= year <= p.last]
        if len(covering) != 1:
            raise PopulationError(f"{place}: {len(covering)} completions periods cover {year}; "
                                  "each year after the base year must be in exactly one")
    return plan


def _housing_led(trajectory: HousingTrajectory) -> pd.DataFrame:
    """The housing-led variant for 2023-2043: each place's ONS age-sex structure scaled to the
    total its plan gives (see the trajectory's assumptions)."""
    ons = _ons_all_years()
    ons = ons[ons.year.between(FIRST_YEAR, LAST_YEAR)]
    totals = ons.groupby(["place", "year"]).people.sum()
    parts = []
    for place, plan in trajectory.places.items():
        rows = ons[ons.place == place]
        if plan.method == "ons":
            parts.append(rows)
            continue
        total = totals[(place, trajectory.base_year)]
        scale = {trajectory.base_year: 1.0}
        for year in range(trajectory.base_year + 1, LAST_YEAR + 1):
            total += plan.completed_in(year) * plan.persons_per_new_dwelling
            scale[year] = total / totals[(place, year)]
        parts.append(rows.assign(people=rows.people * rows.year.map(scale)))
    out = pd.concat(parts, ignore_index=True).assign(variant=HOUSING_LED)
    return _order(out)


@cache
def _default_housing_led() -> pd.DataFrame:
    return _housing_led(load_trajectory())


# --- the public tables -----------------------------------------------------------------------

def projection(variant: str = ONS, years: Iterable[int] | int | None = None,
               places: Iterable[str] | str | None = None,
               trajectory: HousingTrajectory | None = None) -> pd.DataFrame:
    """One variant's projected residents (`ONS` or `HOUSING_LED`) for `years` (default
    2023-2043) and `places` (default all four), one row per place, year, single year of age
    and sex. `trajectory` replaces the packaged housing trajectory (housing-led only)."""
    chosen_years, chosen_places = _checked_years(years), _checked_places(places)
    if trajectory is not None and variant != HOUSING_LED:
        raise PopulationError(f"a housing trajectory applies to {HOUSING_LED!r} only")
    if variant == ONS:
        table = _ons_all_years()
    elif variant == HOUSING_LED:
        table = _default_housing_led() if trajectory is None else _housing_led(trajectory)
    else:
        raise PopulationError(f"unknown variant {variant!r}: the variants are "
                              f"{', '.join(VARIANTS)}")
    return _select(table, chosen_years, chosen_places)


def projections(years: Iterable[int] | None = None,
                places: Iterable[str] | None = None) -> pd.DataFrame:
    """Both variants, one under the other (the `variant` column tells them apart)."""
    return pd.concat([projection(v, years, places) for v in VARIANTS], ignore_index=True)


def growth(table: pd.DataFrame, start: int = FIRST_YEAR, end: int = LAST_YEAR,
           min_age: int = 0, max_age: int = OLDEST) -> pd.DataFrame:
    """Growth from `start` to `end` of the people aged `min_age`-`max_age` in a projection
    table, per variant for BLMK and each place: columns variant, area, people_start,
    people_end, change, growth (a fraction: 0.143 is +14.3%)."""
    _checked_years([start, end])
    if min_age > max_age:
        raise PopulationError(f"ages {min_age}-{max_age} run backwards")
    rows = table[table.age.between(min_age, max_age) & table.year.isin([start, end])]
    missing = {start, end} - set(rows.year)
    if missing:
        raise PopulationError(f"the table has no rows for {min(missing)}")
    by_place = rows.pivot_table(index=["variant", "place"], columns="year", values="people",
                                aggfunc="sum").reset_index()
    blmk = by_place.groupby("variant", as_index=False)[[start, end]].sum().assign(place=BLMK)
    out = pd.concat([blmk, by_place], ignore_index=True).rename(
        columns={"place": "area", start: "people_start", end: "people_end"})
    out["change"] = out.people_end - out.people_start
    out["growth"] = out.change / out.people_start
    out.columns.name = None
    return out[["variant", "area", "people_start", "people_end", "change", "growth"]]


def banded(table: pd.DataFrame) -> pd.DataFrame:
    """A projection table summed into the planning age bands (`AGE_BANDS`): columns variant,
    place, year, age_band, sex, people, bands in age order."""
    out = table.assign(age_band=table.age.map(age_band))
    out = out.groupby(["variant", "place", "year", "age_band", "sex"], as_index=False,
                      sort=False).people.sum()
    order = {label: i for i, (label, _, _) in enumerate(AGE_BANDS)}
    place_order = {p: i for i, p in enumerate(PLACES)}
    return (out.assign(_p=out.place.map(place_order), _b=out.age_band.map(order))
            .sort_values(["variant", "_p", "year", "sex", "_b"]).drop(columns=["_p", "_b"])
            .reset_index(drop=True))


#: the headline measures: label -> (min_age, max_age)
HEADLINE_AGES = {"all ages": (0, OLDEST), "65 and over": (65, OLDEST),
                 "over 77 (78+)": (78, OLDEST), "over 79 (80+)": (80, OLDEST)}


def headline_figures(start: int = FIRST_YEAR, end: int = LAST_YEAR) -> pd.DataFrame:
    """Growth `start`-`end` of each headline age group (`HEADLINE_AGES`) per variant, for BLMK
    and each place: the table docs/planning-population.md shows."""
    table = projections(years=[start, end])
    parts = [growth(table, start, end, low, high).assign(ages=label)
             for label, (low, high) in HEADLINE_AGES.items()]
    out = pd.concat(parts, ignore_index=True)
    return out[["variant", "area", "ages", "people_start", "people_end", "change", "growth"]]


# --- residents on a date, and list inflation -------------------------------------------------

def _mid_year(year: int) -> dt.date:
    return dt.date(year, 6, 30)


def ons_residents_on(day: str | dt.date) -> pd.DataFrame:
    """ONS residents by place, single year of age and sex on `day`: the projection's mid-year
    figures (30 June) interpolated in a straight line between the mid-years either side. Mid-
    2022 is ONS's estimate; later years are its projection. Columns place, age, sex, people."""
    day = as_date(day)
    first, last = _mid_year(_DATA_YEARS[0]), _mid_year(_DATA_YEARS[-1])
    if not first <= day <= last:
        raise PopulationError(f"{day} is outside the ONS figures ({first} to {last})")
    before = day.year if day >= _mid_year(day.year) else day.year - 1
    start = _mid_year(before)
    weight = 0.0 if day == start else (day - start).days / (_mid_year(before + 1) - start).days
    table = _ons_all_years()
    keys = ["place", "age", "sex"]
    low = table[table.year == before].set_index(keys).people
    if weight == 0.0:
        people = low
    else:
        high = table[table.year == before + 1].set_index(keys).people
        people = low + (high - low) * weight
    return people.rename("people").reset_index()


#: the age bands a list-inflation table can use: label -> (band of an age, bands in order)
INFLATION_BANDS = {"planning": (age_band, tuple(label for label, _, _ in AGE_BANDS)),
                   "five-year": (pyramid_band, PYRAMID_BANDS)}


def list_inflation(lake, day: str | dt.date, bands: str = "planning") -> pd.DataFrame:
    """The lake's registered population on `day` beside the ONS residents, by place, age band
    and sex: columns date, place, age_band, sex, registered, residents, difference
    (registered less residents: the list inflation, in people) and ratio (registered per
    resident). `bands`: the planning age bands (`AGE_BANDS`) or "five-year" (the population
    pyramid's: 0-4 to 85-89, then 90+).

    Registered means registered and alive at the end of `day`, aged in whole years then, and
    placed by the practice's place: the registered-list rule every indicator uses
    (`population_margins`). Sexes are female, male and persons (everyone, including anyone whose
    sex is not recorded, whom ONS has no figure for on their own); areas are the four places
    and BLMK (their sum). People registered with a practice outside the four places are left
    out and counted in the table's `attrs["registered_outside_places"]`."""
    if bands not in INFLATION_BANDS:
        raise PopulationError(f"unknown age bands {bands!r}: one of "
                              f"{', '.join(INFLATION_BANDS)}")
    band_of, band_labels = INFLATION_BANDS[bands]
    day = as_date(day)
    residents = ons_residents_on(day)
    periods = periods_table([day], lake)
    margin = population_margins(lake, periods)["practice_code"]
    margin = margin.filter(margin[PERIOD] == day)
    counted = margin.group_by(["practice_code", "sex", "age"]).agg(
        registered=margin.n.sum()).to_pandas()
    practices = reference_frames(lake)[0][["practice_code", "place"]]
    counted = counted.merge(practices, "left", on="practice_code")
    outside = ~counted.place.isin(PLACES)
    registered = counted[~outside].copy()
    registered["sex"] = registered.sex.where(registered.sex.isin(SEXES), "unknown")
    registered["age_band"] = registered.age.map(band_of)
    residents["age_band"] = residents.age.map(band_of)

    keys = ["place", "age_band", "sex"]
    reg = registered.groupby(keys).registered.sum()
    res = residents.groupby(keys).people.sum().rename("residents")
    by_sex = pd.concat([reg, res], axis=1).reset_index()
    by_sex = by_sex[by_sex.sex.isin(SEXES)]
    persons = pd.concat([registered.groupby(keys[:2]).registered.sum(),
                         residents.groupby(keys[:2]).people.sum().rename("residents")],
                        axis=1).reset_index().assign(sex="persons")
    table = pd.concat([by_sex, persons], ignore_index=True)
    table["registered"] = table.registered.fillna(0).astype("int64")
    blmk = table.groupby(["age_band", "sex"], as_index=False)[["registered", "residents"]].sum()
    table = pd.concat([table, blmk.assign(place=BLMK)], ignore_index=True)

    table["difference"] = table.registered - table.residents
    table["ratio"] = table.registered / table.residents
    table.insert(0, "date", day.isoformat())
    band_order = {label: i for i, label in enumerate(band_labels)}
    area_order = {p: i for i, p in enumerate((BLMK, *PLACES))}
    sex_order = {"persons": 0, "female": 1, "male": 2}
    table = (table.assign(_a=table.place.map(area_order), _b=table.age_band.map(band_order),
                          _s=table.sex.map(sex_order))
             .sort_values(["_a", "_s", "_b"]).drop(columns=["_a", "_b", "_s"])
             .reset_index(drop=True))
    table = table[["date", "place", "age_band", "sex", "registered", "residents", "difference",
                   "ratio"]]
    table.attrs["registered_outside_places"] = int(counted[outside].registered.sum())
    if not all(math.isfinite(r) for r in table.residents):
        raise PopulationError("ONS residents are missing for a place, band or sex")
    return table

