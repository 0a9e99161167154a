"""The demand spec's tiny lake (tests/test_planning_demand*.py): eight people and a handful of
hospital, outpatient, A&E, maternity, mental health, cancer and community records in the
baseline year to 31 March 2025, with the answers worked by hand in the tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from icsight.lake import write_table
from icsight.model.schema import TABLES
from tests.lakes import make_lake, patient

DAY = "2025-03-31"  # the baseline year is 1 April 2024 to 31 March 2025
LUTON = "E81026"


def _d(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _spell(sid, pid, method, cls, admitted, discharged):
    return {"patient_id": pid, "spell_id": sid, "provider_code": "RC9",
            "admission_date": _d(admitted), "discharge_date": _d(discharged),
            "admission_method": method, "patient_classification": cls,
            "primary_diagnosis": "R69", "primary_procedure": None,
            "treatment_function": "300", "discharge_destination": "usual_residence"}


def _ae(aid, pid, arrival):
    at = dt.datetime.fromisoformat(arrival)
    return {"patient_id": pid, "attendance_id": aid, "provider_code": "RC9",
            "department_type": "01", "arrival": at, "departure": at + dt.timedelta(hours=3),
            "acuity": 3, "disposal": "discharged", "chief_complaint": None}


def _op(oid, pid, day, function, first, attended):
    return {"patient_id": pid, "appointment_id": oid, "provider_code": "RC9",
            "appointment_date": _d(day), "treatment_function": function,
            "first_attendance": first, "attended": attended}


PEOPLE = [
    # Bedford Borough (practice E81021); ages on 31 March 2025 and at every event below
    patient(1, "1950-06-01"),                      # female 74: band 70-74
    patient(2, "1950-07-01"),                      # female 74
    patient(3, "1990-05-01", sex="male"),          # male 34: band 30-34
    patient(4, "1994-06-01"),                      # female 30: band 30-34
    patient(5, "1950-03-01", date_of_death="2024-12-01"),  # female 74, died: not on the list
    patient(6, "1992-01-01", sex="male", registration_start="2024-10-01"),  # male 33
    patient(8, "1950-01-01", sex="unknown"),       # sex not recorded: left out of the rates
    # Luton (practice E81026)
    patient(7, "1950-06-01", sex="male", practice_code=LUTON),  # male 74
]

TABLES_ROWS = {
    "apc_spells": [
        _spell(1, 1, "emergency", "ordinary", "2024-08-15", "2024-08-20"),  # 5 nights
        _spell(2, 5, "emergency", "ordinary", "2024-10-01", "2024-10-04"),  # 3 nights; died later
        _spell(3, 2, "elective", "day_case", "2024-09-01", "2024-09-01"),
        _spell(4, 1, "elective", "ordinary", "2025-03-29", None),  # still in: 2 nights to 31 March
        _spell(5, 6, "emergency", "ordinary", "2024-05-01", "2024-05-02"),  # not yet registered
        _spell(6, 7, "emergency", "ordinary", "2024-11-11", "2024-11-11"),  # Luton, 0 nights
        _spell(7, 1, "emergency", "ordinary", "2024-03-31", "2024-04-02"),  # before the year
        _spell(8, 2, "maternity", "ordinary", "2024-06-01", "2024-06-02"),  # not non-elective
    ],
    "ec_attendances": [
        _ae(1, 3, "2024-06-10T10:00"),
        _ae(2, 3, "2024-03-31T23:00"),  # the day before the year starts
        _ae(3, 1, "2025-03-31T23:30"),  # the year's last day
        _ae(4, 8, "2024-07-01T09:00"),  # sex unknown: left out
        _ae(5, 3, "2025-04-01T00:10"),  # after the year
    ],
    "op_appointments": [
        _op(1, 3, "2024-07-01", "110", True, "attended"),   # first, T&O: also MSK
        _op(2, 3, "2024-08-01", "110", False, "attended"),  # follow-up
        _op(3, 3, "2024-09-01", "110", False, "dna"),       # not attended: no activity
        _op(4, 4, "2024-07-01", "300", True, "attended"),   # first, not MSK
    ],
    "maternity": [{
        "patient_id": 4, "pregnancy_id": 1, "booking_date": _d("2024-04-10"),
        "gestation_at_booking_weeks": 10, "smoking_at_booking": False,
        "smoking_at_delivery": False, "delivery_date": _d("2024-11-20"),
        "gestation_at_birth_weeks": 40, "birthweight_grams": 3400, "outcome": "live_birth"}],
    "mh_referrals": [{
        "patient_id": 3, "referral_id": 1, "service": "adult_community",
        "referral_date": _d("2024-12-01"), "first_contact_date": None,
        "discharge_date": None}],
    "cancer_pathways": [
        {"patient_id": 2, "pathway_id": 1, "provider_code": "RC9",
         "route": "urgent_suspected_cancer", "referral_date": _d("2024-10-10"),
         "tumour_group": "breast", "faster_diagnosis_date": None, "outcome": None,
         "decision_to_treat_date": None, "first_treatment_date": None},
        {"patient_id": 2, "pathway_id": 2, "provider_code": "RC9",
         "route": "consultant_upgrade", "referral_date": _d("2024-11-01"),
         "tumour_group": "breast", "faster_diagnosis_date": None, "outcome": None,
         "decision_to_treat_date": None, "first_treatment_date": None}],
    "community_contacts": [{
        "patient_id": 1, "contact_id": 1, "service": "virtual_ward",
        "start_date": _d("2024-08-21"), "end_date": _d("2024-08-25"),
        "within_2_hours": None}],
}


def demand_lake(folder: Path) -> Path:
    """Write the spec's lake into `folder`."""
    make_lake(folder, PEOPLE, [], reference_date=DAY)
    for name, rows in TABLES_ROWS.items():
        write_table(folder, name, pa.Table.from_pylist(rows, schema=TABLES[name].schema))
    return folder
