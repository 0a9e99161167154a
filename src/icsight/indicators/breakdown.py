"""Breakdowns: from one row per unit of the denominator to the tidy table analysts download.

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
- `numerator`, `denominator`: counts (patients, events or people, as the indicator says); for
  observed-against-expected indicators the denominator is the *expected* count, and for
  age-standardised rates the population;
- `value`, `lower_ci`, `upper_ci`: the percentage with Wilson 95% limits; the rate with
  exact/Byar's 95% limits; the ratio of observed to expected (x 100) with exact/Byar's limits
  on the observed count; or the directly standardised rate (ESP2013) with Dobson limits.

How it is computed: the database reduces the indicator's rows, for every period at once, to a
small *cube* of counts by period, practice, LSOA, sex, ethnic group and age band (and 5-year
age band for standardised rates); every breakdown is then a sum over the cube. Groups with no
one in the denominator are left out. Counts are not suppressed here: this is the analyst-level
output; small-number suppression for wider audiences is applied on publication.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from icsight.indicators.common import PERIOD, PopulationCounts
from icsight.stats.proportions import wilson
from icsight.stats.rates import dsr_many, esp2013, rate

COLUMNS = ["indicator_id", "period_end", "breakdown", "group", "numerator", "denominator",
           "value", "lower_ci", "upper_ci"]
BREAKDOWNS = ("icb", "place", "pcn", "practice", "imd_quintile", "imd_decile", "core20",
              "ethnicity_group", "age_band", "sex")
METHODS = ("proportion", "rate", "ratio", "dsr")
#: CVDPREVENT's published adult age groups, with children and young people as one band.
AGE_BANDS = ((0, 17, "0-17"), (18, 39, "18-39"), (40, 59, "40-59"), (60, 79, "60-79"),
             (80, 200, "80+"))
CUBE_KEYS = (PERIOD, "practice_code", "lsoa_code", "sex", "ethnicity_group", "age_band")
ESP_BANDS = 19  # 0-4, 5-9, ..., 85-89, 90+


def _age_band(age: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(*[((age >= lo) & (age <= hi), label) for lo, hi, label in AGE_BANDS],
                      else_=ibis.null("string"))


def _banded(t: ir.Table, method: str) -> tuple[ir.Table, list[str]]:
    t = t.mutate(age_band=_age_band(t.age))
    keys = [PERIOD, "cell", "age_band"]
    if method == "dsr":
        t = t.mutate(esp_band=ibis.least((t.age // 5).cast("int64"), ESP_BANDS - 1))
        keys.append("esp_band")
    return t, keys


def _counted_cube(rows: PopulationCounts, method: str, lake=None) -> pd.DataFrame:
    def count(name: str, table: ir.Table) -> pd.DataFrame:
        t, keys = _banded(table, method)
        return t.group_by(keys).agg(**{name: t.n.sum()}).to_pandas().set_index(keys)

    if lake is not None and rows.denominator_key is not None:  # shared by several indicators
        denominator = lake.shared_result((*rows.denominator_key, method),
                                         lambda: count("denominator", rows.denominator))
    else:
        denominator = count("denominator", rows.denominator)
    parts = [denominator, count("numerator", rows.numerator)]
    counts = parts[0].join(parts[1], how="outer").fillna(0).reset_index()
    counts[PERIOD] = pd.to_datetime(counts[PERIOD])
    return counts


def cube(rows: ir.Table | PopulationCounts, method: str = "proportion",
         lake=None) -> pd.DataFrame:
    """Counts by period, practice, LSOA, sex, ethnic group and age band (the database's part).

    `rows` has one row per unit of the denominator with `period_end`, practice_code,
    lsoa_code, sex, ethnicity_group, age and `numerator` (true/false, or a count of events);
    for `ratio` also `expected` (each row's expected count)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if isinstance(rows, PopulationCounts):
        return _counted_cube(rows, method, lake)
    # The lake numbers each combination of practice, LSOA, sex and ethnic group (`cell`):
    # grouping by one integer is much faster than by the four strings.
    t, keys = _banded(rows.mutate(_hit=rows.numerator.cast("int64")), method)
    if "cell" not in rows.columns:
        keys = [k for k in keys if k != "cell"] + list(CUBE_KEYS[1:-1])
    size = t.expected.sum() if method == "ratio" else t.count()
    counts = t.group_by(keys).agg(numerator=t._hit.sum(), denominator=size).to_pandas()
    counts[PERIOD] = pd.to_datetime(counts[PERIOD])
    return counts


ATTRIBUTES = ("practice_code", "lsoa_code", "sex", "ethnicity_group")


def _cell_groups(cells: pd.DataFrame, practices: pd.DataFrame,
                 lsoas: pd.DataFrame) -> pd.DataFrame:
    """For each cell (a combination of practice, LSOA, sex and ethnic group), its group in
    every breakdown but age band."""
    t = cells.merge(practices[["practice_code", "pcn_code", "place"]], "left", "practice_code")
    t = t.merge(lsoas[["lsoa_code", "imd_quintile", "imd_decile"]], "left", "lsoa_code")
    quintile = t.imd_quintile.astype("Int64")
    return t.assign(
        icb="BLMK", pcn=t.pcn_code, practice=t.practice_code,
        imd_quintile=quintile.astype("string"),
        imd_decile=t.imd_decile.astype("Int64").astype("string"),
        core20=np.where(quintile.isna(), None, np.where(quintile == 1, "CORE20", "Rest")),
    ).set_index("cell")


def _grouped(by_cell: pd.DataFrame, groups: pd.Series, breakdown: str,
             extra: list[str]) -> pd.DataFrame:
    # Integer codes group far faster than the strings themselves.
    codes, labels = pd.factorize(groups)
    code = pd.Series(codes, index=groups.index).reindex(by_cell["cell"]).fillna(-1)
    code = code.astype("int64").to_numpy()
    t = by_cell.assign(group=code)
    t = t[t.group >= 0]
    out = t.groupby([PERIOD, "group", *extra], sort=False)[
        ["numerator", "denominator"]].sum().reset_index()
    return out.assign(group=np.asarray(labels, dtype=object)[out.group.to_numpy()],
                      breakdown=breakdown)


def _values(counts: pd.DataFrame, method: str, multiplier: float) -> pd.DataFrame:
    out = counts[counts.denominator > 0].copy()
    x, n = out.numerator.to_numpy(float), out.denominator.to_numpy(float)
    if method == "proportion":
        lower, upper = wilson(x, n)
    else:  # a rate per person, or observed / expected: exact (< 10) or Byar's limits
        limits = rate(x, n, 0.95, 1)
        lower, upper = limits.lowercl.to_numpy(), limits.uppercl.to_numpy()
    return out.assign(value=multiplier * x / n, lower_ci=multiplier * lower,
                      upper_ci=multiplier * upper)


def _standardised(counts: pd.DataFrame, multiplier: float) -> pd.DataFrame:
    """Directly standardised rates (ESP2013 over the age bands present in the indicator's
    population, i.e. from its youngest to its oldest band) per period and group."""
    keys = [PERIOD, "breakdown", "group"]
    bands = sorted(counts.esp_band.unique())
    bands = list(range(int(min(bands)), int(max(bands)) + 1))
    weights = np.asarray(esp2013())[bands]
    x = counts.pivot_table(index=keys, columns="esp_band", values="numerator", aggfunc="sum",
                           fill_value=0).reindex(columns=bands, fill_value=0)
    n = counts.pivot_table(index=keys, columns="esp_band", values="denominator", aggfunc="sum",
                           fill_value=0).reindex(columns=bands, fill_value=0)
    result = dsr_many(x.to_numpy(), n.to_numpy(), weights, multiplier=multiplier)
    out = x.index.to_frame(index=False)
    return out.assign(numerator=result.total_count.to_numpy(),
                      denominator=result.total_pop.to_numpy(), value=result.value.to_numpy(),
                      lower_ci=result.lowercl.to_numpy(), upper_ci=result.uppercl.to_numpy())


def tidy_from_cube(counts: pd.DataFrame, indicator_id: str, method: str, multiplier: float,
                   practices: pd.DataFrame, lsoas: pd.DataFrame,
                   cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every breakdown and group of every period, with values and 95% limits, from a cube."""
    if "cell" not in counts.columns:  # number the attribute combinations here instead
        codes, uniques = pd.MultiIndex.from_frame(counts[list(ATTRIBUTES)]).factorize()
        cells = uniques.to_frame(index=False).assign(cell=np.arange(len(uniques)))
        counts = counts.drop(columns=list(ATTRIBUTES)).assign(cell=codes)
    extra = ["esp_band"] if method == "dsr" else []
    areas = _cell_groups(cells, practices, lsoas)
    # Sum over age bands once, then map cells to each breakdown's groups.
    by_cell = counts.groupby([PERIOD, "cell", *extra], sort=False)[
        ["numerator", "denominator"]].sum().reset_index()
    parts = [_grouped(by_cell, areas[b], b, extra) for b in BREAKDOWNS if b != "age_band"]
    by_age = counts[counts.age_band.notna()].groupby([PERIOD, "age_band", *extra], sort=False)[
        ["numerator", "denominator"]].sum().reset_index()
    parts.append(by_age.rename(columns={"age_band": "group"}).assign(breakdown="age_band"))
    grouped = pd.concat(parts, ignore_index=True)
    grouped["group"] = grouped["group"].astype(str)
    if method == "dsr":
        out = _standardised(grouped, multiplier)
    else:
        out = _values(grouped, method, multiplier)
    out = out[out.denominator > 0]
    integer = method != "ratio"
    out = out.assign(
        indicator_id=indicator_id,
        period_end=pd.to_datetime(out[PERIOD]).dt.strftime("%Y-%m-%d"),
        numerator=out.numerator.astype("int64"),
        denominator=out.denominator.astype("int64") if integer else out.denominator.round(2),
    )
    order = {b: i for i, b in enumerate(BREAKDOWNS)}
    out = out.sort_values(["period_end", "breakdown", "group"],
                          key=lambda s: s.map(order) if s.name == "breakdown" else s)
    return out[COLUMNS].reset_index(drop=True)


def reference_frames(lake) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The practices and LSOAs the breakdowns map to (small reference tables)."""
    practices = lake.table("practices").select("practice_code", "pcn_code", "place").to_pandas()
    lsoas = lake.table("lsoas").select("lsoa_code", "imd_quintile", "imd_decile").to_pandas()
    return practices, lsoas


def tidy_breakdowns(lake, rows: ir.Table, indicator_id: str, method: str = "proportion",
                    multiplier: float = 100) -> pd.DataFrame:
    """Numerator, denominator, value and 95% CI for every period, breakdown and group.

    `rows` has one row per unit of the denominator (a patient, an attendance, a pathway) and
    period, with its breakdown attributes and a `numerator` column: true/false, or a count of
    events for a rate (see `cube`)."""
    practices, lsoas = reference_frames(lake)
    counts = cube(rows, method, lake)
    cells = lake.cells() if "cell" in counts.columns else None
    return tidy_from_cube(counts, indicator_id, method, multiplier, practices, lsoas, cells)
