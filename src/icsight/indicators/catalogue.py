"""The indicator catalogue: every indicator as a small definition with its metadata.

An indicator is metadata an analyst can read (what it measures, for which programme and which
strategy statement, numerator and denominator in words, codelists, polarity, method, target,
source) plus one function that returns, for a table of period ends
(`icsight.indicators.periods`), one row per unit of the denominator (a patient, an attendance,
a pathway, a birth) and period, with `period_end`, a `numerator` column (true/false, or a count
of events for rates), for observed-against-expected indicators an `expected` column, and the
breakdown attributes (practice_code, lsoa_code, sex, ethnicity_group, age). Everything else
(breakdowns, intervals, the tidy output) is shared, and the same function computes one month
or a whole series in one query.

Programme modules (`icsight.indicators.ltc`, `.cancer`, ...) add their indicators with
`register(...)`; `catalogue()` imports them all.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.breakdown import METHODS, tidy_breakdowns
from icsight.indicators.common import as_date
from icsight.indicators.periods import periods_table

PROGRAMMES = {
    "mhlda": "Mental health, learning disability and autism",
    "children": "Children, families and maternity",
    "cancer": "Cancer",
    "ltc": "Long-term conditions",
    "uec": "Urgent and emergency care and unnecessary hospital stays",
    "planned": "Fragile services and planned care",
}
PROGRAMME_MODULES = ("ltc", "mhlda", "cancer", "children", "uec", "planned_care")


@dataclass(frozen=True)
class Indicator:
    """One indicator: its definition in words, its method, and the query that computes it."""

    id: str
    title: str
    description: str
    programme: str
    strategy: str  # the strategy statement or workplan item it evidences (seed 001)
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

    def compute(self, lake, period_end: str | dt.date) -> pd.DataFrame:
        """The tidy result for one period end, with every breakdown."""
        return self.series(lake, [as_date(period_end)])

    def series(self, lake, period_ends: list[dt.date]) -> pd.DataFrame:
        """The tidy result for every period end in one query, with every breakdown."""
        rows = self.rows(lake, periods_table(period_ends, lake))
        return tidy_breakdowns(lake, rows, self.id, self.method, self.multiplier)

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
            "source": self.source,
        }


_REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.id in _REGISTRY:
        raise ValueError(f"indicator {indicator.id} is defined twice")
    if indicator.method not in METHODS:
        raise ValueError(f"{indicator.id}: unknown method {indicator.method!r}")
    if indicator.programme not in PROGRAMMES:
        raise ValueError(f"{indicator.id}: unknown programme {indicator.programme!r}")
    _REGISTRY[indicator.id] = indicator
    return indicator


def catalogue() -> dict[str, Indicator]:
    """Every indicator, by id (importing the programme modules registers them)."""
    for name in PROGRAMME_MODULES:
        importlib.import_module(f"icsight.indicators.{name}")
    return dict(_REGISTRY)


def indicator(indicator_id: str) -> Indicator:
    """One indicator by id (case-insensitive)."""
    found = catalogue().get(indicator_id.upper())
    if found is None:
        raise KeyError(f"no indicator {indicator_id!r}; see `icsight indicators list`")
    return found


def compute(lake, period_end: str | dt.date, ids: list[str] | None = None) -> pd.DataFrame:
    """Tidy results for many indicators at one period end, stacked."""
    chosen = [indicator(i) for i in ids] if ids else list(catalogue().values())
    return pd.concat([ind.compute(lake, period_end) for ind in chosen], ignore_index=True)


def rows_for_one_date(ind: Indicator, lake, period_end: str | dt.date) -> ir.Table:
    """An indicator's rows for one period end (without the period column): handy for
    checking a definition patient by patient."""
    return ind.rows(lake, periods_table([as_date(period_end)], lake)).drop("period_end")
