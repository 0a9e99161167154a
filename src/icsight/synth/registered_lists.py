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
from icsight.model.schema import PLACES

__all__ = ["growth_per_year", "leaving_rate", "list_inflation", "published_list",
           "published_points", "residents"]


@cache
def published_points() -> dict[str, tuple[tuple[dt.date, int], tuple[dt.date, int]]]:
    """The two published list sizes (earlier, later) by place of the practice, and for "BLMK"."""
    table = reference._read_csv("population", "registered_lists.csv").to_pylist()
    points: dict[str, list[tuple[dt.date, int]]] = {}
    for row in table:
        points.setdefault(row["place"], []).append((_as_date(row["date"]), row["registered"]))
    dates = sorted({d for pts in points.values() for d, _ in pts})
    points["BLMK"] = [(d, sum(dict(pts)[d] for pts in points.values())) for d in dates]
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
