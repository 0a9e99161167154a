"""Breakdowns: from one row per patient to the tidy indicator table analysts download.

Every indicator result has the same columns, so results from different indicators, periods
and breakdowns stack into one table:

- `indicator_id`: e.g. `CVDP007HYP`;
- `period_end`: the as-of date;
- `breakdown`: `icb`, `place`, `pcn`, `practice`, `imd_quintile`, `imd_decile`, `core20`,
  `ethnicity_group`, `age_band` or `sex`;
- `group`: the value within the breakdown: `BLMK`; a place name; the PCN's or practice's
  ODS code (names are in the `pcns` and `practices` tables); IMD quintile `1` (most deprived)
  to `5` and decile `1` to `10` (IMD 2019, national); `CORE20` (the most deprived national
  fifth) or `Rest`; ethnic group; age band; sex;
- `numerator`, `denominator`: counts (patients, events or people, as the indicator says);
- `value`, `lower_ci`, `upper_ci`: the percentage with Wilson 95% limits, or the rate with
  exact/Byar's 95% limits.

Groups with no patients in the denominator are left out. Counts are not suppressed here: this
is the analyst-level output; small-number suppression for wider audiences is applied on
publication.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from icsight.stats.proportions import wilson
from icsight.stats.rates import rate

COLUMNS = ["indicator_id", "period_end", "breakdown", "group", "numerator", "denominator",
           "value", "lower_ci", "upper_ci"]
BREAKDOWNS = ("icb", "place", "pcn", "practice", "imd_quintile", "imd_decile", "core20",
              "ethnicity_group", "age_band", "sex")
#: CVDPREVENT's published adult age groups, with children and young people as one band.
AGE_BANDS = ((0, 17, "0-17"), (18, 39, "18-39"), (40, 59, "40-59"), (60, 79, "60-79"),
             (80, 200, "80+"))


def with_breakdown_columns(lake, patients: ir.Table) -> ir.Table:
    """Add place and PCN (from the practice), IMD quintile, decile and CORE20 (from the LSOA),
    and the age band."""
    practices = lake.table("practices").select("practice_code", "pcn_code", "place")
    lsoas = lake.table("lsoas").select("lsoa_code", "imd_quintile", "imd_decile")
    t = patients.left_join(practices, "practice_code").left_join(lsoas, "lsoa_code")
    band = ibis.cases(*[((t.age >= lo) & (t.age <= hi), label) for lo, hi, label in AGE_BANDS],
                      else_=ibis.null("string"))
    return t.mutate(
        icb=ibis.literal("BLMK"),
        pcn=t.pcn_code,
        practice=t.practice_code,
        imd_quintile=t.imd_quintile.cast("string"),
        imd_decile=t.imd_decile.cast("string"),
        core20=ibis.ifelse(t.imd_quintile == 1, "CORE20", "Rest"),
        age_band=band,
    )


def tidy_breakdowns(lake, rows: ir.Table, numerator: str, indicator_id: str,
                    period_end: dt.date, method: str = "proportion",
                    multiplier: float = 100) -> pd.DataFrame:
    """Numerator, denominator, value and 95% CI for every breakdown and group.

    `rows` has one row per unit of the denominator (a patient, an attendance, a pathway) with
    its breakdown attributes and a `numerator` column: true/false, or a count of events for a
    rate. `method` is `proportion` (Wilson limits; value x multiplier, 100 = percent) or `rate`
    (exact/Byar's limits; events per `multiplier` people).
    """
    t = with_breakdown_columns(lake, rows)
    t = t.mutate(_hit=t[numerator].cast("int64"))
    frames = []
    with lake.materialised(t) as t:  # computed once, grouped every way
        for breakdown in BREAKDOWNS:
            f = t.filter(t[breakdown].notnull())
            counts = f.group_by(group=f[breakdown].cast("string")).agg(
                numerator=f._hit.sum(), denominator=f.count()).to_pandas()
            counts.insert(0, "breakdown", breakdown)
            frames.append(counts)
    out = pd.concat(frames, ignore_index=True)
    out = out[out.denominator > 0]
    if method == "proportion":
        lower, upper = wilson(out.numerator, out.denominator)
    elif method == "rate":
        limits = rate(out.numerator.to_numpy(), out.denominator.to_numpy(), 0.95, 1)
        lower, upper = limits.lowercl.to_numpy(), limits.uppercl.to_numpy()
    else:
        raise ValueError(f"unknown method {method!r}")
    out = out.assign(
        indicator_id=indicator_id,
        period_end=period_end.isoformat(),
        numerator=out.numerator.astype("int64"),
        denominator=out.denominator.astype("int64"),
        value=multiplier * out.numerator / out.denominator,
        lower_ci=multiplier * lower,
        upper_ci=multiplier * upper,
    )
    order = {b: i for i, b in enumerate(BREAKDOWNS)}
    out = out.sort_values(["breakdown", "group"], key=lambda s: s.map(order)
                          if s.name == "breakdown" else s)
    return out[COLUMNS].reset_index(drop=True)
