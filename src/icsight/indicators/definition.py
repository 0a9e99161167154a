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

Each programme module in `icsight.indicators.programmes` lists its indicators, logic and
metadata together, in `INDICATORS`; `icsight.indicators.catalogue` gathers them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.breakdown import METHODS, tidy_breakdowns
from icsight.indicators.counting import DENOMINATOR_BASES, NUMERATOR_BASES
from icsight.indicators.periods import as_date, periods_table

__all__ = ["PROGRAMMES", "Indicator"]

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
    method: str = "proportion"  # or "rate", "ratio" (observed / expected), "dsr"
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

    def __post_init__(self) -> None:
        if self.numerator_basis not in NUMERATOR_BASES:
            raise ValueError(f"{self.id}: unknown numerator basis {self.numerator_basis!r}; "
                             f"one of {', '.join(NUMERATOR_BASES)}")
        if self.denominator_basis not in DENOMINATOR_BASES:
            raise ValueError(f"{self.id}: unknown denominator basis "
                             f"{self.denominator_basis!r}; one of {', '.join(DENOMINATOR_BASES)}")
        if self.method not in METHODS:
            raise ValueError(f"{self.id}: unknown method {self.method!r}")
        if self.programme not in PROGRAMMES:
            raise ValueError(f"{self.id}: unknown programme {self.programme!r}")

    def compute(self, lake, period_end: str | dt.date) -> pd.DataFrame:
        """The tidy result for one period end, with every breakdown."""
        return self.series(lake, [as_date(period_end)])

    def series(self, lake, period_ends: list[dt.date]) -> pd.DataFrame:
        """The tidy result for every period end in one query, with every breakdown."""
        rows = self.rows(lake, periods_table(period_ends, lake))
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
