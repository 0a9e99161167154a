"""Counting whole populations: rates per registered population, observed against expected,
activity against a baseline.

An indicator over the registered population (a prevalence, a rate per 1,000, a standardised
rate) does not list every person: the population is counted once per build by period,
practice, IMD decile, ethnic group, sex and age (`population_margins`), and each indicator supplies
only its numerator rows (`PopulationCounts`). `AgainstBaseline` compares activity in each period
with a fixed baseline year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.cohorts import (
    PERIOD,
    ROW_KEYS,
    age_on,
    disease_register,
    keep_registered,
    registered_population,
)
from icsight.indicators.periods import count_before, read_periods
from icsight.model.registration import registered_at_event

__all__ = ["POPULATION_MARGINS", "PYRAMID_BANDS", "AgainstBaseline", "PopulationCounts",
           "Rolling", "emergency_admissions_per_person", "event_counts", "events_of_registered",
           "expected_rates", "population_counts", "population_margins", "population_pyramid",
           "population_rows", "pyramid_band", "register_against_expected", "registered_people"]


@dataclass(frozen=True)
class PopulationCounts:
    """An indicator over the registered population, counted without listing every person.

    The denominator is everyone registered on each period end aged `ages[0]`-`ages[1]` (of
    `sex`, if given), taken from the population counts shared within a build, plus
    `adjustments` (rows of ROW_KEYS and `n`: +1 to add someone, -1 to take them out). The
    numerator is `numerator`: rows of ROW_KEYS and `n` (events for that person and period).
    Returned by `population_counts`, so the population (tens of millions of person-months in a
    36-month series) is counted once per build rather than once per indicator."""

    periods: ir.Table
    ages: tuple[int, int]
    sex: str | None
    numerator: ir.Table | Rolling
    adjustments: ir.Table | None = None
    #: observed against expected: (age_from, age_to, male rate, female rate) bands; the
    #: denominator is then the expected count, the population weighted by these rates
    expected: tuple[tuple[int, int, float, float], ...] | None = None

    def weight(self, t: ir.Table) -> ir.Table:
        """`t` (with age, sex and n) with n replaced by the expected count when rates are
        given (people of unknown sex get the mean of the two rates)."""
        if self.expected is None:
            return t
        rate = ibis.cases(*[
            ((t.age >= lo) & (t.age <= hi),
             ibis.cases((t.sex == "male", m), (t.sex == "female", f), else_=(m + f) / 2))
            for lo, hi, m, f in self.expected], else_=0.0)
        return t.mutate(n=t.n * rate)


#: population margin -> the patients' column it is counted by (None: everyone). IMD breakdowns
#: need only the decile (quintile and CORE20 follow from it), so the population is never
#: counted by LSOA: by decile the margin is some 50 times smaller.
POPULATION_MARGINS = {"all": None, "practice_code": "practice_code",
                      "imd_decile": "imd_decile", "ethnicity_group": "ethnicity_group"}


def lsoa_lookup(lake) -> ir.Table:
    """The lake's LSOA table (IMD quintile and decile by LSOA), looked up once for the lake's
    life: every breakdown by deprivation maps through it."""
    return lake.remembered("lsoa_lookup", lambda: lake.table("lsoas"))


def _registered_spans(lake, periods: ir.Table) -> ir.Table:
    """Everyone registered on at least one period end, with their attributes (practice, IMD
    decile, sex, ethnic group), month of birth, and the period ends they were registered on as
    positions in the sorted ends: `_from` (inclusive) to `_to` (exclusive).

    A person is registered and alive on a period end (`registered_and_alive`) exactly when
    registration started on or before it and neither the registration nor the life ended on or
    before it: when the end's position is at least the number of ends before the start, and
    less than the number before the registration's end and before the death."""
    ends = sorted(pd.to_datetime(read_periods(periods)[PERIOD]).dt.date.unique())
    patients = lake.table("patients").select(
        "practice_code", "lsoa_code", "sex", "ethnicity_group", "month_of_birth",
        "registration_start", "registration_end", "date_of_death")
    deciles = lsoa_lookup(lake).select(_lsoa="lsoa_code", imd_decile="imd_decile")
    t = patients.left_join(deciles, patients.lsoa_code == deciles._lsoa)
    t = t.select("practice_code", "imd_decile", "sex", "ethnicity_group", "month_of_birth",
                 _from=count_before(t.registration_start, ends),
                 _to=ibis.least(count_before(t.registration_end, ends),
                                count_before(t.date_of_death, ends)))
    return t.filter(t._from < t._to)


def _margin_counts(lake, periods: ir.Table, spans: ir.Table, column: str | None
                   ) -> ir.Table:
    """The registered population by (period, `column`, sex, age) from `_registered_spans`,
    without listing each person on each period end.

    Each person adds one from their first period end and takes it away from their last
    (`_to`): the changes are summed by attribute, sex, month of birth and position (most
    people are registered throughout, so far fewer rows than people), and each period end
    sums the changes at or before its position. The sums are grouped by integers (a number
    for each attribute and sex, the period, the age), which is several times faster than by
    their text; groups that sum to nobody are left out, as the old one-row-per-person count
    never had them."""
    ends = sorted(pd.to_datetime(read_periods(periods)[PERIOD]).dt.date.unique())
    keys = [*([column] if column else []), "sex"]
    if len(ends) == 1:
        # One period end: everyone in `spans` is registered on it (`_from` 0, `_to` 1), so the
        # count is a plain aggregation; no changes to accumulate, nothing to number or match
        # (ages worked out person by person first: grouping by age, a hundred values, is
        # cheaper than by month of birth, over a thousand)
        people = spans.cross_join(periods.select(PERIOD))
        people = people.mutate(age=age_on(people.month_of_birth, people[PERIOD]))
        counted = people.group_by([PERIOD, *keys, "age"]).agg(n=people.count())
        return counted.select(PERIOD, *([column] if column else []), "sex", "age",
                              n=counted.n.cast("int64"))
    both = spans.group_by([*keys, "month_of_birth", spans._from.name("_at")]).agg(
        n=spans.count())
    left = spans.filter(spans._to < len(ends))
    gone = left.group_by([*keys, "month_of_birth", left._to.name("_at")]).agg(
        n=-left.count())
    changes = ibis.union(both, gone, distinct=False)
    # a number per (attribute, sex): dense_rank orders nulls as a value, so none is lost
    changes = changes.mutate(_group=ibis.dense_rank().over(
        order_by=[changes[k] for k in keys]).cast("int64"))
    index = lake.small_table(
        f"period_positions_{abs(hash(tuple(ends))) % 10**8}_{len(ends)}",
        pd.DataFrame({PERIOD: ends, "_position": range(len(ends))}),
        {PERIOD: "date", "_position": "int64"})
    held = changes.join(index, changes._at <= index._position)
    held = held.select("_group", PERIOD, "n", age=age_on(held.month_of_birth, held[PERIOD]))
    counted = held.group_by(["_group", PERIOD, "age"]).agg(n=held.n.sum())
    counted = counted.filter(counted.n != 0)
    names = changes.select("_group", *keys).distinct()
    out = counted.join(names, "_group")
    return out.select(PERIOD, *([column] if column else []), "sex", "age",
                      n=out.n.cast("int64"))


def registered_people(lake, periods: ir.Table) -> ir.Table:
    """Everyone registered on each period end, one row per person and period: (period,
    practice, IMD decile, sex, ethnic group, age, n = 1). Listing is costly over many period
    ends (`population_margins` counts without it); for a single one it is a pass over the
    people (`_registered_spans`: everyone in them is registered on it)."""
    ends = read_periods(periods).shape[0]
    if ends != 1:
        raise ValueError(f"registered_people lists one period end's people, not {ends}")
    people = _registered_spans(lake, periods).cross_join(periods.select(PERIOD))
    return people.select(PERIOD, *[c for c in POPULATION_MARGINS.values() if c], "sex",
                         age=age_on(people.month_of_birth, people[PERIOD]),
                         n=ibis.literal(1, "int64"))


def population_margins(lake, periods: ir.Table) -> dict[str, ir.Table]:
    """The registered population on each period end counted by (period, attribute, sex, age)
    for each of practice, IMD decile and ethnic group, and by (period, sex, age) as `all`
    (`POPULATION_MARGINS`): computed once per build and shared."""
    spans = lake.shared("population:spans", periods, lambda: _registered_spans(lake, periods))
    return {name: lake.shared(f"population:{name}", periods,
                              lambda c=column: _margin_counts(lake, periods, spans, c))
            for name, column in POPULATION_MARGINS.items()}


#: The population pyramid's 5-year age bands, youngest first: 0-4, 5-9, ..., 85-89, 90+ (the
#: ONS pyramids' bands, and the European Standard Population's).
PYRAMID_BANDS = tuple([f"{5 * b}-{5 * b + 4}" for b in range(18)] + ["90+"])


def pyramid_band(age: int) -> str:
    """The 5-year band of an age in whole years (90 and over is one band)."""
    return PYRAMID_BANDS[min(max(int(age), 0) // 5, len(PYRAMID_BANDS) - 1)]


def population_pyramid(lake, periods: ir.Table, practices: pd.DataFrame) -> pd.DataFrame:
    """The registered population on the last period end of `periods` by area x sex x 5-year
    age band (`PYRAMID_BANDS`): columns period_end, breakdown (`icb` for BLMK, `place`), group
    (BLMK or the place), sex (as recorded: female, male or unknown), age_band, people.

    Counted from the same population margins as every indicator over the registered list
    (`population_margins`: registered and alive at the end of the period end, age in whole
    years then), so BLMK's and each place's total is the learning disability prevalence's
    denominator, the population by place on the overview; within a build the margins are
    shared, so this costs a few small sums. `practices` (practice_code, place) places each
    practice, as the indicators' place breakdown does. Bands and sexes with no one are left
    out, as breakdown groups with no one are."""
    margins = population_margins(lake, periods)
    last = pd.to_datetime(read_periods(periods)[PERIOD]).max().date()
    parts = []
    for breakdown, margin in (("icb", "all"), ("place", "practice_code")):
        t = margins[margin]
        t = t.filter(t[PERIOD] == ibis.literal(last, "date"))
        keys = [PERIOD, "sex", "age", *([margin] if margin != "all" else [])]
        frame = t.group_by(keys).agg(people=t.n.sum()).to_pandas()
        if breakdown == "icb":
            frame["group"] = "BLMK"
        else:
            frame = frame.merge(practices[["practice_code", "place"]], "inner",
                                "practice_code").rename(columns={"place": "group"})
        frame["breakdown"] = breakdown
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    out["age_band"] = [pyramid_band(a) for a in out["age"]]
    out["sex"] = out["sex"].fillna("unknown").astype(str)
    out = out.groupby([PERIOD, "breakdown", "group", "sex", "age_band"], as_index=False,
                      sort=False)["people"].sum()
    out = out[out.people > 0]
    order = {b: i for i, b in enumerate(PYRAMID_BANDS)}
    out = out.assign(period_end=pd.to_datetime(out[PERIOD]).dt.strftime("%Y-%m-%d"),
                     people=out.people.astype("int64"),
                     _area=(out.breakdown != "icb"), _band=out.age_band.map(order))
    out = out.sort_values(["_area", "group", "sex", "_band"])
    return out[["period_end", "breakdown", "group", "sex", "age_band", "people"]].reset_index(
        drop=True)


def population_counts(lake, periods: ir.Table, numerator: ir.Table,
                      ages: tuple[int, int] = (0, 200), sex: str | None = None,
                      exclude: ir.Table | None = None,
                      keep: Callable[[ir.Table], ir.BooleanValue] | None = None,
                      expected: tuple[tuple[int, int, float, float], ...] | None = None
                      ) -> PopulationCounts:
    """Registered people aged `ages[0]`-`ages[1]` (of `sex`, if given) on each period end,
    less anyone in `exclude` (patient_id, period_end); the numerator counts `numerator`'s rows
    (patient_id, period_end and optionally `n`, events per person, else 1 each) for people in
    that denominator, where `keep(rows)` (rows have `age`) holds."""

    def members(rows: ir.Table) -> ir.Table:
        return _members(lake, rows, ages, sex)

    hits = numerator if "n" in numerator.columns else numerator.mutate(n=ibis.literal(1))
    hits = members(hits)
    if keep is not None:
        hits = hits.filter(keep(hits))
    adjustments = None
    if exclude is not None:
        out = members(exclude.select("patient_id", PERIOD).distinct())
        adjustments = out.select(*ROW_KEYS, n=ibis.literal(-1, "int64"))
        hits = hits.anti_join(exclude, ["patient_id", PERIOD])
    if expected is not None and adjustments is not None:
        raise ValueError("observed against expected takes no exclusions")
    return PopulationCounts(periods, ages, sex, hits.select(*ROW_KEYS, n=hits.n.cast("int64")),
                            adjustments, expected)


def _members(lake, rows: ir.Table, ages: tuple[int, int], sex: str | None) -> ir.Table:
    """`rows` (patient_id, period_end, ...) of people registered on the period end, aged
    `ages` then (and of `sex`): who a `population_counts` denominator counts."""
    t = keep_registered(lake, rows)
    t = t.filter(t.age >= ages[0], t.age <= ages[1])
    return t.filter(t.sex == sex) if sex is not None else t


def population_rows(lake, periods: ir.Table, numerator: ir.Table,
                    ages: tuple[int, int] = (0, 200), sex: str | None = None,
                    exclude: ir.Table | None = None,
                    keep: Callable[[ir.Table], ir.BooleanValue] | None = None) -> ir.Table:
    """The people `population_counts` counts with the same arguments, one row each per period
    (patient_id, period_end, the ROW_KEYS attributes, age) with a true/false `numerator`: the
    patient-level side of an indicator over the registered population, for worklists.

    Listing a whole population is costly, so indicators count it (`population_counts`); this
    lists it for the few dates a worklist needs, by the same membership rule (`_members`)."""
    people = registered_population(lake, periods, ("cell", *ROW_KEYS[1:-1]))
    people = people.filter(people.age >= ages[0], people.age <= ages[1])
    if sex is not None:
        people = people.filter(people.sex == sex)
    hits = _members(lake, numerator.select("patient_id", PERIOD, *(
        [c for c in numerator.columns if c not in ("patient_id", PERIOD, "n")])), ages, sex)
    if keep is not None:
        hits = hits.filter(keep(hits))
    if exclude is not None:
        people = people.anti_join(exclude, ["patient_id", PERIOD])
    marked = hits.select("patient_id", PERIOD).distinct().mutate(_hit=ibis.literal(True))
    out = people.left_join(marked, ["patient_id", PERIOD])
    out = out.drop(*[c for c in out.columns if c.endswith("_right")])
    return out.select("patient_id", "cell", *ROW_KEYS, numerator=out._hit.fill_null(False))


@dataclass(frozen=True)
class Rolling:
    """Dated events, each counted towards every period end whose window holds it (dated after
    the period's `start` column, on or before its end), as a numerator of `PopulationCounts`
    or the current activity of `AgainstBaseline`, without listing each event once per period.

    `events` has ROW_KEYS without the period (the attributes and age at the event), `date`
    and `n`. A 12-month window holds each event for twelve period ends; counted event by event
    and period by period that is twelve rows per event. Instead the events are summed by
    breakdown and by the *interval* between consecutive window edges they fall in (every period
    end and window start is such an edge), and only those sums are matched to periods
    (`icsight.indicators.breakdown`): the same counts from a table a small fraction of the size.
    """

    periods: ir.Table
    events: ir.Table
    start: str = "start_12m"


@dataclass(frozen=True)
class AgainstBaseline:
    """Activity in each period compared with a fixed baseline: `current` rows of ROW_KEYS
    and `n` (activity counted towards each period end) or `Rolling` events, `baseline` rows
    of ROW_KEYS without the period (activity in the baseline period, the same for every
    period end)."""

    periods: ir.Table
    current: ir.Table | Rolling
    baseline: ir.Table


def expected_rates(name: str) -> tuple[tuple[int, int, float, float], ...]:
    """Age-sex prevalence bands (age_from, age_to, male, female) from a packaged reference
    file (`src/icsight/data/reference/<name>.csv`, sources in its SOURCES.md)."""
    import csv

    from icsight.model.reference import data_path

    with data_path("reference", f"{name}.csv").open() as f:
        return tuple((int(r["age_from"]), int(r["age_to"]), float(r["male"]),
                      float(r["female"])) for r in csv.DictReader(f))


def register_against_expected(lake, periods: ir.Table, codes: str, resolved: str | None,
                              ages: tuple[int, int], rates: str) -> PopulationCounts:
    """People of `ages` on a register (codelist names) against the number the registered
    population's age and sex predicts from the prevalence bands in reference file `rates`."""
    register_ = disease_register(lake, periods, codes, resolved)
    return population_counts(lake, periods, register_.select("patient_id", PERIOD), ages,
                             expected=expected_rates(rates))


def event_counts(lake, periods: ir.Table, events: ir.Table, date_column: str,
                 ages: tuple[int, int] = (0, 200), sex: str | None = None,
                 start: str = "start_12m") -> PopulationCounts:
    """A rate of events per registered person: every event in `events` (patient_id and the
    event's date in `date_column`) dated in a period's window (after its `start`, on or before
    its end; `icsight.indicators.cohorts.in_periods`) of a person registered with a practice
    when it happened and aged `ages` then (`icsight.model.registration.registered_at_event`),
    attributed to that practice and to their age at the event (so a standardised rate bands
    events by age at the event); per the registered population aged `ages` on the period end.

    This is how HES-based rates count: every admission in the period, including those of
    people who died or moved away before its end (they were at risk for part of it)."""
    t = events_of_registered(lake, events.select("patient_id", date_column), date_column)
    t = t.filter(t.age >= ages[0], t.age <= ages[1])
    if sex is not None:
        t = t.filter(t.sex == sex)
    hits = t.select(*ROW_KEYS[1:], date=t[date_column], n=ibis.literal(1, "int64"))
    return PopulationCounts(periods, ages, sex, Rolling(periods, hits, start))


def events_of_registered(lake, events: ir.Table, date_column: str) -> ir.Table:
    """`events` of people registered with a practice on the event's date
    (`registered_at_event`), with their attributes (practice, LSOA, sex, ethnic group) and age
    then (`age`). Done before matching events to periods, as each event matches several."""
    patients = lake.table("patients").select(
        "patient_id", *ROW_KEYS[1:-1], "month_of_birth", "registration_start",
        "registration_end", "date_of_death")
    t = events.join(patients, "patient_id")
    day = t[date_column]
    t = t.filter(registered_at_event(t, day))
    return t.mutate(age=age_on(t.month_of_birth, day)).drop(
        "month_of_birth", "registration_start", "registration_end", "date_of_death")


def emergency_admissions_per_person(lake, periods: ir.Table,
                                    condition: Callable[[ir.Table], ir.BooleanValue],
                                    ages: tuple[int, int] = (0, 200)) -> PopulationCounts:
    """Emergency admissions (spells) meeting `condition` admitted in the 12 months to each
    period end, of people registered and aged `ages` when admitted, per registered person
    aged `ages` on the period end (`event_counts`)."""
    spells = lake.table("apc_spells")
    spells = spells.filter(spells.admission_method == "emergency", condition(spells))
    return event_counts(lake, periods, spells, "admission_date", ages)
