"""NHS numbers normalised before validation; implausible values, NHS numbers in free text and
unexpected failures quarantined with a named reason, never a crashed load (issue 9, "What
must be true" 3 and 7)."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nhs_number import is_valid as nhs_number_valid

from icsight.governance.pseudonymise import pseudonym
from icsight.ingest import stage as stage_module
from icsight.ingest.load import ingest
from icsight.ingest.records import Identity
from icsight.ingest.stage import pseudonymise
from icsight.ingest.validate import NHS_IN_TEXT, check_values, date_problem
from icsight.lake import ANALYTICS, table_path, zone_path
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
ALICE_NHS = "9434765919"
#: The zero of each digit script tried: ASCII, Arabic-Indic, Extended Arabic-Indic (Persian),
#: Devanagari, Bengali, full-width, mathematical bold.
ZEROS = (0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xFF10, 0x1D7CE)


def _check_digit(nine: str) -> int | None:
    remainder = 11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
    return {11: 0, 10: None}.get(remainder, remainder)


valid_numbers = st.text("0123456789", min_size=9, max_size=9).map(
    lambda nine: nine + str(_check_digit(nine)) if _check_digit(nine) is not None else ""
).filter(lambda n: len(n) == 10 and len(set(n)) > 1 and nhs_number_valid(n))  # CHI dates


@st.composite
def written(draw, number: str) -> str:
    """`number` with each digit in a drawn script and drawn separators at 3-3-4."""
    digits = [chr(draw(st.sampled_from(ZEROS)) + int(d)) for d in number]
    sep = draw(st.sampled_from(["", " ", "-", "  "]))
    return "".join(digits[:3]) + sep + "".join(digits[3:6]) + sep + "".join(digits[6:])


@settings(max_examples=120, deadline=None)
@given(data=st.data(), number=valid_numbers)
def test_one_nhs_number_in_any_digit_script_or_spacing_is_one_pseudonym(data, number):
    form = data.draw(written(number))
    assert pseudonymise(Identity(nhs_number=form), TEST_KEY) == (
        pseudonym(TEST_KEY, number, "nhs"), True)


@settings(max_examples=120, deadline=None)
@given(data=st.data(), number=valid_numbers,
       stray=st.characters(exclude_categories=("Nd", "Zs", "Cs"), exclude_characters="-\t\n\r"
                           "\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\u2010\u2011\u2012\u2013"
                           "\u2212"))
def test_an_nhs_number_with_any_stray_character_is_refused(data, number, stray):
    form = data.draw(written(number))
    at = data.draw(st.integers(0, len(form)))
    outcome = pseudonymise(Identity(nhs_number=form[:at] + stray + form[at:]), TEST_KEY)
    assert isinstance(outcome, str) and "not a valid NHS number" in outcome


@settings(max_examples=100, deadline=None)
@given(number=valid_numbers, wrong=st.integers(1, 9))
def test_an_nhs_number_with_a_wrong_check_digit_is_refused(number, wrong):
    bad = number[:9] + str((int(number[9]) + wrong) % 10)
    assert "modulus 11" in pseudonymise(Identity(nhs_number=bad), TEST_KEY)


@pytest.mark.parametrize("digit", "0123456789")
def test_ten_identical_digits_are_refused_even_when_they_pass_modulus_11(digit):
    outcome = pseudonymise(Identity(nhs_number=digit * 10), TEST_KEY)
    assert outcome == ("the NHS number has ten identical digits (a placeholder, never issued): "
                       "not a valid NHS number")


# --- implausible values --------------------------------------------------------------------

ROWS = {
    "clinical_events": {"date": "2020-01-01", "snomed_code": "38341003"},
    "ec_attendances": {"attendance_id": "1", "provider_code": "RC9", "department_type": "01",
                       "arrival": "2024-01-01T10:00:00", "departure": "2024-01-01T14:00:00",
                       "acuity": "3", "disposal": "discharged", "chief_complaint": None},
    "apc_spells": {"spell_id": "1", "provider_code": "RC9", "admission_date": "2024-01-01",
                   "discharge_date": "2024-01-05", "admission_method": "emergency",
                   "patient_classification": "ordinary", "primary_diagnosis": "J459",
                   "treatment_function": "300"},
    "patients": {"sex": "female", "month_of_birth": "1950-03-01", "ethnicity_group": "White",
                 "ethnicity_category": "A", "practice_code": "E81021", "care_home": "false",
                 "housebound": "false", "data_opt_out": "false", "nhs_number_verified": "true"},
    "maternity": {"pregnancy_id": "1", "booking_date": "2024-01-01",
                  "gestation_at_booking_weeks": "10", "smoking_at_booking": "false",
                  "delivery_date": "2024-07-01", "birthweight_grams": "3400"},
    "medications": {"date": "2024-01-01", "dmd_code": "322236009", "quantity": "28"},
    "vaccinations": {"date": "2024-01-01", "vaccine": "influenza", "snomed_code": "38341003",
                     "dose_number": "1"},
    "rtt_pathways": {"pathway_id": "1", "provider_code": "RC9", "treatment_function": "300",
                     "clock_start": "2024-01-01", "clock_stop": "2024-03-01",
                     "status": "admitted"},
}

IMPLAUSIBLE = [
    ("clinical_events", {"date": "0001-01-01"}, "date", "is before 1900"),
    ("clinical_events", {"date": "2027-01-01"}, "date", "in the future"),
    ("ec_attendances", {"departure": "2024-01-01T09:59:00"}, "departure", "is before arrival"),
    ("ec_attendances", {"acuity": "9"}, "acuity", "outside 1-5"),
    ("ec_attendances", {"chief_complaint": "123"}, "chief_complaint", "SNOMED CT"),
    ("apc_spells", {"discharge_date": "2023-12-31"}, "discharge_date",
     "is before admission_date"),
    ("apc_spells", {"spell_id": str(2 ** 63)}, "spell_id", "does not fit a 64-bit"),
    ("apc_spells", {"spell_id": str(-(2 ** 63) - 1)}, "spell_id", "does not fit a 64-bit"),
    ("apc_spells", {"treatment_function": "3000"}, "treatment_function", "treatment function"),
    ("patients", {"date_of_death": "1949-12-31"}, "date_of_death", "is before month_of_birth"),
    ("patients", {"month_of_birth": "1850-01-01"}, "month_of_birth", "is before 1900"),
    ("patients", {"practice_code": "NOT-A-CODE"}, "practice_code", "ODS practice code"),
    ("patients", {"lsoa_code": "X"}, "lsoa_code", "ONS LSOA code"),
    ("maternity", {"birthweight_grams": "-5"}, "birthweight_grams", "outside"),
    ("maternity", {"delivery_date": "2023-06-01"}, "delivery_date", "is before booking_date"),
    ("medications", {"quantity": "-1"}, "quantity", "outside"),
    ("vaccinations", {"dose_number": "0"}, "dose_number", "outside"),
    ("rtt_pathways", {"clock_stop": "2023-01-01"}, "clock_stop", "is before clock_start"),
    ("apc_spells", {"provider_code": "RC9 943 476 5919"}, "provider_code", NHS_IN_TEXT),
    ("medications", {"bnf_code": "943-476-5919"}, "bnf_code", NHS_IN_TEXT),
    ("patients", {"practice_code": ALICE_NHS}, "practice_code", NHS_IN_TEXT),
    ("patients", {"sex": ALICE_NHS}, "sex", NHS_IN_TEXT),  # a category: never quoted back
    ("clinical_events", {"date": "943 476 5919"}, "date", NHS_IN_TEXT),  # nor a bad date
]


@pytest.mark.parametrize("table", sorted(ROWS))
def test_the_plausible_rows_the_implausible_cases_start_from_are_valid(table):
    assert check_values(table, ROWS[table], TODAY)[1] == []


@pytest.mark.parametrize(("table", "change", "field", "reason"), IMPLAUSIBLE)
def test_an_implausible_value_is_refused_with_a_named_reason(table, change, field, reason):
    _, problems = check_values(table, ROWS[table] | change, TODAY)
    assert [f for f, _ in problems] == [field]
    assert reason in problems[0][1]
    assert ALICE_NHS not in problems[0][1]  # reasons are printed: never the number


def test_a_death_registered_before_the_person_was_born_is_refused():
    born = dt.date(1950, 3, 1)
    assert date_problem({"date_of_death": dt.date(1949, 1, 1)}, born, None) == (
        "date_of_death", "1949-01-01 is before the person was born (March 1950)")


# --- whole loads: one quarantined row, never a crash ---------------------------------------

SPELLS = ("nhs_number,spell_id,provider_code,admission_date,discharge_date,admission_method,"
          "patient_classification,primary_diagnosis,treatment_function")


def _spell(spell_id: str, provider: str = "RC9") -> str:
    return f"{ALICE_NHS},{spell_id},{provider},2024-01-01,2024-01-05,emergency,ordinary,J459,300"


def _reconciled(report) -> None:
    for row in report.rows():
        assert row["received"] == row["loaded"] + row["quarantined"], row


def test_a_value_beyond_64_bits_is_one_quarantined_row_not_a_crashed_load(tmp_path):
    csv_file = tmp_path / "apc_spells.csv"
    csv_file.write_text("\n".join((SPELLS, _spell("1"), _spell(str(2 ** 63)), _spell("3"))))
    big = pa.table({"nhs_number": [ALICE_NHS] * 2, "spell_id": pa.array([4, 2 ** 64 - 1],
                                                                       pa.uint64()),
                    "provider_code": ["RC9"] * 2, "admission_date": ["2024-01-01"] * 2,
                    "admission_method": ["emergency"] * 2,
                    "patient_classification": ["ordinary"] * 2,
                    "primary_diagnosis": ["J459"] * 2, "treatment_function": ["300"] * 2})
    pq.write_table(big, tmp_path / "apc_spells-2.parquet")
    report = ingest(tmp_path / "lake", [csv_file, tmp_path / "apc_spells-2.parquet"],
                    key=TEST_KEY, today=TODAY)
    _reconciled(report)
    assert sorted((p.locator, p.field) for p in report.problems) == [
        ("row 2", "spell_id"), ("row 2 (line 3)", "spell_id")]
    spells = pq.read_table(table_path(tmp_path / "lake", "apc_spells")).column("spell_id")
    assert sorted(spells.to_pylist()) == [1, 3, 4]


def test_an_nhs_number_in_free_text_never_reaches_the_analytics_zone(tmp_path):
    csv_file = tmp_path / "apc_spells.csv"
    csv_file.write_text("\n".join((SPELLS, _spell("1", "RC9"), _spell("2", "943 476 5919"),
                                   _spell("3", "\u0669\u0664\u0663\u0664\u0667\u0666\u0665"
                                               "\u0669\u0661\u0669"))))
    report = ingest(tmp_path / "lake", [csv_file], key=TEST_KEY, today=TODAY)
    _reconciled(report)
    assert [(p.field, p.reason) for p in report.problems] == [("provider_code", NHS_IN_TEXT)] * 2
    for path in zone_path(tmp_path / "lake", ANALYTICS).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"943 476 5919" not in data and "\u0669\u0664\u0663".encode() not in data


def test_an_unexpected_error_on_one_row_quarantines_that_row_naming_the_error(tmp_path,
                                                                                monkeypatch):
    real = stage_module.check_values

    def fragile(table, values, today):
        if values.get("spell_id") == "2":
            raise ZeroDivisionError("a bug met a row")
        return real(table, values, today)

    monkeypatch.setattr(stage_module, "check_values", fragile)
    csv_file = tmp_path / "apc_spells.csv"
    csv_file.write_text("\n".join((SPELLS, _spell("1"), _spell("2"), _spell("3"))))
    report = ingest(tmp_path / "lake", [csv_file], key=TEST_KEY, today=TODAY)
    _reconciled(report)
    ((problem),) = report.problems
    assert problem.locator == "row 2 (line 3)"
    assert problem.reason == "could not be staged (ZeroDivisionError: a bug met a row)"
    assert pq.read_table(table_path(tmp_path / "lake", "apc_spells")).num_rows == 2



def test_huge_fhir_numbers_are_quarantined_rows_not_a_crashed_load(tmp_path):
    """A value of 400 digits (OverflowError in float()) or beyond 64 bits (a dose number)."""
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-03-14",
               "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
                               "value": ALICE_NHS}]}
    weight = ('{"resourceType": "Observation", "id": "o1", "status": "final", '
              '"subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-01-01", '
              '"code": {"coding": [{"system": "http://snomed.info/sct", "code": "27113001"}]}, '
              '"valueQuantity": {"value": 1' + "0" * 400 + '}}')
    dose = ('{"resourceType": "Immunization", "id": "i1", "status": "completed", '
            '"patient": {"reference": "Patient/p1"}, "occurrenceDateTime": "2024-01-01", '
            '"vaccineCode": {"text": "influenza", "coding": [{"system": '
            '"http://snomed.info/sct", "code": "38341003"}]}, "protocolApplied": '
            '[{"doseNumberPositiveInt": ' + str(2 ** 63) + '}]}')
    path = tmp_path / "load.ndjson"
    path.write_text("\n".join([json.dumps(patient), weight, dose]) + "\n")
    report = ingest(tmp_path / "lake", [path], key=TEST_KEY, today=TODAY)
    _reconciled(report)
    assert report.quarantined == 2
    assert all(p.locator.startswith("line 2") or p.locator.startswith("line 3")
               for p in report.problems)
    assert pq.read_table(table_path(tmp_path / "lake", "patients")).num_rows == 1
