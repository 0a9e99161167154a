"""CANCER_EMERGENCY_PRESENTATION: cancers diagnosed as emergency presentations.

Of the new cancer diagnoses (registry) in the 12 months to the period end, the percentage made
after an emergency admission with a cancer primary diagnosis (ICD-10 C) in the 30 days up to
and including the diagnosis date. Each diagnosis (patient, date, site) counts once."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import cancer, patient, spell

INDICATOR = "CANCER_EMERGENCY_PRESENTATION"
SOURCE = ("NHS Digital / NDRS 'Routes to Diagnosis' (emergency presentation route, from cancer "
          "registrations linked to HES; https://digital.nhs.uk/ndrs/data/data-outputs/"
          "cancer-data-hub/routes-to-diagnosis); the linkage rule is the project's documented "
          "decision in docs/indicators.md ('Emergency presentations'): an emergency admission "
          "with a cancer primary diagnosis (ICD-10 C) in the 30 days up to and including the "
          "registry's diagnosis date")


def emergency(pid, date, diagnosis="C189"):
    return spell(pid, date, method="emergency", diagnosis=diagnosis)


# 12 months to 31 March 2025: after 31 March 2024, up to and including 31 March 2025.
CASES = [
    Case("A diagnosis after an emergency cancer admission 10 days earlier counts; a diagnosis "
         "with no admission is in the denominator only",
         [patient(1), patient(2)],
         [cancer(1, "2025-01-20"), emergency(1, "2025-01-10"), cancer(2, "2025-01-20")],
         Expect(1, 2, 50.0)),
    Case("The 30 days include the 30th day before diagnosis: an admission on 1 January 2025 "
         "counts for a diagnosis on 31 January 2025, one on 31 December 2024 does not",
         [patient(1), patient(2)],
         [cancer(1, "2025-01-31"), emergency(1, "2025-01-01"),
          cancer(2, "2025-01-31"), emergency(2, "2024-12-31")], Expect(1, 2, 50.0)),
    Case("An admission on the day of diagnosis counts; one the day after does not",
         [patient(1), patient(2)],
         [cancer(1, "2025-01-31"), emergency(1, "2025-01-31"),
          cancer(2, "2025-01-31"), emergency(2, "2025-02-01")], Expect(1, 2, 50.0)),
    Case("Only emergency admissions for cancer count: an elective admission for cancer and an "
         "emergency admission for abdominal pain (R104) do not",
         [patient(1), patient(2)],
         [cancer(1, "2025-01-31"), spell(1, "2025-01-20", method="elective", diagnosis="C189"),
          cancer(2, "2025-01-31"), emergency(2, "2025-01-20", diagnosis="R104")],
         Expect(0, 2, 0.0)),
    Case("Diagnoses in the 12 months: 31 March 2024 is outside the window for 31 March 2025, "
         "1 April 2024 inside", [patient(1), patient(2)],
         [cancer(1, "2024-03-31"), emergency(1, "2024-03-20"),
          cancer(2, "2024-04-01"), emergency(2, "2024-03-20")], Expect(1, 1, 100.0)),
    Case("Each diagnosis counts once: two emergency admissions before one cancer count once, "
         "and the same patient's second primary (lung, no admission) is a second diagnosis",
         [patient(1)],
         [cancer(1, "2025-01-31", site="C189"), emergency(1, "2025-01-10"),
          emergency(1, "2025-01-20"), cancer(1, "2024-06-01", site="C349")],
         Expect(1, 2, 50.0)),
    Case("Diagnoses of people who have since died count (the registry counts every new "
         "cancer)", [patient(1, date_of_death="2025-02-01", registration_end="2025-02-01")],
         [cancer(1, "2025-01-15"), emergency(1, "2025-01-10", diagnosis="C349")],
         Expect(1, 1, 100.0)),
    Case("Each month counts the diagnoses of its own 12 months: an emergency presentation on "
         "15 April 2024 counts on 31 March 2025, not on 30 April 2025, when a diagnosis of "
         "10 April 2025 (no admission) comes in",
         [patient(1), patient(2)],
         [cancer(1, "2024-04-15"), emergency(1, "2024-04-01"), cancer(2, "2025-04-10")],
         expect={"2025-03-31": Expect(1, 1, 100.0), "2025-04-30": Expect(0, 1, 0.0)}),
    Case("Age band is the age at diagnosis in whole years from the 1st of the month of birth: "
         "born April 1965 and diagnosed 15 March 2025 is 59 (40-59), born March 1965 is 60",
         [patient(1, born="1965-04-01"), patient(2, born="1965-03-01")],
         [cancer(1, "2025-03-15"), emergency(1, "2025-03-01"), cancer(2, "2025-03-15")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="40-59"),
]
