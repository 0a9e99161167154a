"""What an indicator is: its definition in words, its method, and the query that computes it.

An indicator is metadata an analyst can read (what it measures, for which programme and which
strategy statement, numerator and denominator in words, codelists, polarity, method, target,
source) plus one function, `rows`, that returns for a table of period ends
(`icsight.indicators.periods`) one row per unit of the denominator (a patient, an attendance,
a pathway, a birth) and period, with `period_end`, a `numerator` column (true/false, or a count
of events for rates), for observed-against-expected indicators an `expected` column, and the
breakdown attributes (practice_code, lsoa_code, sex, ethnicity_group, age); or, for indicators
over the whole registered population, `PopulationCounts` (`icsight.indicators.population`).
Everything else (breakdowns, intervals, the tidy output) is shared, and the same function
computes one month or a whole series in one query.

An indicator whose value is not a count over units (life expectancy, from a life table per
group) computes its own tidy frame instead: `tidy(lake, periods)` returns the shared columns
(`icsight.indicators.breakdown.COLUMNS`, without `indicator_id`), and its `method` is one of
`OWN_METHODS`; `rows` then lists the numerator's units (the deaths), to check patient by
patient.

Each programme module in `icsight.indicators.programmes` lists its indicators, logic and
metadata together, in `INDICATORS`; `icsight.indicators.catalogue` gathers them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.breakdown import COLUMNS, METHODS, tidy_breakdowns
from icsight.indicators.counting import DENOMINATOR_BASES, NUMERATOR_BASES
from icsight.indicators.periods import as_date, periods_table

__all__ = ["OWN_METHODS", "PROGRAMMES", "Indicator"]

#: methods an indicator computes itself (`Indicator.tidy`), not from counts per unit
OWN_METHODS = ("life_expectancy",)

PROGRAMMES = {
    "mhlda": "Mental health, learning disability and autism",
    "children": "Children, families and maternity",
    "cancer": "Cancer",
    "ltc": "Long-term conditions",
    "uec": "Urgent and emergency care and unnecessary hospital stays",
    "planned": "Fragile services and planned care",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator: its definition in words, its method, and the query that computes it."""

    id: str
    title: str
    description: str
    programme: str
    strategy: str  # the statement or workplan item it evidences (BLMK Health Services
    # Strategy, 2024)
    numerator: str
    denominator: str
    rows: Callable[..., ir.Table] = field(repr=False, compare=False)
    method: str = "proportion"  # or "rate", "ratio" (observed / expected), "dsr",
    # "life_expectancy" (an own method: see `tidy`)
    multiplier: float = 100
    unit: str = "%"
    polarity: str = "higher is better"  # or "lower is better", "no polarity"
    codelists: tuple[str, ...] = ()
    target: float | None = None
    target_date: str | None = None
    source: str = ""
    #: who counts (`icsight.indicators.counting`): one of NUMERATOR_BASES / DENOMINATOR_BASES,
    #: required (keyword-only, no default): every indicator says whose number it is
    numerator_basis: str = field(kw_only=True)
    denominator_basis: str = field(kw_only=True)

    #: for an own method (OWN_METHODS): (lake, periods) -> the tidy frame without indicator_id
    tidy: Callable[..., pd.DataFrame] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.numerator_basis not in NUMERATOR_BASES:
            raise ValueError(f"{self.id}: unknown numerator basis {self.numerator_basis!r}; "
                             f"one of {', '.join(NUMERATOR_BASES)}")
        if self.denominator_basis not in DENOMINATOR_BASES:
            raise ValueError(f"{self.id}: unknown denominator basis "
                             f"{self.denominator_basis!r}; one of {', '.join(DENOMINATOR_BASES)}")
        if self.method not in METHODS + OWN_METHODS:
            raise ValueError(f"{self.id}: unknown method {self.method!r}")
        if (self.method in OWN_METHODS) != (self.tidy is not None):
            raise ValueError(f"{self.id}: an own method ({', '.join(OWN_METHODS)}) and only "
                             "one computes its own tidy frame")
        if self.programme not in PROGRAMMES:
            raise ValueError(f"{self.id}: unknown programme {self.programme!r}")

    def compute(self, lake, period_end: str | dt.date) -> pd.DataFrame:
        """The tidy result for one period end, with every breakdown."""
        return self.series(lake, [as_date(period_end)])

    def series(self, lake, period_ends: list[dt.date]) -> pd.DataFrame:
        """The tidy result for every period end in one query, with every breakdown."""
        periods = periods_table(period_ends, lake)
        if self.tidy is not None:
            out = self.tidy(lake, periods).assign(indicator_id=self.id,
                                                  denominator_basis=self.denominator_basis)
            return out[COLUMNS].reset_index(drop=True)
        rows = self.rows(lake, periods)
        return tidy_breakdowns(lake, rows, self.id, self.method, self.multiplier,
                               denominator_basis=self.denominator_basis)

    def describe(self) -> dict[str, object]:
        """The metadata, for `icsight indicators show` and the docs."""
        return {
            "id": self.id, "title": self.title, "programme": PROGRAMMES[self.programme],
            "description": self.description, "strategy": self.strategy,
            "numerator": self.numerator, "denominator": self.denominator,
            "method": self.method, "unit": self.unit, "polarity": self.polarity,
            "codelists": ", ".join(self.codelists) or "-",
            "target": "-" if self.target is None else f"{self.target:g}{self.unit} by "
                                                      f"{self.target_date or 'no date set'}",
            "numerator_basis": self.numerator_basis,
            "denominator_basis": self.denominator_basis,
            "source": self.source,
        }
