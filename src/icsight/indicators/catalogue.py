"""The indicator catalogue: every indicator of every programme, by id.

The programme modules are listed here by name, in the order the catalogue shows them; each
holds its indicators, logic and metadata together, in its `INDICATORS` list. A new programme
module is added to `PROGRAMME_MODULES`; a new indicator goes in its programme's module (see
CONTRIBUTING.md).
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.definition import PROGRAMMES, Indicator
from icsight.indicators.periods import as_date, periods_table
from icsight.indicators.programmes import (
    cancer,
    children,
    cvdprevent,
    ltc,
    mhlda,
    planned_care,
    uec,
)

__all__ = ["PROGRAMMES", "PROGRAMME_MODULES", "Indicator", "catalogue", "compute",
           "indicator", "rows_for_one_date"]

PROGRAMME_MODULES = (cvdprevent, ltc, mhlda, cancer, children, uec, planned_care)


def catalogue() -> dict[str, Indicator]:
    """Every indicator, by id, in programme order."""
    out: dict[str, Indicator] = {}
    for module in PROGRAMME_MODULES:
        for ind in module.INDICATORS:
            if ind.id in out:
                raise ValueError(f"indicator {ind.id} is defined twice")
            out[ind.id] = ind
    return out


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
