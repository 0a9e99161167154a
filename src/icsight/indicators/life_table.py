"""Life expectancy by place and deprivation: deaths and mid-year populations in the 20 age bands
of an abridged life table, for each period end's three pooled years.

The method is OHID's for the Public Health Outcomes Framework (indicator A01b, "Life expectancy
at birth" and "at 65", by sex; and A02a, the slope index of inequality in life expectancy):
an abridged life table of 20 age bands (0, 1-4, 5-9, ..., 85-89, 90+), Chiang's method II with
Silcocks et al. (2001) confidence limits, 95%; three years of deaths pooled, over person-years
at risk estimated as the sum of the three mid-year populations (OHID, "Life expectancy at birth
and at age 65: technical document", Fingertips PHOF metadata; PHEindicatormethods
`phe_life_expectancy`, here `icsight.stats.life_expectancy`).

Here, for each period end:

- **deaths** (the numerator): every death in the 36 months to the period end (after
  `start_36m`, up to and including the period end) of a person registered with a BLMK practice
  on the day they died, by sex and age at death (whole years, born on the 1st of the month);
  counted for the practice and LSOA they were registered with then;
- **person-years** (the denominator): the registered population on the middle day of each of
  the three years (the same day 6, 18 and 30 months before the period end), by sex and age that
  day, summed: each person counts one year for each mid-year they were registered and alive;
- a group's value is blank when it is too small for a life table: 5,000 or fewer person-years
  in all, an age band with no person-years, more deaths than person-years in a band
  (`icsight.stats.life_expectancy`'s rules, which are PHEindicatormethods'), or a 95% interval
  wider than 20 years (the limits are then still given);
- the `numerator` and `denominator` of an at-65 row are the deaths and person-years at 65 and
  over (the part of the table the value is made of); at birth, every age;
- a period end whose three years start before the lake's history (`window_start` in the
  manifest) has no rows: its deaths would be incomplete.

Breakdowns: `icb`, `place`, `imd_quintile`, `imd_decile` and `core20` (IMD 2019 national, from
the LSOA of registration), and `sex` (one group, the indicator's own sex: the ICB's figure, so
that the male and female indicators stack by sex). Not by PCN, practice, ethnic group or age
band: small-area life expectancy needs more person-years than a practice has (OHID pools five
years for wards and MSOAs), and ethnic group is not published by PHOF.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from icsight.indicators.cohorts import (
    PERIOD,
    ROW_KEYS,
    age_on,
    in_periods,
    registered_patients,
)
from icsight.indicators.periods import as_date, months_before, periods_table, read_periods
from icsight.stats.life_expectancy import START_AGES, life_expectancy_many

__all__ = ["LE_BREAKDOWNS", "MID_YEAR_MONTHS", "POOLED_MONTHS", "deaths", "life_table_band",
           "mid_years", "tidy_life_expectancy"]

#: three years pooled, as PHOF's local-authority life expectancy
POOLED_MONTHS = 36
#: the middle day of each of the three years: this many months before the period end
MID_YEAR_MONTHS = (6, 18, 30)
LE_BREAKDOWNS = ("icb", "place", "imd_quintile", "imd_decile", "core20", "sex")
SEXES = ("male", "female")


def life_table_band(age: ir.IntegerValue) -> ir.IntegerValue:
    """The start age of an age's life-table band: 0, 1 (1-4), 5, 10, ..., 85, 90 (90+)."""
    return ibis.cases((age < 1, 0), (age < 5, 1),
                      else_=ibis.least((age // 5) * 5, 90)).cast("int64")


def mid_years(period_ends) -> pd.DataFrame:
    """(period_end, mid_year): the middle day of each of the three years to each period end."""
    return pd.DataFrame([(as_date(e), months_before(as_date(e), m))
                         for e in period_ends for m in MID_YEAR_MONTHS],
                        columns=[PERIOD, "mid_year"])


def deaths(lake, periods: ir.Table, sex: str | None = None) -> ir.Table:
    """One row per death (and period end it counts towards) in the 36 months to the period end
    of a person registered with a practice on the day they died, with ROW_KEYS (age at death),
    the date of death and the life-table band (`startage`)."""
    died = lake.table("deaths").select("patient_id", "date_of_death")
    died = in_periods(died, "date_of_death", periods, f"start_{POOLED_MONTHS}m")
    patients = lake.table("patients").select("patient_id", *ROW_KEYS[1:-1], "month_of_birth",
                                              "registration_start", "registration_end")
    d = died.join(patients, "patient_id")
    # registered with the practice when they died (a registration ends on the day of death)
    d = d.filter(d.registration_start <= d.date_of_death,
                 d.registration_end.isnull() | (d.registration_end >= d.date_of_death))
    if sex is not None:
        d = d.filter(d.sex == sex)
    d = d.mutate(age=age_on(d.month_of_birth, d.date_of_death))
    return d.select("patient_id", *ROW_KEYS, "date_of_death",
                    startage=life_table_band(d.age))


def _place_and_imd(lake, t: ir.Table) -> ir.Table:
    """`t` (with practice_code and lsoa_code) with the practice's place and the LSOA's IMD
    quintile and decile."""
    places = lake.table("practices").select("practice_code", "place")
    imd = lake.table("lsoas").select("lsoa_code", "imd_quintile", "imd_decile")
    return t.left_join(places, "practice_code").left_join(imd, "lsoa_code")


def _summed(t: ir.Table) -> pd.DataFrame:
    """Rows with place, IMD quintile and decile, sex, life-table band (`startage`) and `n`
    summed by period and those (one small frame: every breakdown is a sum of it)."""
    out = t.group_by([PERIOD, "place", "imd_quintile", "imd_decile", "sex", "startage"]).agg(
        n=t.n.sum().cast("int64"))
    frame = out.to_pandas()
    frame[PERIOD] = pd.to_datetime(frame[PERIOD]).dt.date
    return frame


def _grouped(lake, t: ir.Table) -> pd.DataFrame:
    """Rows of (period, practice_code, lsoa_code, sex, age, n) summed by period, place, IMD
    quintile and decile, sex and life-table band (`_summed`)."""
    t = t.filter(t.sex.isin(SEXES))
    t = t.mutate(startage=life_table_band(t.age))
    return _summed(_place_and_imd(lake, t))


def _mid_year_population(lake, mid_periods: ir.Table) -> pd.DataFrame:
    """The registered population on each mid-year day, summed as `_grouped` sums rows.

    People are first counted by place, IMD, sex, month of birth and the part of their
    registration that overlaps the mid-year days (dates before the first day or after the
    last change nothing): most people are registered throughout, so a few hundred thousand
    such groups, not every person, are matched to the (up to sixty) mid-year days."""
    bounds = mid_periods.aggregate(first=mid_periods[PERIOD].min(),
                                   last=mid_periods[PERIOD].max())
    patients = lake.table("patients").select(
        "practice_code", "lsoa_code", "sex", "month_of_birth", "registration_start",
        "registration_end", "date_of_death")
    patients = patients.filter(patients.sex.isin(SEXES))
    patients = _place_and_imd(lake, patients).cross_join(bounds)
    never = ibis.date(9999, 12, 31)
    # registered on a day d in [first, last] iff from <= d < until (registered_and_alive)
    start = patients.registration_start
    patients = patients.mutate(
        # never registered (no start) stays so: GREATEST would pass over the null
        registration_start=ibis.ifelse(start.isnull(), ibis.null("date"),
                                       ibis.greatest(start, patients["first"])),
        registration_end=ibis.least(patients.registration_end.fill_null(never),
                                    patients.date_of_death.fill_null(never),
                                    patients["last"] + ibis.interval(days=1)),
        date_of_death=ibis.null("date"))
    patients = patients.filter(patients.registration_start < patients.registration_end)
    groups = patients.group_by(["place", "imd_quintile", "imd_decile", "sex", "month_of_birth",
                                "registration_start", "registration_end", "date_of_death"]
                               ).agg(n=patients.count().cast("int64"))
    alive = registered_patients(groups, mid_periods)
    alive = alive.mutate(startage=life_table_band(age_on(alive.month_of_birth, alive[PERIOD])))
    return _summed(alive)


def _breakdowns(counts: pd.DataFrame) -> pd.DataFrame:
    """(period, breakdown, group, sex, startage, n) for every breakdown of `_grouped`'s frame."""
    quintile = counts.imd_quintile.astype("Int64")
    columns = {
        "icb": pd.Series("BLMK", index=counts.index),
        "place": counts.place,
        "imd_quintile": quintile,
        "imd_decile": counts.imd_decile.astype("Int64"),
        "core20": pd.Series(np.where(quintile == 1, "CORE20", "Rest"),
                            index=counts.index).where(quintile.notna()),
        "sex": counts.sex,  # one group per indicator, the ICB's figure: for stacking by sex
    }
    keys = [PERIOD, "breakdown", "group", "sex", "startage"]
    frames = []
    for breakdown, group in columns.items():
        part = counts.assign(group=group, breakdown=breakdown)
        part = part[part.group.notna()]
        frames.append(part.assign(group=part.group.astype(str))[[*keys, "n"]])
    out = pd.concat(frames, ignore_index=True)
    return out.groupby(keys, sort=False)["n"].sum().reset_index()


def _counts(lake, periods: ir.Table) -> pd.DataFrame:
    """Deaths and person-years by period, breakdown, group, sex and life-table band (both
    sexes; shared within a build by the life expectancy indicators)."""
    ends = pd.to_datetime(read_periods(periods)[PERIOD]).dt.date.tolist()
    mids = mid_years(ends)
    mid_periods = periods_table(sorted(set(mids.mid_year)), lake)
    people = _mid_year_population(lake, mid_periods)
    people = mids.merge(people.rename(columns={PERIOD: "mid_year"}), on="mid_year").drop(
        columns="mid_year")
    dead = _grouped(lake, deaths(lake, periods).mutate(n=ibis.literal(1, "int64")))
    keys = [PERIOD, "breakdown", "group", "sex", "startage"]
    out = _breakdowns(people).rename(columns={"n": "population"}).merge(
        _breakdowns(dead).rename(columns={"n": "deaths"}), "outer", on=keys)
    return out.fillna({"population": 0, "deaths": 0})


def _window_ok(lake, ends: list[dt.date]) -> list[dt.date]:
    """The period ends whose three years the lake's history covers."""
    start = getattr(lake, "manifest", {}).get("window_start")
    if not start:
        return ends
    first = as_date(start) - dt.timedelta(days=1)
    return [e for e in ends if months_before(e, POOLED_MONTHS) >= first]


def _tables(lake, periods: ir.Table) -> pd.DataFrame:
    """Life expectancy at 0 and 65 for every period, breakdown, group and sex: one life table
    per group (`icsight.stats.life_expectancy_many`, the rules of `life_expectancy`)."""
    counts = _counts(lake, periods)
    keys = [PERIOD, "breakdown", "group", "sex"]
    wide = counts.pivot_table(index=keys, columns="startage", values=["population", "deaths"],
                              aggfunc="sum", fill_value=0)
    bands = list(START_AGES)
    pops = wide["population"].reindex(columns=bands, fill_value=0).to_numpy(float)
    dead = wide["deaths"].reindex(columns=bands, fill_value=0).to_numpy(float)
    groups = wide.index.to_frame(index=False)
    parts = []
    for age, table in life_expectancy_many(pops, dead, (0, 65)).items():
        parts.append(groups.assign(age=age, numerator=table.dths_used, denominator=table.pops_used,
                                   value=table.value, lower_ci=table.lowercl,
                                   upper_ci=table.uppercl))
    return pd.concat(parts, ignore_index=True)


#: the tidy output's `method` for life expectancy
METHOD_LABEL = ("life expectancy, abridged life table 0 to 90+, 3 years pooled "
                "(Chiang II, Silcocks limits)")


def tidy_life_expectancy(lake, periods: ir.Table, sex: str, age: int) -> pd.DataFrame:
    """Life expectancy of `sex` at `age` (0 or 65) for every period and breakdown group, in the
    shared tidy columns (without `indicator_id`): deaths, person-years, years and 95% limits."""
    ends = pd.to_datetime(read_periods(periods)[PERIOD]).dt.date.tolist()
    kept = _window_ok(lake, ends)
    columns = [PERIOD, "breakdown", "group", "numerator", "denominator", "value", "lower_ci",
               "upper_ci", "method"]
    if not kept:
        return pd.DataFrame(columns=columns)
    if len(kept) < len(ends):
        periods = periods_table(kept, lake)
    key = ("life_table", tuple(kept))
    tables = lake.shared_result(key, lambda: _tables(lake, periods)) \
        if hasattr(lake, "shared_result") else _tables(lake, periods)
    out = tables[(tables.sex == sex) & (tables.age == age) & (tables.denominator > 0)]
    out = out.assign(period_end=pd.to_datetime(out[PERIOD]).dt.strftime("%Y-%m-%d"),
                     numerator=out.numerator.astype("int64"),
                     denominator=out.denominator.astype("int64"),
                     method=METHOD_LABEL)
    order = {b: i for i, b in enumerate(LE_BREAKDOWNS)}
    out = out.sort_values(["period_end", "breakdown", "group"],
                          key=lambda s: s.map(order) if s.name == "breakdown" else s)
    return out[columns].reset_index(drop=True)
