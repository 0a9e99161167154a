"""The cohort language: who is registered, who is on a register, who had an event, when.

Indicator definitions are written in these words, so they read like their published
specifications: `disease_register(lake, periods, "hyp_cod", "hypres_cod")`,
`keep_registered(lake, rows)`, `has_event(...)`, `flag(...)`. Each is a small Ibis expression
over the canonical tables that works on a *periods* table (`icsight.indicators.periods`):
every result carries a `period_end` column, one row per patient (or event) and period it
belongs to, so one expression computes one month or a whole monthly series.

Who counts as registered on a date is `icsight.model.registration.registered_and_alive`, the
one rule indicators, calibration and the API share. Counting whole populations (rates per
registered population, observed against expected) is `icsight.indicators.population`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.periods import (
    PERIOD,
    as_date,
    count_before,
    first_and_last,
    months_before,
    one_year_before,
    read_periods,
)
from icsight.model.registration import registered_and_alive

__all__ = ["PERIOD", "ROW_KEYS", "age_on", "as_date", "count_per_person", "disease_register",
           "flag", "has_event", "in_periods", "keep_registered", "latest_on", "months_before",
           "one_year_before", "only_for", "qof_register", "registered_patients",
           "registered_population", "starts_with_any"]

#: The attributes breakdowns are built from: practice (then PCN, place, ICB), LSOA (then IMD),
#: sex, ethnic group; with age, and the period.
ROW_KEYS = (PERIOD, "practice_code", "lsoa_code", "sex", "ethnicity_group", "age")


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


def registered_patients(patients: ir.Table, periods: ir.Table) -> ir.Table:
    """Patients registered with a practice, and alive, on each period end: one row per
    patient and period."""
    joined = patients.join(periods.select(PERIOD),
                           registered_and_alive(patients, periods[PERIOD]))
    return joined.select(*patients.columns, PERIOD)


def registered_population(lake, periods: ir.Table, columns: tuple[str, ...] | None = None
                          ) -> ir.Table:
    """The registered population on each period end, with each person's age then: one row per
    patient and period (with every patient column, or only `columns`)."""
    patients = lake.table("patients")
    if columns is not None:
        patients = patients.select("patient_id", *columns, "month_of_birth",
                                   "registration_start", "registration_end", "date_of_death")
    people = registered_patients(patients, periods)
    return people.mutate(age=age_on(people.month_of_birth, people[PERIOD]))


def latest_on(table: ir.Table, date_column: str, periods: ir.Table, start: str | None = None,
              key: str | tuple[str, ...] = "patient_id") -> ir.Table:
    """Each `key`'s latest row on or before each period end (and after the period's `start`,
    if given), with `period_end`. Rows must be unique per key and date. `key` may be several
    columns (e.g. a patient and which of several checks a row records).

    Each row is valid from its date until the key's next row, so matching rows to periods is
    one range join: no period-by-period aggregation."""
    # Rows after the last period end, or on or before the earliest start, can match no
    # period; leaving them out first changes no match (a row's next row, if dropped, was after
    # every period end) and spares the window a history the periods never look at (four-fifths
    # of it for a single date's 12-month look-back).
    within = table[date_column] <= first_and_last(periods)[1]
    if start is not None:
        within &= table[date_column] > first_and_last(periods, start)[0]
    table = table.filter(within)
    keys = [key] if isinstance(key, str) else list(key)
    if read_periods(periods).shape[0] == 1:
        # One period (a single date, as a page or `Indicator.compute` asks): every row left is
        # in its window, so each key's latest is its row on its latest date, found by one
        # aggregation and a join, as a hand-written query would, instead of a window
        # over each key's rows and a match of rows to periods
        last = table.group_by(keys).agg(_latest=table[date_column].max())
        latest = table.join(last, [*(table[k] == last[k] for k in keys),
                                   table[date_column] == last._latest])
        latest = latest.cross_join(periods.select(PERIOD))
        return latest.select(*table.columns, PERIOD)
    date = table[date_column]
    following = date.lead().over(ibis.window(group_by=[table[k] for k in keys],
                                             order_by=date))
    t = table.mutate(_next=following)
    frame = read_periods(periods)[[PERIOD, *([start] if start else [])]]
    frame = frame.sort_values(PERIOD)
    ends = pd.to_datetime(frame[PERIOD]).dt.date.tolist()
    starts = pd.to_datetime(frame[start]).dt.date.tolist() if start else []
    if starts == sorted(starts):
        # A row is the latest on the period ends from the first on or after its date up to
        # (not including) the first on or after the key's next date, and after a period's
        # start for the first periods whose start is before its date (the starts rise with
        # the ends): a range of positions among the sorted ends, matched without a join on
        # dates that would list each row against every later period first.
        upto = count_before(t._next, ends)
        if start:
            upto = ibis.least(upto, count_before(t[date_column], starts))
        t = t.mutate(_from=count_before(t[date_column], ends), _upto=upto)
        t = t.filter(t._from < t._upto)
        positions = periods.select(PERIOD).mutate(
            _position=ibis.row_number().over(order_by=periods[PERIOD]))
        joined = t.join(positions, [positions._position >= t._from,
                                    positions._position < t._upto])
        return joined.select(*table.columns, PERIOD)
    day = periods[PERIOD]
    conditions = [t[date_column] <= day, t._next.isnull() | (t._next > day)]
    if start is not None:
        conditions.append(t[date_column] > periods[start])
    joined = t.join(periods.select(PERIOD, *([start] if start else [])), conditions)
    return joined.select(*table.columns, PERIOD)


def keep_registered(lake, rows: ir.Table) -> ir.Table:
    """`rows` (patient_id, period_end, ...) kept for patients registered and alive on the
    period end, with their attributes (from `patients`) and age then. Starting from a register or a
    list of events is much cheaper than from the whole population."""
    patients = lake.table("patients").select(
        "patient_id", "cell", *ROW_KEYS[1:-1], "month_of_birth", "registration_start",
        "registration_end", "date_of_death")
    t = rows.join(patients.drop(*[c for c in patients.columns
                                  if c in rows.columns and c != "patient_id"]), "patient_id")
    day = t[PERIOD]
    t = t.filter(registered_and_alive(t, day))
    return t.mutate(age=age_on(t.month_of_birth, day))


def only_for(events: ir.Table, people: ir.Table) -> ir.Table:
    """Rows of `events` for patients who appear in `people` (for any period)."""
    return events.semi_join(people.select("patient_id").distinct(), "patient_id")


def qof_register(events: ir.Table, periods: ir.Table, codes: list[str],
                resolved_codes: list[str] | None = None) -> ir.Table:
    """(patient_id, period_end, last_diagnosis) for patients on a QOF-style register on each
    period end: the latest diagnosis code on or before it is strictly after the latest
    resolution code (if the register has one)."""
    wanted = list(codes) + list(resolved_codes or [])
    coded = events.filter(events.snomed_code.isin(wanted))
    coded = coded.mutate(diagnosis=coded.snomed_code.isin(list(codes)))
    if read_periods(periods).shape[0] == 1:
        # One period: the latest diagnosis and resolution on or before it, per patient, by
        # one aggregation (what the windows below give on the period end's date)
        coded = coded.filter(coded.date <= first_and_last(periods)[1])
        status = coded.group_by("patient_id").agg(
            last_diagnosis=ibis.ifelse(coded.diagnosis, coded.date, ibis.null("date")).max(),
            last_resolved=ibis.ifelse(coded.diagnosis, ibis.null("date"), coded.date).max())
        status = status.cross_join(periods.select(PERIOD))
    else:
        status = _register_status(coded, periods)
    keep = status.last_diagnosis.notnull() & (
        status.last_resolved.isnull() | (status.last_diagnosis > status.last_resolved))
    return status.filter(keep).select("patient_id", PERIOD, "last_diagnosis")


def _register_status(coded: ir.Table, periods: ir.Table) -> ir.Table:
    """`qof_register`'s status on each of many period ends: (patient_id, period_end,
    last_diagnosis, last_resolved) from the coded events (with `diagnosis`)."""
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
    return latest_on(daily, "date", periods)


def disease_register(lake, periods: ir.Table, codes: str, resolved: str | None = None
                     ) -> ir.Table:
    """`qof_register` by codelist names (e.g. `hyp_cod`, `hypres_cod`), computed once per build
    when several indicators use the same register (`Lake.sharing`)."""
    from icsight.model.codelists import codelist

    def build() -> ir.Table:
        return qof_register(lake.table("clinical_events"), periods, codelist(codes).codes,
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


def starts_with_any(column: ir.StringValue, prefixes: tuple[str, ...]) -> ir.BooleanValue:
    """Whether `column` starts with any of `prefixes` (ICD-10 or BNF code families)."""
    cond = column.startswith(prefixes[0])
    for prefix in prefixes[1:]:
        cond = cond | column.startswith(prefix)
    return cond
