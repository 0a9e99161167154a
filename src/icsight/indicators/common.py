"""Building blocks shared by indicator definitions: dates, the registered population, registers.

Each function is a small Ibis expression over the canonical tables, named as an analyst would
say it, so indicator definitions read like their published specifications.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir


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


def age_on(month_of_birth: ir.DateValue, day: dt.date) -> ir.IntegerValue:
    """Age in whole years on `day`, treating the month of birth as the 1st of that month."""
    not_yet = (month_of_birth.month() > day.month).cast("int64")
    return day.year - month_of_birth.year().cast("int64") - not_yet


def registered_on(patients: ir.Table, day: dt.date) -> ir.Table:
    """Patients registered with a practice, and alive, on `day`."""
    return patients.filter(
        patients.registration_start <= day,
        patients.registration_end.isnull() | (patients.registration_end > day),
        patients.date_of_death.isnull() | (patients.date_of_death > day),
    )


def population_on(lake, day: dt.date) -> ir.Table:
    """The registered population on `day`, with each person's age: one row per patient."""
    patients = registered_on(lake.table("patients"), day)
    return patients.mutate(age=age_on(patients.month_of_birth, day))


def last_code_date(events: ir.Table, codes: list[str], name: str) -> ir.Table:
    """Each patient's latest date of any code in `codes`, as column `name`."""
    hits = events.filter(events.snomed_code.isin(codes))
    return hits.group_by("patient_id").agg(**{name: hits.date.max()})


def on_register(events: ir.Table, day: dt.date, codes: list[str],
                resolved_codes: list[str] | None = None) -> ir.Table:
    """Patient ids on a QOF-style register on `day`: the latest diagnosis code on or before
    `day` is strictly after the latest resolution code (if the register has one)."""
    events = events.filter(events.date <= day)
    diagnosed = last_code_date(events, codes, "last_diagnosis")
    if not resolved_codes:
        return diagnosed.select("patient_id", "last_diagnosis")
    resolved = last_code_date(events, resolved_codes, "last_resolved")
    both = diagnosed.left_join(resolved, "patient_id")
    keep = both.last_resolved.isnull() | (both.last_diagnosis > both.last_resolved)
    return both.filter(keep).select("patient_id", "last_diagnosis")


def has_event(table: ir.Table, date_column: str, start: dt.date, end: dt.date,
              condition=None) -> ir.Table:
    """Distinct patient ids with a row dated after `start` and on or before `end`."""
    rows = table.filter(table[date_column] > start, table[date_column] <= end)
    if condition is not None:
        rows = rows.filter(condition(rows))
    return rows.select("patient_id").distinct()


def flag(people: ir.Table, hits: ir.Table, name: str) -> ir.Table:
    """Add boolean column `name`: whether each person is in `hits` (a table of patient ids)."""
    marked = hits.select("patient_id").distinct().mutate(**{name: ibis.literal(True)})
    joined = people.left_join(marked, "patient_id")
    if "patient_id_right" in joined.columns:  # ibis keeps the right key of a left join
        joined = joined.drop("patient_id_right")
    return joined.mutate(**{name: joined[name].fill_null(False)})


def count_per_person(people: ir.Table, events: ir.Table, name: str) -> ir.Table:
    """Add column `name`: how many rows of `events` each person has (0 for none)."""
    counts = events.group_by("patient_id").agg(_count=events.count())
    joined = people.left_join(counts, "patient_id")
    if "patient_id_right" in joined.columns:
        joined = joined.drop("patient_id_right")
    return joined.mutate(**{name: joined._count.fill_null(0)}).drop("_count")
