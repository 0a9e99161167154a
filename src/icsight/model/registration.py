"""Who counts as registered on a date: one rule, used by indicators, calibration and the API.

A person is on a practice's list on a day when their registration had started by then, had not
ended by then, and they had not died by then. The day a registration ends (or a person dies) is
the first day they are off the list: a list size "on 31 March" counts people still registered
at the end of 31 March, as NHS Digital's Patients Registered at a GP Practice does. QOF register
denominators and every period-end denominator in icsight use this rule.

Events (an admission, a referral, an attendance) count for the practice the person was
registered with when the event happened (`registered_at_event`): a person admitted in
October who died in January still counts in the year's admissions, and an admission before
someone joined a practice does not count for it. On the day a registration ends, or the day
a person dies, they were still registered when that day's events happened.
"""

from __future__ import annotations

import ibis.expr.types as ir

__all__ = ["registered_and_alive", "registered_and_alive_sql", "registered_at_event"]


def registered_and_alive(patients: ir.Table, day: ir.DateValue) -> ir.BooleanValue:
    """Whether each row of `patients` (registration_start, registration_end, date_of_death)
    was registered and alive at the end of `day` (a date, or a date column of a join)."""
    return (
        (patients.registration_start <= day)
        & (patients.registration_end.isnull() | (patients.registration_end > day))
        & (patients.date_of_death.isnull() | (patients.date_of_death > day))
    )


def registered_at_event(patients: ir.Table, day: ir.DateValue) -> ir.BooleanValue:
    """Whether each row of `patients` was registered (and alive) during `day`, the date of an
    event: started by then, and not ended, nor died, before it."""
    return (
        (patients.registration_start <= day)
        & (patients.registration_end.isnull() | (patients.registration_end >= day))
        & (patients.date_of_death.isnull() | (patients.date_of_death >= day))
    )


def registered_and_alive_sql(day: str, prefix: str = "") -> str:
    """The same rule as a SQL condition (for plain-SQL checks such as the calibration table):
    `day` is a SQL date expression, `prefix` an optional table alias with its dot."""
    return (f"{prefix}registration_start <= {day} "
            f"AND ({prefix}registration_end IS NULL OR {prefix}registration_end > {day}) "
            f"AND ({prefix}date_of_death IS NULL OR {prefix}date_of_death > {day})")
