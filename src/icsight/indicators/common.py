"""Building blocks shared by indicator definitions: dates, the registered population, registers.

Each function is a small Ibis expression over the canonical tables, named as an analyst would
say it, so indicator definitions read like their published specifications. They work on a
*periods* table (`icsight.indicators.periods`): every result carries a `period_end` column, one
row per patient (or event) and period it belongs to, so one expression computes one month or a
whole monthly series.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

PERIOD = "period_end"


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


def population_on(lake, periods: ir.Table) -> ir.Table:
    """The registered population on each period end, with each person's age then: one row per
    patient and period."""
    people = registered_on(lake.table("patients"), periods)
    return people.mutate(age=age_on(people.month_of_birth, people[PERIOD]))


def on_register(events: ir.Table, periods: ir.Table, codes: list[str],
                resolved_codes: list[str] | None = None) -> ir.Table:
    """(patient_id, period_end, last_diagnosis) for patients on a QOF-style register on each
    period end: the latest diagnosis code on or before it is strictly after the latest
    resolution code (if the register has one)."""
    wanted = list(codes) + list(resolved_codes or [])
    coded = events.filter(events.snomed_code.isin(wanted)).select("patient_id", "date",
                                                                   "snomed_code")
    coded = in_periods(coded, "date", periods, start=None)
    is_diagnosis = coded.snomed_code.isin(list(codes))
    latest = coded.group_by(["patient_id", PERIOD]).agg(
        last_diagnosis=coded.date.max(where=is_diagnosis),
        last_resolved=coded.date.max(where=~is_diagnosis),
    )
    keep = latest.last_diagnosis.notnull() & (
        latest.last_resolved.isnull() | (latest.last_diagnosis > latest.last_resolved))
    return latest.filter(keep).select("patient_id", PERIOD, "last_diagnosis")


def has_event(table: ir.Table, date_column: str, periods: ir.Table,
              start: str | None = "start_12m", condition=None) -> ir.Table:
    """Distinct (patient_id, period_end) with a row dated in the period's window."""
    if condition is not None:
        table = table.filter(condition(table))
    rows = in_periods(table.select("patient_id", date_column), date_column, periods, start)
    return rows.select("patient_id", PERIOD).distinct()


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
