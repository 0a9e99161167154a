"""Statistical disclosure control for aggregates shared beyond analysts.

The rules NHS publications use (CVDPREVENT, OpenSAFELY, NHS Digital): counts from 1 to 7 are
suppressed; other counts are rounded to the nearest 5; a value (percentage or rate) computed
from a suppressed count is suppressed with its limits; and, so that a suppressed cell cannot be
recovered by subtracting the others from the total, when a breakdown has exactly one suppressed
cell the next smallest cell is suppressed too (secondary suppression). Zero is not suppressed: a
zero cannot identify anyone. The thresholds are configurable (`DisclosureRules`).

Values are computed from the exact counts before rounding, as CVDPREVENT publishes them.
Secondary suppression here works within each breakdown of an indicator and period (the cells of
a breakdown add up to the ICB total); nested hierarchies (practices within a PCN within a place)
are covered when each level is published as its own breakdown against the ICB total only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

COUNT_COLUMNS = ("numerator", "denominator")
VALUE_COLUMNS = ("value", "lower_ci", "upper_ci")
PARTITION = ("indicator_id", "period_end", "breakdown")


@dataclass(frozen=True)
class DisclosureRules:
    """Suppress counts from `low` to `high` (inclusive), round others to `rounding`."""

    low: int = 1
    high: int = 7
    rounding: int = 5
    secondary: bool = True


def _small(counts: pd.Series, rules: DisclosureRules) -> pd.Series:
    return counts.between(rules.low, rules.high)


def suppress(table: pd.DataFrame, rules: DisclosureRules | None = None) -> pd.DataFrame:
    """The tidy indicator table made safe to publish: suppressed cells are NaN (counts are
    floats so they can hold NaN) and a `suppressed` column says which rows were touched."""
    rules = rules or DisclosureRules()
    out = table.copy()
    hide = _small(out.numerator, rules) | _small(out.denominator, rules)
    # numerator and denominator can both be recovered from the other and the value: hide both
    if rules.secondary:
        hide = _secondary(out, hide)
    out["suppressed"] = hide
    for col in (*COUNT_COLUMNS, *VALUE_COLUMNS):
        if col in out:
            out[col] = out[col].astype(float).where(~hide)
    for col in COUNT_COLUMNS:
        out[col] = (np.round(out[col] / rules.rounding) * rules.rounding).where(~hide)
    return out


def _secondary(table: pd.DataFrame, hide: pd.Series) -> pd.Series:
    """Where a breakdown has exactly one hidden cell, also hide its smallest visible cell."""
    hide = hide.copy()
    keys = [k for k in PARTITION if k in table]
    partitions = table.groupby(keys, sort=False).groups if keys else {None: table.index}
    for index in partitions.values():
        part = table.loc[index]
        if len(part) < 2:  # a lone cell (the ICB total) has nothing to be recovered from
            continue
        hidden = hide.loc[index]
        if hidden.sum() == 1 and (~hidden).any():
            visible = part[~hidden]
            hide.loc[visible.numerator.idxmin()] = True
    return hide
