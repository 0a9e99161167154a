"""Validation: every incoming value checked against the canonical model before it is stored.

Checks, each failing with the file, row or resource, field and reason:

- **types**: dates (ISO 8601 `YYYY-MM-DD`), timestamps, whole numbers, decimals, true/false;
- **required fields** and **allowed values** (categories) from `icsight.model.schema`;
- **code formats**: SNOMED CT and dm+d concept ids (6-18 digits, a partition identifier for a
  concept, and a valid Verhoeff check digit: SNOMED International, *SNOMED CT Technical
  Implementation Guide*, "SCTID" and "Check-digit"); ICD-10 codes without the dot (`I10`,
  `C349`, `J45X`); OPCS-4 codes (`W401`);
- **impossible dates**: before 1900, in the future (after the load's "today"), before the
  person's birth, or after their death; an end before its start (ED departure before arrival,
  discharge before admission, death before birth: `ORDER`);
- **implausible values**: whole numbers outside 64 bits (they would not fit the column),
  counts and measures outside their ranges (`RANGES`: ECDS acuity 1-5, weeks of gestation,
  birthweight, dose numbers, quantities), codes outside their formats (ODS practice codes, ONS
  LSOA codes, NHS Data Dictionary treatment function codes);
- **fields that come together**: an autism referral's outcome and its date; an out of area
  mental health placement and its reason (`paired_problems`);
- **NHS numbers in free text**: a string column that is not a checked code or category
  (`FREE_TEXT`) holding ten digits (optionally spaced 3-3-4) that pass the modulus 11 check is
  refused, so an NHS number typed in the wrong box never reaches the analytics zone;
- NHS numbers are normalised to ASCII digits (`normalise_nhs_number`) and checked (modulus 11,
  the `nhs-number` package, and not ten identical digits) when identities are resolved;
- **duplicates** are found by the loader, which sees the whole load and the lake.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

import pyarrow as pa
from nhs_number import is_valid as nhs_number_valid

from icsight.model.schema import ANALYTICS, IDENTIFIABLE, TABLES

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


def _pattern(regex: str, what: str):
    compiled = re.compile(regex)

    def problem(code: str) -> str | None:
        return None if compiled.match(code) else f"{code!r} is not {what}"
    return problem


CODE_CHECKS = {"snomed_code": snomed_problem, "dmd_code": snomed_problem,
               "chief_complaint": snomed_problem,
               "primary_diagnosis": _icd10_problem, "underlying_cause": _icd10_problem,
               "site": _icd10_problem, "primary_procedure": _opcs_problem,
               # ODS GP practice codes: a letter and five digits (NHS Digital, ODS "GP
               # practice" code format); ONS LSOA 2011 codes: E01/W01 and six digits.
               "practice_code": _pattern(r"^[A-Z][0-9]{5}$", "an ODS practice code (E81021)"),
               "lsoa_code": _pattern(r"^[EW]01[0-9]{6}$", "an ONS LSOA code (E01015693)"),
               # NHS Data Dictionary "Treatment Function Code": three digits.
               "treatment_function": _pattern(r"^[0-9]{3}$",
                                              "a treatment function code (3 digits, e.g. 300)")}
#: Plausible ranges of whole numbers and measures (inclusive): ECDS acuity 1-5 (Manchester
#: triage); weeks of gestation (MSDS: booking rarely after 42, births 20-45 weeks); birthweight
#: in grams (the heaviest recorded newborns are near 7 kg); dose numbers; quantities issued.
RANGES = {"acuity": (1, 5), "gestation_at_booking_weeks": (0, 45),
          "gestation_at_birth_weeks": (20, 45), "birthweight_grams": (100, 8000),
          "dose_number": (1, 20), "quantity": (0, None)}
#: Per table, (earlier, later) columns: the later must not come before the earlier.
ORDER = {
    "patients": (("month_of_birth", "date_of_death"),
                 ("registration_start", "registration_end")),
    "ec_attendances": (("arrival", "departure"),),
    "apc_spells": (("admission_date", "discharge_date"),),
    "rtt_pathways": (("clock_start", "clock_stop"),
                     ("diagnostic_wait_start", "diagnostic_test_date")),
    "maternity": (("booking_date", "delivery_date"),),
    "mh_referrals": (("referral_date", "first_contact_date"),
                     ("referral_date", "discharge_date")),
    "community_contacts": (("start_date", "end_date"),),
    # autism assessment and mental health inpatient placements (MHLDA)
    "autism_referrals": (("referral_date", "first_appointment_date"),
                         ("referral_date", "outcome_date"),
                         ("first_appointment_date", "outcome_date")),
    "mh_admissions": (("admission_date", "discharge_date"),),
}
#: No date in the records can be this old (the oldest people alive were born after it).
EARLIEST = dt.date(1900, 1, 1)
INT64 = (-(2 ** 63), 2 ** 63 - 1)
NHS_IN_TEXT = "free text holds what looks like an NHS number"
#: String columns of the analytics tables that are neither a category nor a checked code:
#: free text as far as a supplier is concerned, so scanned for NHS numbers.
FREE_TEXT = frozenset(c.name for t in TABLES.values() if t.zone == ANALYTICS
                      for c in t.columns if pa.types.is_string(c.type) and not c.categories
                      and c.name not in CODE_CHECKS)
# Ten digits, optionally spaced or hyphenated 3-3-4, not part of a longer number (\d also
# matches other scripts' digits: they are normalised before the check).
_NHS_LIKE = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
#: Dates that must not be after the load's today, before birth or after death.
EVENT_DATES = {"date", "admission_date", "discharge_date", "appointment_date", "referral_date",
               "delivery_date", "diagnosis_date", "start_date", "clock_start", "arrival",
               "date_of_death", "registration_start", "first_appointment_date",
               "outcome_date"}
#: Quarantine reasons for fields that must come together (`paired_problems`): an autism
#: assessment's outcome without its date (or a date without an outcome), and an out of area
#: placement without its reason (or a reason on a local placement: NHS England's OAP collection
#: records why a placement is out of area, and only then).
OUTCOME_WITHOUT_DATE = "an autism referral's outcome and outcome_date come together"
OAP_REASON_MISMATCH = "an out of area placement has a reason, and only an out of area one"
# Cancer waiting times (issue 10): a pathway's dates run referral (clock start), diagnosis
# communicated or ruled out, decision to treat, first definitive treatment (NHS England, Cancer
# Waiting Times guidance: every clock stops after it starts). The faster diagnosis clock may
# stop on the day of treatment, so it is not ordered against the decision to treat.
ORDER["cancer_pathways"] = (("referral_date", "faster_diagnosis_date"),
                            ("referral_date", "decision_to_treat_date"),
                            ("referral_date", "first_treatment_date"),
                            ("decision_to_treat_date", "first_treatment_date"))
EVENT_DATES |= {"faster_diagnosis_date", "decision_to_treat_date", "first_treatment_date"}


class InvalidValueError(ValueError):
    """A value that does not fit its column; the message says why."""


def normalise_nhs_number(text: str) -> str:
    """`text` with spaces and hyphens dropped and every Unicode decimal digit (Arabic-Indic,
    full-width, Devanagari...) written as its ASCII digit, so one number written in any script
    gives one pseudonym. Other characters are kept, so the check that follows refuses them."""
    out = []
    for ch in text:
        if ch in " -\u00a0\u2010\u2011\u2012\u2013\u2212" or ch.isspace():
            continue
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


def nhs_number_problem(number: str) -> str | None:
    """Why `number` (normalised) is not an NHS number, or None. Besides the modulus 11 check
    (NHS Data Dictionary, "NHS Number"), ten identical digits are refused: 0000000000 and its
    kind pass modulus 11 but are placeholders, never issued."""
    if not (number.isascii() and number.isdigit() and len(number) == 10):
        return "is not 10 digits"
    if len(set(number)) == 1:
        return "has ten identical digits (a placeholder, never issued)"
    if not nhs_number_valid(number):
        return "fails the modulus 11 check"
    return None


def holds_nhs_number(text: str) -> bool:
    """Whether `text` holds ten digits (optionally spaced 3-3-4) that are a valid NHS number."""
    return any(nhs_number_problem(normalise_nhs_number(m.group())) is None
               for m in _NHS_LIKE.finditer(text))


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
            number = int(value)
            if not INT64[0] <= number <= INT64[1]:  # the column is 64-bit: it would not fit
                raise InvalidValueError(f"{str(value)[:30]!r} does not fit a 64-bit whole "
                                        "number")
            return number
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
        raw = values.get(column.name)
        try:
            value = convert(raw, column.type)
        except InvalidValueError as e:
            problems.append((column.name, _unquoted(raw, str(e))))
            continue
        problem = _value_problem(column, value, today)
        if problem:
            problems.append((column.name, _unquoted(raw, problem)))
        out[column.name] = value
    problems.extend(order_problems(table, out))
    problems.extend(paired_problems(table, out))
    return out, problems


def paired_problems(table: str, values: dict) -> list[tuple[str, str]]:
    """(field, reason) when fields that must come together do not (autism referrals' outcome
    and its date; an out of area placement and its reason)."""
    if table == "autism_referrals" and (
            (values.get("outcome") is None) != (values.get("outcome_date") is None)):
        missing = "outcome" if values.get("outcome") is None else "outcome_date"
        return [(missing, OUTCOME_WITHOUT_DATE)]
    if table == "mh_admissions":
        out_of_area, reason = values.get("out_of_area"), values.get("oap_reason")
        if out_of_area is not None and bool(out_of_area) != (reason is not None):
            return [("oap_reason", OAP_REASON_MISMATCH)]
    return []


def shown(reference: str) -> str:
    """A reference (a FHIR `Patient/<id>`, say) as a reason may print it: not when it holds an
    NHS number (some exports use the number as the id), as reasons reach the console."""
    return "a reference holding an NHS number" if holds_nhs_number(reference) else reference


def _unquoted(raw: Any, reason: str) -> str:
    """`reason`, unless the value it may quote holds an NHS number: reasons are printed on the
    console, so they never repeat one (the quarantined payload keeps it)."""
    return NHS_IN_TEXT if isinstance(raw, str) and holds_nhs_number(raw) else reason


def order_problems(table: str, values: dict) -> list[tuple[str, str]]:
    """(field, reason) for each end that comes before its start (`ORDER`)."""
    problems = []
    for first, then in ORDER.get(table, ()):
        start, end = values.get(first), values.get(then)
        if start is None or end is None:
            continue
        if type(start) is not type(end):  # a date against a timestamp: compare days
            start = start.date() if isinstance(start, dt.datetime) else start
            end = end.date() if isinstance(end, dt.datetime) else end
        if end < start:
            problems.append((then, f"{end} is before {first} {start}"))
    return problems


def _value_problem(column, value, today: dt.date) -> str | None:
    if value is None:
        return None if column.nullable else "is required"
    if column.categories and value not in column.categories:
        return f"{value!r} is not one of {', '.join(column.categories)}"
    check = CODE_CHECKS.get(column.name)
    if check and isinstance(value, str):
        problem = check(value)
        # A bad code that is an NHS number must not be quoted back in the reason (reasons are
        # printed): it gets the free-text reason, which names no value.
        return NHS_IN_TEXT if problem and holds_nhs_number(value) else problem
    if column.name in FREE_TEXT and isinstance(value, str) and holds_nhs_number(value):
        return NHS_IN_TEXT
    if column.name in RANGES and isinstance(value, int | float):
        low, high = RANGES[column.name]
        if value < low or (high is not None and value > high):
            return f"{value} is outside {low}-{high if high is not None else ''}"
    if isinstance(value, dt.date):  # datetimes are dates too
        day = value.date() if isinstance(value, dt.datetime) else value
        if day < EARLIEST:
            return f"{day} is before {EARLIEST.year}"
        if day > today:
            return f"{day} is in the future (after {today})"
    return None


def date_problem(values: dict, born: dt.date | None, died: dt.date | None) -> tuple | None:
    """(field, reason) when an event date falls before birth or after death."""
    for name in EVENT_DATES & set(values):
        value = values[name]
        day = value.date() if isinstance(value, dt.datetime) else value
        if not isinstance(day, dt.date):
            continue
        if born is not None and day < born:
            return name, f"{day} is before the person was born ({born:%B %Y})"
        if died is not None and day > died and name not in ("registration_start",
                                                             "date_of_death"):
            return name, f"{day} is after the person died ({died})"
    return None
