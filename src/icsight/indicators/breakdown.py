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
  on the observed count; or the directly standardised rate (ESP2013) with Dobson limits; or an
  amount per person (kg CO2e) without limits;
- `method`: how the row's value was computed, in words (`METHOD_LABELS`; for a standardised
  rate, the ages it is standardised over: the age-band rows of a DSR are standardised over
  the band's own ages, e.g. "DSR ESP2013 over the band's own ages 60-74 (Dobson)");
- `denominator_basis`: whose number it is, the indicator's denominator basis
  (`icsight.indicators.counting`, e.g. "period-end list", "events in the period").

How it is computed: the database reduces the indicator's rows, for every period at once, to a
few small *margins*: counts by period and practice, by LSOA, by sex, by ethnic group, by age
band, and in total (with 5-year age bands for standardised rates); every breakdown is a sum of
one margin (PCN and place from practices, IMD from LSOAs). Groups with no one in the
denominator are left out. Counts are not suppressed here: this is the analyst-level output;
small-number suppression for wider audiences is applied on publication.
"""

from __future__ import annotations

import bisect

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from icsight.indicators.cohorts import PERIOD, ROW_KEYS
from icsight.indicators.periods import read_periods
from icsight.indicators.population import (
    AgainstBaseline,
    PopulationCounts,
    Rolling,
    lsoa_lookup,
    population_margins,
    registered_people,
)
from icsight.stats.proportions import wilson
from icsight.stats.rates import dsr_many, esp2013, rate

COLUMNS = ["indicator_id", "period_end", "breakdown", "group", "numerator", "denominator",
           "value", "lower_ci", "upper_ci", "method", "denominator_basis"]
BREAKDOWNS = ("icb", "place", "pcn", "practice", "imd_quintile", "imd_decile", "core20",
              "ethnicity_group", "age_band", "sex")
METHODS = ("proportion", "rate", "ratio", "dsr", "amount")
#: `amount`: a quantity that is not a count of events (kg CO2e) per person in the denominator;
#: the numerator is the quantity in whole units (grams), the value has no confidence interval
#: method -> the output's `method` label (a DSR's names the ages standardised over, `_dsr_label`)
METHOD_LABELS = {"proportion": "proportion (Wilson)",
                 "rate": "rate (exact Poisson under 10 events, else Byar)",
                 "ratio": "ratio observed/expected (exact Poisson under 10 events, else Byar)",
                 "amount": "amount per person (no interval: not a count)"}
#: CVDPREVENT's published adult age groups, with children and young people as one band.
AGE_BANDS = ((0, 17, "0-17"), (18, 39, "18-39"), (40, 59, "40-59"), (60, 79, "60-79"),
             (80, 200, "80+"))
ESP_BANDS = 19  # 0-4, 5-9, ..., 85-89, 90+
#: margin -> the columns it is counted by (besides the period)
MARGINS = {"icb": (), "practice_code": ("practice_code",), "lsoa_code": ("lsoa_code",),
           "sex": ("sex",), "ethnicity_group": ("ethnicity_group",), "age_band": ("age_band",)}
#: the margins of an indicator over the registered population (`PopulationCounts`): the IMD
#: decile instead of the LSOA, as the population is counted (`POPULATION_MARGINS`); the IMD
#: breakdowns need nothing finer
DECILE_MARGINS = {("imd_decile" if m == "lsoa_code" else m): (
    ("imd_decile",) if m == "lsoa_code" else columns) for m, columns in MARGINS.items()}
_KEYS = MARGINS | DECILE_MARGINS


def _age_band(age: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(*[((age >= lo) & (age <= hi), label) for lo, hi, label in AGE_BANDS],
                      else_=ibis.null("string"))


def _banded(t: ir.Table, method: str) -> tuple[ir.Table, list[str]]:
    t = t.mutate(age_band=_age_band(t.age))
    if method == "dsr":
        return t.mutate(esp_band=ibis.least((t.age // 5).cast("int64"), ESP_BANDS - 1)), [
            "esp_band"]
    return t, []


def _count_margins(t: ir.Table, method: str, values: dict,
                   source=None, margins: dict = MARGINS) -> dict[str, pd.DataFrame]:
    """`t` (with age) counted by every margin: {margin: frame of period, margin columns,
    [esp_band], and the `values` aggregates}. One query: the margins are stacked (the margin's
    own column as `_key`) and split again here. `source(margin)` may give a different table
    per margin (already filtered and banded alike)."""
    t, extra = _banded(t, method)
    return _stacked_margins(t, extra, values, source, margins)


def _cube(t: ir.Table, method: str, values: dict) -> ir.Table:
    """`t` (one row per unit of the denominator, with age) summed into cells: by period, every
    margin's column and the age bands, with each of `values`. Every margin is a sum over these
    cells, so one pass over the rows (which may be tens of millions: a person per month end)
    leaves a table a tenth of their size or less to count every way."""
    t, extra = _banded(t, method)
    keys = [PERIOD, *[c for columns in MARGINS.values() for c in columns], *extra]
    return t.group_by(keys).agg(**{name: f(t) for name, f in values.items()})


def _cube_margins(cube: ir.Table, method: str, values: dict) -> dict[str, pd.DataFrame]:
    """Every margin of a `_cube`: the cells' sums summed again."""
    extra = ["esp_band"] if method == "dsr" else []
    return _stacked_margins(cube, extra, {name: (lambda u, c=name: u[c].sum())
                                          for name in values})


def _stacked_margins(t: ir.Table, extra: list[str], values: dict,
                     source=None, margins: dict = MARGINS) -> dict[str, pd.DataFrame]:
    parts = []
    for margin, columns in margins.items():
        u = t if source is None else source(margin)
        key = u[columns[0]].cast("string") if columns else ibis.null("string")
        counted = u.group_by([u[PERIOD], *[u[c] for c in extra], key.name("_key")]).agg(
            **{name: f(u) for name, f in values.items()})
        parts.append(counted.mutate(_margin=ibis.literal(margin)))
    stacked = ibis.union(*parts).to_pandas()
    stacked[PERIOD] = pd.to_datetime(stacked[PERIOD])
    out = {}
    for margin, columns in margins.items():
        frame = stacked[stacked._margin == margin].drop(columns="_margin")
        frame = frame.rename(columns={"_key": columns[0]}) if columns else frame.drop(
            columns="_key")
        out[margin] = frame.reset_index(drop=True)
    return out


def _grouping_sets(lake, t: ir.Table, extra: list[str], sums: dict[str, ir.Value],
                   margins: dict = MARGINS) -> dict[str, pd.DataFrame] | None:
    """Every margin of `t` (banded) in one pass over its rows, as `_stacked_margins` gives
    them: `sums` (name -> a column expression of `t`) summed by period, `extra` and each
    margin's columns, with SQL's GROUPING SETS, which DuckDB computes from one scan of the
    rows (a union of aggregations reads them once per margin, and a table of cells first
    costs a pass of its own). None on another backend, which then counts as before."""
    if lake is None or lake.backend != "duckdb":
        return None
    columns = list(dict.fromkeys(c for cs in margins.values() for c in cs))
    t = t.select(PERIOD, *extra, *columns, **sums)
    integer = {name: t[name].type().is_integer() for name in sums}

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    sets = ", ".join("(" + ", ".join(q(c) for c in (PERIOD, *extra, *cs)) + ")"
                     for cs in margins.values())
    flags = f"GROUPING({', '.join(q(c) for c in columns)})" if columns else "0"
    select = [*(q(c) for c in (PERIOD, *extra)),
              *(f"CAST({q(c)} AS TEXT) AS {q(c)}" for c in columns), f"{flags} AS _g",
              *((f"CAST(SUM({q(n)}) AS BIGINT) AS {q(n)}" if integer[n]
                 else f"SUM({q(n)}) AS {q(n)}") for n in sums)]
    query = (f"SELECT {', '.join(select)} FROM ({ibis.to_sql(t, dialect='duckdb')}) AS _rows "
             f"GROUP BY GROUPING SETS ({sets})")
    # run as written, straight to Arrow: through `con.sql(query).to_pandas()` Ibis would ask
    # DuckDB for the query's schema, then parse the whole query back (sqlglot) and print it
    # again before running it, which for the longest definitions (tens of kilobytes of SQL)
    # cost as much as running them; the columns are the same (the period as dates, converted
    # below as before)
    stacked = lake.con.raw_sql(query).to_arrow_table().to_pandas()
    stacked[PERIOD] = pd.to_datetime(stacked[PERIOD])
    out = {}
    for margin, cs in margins.items():
        # GROUPING(...) has a bit set (the first column's the highest) for each column the
        # row is not grouped by: every column but the margin's own
        flag = sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in cs)
        frame = stacked.loc[stacked._g == flag, [PERIOD, *extra, *cs, *sums]]
        out[margin] = frame.reset_index(drop=True)
    return out


def _counted_every_way(rows: ir.Table, method: str, values: dict,
                       lake=None, sums: dict | None = None) -> dict[str, pd.DataFrame]:
    """`rows` counted by every margin: in one pass when the backend can (`_grouping_sets`,
    with `sums`, the same values as column sums), else summed once into cells (`_cube`),
    kept while the margins are counted from them."""
    if sums is not None:
        banded, extra = _banded(rows, method)
        found = _grouping_sets(lake, banded, extra, {n: f(banded) for n, f in sums.items()})
        if found is not None:
            return found
    cube = _cube(rows, method, values)
    if lake is None:
        return _cube_margins(cube, method, values)
    with lake.materialised(cube) as cells:
        return _cube_margins(cells, method, values)


def margins(rows: ir.Table | PopulationCounts, method: str = "proportion",
            lake=None) -> dict[str, pd.DataFrame]:
    """Numerator and denominator by period and each margin (the database's part).

    `rows` has one row per unit of the denominator with `period_end`, practice_code,
    lsoa_code, sex, ethnicity_group, age and `numerator` (true/false, or a count of events);
    for `ratio` also `expected` (each row's expected count). Or it is `PopulationCounts`."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if isinstance(rows, PopulationCounts):
        return _population_margins(rows, method, lake)
    if isinstance(rows, AgainstBaseline):
        return _baseline_margins(rows, method, lake)
    values = {"numerator": lambda t: t.numerator.cast("int64").sum(),
              "denominator": (lambda t: t.expected.sum()) if method == "ratio"
              else (lambda t: t.count())}
    # the same as sums of a column per row; not for a sum of expected counts (fractions:
    # summed in another order they could differ in the last bit)
    sums = None if method == "ratio" else {
        "numerator": lambda t: t.numerator.cast("int64"),
        "denominator": lambda t: ibis.literal(1, "int64")}
    return _counted_every_way(rows, method, values, lake, sums)


def _sum_n(t: ir.Table):
    return t.n.sum()


def _population_margins(rows: PopulationCounts, method: str, lake) -> dict[str, pd.DataFrame]:
    """By `DECILE_MARGINS`: the numerator's (few) rows are counted by LSOA and summed by decile
    here, the population is counted by decile."""
    numerator = _by_decile(margins_of(rows.numerator, method, "numerator", lake), lake)
    denominator = lake.shared_result(
        ("denominator", rows.ages, rows.sex, rows.expected, method, rows.periods.op()),
        lambda: _registered_margins(rows, method, lake))
    if rows.adjustments is not None:
        extra = _by_decile(margins_of(rows.adjustments, method, "denominator", lake), lake)
        denominator = {m: _add(denominator[m], extra[m], m, method, "denominator")
                       for m in DECILE_MARGINS}
    return {m: _add(denominator[m], numerator[m], m, method) for m in DECILE_MARGINS}


def _by_decile(m: dict[str, pd.DataFrame], lake) -> dict[str, pd.DataFrame]:
    """Margins by `MARGINS` as `DECILE_MARGINS`: the LSOA margin summed by the LSOAs' IMD
    decile (an LSOA without one, or no LSOA, is in no IMD group, as before)."""
    lsoa = m["lsoa_code"].merge(reference_frames(lake)[1][["lsoa_code", "imd_decile"]],
                                "inner", "lsoa_code")
    lsoa = lsoa[lsoa.imd_decile.notna()]
    keys = [c for c in lsoa.columns if c in (PERIOD, "imd_decile", "esp_band")]
    values = [c for c in lsoa.columns if c not in keys and c != "lsoa_code"]
    decile = lsoa.groupby(keys, sort=False)[values].sum().reset_index()
    # as the database gives a margin's key (`_stacked_margins`): text
    decile["imd_decile"] = decile.imd_decile.astype("int64").astype(str)
    return {("imd_decile" if k == "lsoa_code" else k): (decile if k == "lsoa_code" else v)
            for k, v in m.items()}


def margins_of(t: ir.Table | Rolling, method: str, name: str, lake
               ) -> dict[str, pd.DataFrame]:
    """Rows of (period, attributes, age, n) summed by every margin into column `name`;
    within a build, the same rows (e.g. one register counted by two indicators) are counted
    once. Or dated events counted towards each period whose window holds them (`Rolling`)."""
    if isinstance(t, Rolling):
        return lake.shared_result(
            ("rolling margins", t.events.op(), t.start, t.periods.op(), method, name),
            lambda: _rolling_margins(t, method, name, lake))
    return lake.shared_result(
        ("margins", t.op(), method, name),
        lambda: _counted_every_way(t, method, {name: _sum_n}, lake,
                                   {name: lambda u: u.n} if t.n.type().is_integer() else None))


def _window_edges(lake, r: Rolling) -> tuple[ir.Table, ir.Table]:
    """The edges of every period's window (each period end and window start), as two small
    tables: each day after the first edge up to the last with the index of the interval it
    falls in (`_interval`: the first edge on or after it), and each period with the intervals
    its window holds (`_after` < interval <= `_upto`).

    A date is after a window's start exactly when its interval's index is greater than the
    start's, and on or before the period end exactly when its index is at most the end's: the
    start and the end are both edges."""
    frame = read_periods(r.periods)[[PERIOD, r.start]]
    ends = pd.to_datetime(frame[PERIOD]).dt.date.tolist()
    starts = pd.to_datetime(frame[r.start]).dt.date.tolist()
    edges = sorted(set(ends) | set(starts))
    days = pd.DataFrame({"_day": pd.date_range(edges[0], edges[-1]).date[1:]})
    days["_interval"] = [bisect.bisect_left(edges, d) for d in days._day]
    spans = pd.DataFrame({PERIOD: ends,
                          "_after": [edges.index(d) for d in starts],
                          "_upto": [edges.index(d) for d in ends]})
    name = f"windows_{r.start}_{abs(hash(tuple(edges))) % 10**8}_{len(edges)}"
    return (lake.small_table(name + "_days", days, {"_day": "date", "_interval": "int64"}),
            lake.small_table(name + "_spans", spans,
                             {PERIOD: "date", "_after": "int64", "_upto": "int64"}))


def _rolling_margins(r: Rolling, method: str, name: str, lake) -> dict[str, pd.DataFrame]:
    """`Rolling` events summed by every margin (see `Rolling`): by margin and interval between
    window edges first, then matched to the periods whose windows hold those intervals."""
    days, spans = _window_edges(lake, r)
    t, extra = _banded(r.events, method)
    # an event on or before the first edge, or after the last, is in no period's window
    t = t.join(days, t.date == days._day)

    def source(margin: str) -> ir.Table:
        columns = list(MARGINS[margin])
        summed = t.group_by(["_interval", *extra, *columns]).agg(n=t.n.sum())
        held = summed.join(spans, [summed._interval > spans._after,
                                   summed._interval <= spans._upto])
        return held.select(PERIOD, *extra, *columns, "n")

    return _stacked_margins(t, extra, {name: _sum_n}, source)


def _baseline_margins(rows: AgainstBaseline, method: str, lake) -> dict[str, pd.DataFrame]:
    """Numerators from the current activity; denominators from the baseline, counted once and
    repeated for every period end."""
    numerator = margins_of(rows.current, method, "numerator", lake)
    ends = read_periods(rows.periods)[[PERIOD]]
    ends[PERIOD] = pd.to_datetime(ends[PERIOD])
    first = ends[PERIOD].iloc[0]
    once = rows.baseline.select(*ROW_KEYS[1:], "n").mutate(**{PERIOD: ibis.literal(first)})
    baseline = margins_of(once, method, "denominator", lake)
    out = {}
    for margin in MARGINS:
        every = baseline[margin].drop(columns=PERIOD).merge(ends, how="cross")
        out[margin] = _add(every, numerator[margin], margin, method)
    return out


def _registered_margins(rows: PopulationCounts, method: str, lake) -> dict[str, pd.DataFrame]:
    if not lake.is_sharing and rows.expected is None and \
            read_periods(rows.periods).shape[0] == 1:
        # One period end, nothing shared (a single indicator at a single date): the people
        # counted by every margin in one pass, as a hand-written GROUPING SETS query would,
        # rather than a pass per margin. Within a build the population margins are counted
        # once and shared by every indicator, so they are used instead.
        people = registered_people(lake, rows.periods)
        people = people.filter(people.age >= rows.ages[0], people.age <= rows.ages[1])
        if rows.sex is not None:
            people = people.filter(people.sex == rows.sex)
        banded, extra = _banded(people, method)
        found = _grouping_sets(lake, banded, extra, {"denominator": banded.n},
                               DECILE_MARGINS)
        if found is not None:
            return found
    population = population_margins(lake, rows.periods)

    def source(margin: str) -> ir.Table:
        columns = DECILE_MARGINS[margin]
        t = population[columns[0] if columns and columns[0] in population else "all"]
        t = t.filter(t.age >= rows.ages[0], t.age <= rows.ages[1])
        if rows.sex is not None:
            t = t.filter(t.sex == rows.sex)
        return _banded(rows.weight(t), method)[0]

    return _count_margins(population["all"], method, {"denominator": _sum_n}, source,
                          DECILE_MARGINS)


def _add(a: pd.DataFrame, b: pd.DataFrame, margin: str, method: str,
         column: str | None = None) -> pd.DataFrame:
    keys = [PERIOD, *_KEYS[margin], *(["esp_band"] if method == "dsr" else [])]
    if column is not None:  # two frames of the same column: add them up
        both = pd.concat([a, b], ignore_index=True)
        return both.groupby(keys, dropna=False, sort=False)[column].sum().reset_index()
    if a.empty or b.empty:
        # pandas cannot outer-merge on Arrow-backed keys when one side has no rows (a lake
        # with nobody of the indicator's age): the other side is the answer
        full, empty = (b, a) if a.empty else (a, b)
        out = full.assign(**{c: 0 for c in empty.columns
                             if c not in keys and c not in full.columns})
    else:
        out = a.merge(b, "outer", on=keys)
    return out.fillna({"numerator": 0, "denominator": 0})


def _breakdown_frames(m: dict[str, pd.DataFrame], practices: pd.DataFrame,
                      lsoas: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    """Every breakdown's groups from the margins: (period, breakdown, group, [esp_band],
    numerator, denominator)."""
    parts = [m["icb"].assign(group="BLMK", breakdown="icb")]
    practice = m["practice_code"].merge(practices, "left", "practice_code")
    if "imd_decile" in m:  # counted by decile (`DECILE_MARGINS`): its quintile as the LSOAs'
        quintiles = lsoas[["imd_decile", "imd_quintile"]].dropna().drop_duplicates()
        if quintiles.imd_decile.duplicated().any():
            raise ValueError("an IMD decile with LSOAs in two quintiles")
        decile = m["imd_decile"]
        decile = decile.assign(imd_decile=pd.to_numeric(decile.imd_decile).astype("Int64"))
        lsoa = decile.merge(quintiles.astype("Int64"), "left", "imd_decile")
    else:
        lsoa = m["lsoa_code"].merge(lsoas, "left", "lsoa_code")
    quintile = lsoa.imd_quintile.astype("Int64")
    lsoa = lsoa.assign(imd_quintile=quintile.astype("string"),
                       imd_decile=lsoa.imd_decile.astype("Int64").astype("string"),
                       core20=np.where(quintile.isna(), None,
                                       np.where(quintile == 1, "CORE20", "Rest")))
    for breakdown, frame, column in (
            ("place", practice, "place"), ("pcn", practice, "pcn_code"),
            ("practice", practice, "practice_code"), ("imd_quintile", lsoa, "imd_quintile"),
            ("imd_decile", lsoa, "imd_decile"), ("core20", lsoa, "core20"),
            ("ethnicity_group", m["ethnicity_group"], "ethnicity_group"),
            ("age_band", m["age_band"], "age_band"), ("sex", m["sex"], "sex")):
        part = frame[frame[column].notna()]
        part = part.groupby([PERIOD, column, *extra], sort=False)[
            ["numerator", "denominator"]].sum().reset_index()
        parts.append(part.rename(columns={column: "group"}).assign(breakdown=breakdown))
    out = pd.concat(parts, ignore_index=True)
    out["group"] = out["group"].astype(str)
    return out


def _values(counts: pd.DataFrame, method: str, multiplier: float) -> pd.DataFrame:
    out = counts[counts.denominator > 0].copy()
    x, n = out.numerator.to_numpy(float), out.denominator.to_numpy(float)
    if method == "proportion":
        lower, upper = wilson(x, n)
    elif method == "amount":  # a sum of weights, not a Poisson count: no interval
        lower = upper = np.full(len(x), np.nan)
    else:  # a rate per person, or observed / expected: exact (< 10) or Byar's limits
        limits = rate(x, n, 0.95, 1)
        lower, upper = limits.lowercl.to_numpy(), limits.uppercl.to_numpy()
    return out.assign(value=multiplier * x / n, lower_ci=multiplier * lower,
                      upper_ci=multiplier * upper)


def _standardised(counts: pd.DataFrame, multiplier: float) -> pd.DataFrame:
    """Directly standardised rates (ESP2013 over the age bands present in the indicator's
    population, i.e. from its youngest to its oldest band) per period and group.

    A group of the age-band breakdown is standardised over its own 5-year bands only (those
    overlapping its ages, within the indicator's): standardised over every band, a group that
    cannot have people in most of them would never have a value."""
    bands = sorted(counts.esp_band.unique())
    bands = list(range(int(min(bands)), int(max(bands)) + 1))
    by_age = counts.breakdown == "age_band"
    parts = [_dsr(counts[~by_age], bands, multiplier).assign(method=_dsr_label(bands))]
    for label, group in counts[by_age].groupby("group", sort=False):
        own = [b for b in bands if _overlaps(b, label)]
        parts.append(_dsr(group, own, multiplier).assign(method=_dsr_label(own, own=True)))
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _dsr_label(bands: list[int], own: bool = False) -> str:
    """The `method` label of a DSR over 5-year ESP bands `bands` (consecutive): e.g. "DSR
    ESP2013 over ages 0-74 (Dobson)", or for an age-band group "... over the band's own ages
    60-74 ..."."""
    first = 5 * min(bands)
    ages = f"{first}+" if max(bands) >= ESP_BANDS - 1 else f"{first}-{5 * max(bands) + 4}"
    over = "the band's own ages" if own else "ages"
    return f"DSR ESP2013 over {over} {ages} (Dobson)"


def _overlaps(esp_band: int, age_band: str) -> bool:
    """Whether 5-year ESP band `esp_band` (0 = 0-4, ..., 18 = 90+) holds ages of `age_band`."""
    lo, hi = next((lo, hi) for lo, hi, label in AGE_BANDS if label == age_band)
    first, last = 5 * esp_band, 5 * esp_band + 4 if esp_band < ESP_BANDS - 1 else 200
    return first <= hi and last >= lo


def _dsr(counts: pd.DataFrame, bands: list[int], multiplier: float) -> pd.DataFrame:
    keys = [PERIOD, "breakdown", "group"]
    if counts.empty:
        return counts.iloc[:0]
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


def tidy_from_margins(m: dict[str, pd.DataFrame], indicator_id: str, method: str,
                      multiplier: float, practices: pd.DataFrame,
                      lsoas: pd.DataFrame, denominator_basis: str = "") -> pd.DataFrame:
    """Every breakdown and group of every period, with values and 95% limits, the method's
    label and the indicator's `denominator_basis` (`icsight.indicators.counting`)."""
    extra = ["esp_band"] if method == "dsr" else []
    grouped = _breakdown_frames(m, practices, lsoas, extra)
    if method == "dsr":
        out = _standardised(grouped, multiplier)
    else:
        out = _values(grouped, method, multiplier).assign(method=METHOD_LABELS[method])
    out = out[out.denominator > 0]
    integer = method != "ratio"
    out = out.assign(
        indicator_id=indicator_id,
        period_end=pd.to_datetime(out[PERIOD]).dt.strftime("%Y-%m-%d"),
        numerator=out.numerator.astype("int64"),
        denominator=out.denominator.astype("int64") if integer else out.denominator.round(2),
        denominator_basis=denominator_basis,
    )
    order = {b: i for i, b in enumerate(BREAKDOWNS)}
    out = out.sort_values(["period_end", "breakdown", "group"],
                          key=lambda s: s.map(order) if s.name == "breakdown" else s)
    return out[COLUMNS].reset_index(drop=True)


def reference_frames(lake) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The practices and LSOAs the breakdowns map to (small reference tables; read once while
    the lake is open, `Lake.remembered`)."""
    def read() -> tuple[pd.DataFrame, pd.DataFrame]:
        practices = lake.table("practices").select("practice_code", "pcn_code", "place") \
            .to_pandas()
        lsoas = lsoa_lookup(lake).select("lsoa_code", "imd_quintile", "imd_decile") \
            .to_pandas()
        return practices, lsoas

    return lake.remembered("reference_frames", read)


def tidy_breakdowns(lake, rows: ir.Table | PopulationCounts, indicator_id: str,
                    method: str = "proportion", multiplier: float = 100,
                    denominator_basis: str = "") -> pd.DataFrame:
    """Numerator, denominator, value and 95% CI for every period, breakdown and group.

    `rows` has one row per unit of the denominator (a patient, an attendance, a pathway) and
    period, with its breakdown attributes and a `numerator` column: true/false, or a count of
    events for a rate (see `margins`); or it is `PopulationCounts`."""
    practices, lsoas = reference_frames(lake)
    return tidy_from_margins(margins(rows, method, lake), indicator_id, method, multiplier,
                             practices, lsoas, denominator_basis)
