"""Building blocks shared by indicator definitions: dates, the registered population, registers.

Each function is a small Ibis expression over the canonical tables, named as an analyst would
say it, so indicator definitions read like their published specifications. They work on a
*periods* table (`icsight.indicators.periods`): every result carries a `period_end` column, one
row per patient (or event) and period it belongs to, so one expression computes one month or a
whole monthly series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

PERIOD = "period_end"
#: The attributes breakdowns are built from: practice (then PCN, place, ICB), LSOA (then IMD),
#: sex, ethnic group; with age, and the period.
ROW_KEYS = (PERIOD, "practice_code", "lsoa_code", "sex", "ethnicity_group", "age")


def as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day where that day does not exist)."""
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def one_year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (28 February for 29 February)."""
    return months_before(day, 12)


def age_on(month_of_birth: ir.DateValue, day: ir.DateValue) -> ir.IntegerValue:
    """Age in whole years on `day`, treating the month of birth as the 1st of that month."""
    not_yet = (month_of_birth.month() > day.month()).cast("int64")
    return day.year().cast("int64") - month_of_birth.year().cast("int64") - not_yet


def in_periods(table: ir.Table, date_column: str, periods: ir.Table,
               start: str | None = "start_12m", end: str = PERIOD) -> ir.Table:
    """Rows of `table` dated after the period's `start` (a periods column; None for no lower
    bound) and on or before its `end`, each with the `period_end` it counts towards. A row
    counts towards every period whose window contains it."""
    date = table[date_column]
    conditions = [date <= periods[end]]
    if start is not None:
        conditions.append(date > periods[start])
    joined = table.join(periods.select(PERIOD, *{c for c in (start, end) if c and c != PERIOD}),
                        conditions)
    return joined.select(*table.columns, PERIOD)


def registered_on(patients: ir.Table, periods: ir.Table) -> ir.Table:
    """Patients registered with a practice, and alive, on each period end."""
    day = periods[PERIOD]
    joined = patients.join(periods.select(PERIOD), [
        patients.registration_start <= day,
        patients.registration_end.isnull() | (patients.registration_end > day),
        patients.date_of_death.isnull() | (patients.date_of_death > day),
    ])
    return joined.select(*patients.columns, PERIOD)


def population_on(lake, periods: ir.Table, columns: tuple[str, ...] | None = None) -> ir.Table:
    """The registered population on each period end, with each person's age then: one row per
    patient and period (with every patient column, or only `columns`)."""
    patients = lake.table("patients")
    if columns is not None:
        patients = patients.select("patient_id", *columns, "month_of_birth",
                                   "registration_start", "registration_end", "date_of_death")
    people = registered_on(patients, periods)
    return people.mutate(age=age_on(people.month_of_birth, people[PERIOD]))


def latest_on(table: ir.Table, date_column: str, periods: ir.Table, start: str | None = None,
              key: str = "patient_id") -> ir.Table:
    """Each `key`'s latest row on or before each period end (and after the period's `start`,
    if given), with `period_end`. Rows must be unique per key and date.

    Each row is valid from its date until the key's next row, so matching rows to periods is
    one range join: no period-by-period aggregation."""
    date = table[date_column]
    following = date.lead().over(ibis.window(group_by=table[key], order_by=date))
    t = table.mutate(_next=following)
    day = periods[PERIOD]
    conditions = [t[date_column] <= day, t._next.isnull() | (t._next > day)]
    if start is not None:
        conditions.append(t[date_column] > periods[start])
    joined = t.join(periods.select(PERIOD, *([start] if start else [])), conditions)
    return joined.select(*table.columns, PERIOD)


def registered(lake, rows: ir.Table) -> ir.Table:
    """`rows` (patient_id, period_end, ...) for patients registered and alive on the period
    end, with their attributes (from `patients`) and age then. Starting from a register or a
    list of events is much cheaper than from the whole population."""
    patients = lake.table("patients").select(
        "patient_id", "cell", *ROW_KEYS[1:-1], "month_of_birth", "registration_start",
        "registration_end", "date_of_death")
    t = rows.join(patients.drop(*[c for c in patients.columns
                                  if c in rows.columns and c != "patient_id"]), "patient_id")
    day = t[PERIOD]
    t = t.filter(t.registration_start <= day,
                 t.registration_end.isnull() | (t.registration_end > day),
                 t.date_of_death.isnull() | (t.date_of_death > day))
    return t.mutate(age=age_on(t.month_of_birth, day))


def only_for(events: ir.Table, people: ir.Table) -> ir.Table:
    """Rows of `events` for patients who appear in `people` (for any period)."""
    return events.semi_join(people.select("patient_id").distinct(), "patient_id")


def on_register(events: ir.Table, periods: ir.Table, codes: list[str],
                resolved_codes: list[str] | None = None) -> ir.Table:
    """(patient_id, period_end, last_diagnosis) for patients on a QOF-style register on each
    period end: the latest diagnosis code on or before it is strictly after the latest
    resolution code (if the register has one)."""
    wanted = list(codes) + list(resolved_codes or [])
    coded = events.filter(events.snomed_code.isin(wanted))
    coded = coded.mutate(diagnosis=coded.snomed_code.isin(list(codes)))
    # A patient's register status changes only on dates with a code: work it out per date
    # (latest diagnosis and resolution so far), then take the status in force on each period end.
    daily = coded.group_by(["patient_id", "date"]).agg(
        diagnosed=coded.diagnosis.any(), resolved=(~coded.diagnosis).any())
    so_far = ibis.cumulative_window(group_by=daily.patient_id, order_by=daily.date)
    daily = daily.mutate(
        last_diagnosis=ibis.ifelse(daily.diagnosed, daily.date, ibis.null("date")).max()
        .over(so_far),
        last_resolved=ibis.ifelse(daily.resolved, daily.date, ibis.null("date")).max()
        .over(so_far),
    )
    status = latest_on(daily, "date", periods)
    keep = status.last_diagnosis.notnull() & (
        status.last_resolved.isnull() | (status.last_diagnosis > status.last_resolved))
    return status.filter(keep).select("patient_id", PERIOD, "last_diagnosis")


def register_on(lake, periods: ir.Table, codes: str, resolved: str | None = None) -> ir.Table:
    """`on_register` by codelist names (e.g. `hyp_cod`, `hypres_cod`), computed once per build
    when several indicators use the same register (`Lake.sharing`)."""
    from icsight.model.codelists import codelist

    def build() -> ir.Table:
        return on_register(lake.table("clinical_events"), periods, codelist(codes).codes,
                           codelist(resolved).codes if resolved else None)

    return lake.shared(f"register:{codes}:{resolved}", periods, build)


def has_event(table: ir.Table, date_column: str, periods: ir.Table,
              start: str | None = "start_12m", condition=None) -> ir.Table:
    """Distinct (patient_id, period_end) with a row dated in the period's window."""
    if condition is not None:
        table = table.filter(condition(table))
    # Whether a patient's latest row on or before the period end falls after its start: one
    # row per patient and period, however many events each has.
    dates = table.select("patient_id", date_column).distinct()
    return latest_on(dates, date_column, periods, start).select("patient_id", PERIOD)


def _attach(people: ir.Table, right: ir.Table) -> ir.Table:
    joined = people.left_join(right, ["patient_id", PERIOD])
    return joined.drop(*[c for c in ("patient_id_right", f"{PERIOD}_right") if c in
                         joined.columns])


def flag(people: ir.Table, hits: ir.Table, name: str) -> ir.Table:
    """Add boolean column `name`: whether each (person, period) is in `hits`."""
    marked = hits.select("patient_id", PERIOD).distinct().mutate(**{name: ibis.literal(True)})
    joined = _attach(people, marked)
    return joined.mutate(**{name: joined[name].fill_null(False)})


def count_per_person(people: ir.Table, events: ir.Table, name: str) -> ir.Table:
    """Add column `name`: how many rows of `events` (which carry `period_end`) each person has
    in each period (0 for none)."""
    counts = events.group_by(["patient_id", PERIOD]).agg(_count=events.count())
    joined = _attach(people, counts)
    return joined.mutate(**{name: joined._count.fill_null(0)}).drop("_count")


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
    numerator: ir.Table
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


def _population_cube(lake, periods: ir.Table) -> ir.Table:
    def build() -> ir.Table:
        people = population_on(lake, periods, ("cell", "sex"))
        # sex is one of the cell's attributes: grouping by it too costs nothing extra
        return people.group_by([PERIOD, "cell", "sex", "age"]).agg(n=people.count())

    return lake.shared("population_cube", periods, build)



def population_margins(lake, periods: ir.Table) -> dict[str, ir.Table]:
    """The registered population on each period end counted by (period, attribute, sex, age)
    for each of practice, LSOA and ethnic group, and by (period, sex, age) as `all`: computed
    once per build and shared."""
    cube = _population_cube(lake, periods)
    out = {"all": lake.shared("population:all", periods, lambda: cube.group_by(
        [PERIOD, "sex", "age"]).agg(n=cube.n.sum()))}
    cells = lake.cells_table().drop("sex")
    joined = cube.join(cells, "cell")
    for column in ("practice_code", "lsoa_code", "ethnicity_group"):
        out[column] = lake.shared(f"population:{column}", periods, lambda c=column: joined
                                  .group_by([PERIOD, c, "sex", "age"]).agg(n=joined.n.sum()))
    return out


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
        t = registered(lake, rows)
        t = t.filter(t.age >= ages[0], t.age <= ages[1])
        return t.filter(t.sex == sex) if sex is not None else t

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


@dataclass(frozen=True)
class AgainstBaseline:
    """Activity in each period compared with a fixed baseline: `current` rows of ROW_KEYS and
    `n` (activity counted towards each period end), `baseline` rows of ROW_KEYS without the
    period (activity in the baseline period, the same for every period end)."""

    periods: ir.Table
    current: ir.Table
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
    register_ = register_on(lake, periods, codes, resolved)
    return population_counts(lake, periods, register_.select("patient_id", PERIOD), ages,
                             expected=expected_rates(rates))
