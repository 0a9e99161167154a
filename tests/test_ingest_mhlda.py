"""Validation of the autism assessment and mental health placement tables: each bad row is
refused with a named reason (dates in order, fields that come together)."""

from __future__ import annotations

import datetime as dt

import pytest

from icsight.ingest.validate import (
    OAP_REASON_MISMATCH,
    OUTCOME_WITHOUT_DATE,
    check_values,
    date_problem,
)

TODAY = dt.date(2026, 11, 22)
ROWS = {
    "autism_referrals": {"referral_id": "1", "referral_date": "2024-01-10",
                         "first_appointment_date": "2025-02-01", "outcome_date": "2025-04-01",
                         "outcome": "autism"},
    "mh_admissions": {"admission_id": "1", "provider_code": "RWR",
                      "admission_date": "2025-03-01", "discharge_date": "2025-03-11",
                      "bed_type": "adult_acute", "out_of_area": "true",
                      "oap_reason": "bed_unavailable"},
}
VALID = [
    ("autism_referrals", {}),
    ("autism_referrals", {"first_appointment_date": None, "outcome_date": None,
                          "outcome": None}),  # still waiting
    ("autism_referrals", {"first_appointment_date": None,
                          "outcome": "closed_without_assessment"}),  # closed unseen
    ("mh_admissions", {}),
    ("mh_admissions", {"out_of_area": "false", "oap_reason": None, "provider_code": "RWK"}),
    ("mh_admissions", {"discharge_date": None}),  # still placed
    ("mh_admissions", {"admission_date": "2025-03-11"}),  # same-day discharge
]
REFUSED = [
    ("autism_referrals", {"first_appointment_date": "2024-01-09"}, "first_appointment_date",
     "is before referral_date"),
    ("autism_referrals", {"outcome_date": "2025-01-31"}, "outcome_date",
     "is before first_appointment_date"),
    ("autism_referrals", {"outcome": None}, "outcome", OUTCOME_WITHOUT_DATE),
    ("autism_referrals", {"outcome_date": None}, "outcome_date", OUTCOME_WITHOUT_DATE),
    ("autism_referrals", {"outcome": "adhd"}, "outcome", "is not one of"),
    ("autism_referrals", {"referral_date": None}, "referral_date", "is required"),
    ("mh_admissions", {"discharge_date": "2025-02-28"}, "discharge_date",
     "is before admission_date"),
    ("mh_admissions", {"oap_reason": None}, "oap_reason", OAP_REASON_MISMATCH),
    ("mh_admissions", {"out_of_area": "false"}, "oap_reason", OAP_REASON_MISMATCH),
    ("mh_admissions", {"oap_reason": "no_bed"}, "oap_reason", "is not one of"),
    ("mh_admissions", {"bed_type": "ward"}, "bed_type", "is not one of"),
    ("mh_admissions", {"out_of_area": None, "oap_reason": None}, "out_of_area", "is required"),
]


@pytest.mark.parametrize(("table", "change"), VALID)
def test_valid_rows_pass(table, change):
    assert check_values(table, ROWS[table] | change, TODAY)[1] == []


@pytest.mark.parametrize(("table", "change", "field", "reason"), REFUSED)
def test_a_bad_row_is_refused_with_a_named_reason(table, change, field, reason):
    _, problems = check_values(table, ROWS[table] | change, TODAY)
    assert [f for f, _ in problems] == [field]
    assert reason in problems[0][1]


def test_a_first_appointment_after_death_is_refused():
    typed, problems = check_values("autism_referrals", ROWS["autism_referrals"], TODAY)
    assert problems == []
    field, reason = date_problem(typed, dt.date(2000, 1, 1), dt.date(2024, 12, 31))
    assert field in ("first_appointment_date", "outcome_date") and "after the person died" in \
        reason
