"""The published size of BLMK's GP lists over time, and who leaves them, as the generator uses them.

NHS Digital's "Patients Registered at a GP Practice" gives two points read for BLMK: 1,047,296
on 1 January 2021 and 1,146,928 on 1 April 2026 (+9.5%, about 1.75% a year), Luton growing
fastest (+14.7%) and Central Bedfordshire slowest (+5.5%) [S-derived; the figures and their
sources are in `data/population/registered_lists.csv` and its SOURCES.md]. Between and beyond
the two points a list is taken to grow at a constant rate (a straight line on a log scale),
which is how the generator's population and its calibration targets are dated.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache

import numpy as np

from icsight.model import reference
from icsight.model.registration import registered_and_alive_sql
from icsight.model.schema import PLACES

__all__ = ["growth_per_year", "leaving_rate", "list_inflation", "place_shares",
           "population_targets", "published_list", "published_points", "residents"]


@cache
def published_points() -> dict[str, tuple[tuple[dt.date, int], tuple[dt.date, int]]]:
    """The two published list sizes (earlier, later) by place of the practice, and for "BLMK"
    (which in 2026 includes 114 patients of a practice with no place, Y07040)."""
    table = reference._read_csv("population", "registered_lists.csv").to_pylist()
    points: dict[str, list[tuple[dt.date, int]]] = {}
    for row in table:
        points.setdefault(row["place"], []).append((_as_date(row["date"]), row["registered"]))
    return {place: tuple(sorted(pts)) for place, pts in points.items()}


def growth_per_year(place: str = "BLMK") -> float:
    """The list's continuous growth rate a year between the two published points."""
    (d0, n0), (d1, n1) = published_points()[place]
    return math.log(n1 / n0) / ((d1 - d0).days / 365.25)


def published_list(on: dt.date, place: str = "BLMK") -> float:
    """The registered list on a day, interpolated (or extrapolated) from the published points."""
    (_, _), (d1, n1) = published_points()[place]
    return n1 * math.exp(growth_per_year(place) * (on - d1).days / 365.25)


def residents(on: dt.date) -> float:
    """BLMK usual residents on a day: Census 2021 to the 2022-based projection for mid-2026,
    constant growth between them [S]."""
    rows = reference._read_csv("population", "residents.csv").to_pylist()
    (d0, n0), (d1, n1) = sorted((_as_date(r["date"]), r["residents"]) for r in rows)
    rate = math.log(n1 / n0) / (d1 - d0).days
    return n0 * math.exp(rate * (on - d0).days)


@cache
def _by_age() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = reference._read_csv("population", "registration_by_age.csv").to_pylist()
    lower = np.array([r["age_from"] for r in rows])
    ratio = np.array([r["england_registered"] / r["england_resident"] for r in rows])
    leaving = np.array([r["leaving_rate"] for r in rows])
    return lower, ratio, leaving


def _band(age: np.ndarray) -> np.ndarray:
    lower = _by_age()[0]
    return np.searchsorted(lower, np.asarray(age), side="right") - 1


def leaving_rate(age: np.ndarray) -> np.ndarray:
    """Per person, the yearly chance of leaving the list other than by death (moves out,
    emigration, list cleansing) at that age [E; shaped by ONS internal migration by age]."""
    return _by_age()[2][_band(age)]


def list_inflation(age: np.ndarray) -> np.ndarray:
    """Registered people per resident at that age, England 2023 (1.18 at 30-34, ~1.0 at 75+,
    0.99 at 0-4) [S-derived]: young adults move without deregistering."""
    return _by_age()[1][_band(age)]


def place_shares(on: dt.date) -> np.ndarray:
    """Each place's share of the BLMK list on a day (in the order of `PLACES`)."""
    sizes = np.array([published_list(on, p) for p in PLACES])
    return sizes / sizes.sum()


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# --- Calibration targets: the list over the window, measured from a lake -----------------------

_REGISTERED_ON = registered_and_alive_sql("{ref}")
_YEARS_IN_WINDOW = 5.0


def _line_sql(n: float, rate: float, anchor: dt.date) -> str:
    """SQL for a constant-growth line through (anchor, n), evaluated at `{ref}`."""
    return f"({n:.1f} * exp({rate:.8f} * date_diff('day', DATE '{anchor}', {{ref}}) / 365.25))"


def _published_sql(place: str = "BLMK") -> str:
    (_, _), (d1, n1) = published_points()[place]
    return _line_sql(n1, growth_per_year(place), d1)


def _residents_sql() -> str:
    rows = reference._read_csv("population", "residents.csv").to_pylist()
    (d0, n0), (d1, n1) = sorted((_as_date(r["date"]), r["residents"]) for r in rows)
    return _line_sql(n0, math.log(n1 / n0) * 365.25 / (d1 - d0).days, d0)


def _count_on(day: str, where: str = "TRUE") -> str:
    return (f"(SELECT count(*) FROM patients p JOIN lsoas l USING (lsoa_code) WHERE {where} AND "
            + registered_and_alive_sql(day, "p.") + ")")


def _growth_sql(where: str = "TRUE") -> str:
    return f"SELECT 100.0 * ({_count_on('{ref}', where)} / {_count_on('{start}', where)} - 1)"


def _five_year_growth(place: str = "BLMK") -> float:
    return round(100 * (math.exp(growth_per_year(place) * _YEARS_IN_WINDOW) - 1), 2)


def _resident_share_sql(lo: int, hi: int) -> str:
    """SQL for the share of BLMK residents aged lo-hi in the year of `{ref}`: ONS 2022-based
    projections for mid-2022 to mid-2047 (the nearest year within them)."""
    cases = []
    for year in range(2022, 2048):
        sya = reference.la_projected_population(year)
        ages = sya["age"].to_numpy()
        people = sya["population"].to_numpy()
        share = people[(ages >= lo) & (ages <= hi)].sum() / people.sum()
        cases.append(f"WHEN {year} THEN {share:.5f}")
    return (f"(CASE least(greatest(year({{ref}}), 2022), 2047) {' '.join(cases)} END)")


def _england_inflation(lo: int, hi: int) -> float:
    """England 2023: registered per resident at ages lo-hi relative to all ages [S-derived]."""
    rows = reference._read_csv("population", "registration_by_age.csv").to_pylist()
    band = [r for r in rows if r["age_from"] >= lo and r["age_to"] <= hi]
    ratio = (sum(r["england_registered"] for r in band) / sum(r["england_resident"] for r in band))
    total = (sum(r["england_registered"] for r in rows) / sum(r["england_resident"] for r in rows))
    return round(ratio / total, 3)


_AGE = "date_diff('month', month_of_birth, {ref}) // 12"
_JOINED_12M = "registration_start > {ref} - INTERVAL 12 MONTH AND registration_start <= {ref}"
_LEFT_12M = ("registration_end > {ref} - INTERVAL 12 MONTH AND registration_end <= {ref} "
             "AND date_of_death IS NULL")
#: Babies are registered within weeks of birth; a registration starting within 60 days of the
#: month of birth is taken as a birth, any later one as a move in.
_BORN = "registration_start - month_of_birth <= 60"


def _per_100_registered(event: str) -> str:
    return (f"SELECT 100.0 * count(*) FILTER (WHERE {event}) / "
            f"count(*) FILTER (WHERE {_REGISTERED_ON}) FROM patients")


def _leaving_rate_sql(ages: str) -> str:
    """Leavers in the last 12 months at these ages per 100 registered at these ages."""
    return (f"SELECT 100.0 * count(*) FILTER (WHERE {_LEFT_12M} AND "
            f"date_diff('month', month_of_birth, registration_end) // 12 {ages}) / "
            f"count(*) FILTER (WHERE {_REGISTERED_ON} AND {_AGE} {ages}) FROM patients")


_LIST_SOURCE = ("NHS Digital, Patients Registered at a GP Practice: BLMK 1,047,296 on 1 Jan 2021 "
                "and 1,146,928 on 1 Apr 2026 [S-derived], a constant-growth line through them "
                "(1.75% a year)")
_FLOW_SOURCE = ("Flow budget [E] from the published stock (NHS Digital lists +1.75% a year), "
                "ONS births (~12,000 a year) and deaths (~7,700) for BLMK and ONS internal "
                "migration (4-7% of residents move in or out of Luton or Milton Keynes a year)")

#: Live births to BLMK residents in 2022 by local authority, ONS "Births in England and Wales:
#: summary tables" as compiled by Centre for Cities (natural_increase_data.xlsx): Bedford 2,111,
#: Central Bedfordshire 3,432, Luton 3,268, Milton Keynes 3,203, 12,014 in all, against
#: ~1.09-1.10 million registered in 2022 (the published line above) [S-derived].
_BIRTHS_SOURCE = ("ONS, Births in England and Wales: summary tables, 2022, by local authority "
                  "(Bedford 2,111, Central Bedfordshire 3,432, Luton 3,268, Milton Keynes 3,203:"
                  " ~12,000 a year) [S] over ~1.09-1.10 million registered (NHS Digital) "
                  "[S-derived]")


def population_targets() -> list:
    """The registered list over the window: size, growth (overall and by place), list
    inflation, and the flows on and off it."""
    from icsight.synth.calibration import Target

    targets = [
        Target("registered_list", "Registered and alive on the date, % of the published BLMK "
               "list then (scaled to the lake's size)", 100.0, 2.0, "%", _LIST_SOURCE,
               f"SELECT 100.0 * {_count_on('{ref}')} / ({{scale}} * {_published_sql()})",
               lookback_months=0),
        Target("registered_list_growth", "Registered list growth over the five-year window",
               _five_year_growth(), 1.0, "%", _LIST_SOURCE, _growth_sql(), once=True),
        Target("registered_to_resident", "Registered list per BLMK resident (ONS) on the date",
               1.07, 0.025, "ratio",
               "NHS Digital registered lists [S] over ONS Census 2021 (991,792) and 2022-based "
               "projection for mid-2026 (1,060,866) [S]: 1.056 (2021) to 1.081 (2026)",
               f"SELECT {_count_on('{ref}')} / {{scale}} / {_residents_sql()}",
               lookback_months=0),
        Target("list_inflation_25_39", "Share of the list aged 25-39 over the share of BLMK "
               "residents aged 25-39 (ONS projections for the year)", _england_inflation(25, 39),
               0.04, "ratio",
               "England 2023: 1.17 registered per resident at 25-39 against 1.08 at all ages "
               "(OHID Fingertips 337 and ONS mid-2023 estimates, 92708) [S-derived]; BLMK "
               "residents by age: ONS 2022-based subnational population projections [S]",
               f"SELECT avg(CASE WHEN {_AGE} BETWEEN 25 AND 39 THEN 1.0 ELSE 0 END) / "
               f"{_resident_share_sql(25, 39)} FROM patients WHERE {_REGISTERED_ON}",
               lookback_months=0),
        Target("list_share_90_plus", "Share of the list aged 90 and over over the share of "
               "BLMK residents aged 90 and over (ONS projections for the year)",
               _england_inflation(90, 120), 0.08, "ratio",
               "ONS 2022-based subnational population projections [S]: BLMK residents 90+ "
               "0.686% (mid-2022) to 0.733% (mid-2026); England 2023: 1.005 registered per "
               "resident at 90+ against 1.08 at all ages (OHID Fingertips 337 and ONS mid-2023 "
               "estimates, 92708) [S-derived]; tolerance about two standard errors of the "
               "count on a 100,000-person lake (~700 people 90+)",
               f"SELECT avg(CASE WHEN {_AGE} >= 90 THEN 1.0 ELSE 0 END) / "
               f"{_resident_share_sql(90, 120)} FROM patients WHERE {_REGISTERED_ON}",
               lookback_months=0),
        Target("joiners_per_100", "New registrations (births and moves in) in the last 12 "
               "months per 100 registered", 9.0, 1.5, "per 100", _FLOW_SOURCE,
               _per_100_registered(_JOINED_12M)),
        Target("leavers_per_100", "Registrations ended other than by death in the last 12 "
               "months per 100 registered", 6.5, 1.5, "per 100", _FLOW_SOURCE,
               _per_100_registered(_LEFT_12M)),
        Target("births_per_100", "Babies registered within weeks of birth in the last 12 "
               "months per 100 registered", 1.1, 0.2, "per 100", _BIRTHS_SOURCE,
               _per_100_registered(f"{_JOINED_12M} AND {_BORN}")),
        Target("net_moves_per_100", "Moves in minus leavers (not births or deaths) in the "
               "last 12 months per 100 registered", 1.4, 0.5, "per 100", _FLOW_SOURCE,
               f"SELECT 100.0 * (count(*) FILTER (WHERE {_JOINED_12M} AND NOT ({_BORN})) - "
               f"count(*) FILTER (WHERE {_LEFT_12M})) / count(*) FILTER (WHERE "
               f"{_REGISTERED_ON}) FROM patients"),
        Target("leavers_young_vs_old", "Yearly leaving rate at 18-39 over that at 65+",
               4.5, 1.5, "ratio",
               "ONS internal migration by age: moves peak at 19-30 (1 in 5 at age 19) and are "
               "rarest after 65 [S shape]; size [E]",
               f"SELECT ({_leaving_rate_sql('BETWEEN 18 AND 39')}) / "
               f"({_leaving_rate_sql('>= 65')})"),
    ]
    for place in PLACES:
        targets.append(Target(
            f"registered_list_growth_{place.lower().replace(' ', '_')}",
            f"Registered list growth over the window, {place}", _five_year_growth(place), 1.5,
            "%", _LIST_SOURCE.replace("BLMK 1,047,296", f"{place} {_points_text(place)}; BLMK "
                                      "1,047,296"),
            _growth_sql(f"l.place = '{place}'"), once=True))
    return targets


def _points_text(place: str) -> str:
    (d0, n0), (d1, n1) = published_points()[place]
    return f"{n0:,} on {d0:%d %b %Y} and {n1:,} on {d1:%d %b %Y}"
