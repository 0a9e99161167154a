"""Validation: every incoming value checked against the canonical model before it is stored.

Checks, each failing with the file, row or resource, field and reason:

- **types**: dates (ISO 8601 `YYYY-MM-DD`), timestamps, whole numbers, decimals, true/false;
- **required fields** and **allowed values** (categories) from `icsight.model.schema`;
- **code formats**: SNOMED CT and dm+d concept ids (6-18 digits, a partition identifier for a
  concept, and a valid Verhoeff check digit: SNOMED International, *SNOMED CT Technical
  Implementation Guide*, "SCTID" and "Check-digit"); ICD-10 codes without the dot (`I10`,
  `C349`, `J45X`); OPCS-4 codes (`W401`);
- **impossible dates**: in the future (after the load's "today"), before the person's birth, or
  after their death;
- NHS numbers are checked (modulus 11, the `nhs-number` package) when identities are resolved;
- **duplicates** are found by the loader, which sees the whole load and the lake.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pyarrow as pa

from icsight.model.schema import IDENTIFIABLE, TABLES

# Verhoeff check digit tables (dihedral group D5).
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
SCTID = re.compile(r"^[1-9][0-9]{5,17}$")
#: Partition identifiers of concept ids: 00 (short format), 10 (long format, extensions).
CONCEPT_PARTITIONS = ("00", "10")
ICD10 = re.compile(r"^[A-Z][0-9]{2}[0-9A-Z]{0,2}$")
OPCS4 = re.compile(r"^[A-Z][0-9]{2,3}$")
MAX_TEXT = 2_000  # characters in one text field


def verhoeff_valid(digits: str) -> bool:
    """Whether the last digit is the Verhoeff check digit of the others."""
    check = 0
    for i, ch in enumerate(reversed(digits)):
        check = _D[check][_P[i % 8][int(ch)]]
    return check == 0


def snomed_problem(code: str) -> str | None:
    """Why `code` is not a SNOMED CT (or dm+d) concept id, or None if it is one."""
    if not SCTID.match(code):
        return f"{code!r} is not a SNOMED CT concept id (6-18 digits, no leading zero)"
    if code[-3:-1] not in CONCEPT_PARTITIONS:
        return f"{code!r} has partition {code[-3:-1]}, not a concept's (00 or 10)"
    if not verhoeff_valid(code):
        return f"{code!r} fails the SNOMED CT Verhoeff check digit"
    return None


def _icd10_problem(code: str) -> str | None:
    return None if ICD10.match(code) else f"{code!r} is not an ICD-10 code (e.g. I10, C349)"


def _opcs_problem(code: str) -> str | None:
    return None if OPCS4.match(code) else f"{code!r} is not an OPCS-4 code (e.g. W401)"


CODE_CHECKS = {"snomed_code": snomed_problem, "dmd_code": snomed_problem,
               "primary_diagnosis": _icd10_problem, "underlying_cause": _icd10_problem,
               "site": _icd10_problem, "primary_procedure": _opcs_problem}
#: Dates that must not be after the load's today, before birth or after death.
EVENT_DATES = {"date", "admission_date", "discharge_date", "appointment_date", "referral_date",
               "delivery_date", "diagnosis_date", "start_date", "clock_start", "arrival",
               "date_of_death", "registration_start"}


class InvalidValueError(ValueError):
    """A value that does not fit its column; the message says why."""


def convert(value: Any, kind: pa.DataType) -> Any:
    """`value` (text from a CSV, or a Python value) as the column's Python type; None for
    empty. Raises InvalidValueError with a reason."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    try:
        if pa.types.is_date(kind):
            if isinstance(value, dt.datetime):
                return value.date()
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        if pa.types.is_timestamp(kind):
            if isinstance(value, dt.datetime):
                return value.replace(tzinfo=None)
            parsed = dt.datetime.fromisoformat(str(value))
            return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
        if pa.types.is_boolean(kind):
            if isinstance(value, bool):
                return value
            text = str(value).lower()
            if text in ("true", "1", "yes", "y"):
                return True
            if text in ("false", "0", "no", "n"):
                return False
            raise InvalidValueError(f"{value!r} is not true or false")
        if pa.types.is_integer(kind):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise InvalidValueError(f"{value!r} is not a whole number")
            return int(value)
        if pa.types.is_floating(kind):
            number = float(value)
            if not math.isfinite(number):
                raise InvalidValueError(f"{value!r} is not a finite number")
            return number
    except InvalidValueError:
        raise
    except (TypeError, ValueError, OverflowError):
        raise InvalidValueError(f"{str(value)[:60]!r} is not a valid {kind}") from None
    text = str(value)
    if len(text) > MAX_TEXT:
        raise InvalidValueError(f"text of {len(text):,} characters is longer than {MAX_TEXT:,}")
    return text


def check_values(table: str, values: dict[str, Any], today: dt.date) -> tuple[dict, list]:
    """Typed values for every column of `table` but patient_id, and a list of (field, reason)
    problems (empty when the row is valid)."""
    spec = TABLES[table]
    if spec.zone == IDENTIFIABLE:
        raise ValueError(f"{table} is not loaded directly")
    known = {c.name for c in spec.columns}
    problems = [(name, f"is not a column of {table}") for name in values
                if name not in known]
    out: dict[str, Any] = {}
    for column in spec.columns:
        if column.name == "patient_id":
            continue
        try:
            value = convert(values.get(column.name), column.type)
        except InvalidValueError as e:
            problems.append((column.name, str(e)))
            continue
        problem = _value_problem(column, value, today)
        if problem:
            problems.append((column.name, problem))
        out[column.name] = value
    return out, problems


def _value_problem(column, value, today: dt.date) -> str | None:
    if value is None:
        return None if column.nullable else "is required"
    if column.categories and value not in column.categories:
        return f"{value!r} is not one of {', '.join(column.categories)}"
    check = CODE_CHECKS.get(column.name)
    if check and isinstance(value, str):
        return check(value)
    if column.name in EVENT_DATES:
        day = value.date() if isinstance(value, dt.datetime) else value
        if isinstance(day, dt.date) and day > today:
            return f"{day} is in the future (after {today})"
    return None


def date_problem(values: dict, born: dt.date | None, died: dt.date | None) -> tuple | None:
    """(field, reason) when an event date falls before birth or after death."""
    for name in EVENT_DATES & set(values):
        value = values[name]
        day = value.date() if isinstance(value, dt.datetime) else value
        if not isinstance(day, dt.date) or name == "date_of_death":
            continue
        if born is not None and day < born:
            return name, f"{day} is before the person was born ({born:%B %Y})"
        if died is not None and day > died and name not in ("registration_start",):
            return name, f"{day} is after the person died ({died})"
    return None
