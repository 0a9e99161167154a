"""Rows of the canonical tables for hand-made spec lakes, with plain defaults.

Each builder takes the fields a rule is about and fills the rest with unremarkable values, so a
spec reads as its rule: `spell(1, "2025-01-10", method="emergency", diagnosis="I500")`. Dates
are ISO strings; times are "YYYY-MM-DD HH:MM". Patient ids are local to a case: the harness
gives each case its own range of ids and its own practice.
"""

from __future__ import annotations

import datetime as dt
import itertools

from tests.lakes import LSOA, PRACTICE, event, patient

__all__ = [
    "LSOA",
    "PRACTICE",
    "appointment",
    "attendance",
    "autism_referral",
    "cancer",
    "cancer_pathway",
    "contact",
    "death",
    "event",
    "medication",
    "mh_admission",
    "mh_referral",
    "pathway",
    "patient",
    "pregnancy",
    "screening",
    "spell",
    "vaccination",
]

_ids = itertools.count(1)


def _record(table: str):
    """Tag a builder's rows with their table, for `harness.Case.records`."""
    def wrap(builder):
        def build(*args, **kwargs) -> dict:
            return {"_table": table, **builder(*args, **kwargs)}
        build.__doc__, build.__name__ = builder.__doc__, builder.__name__
        return build
    return wrap


def _day(value: str | dt.date | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _time(value: str | dt.datetime) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


@_record("medications")
def medication(pid: int, date: str, dmd_code: str, bnf_code: str | None = None,
               quantity: float | None = 1) -> dict:
    return {"patient_id": pid, "date": _day(date), "dmd_code": dmd_code, "bnf_code": bnf_code,
            "quantity": quantity}


@_record("vaccinations")
def vaccination(pid: int, date: str, vaccine: str, snomed_code: str = "0",
                dose_number: int | None = 1) -> dict:
    return {"patient_id": pid, "date": _day(date), "vaccine": vaccine,
            "snomed_code": snomed_code, "dose_number": dose_number}


@_record("screening")
def screening(pid: int, date: str, programme: str, event: str = "tested",
              result: str | None = "normal") -> dict:
    return {"patient_id": pid, "programme": programme, "event": event, "date": _day(date),
            "result": result}


@_record("apc_spells")
def spell(pid: int, admitted: str, discharged: str | None = None, method: str = "emergency",
          diagnosis: str = "R069", classification: str = "ordinary",
          treatment_function: str = "300", provider: str = "RC9",
          procedure: str | None = None, destination: str | None = "usual_residence") -> dict:
    """An admitted patient care spell; discharged the same day unless given."""
    return {"patient_id": pid, "spell_id": next(_ids), "provider_code": provider,
            "admission_date": _day(admitted), "discharge_date": _day(discharged or admitted),
            "admission_method": method, "patient_classification": classification,
            "primary_diagnosis": diagnosis, "primary_procedure": procedure,
            "treatment_function": treatment_function, "discharge_destination": destination}


@_record("ec_attendances")
def attendance(pid: int, arrival: str, departure: str, department_type: str = "01",
               disposal: str = "discharged", acuity: int = 3, provider: str = "RC9",
               complaint: str | None = None) -> dict:
    """An emergency care attendance: arrival and departure as "YYYY-MM-DD HH:MM"."""
    return {"patient_id": pid, "attendance_id": next(_ids), "provider_code": provider,
            "department_type": department_type, "arrival": _time(arrival),
            "departure": _time(departure), "acuity": acuity, "disposal": disposal,
            "chief_complaint": complaint}


@_record("op_appointments")
def appointment(pid: int, date: str, treatment_function: str = "110", first: bool = True,
                attended: str = "attended", provider: str = "RC9") -> dict:
    return {"patient_id": pid, "appointment_id": next(_ids), "provider_code": provider,
            "appointment_date": _day(date), "treatment_function": treatment_function,
            "first_attendance": first, "attended": attended}


@_record("rtt_pathways")
def pathway(pid: int, clock_start: str, clock_stop: str | None = None, status: str = "waiting",
            treatment_function: str = "110", provider: str = "RC9",
            diagnostic_wait_start: str | None = None,
            diagnostic_test_date: str | None = None) -> dict:
    return {"patient_id": pid, "pathway_id": next(_ids), "provider_code": provider,
            "treatment_function": treatment_function, "clock_start": _day(clock_start),
            "clock_stop": _day(clock_stop), "status": status,
            "diagnostic_wait_start": _day(diagnostic_wait_start),
            "diagnostic_test_date": _day(diagnostic_test_date)}


@_record("maternity")
def pregnancy(pid: int, booking: str, gestation_at_booking: int = 10,
              smoking_at_booking: bool = False, smoking_at_delivery: bool | None = False,
              delivery: str | None = None, gestation_at_birth: int | None = 40,
              birthweight: int | None = 3400, outcome: str | None = "live_birth") -> dict:
    return {"patient_id": pid, "pregnancy_id": next(_ids), "booking_date": _day(booking),
            "gestation_at_booking_weeks": gestation_at_booking,
            "smoking_at_booking": smoking_at_booking,
            "smoking_at_delivery": smoking_at_delivery, "delivery_date": _day(delivery),
            "gestation_at_birth_weeks": gestation_at_birth if delivery else None,
            "birthweight_grams": birthweight if delivery else None,
            "outcome": outcome if delivery else None}


@_record("mh_referrals")
def mh_referral(pid: int, referred: str, service: str = "adult_community",
                first_contact: str | None = None, discharged: str | None = None) -> dict:
    return {"patient_id": pid, "referral_id": next(_ids), "service": service,
            "referral_date": _day(referred), "first_contact_date": _day(first_contact),
            "discharge_date": _day(discharged)}


@_record("community_contacts")
def contact(pid: int, start: str, service: str = "virtual_ward", end: str | None = None,
            within_2_hours: bool | None = None) -> dict:
    return {"patient_id": pid, "contact_id": next(_ids), "service": service,
            "start_date": _day(start), "end_date": _day(end),
            "within_2_hours": within_2_hours}


@_record("cancer_diagnoses")
def cancer(pid: int, diagnosed: str, site: str = "C18", stage: str = "2") -> dict:
    return {"patient_id": pid, "diagnosis_date": _day(diagnosed), "site": site,
            "stage": stage}


@_record("deaths")
def death(pid: int, date: str, cause: str = "I219", place: str = "hospital") -> dict:
    """A death registration. The patient's own `date_of_death` (and registration end) must be
    set to the same day: `patient(pid, date_of_death=..., registration_end=...)`."""
    return {"patient_id": pid, "date_of_death": _day(date), "underlying_cause": cause,
            "place_of_death": place}


# --- autism assessment and mental health inpatient placements (MHLDA) ----------------------


@_record("autism_referrals")
def autism_referral(pid: int, referred: str, first_appointment: str | None = None,
                    outcome_date: str | None = None, outcome: str | None = None) -> dict:
    """A referral for suspected autism, with its first appointment and outcome if any."""
    return {"patient_id": pid, "referral_id": next(_ids), "referral_date": _day(referred),
            "first_appointment_date": _day(first_appointment),
            "outcome_date": _day(outcome_date), "outcome": outcome}


@_record("mh_admissions")
def mh_admission(pid: int, admitted: str, discharged: str | None = None,
                 oap_reason: str | None = "bed_unavailable", bed_type: str = "adult_acute",
                 provider: str = "RWR") -> dict:
    """A mental health inpatient placement: an inappropriate out of area placement (no local
    bed) unless `oap_reason` says otherwise; `oap_reason=None` is a local placement."""
    return {"patient_id": pid, "admission_id": next(_ids), "provider_code": provider,
            "admission_date": _day(admitted), "discharge_date": _day(discharged),
            "bed_type": bed_type, "out_of_area": oap_reason is not None,
            "oap_reason": oap_reason}


# --- cancer waiting times (issue 10) ---------------------------------------------------------

@_record("cancer_pathways")
def cancer_pathway(pid: int, referred: str, route: str = "urgent_suspected_cancer",
                   told: str | None = None, outcome: str | None = None,
                   decision: str | None = None, treated: str | None = None,
                   tumour_group: str = "lower_gi", provider: str = "RC9") -> dict:
    """A cancer waiting time pathway: referral (clock start), the date the patient was told
    (diagnosis or cancer ruled out), decision to treat and first treatment. The outcome is
    `diagnosed` when a decision or treatment is given, else `ruled_out` when told."""
    if outcome is None and told is not None:
        outcome = "diagnosed" if decision or treated else "ruled_out"
    return {"patient_id": pid, "pathway_id": next(_ids), "provider_code": provider,
            "route": route, "referral_date": _day(referred), "tumour_group": tumour_group,
            "faster_diagnosis_date": _day(told), "outcome": outcome,
            "decision_to_treat_date": _day(decision), "first_treatment_date": _day(treated)}

