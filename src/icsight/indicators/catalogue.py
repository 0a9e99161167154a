"""The indicator catalogue: every indicator of every programme, by id.

The programme modules are listed here by name, in the order the catalogue shows them; each
holds its indicators, logic and metadata together, in its `INDICATORS` list. A new programme
module is added to `PROGRAMME_MODULES`; a new indicator goes in its programme's module (see
CONTRIBUTING.md).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.counting import DENOMINATOR_BASES, NUMERATOR_BASES
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
           "indicator", "rows_for_one_date", "who_counts", "write_who_counts"]

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


#: The markers around the generated "Who counts" tables in docs/indicators.md.
WHO_COUNTS_MARKERS = ("<!-- who-counts:start (generated: python -m icsight.indicators.catalogue "
                      "docs/indicators.md) -->", "<!-- who-counts:end -->")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def who_counts() -> str:
    """The "who counts" tables of docs/indicators.md, from the metadata: the bases' meanings,
    then each indicator's numerator and denominator basis (`icsight.indicators.counting`)."""
    lines = ["| numerator basis | meaning |", "| --- | --- |"]
    lines += [f"| {b} | {_cell(m)} |" for b, m in NUMERATOR_BASES.items()]
    lines += ["", "| denominator basis | meaning |", "| --- | --- |"]
    lines += [f"| {b} | {_cell(m)} |" for b, m in DENOMINATOR_BASES.items()]
    lines += ["", "| indicator | method | numerator basis | denominator basis | denominator |",
              "| --- | --- | --- | --- | --- |"]
    lines += [f"| [{i.id}](indicators/{i.id}.md) | {i.method} | {i.numerator_basis} | "
              f"{i.denominator_basis} | {_cell(i.denominator)} |" for i in catalogue().values()]
    return "\n".join(lines)


def write_who_counts(path: str | Path) -> bool:
    """Replace the text between the who-counts markers of `path` with `who_counts()`; whether
    it changed."""
    path = Path(path)
    text = path.read_text()
    start, end = WHO_COUNTS_MARKERS
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    new = f"{head}{start}\n{who_counts()}\n{end}{tail}"
    path.write_text(new)
    return new != text


if __name__ == "__main__":  # python -m icsight.indicators.catalogue docs/indicators.md
    print("updated" if write_who_counts(sys.argv[1]) else "unchanged", sys.argv[1])
