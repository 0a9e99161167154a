"""MSK_REF_RATE: MSK referrals seen, first outpatient attendances per 1,000.

First attended outpatient appointments in trauma and orthopaedics (treatment function 110) or
rheumatology (410) in the 12 months to the period end, each attendance counted, of people
registered with a practice at the attendance, per 1,000 people registered on the period end."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import appointment, patient

INDICATOR = "MSK_REF_RATE"
SOURCE = ("No published indicator applies: the project's documented decision "
          "(docs/indicators.md, 'MSK referrals') that first attended outpatient appointments "
          "in trauma and orthopaedics and rheumatology stand in for MSK referrals seen, with "
          "treatment function codes 110 and 410 from the NHS Data Dictionary "
          "(https://www.datadictionary.nhs.uk/attributes/treatment_function_code.html), "
          "counted as SUS+/HES Outpatients activity rates are: every attendance in the period "
          "of people registered at the attendance, over the registered population on the "
          "period end")


def seen(pid, date, function="110", first=True, attended="attended"):
    return appointment(pid, date, treatment_function=function, first=first, attended=attended)


CASES = [
    Case("First attendances in trauma and orthopaedics and in rheumatology count, per 1,000 "
         "people registered: 2 attendances among 4 people is 500 per 1,000",
         [patient(1), patient(2), patient(3), patient(4)],
         [seen(1, "2024-11-01"), seen(2, "2025-01-15", "410")], Expect(2, 4, 500.0)),
    Case("Follow-ups, missed (DNA) and cancelled appointments and other specialties "
         "(physiotherapy 650, general surgery 100) do not count",
         [patient(1), patient(2)],
         [seen(1, "2024-11-01", first=False), seen(1, "2024-12-01", attended="dna"),
          seen(1, "2025-01-01", attended="cancelled"), seen(2, "2024-11-01", "650"),
          seen(2, "2024-12-01", "100")], Expect(0, 2, 0.0)),
    Case("Every first attendance counts, not every person: two on one day (T&O and "
         "rheumatology) and one later are 3 for 1 person, 3,000 per 1,000",
         [patient(1)],
         [seen(1, "2024-10-01"), seen(1, "2024-10-01", "410"), seen(1, "2025-02-01")],
         Expect(3, 1, 3000.0)),
    Case("The 12 months start the day after the same date a year earlier: for 31 March 2025 "
         "attendances on 31 March 2024 and 1 April 2025 are out, 1 April 2024 and 31 March "
         "2025 in", [patient(1)],
         [seen(1, "2024-03-31"), seen(1, "2024-04-01"), seen(1, "2025-03-31"),
          seen(1, "2025-04-01")], Expect(2, 1, 2000.0)),
    Case("The denominator is everyone registered on the period end, of any age: a child "
         "counts; someone who left before it does not",
         [patient(1, born="2019-06-01"), patient(2), patient(3, registration_end="2024-12-01")],
         [seen(1, "2024-11-01")], Expect(1, 2, 500.0)),
    Case("An attendance counts if the person was registered then, even if they died or left "
         "before the period end (they are out of the period-end denominator)",
         [patient(1, date_of_death="2025-01-10", registration_end="2025-01-10"),
          patient(2, registration_end="2024-12-01"), patient(3)],
         [seen(1, "2024-06-01"), seen(2, "2024-06-01")], Expect(2, 1, 2000.0)),
    Case("An attendance before the person joined the practice is not counted for it (they "
         "were not registered with it at the attendance)",
         [patient(1, registration_start="2024-10-01")], [seen(1, "2024-06-01")],
         Expect(0, 1, 0.0)),
    Case("Each month looks back 12 months from its own end: an attendance on 15 April 2024 "
         "counts on 31 March 2025, not on 30 April 2025",
         [patient(1), patient(2)], [seen(1, "2024-04-15")],
         expect={"2025-03-31": Expect(1, 2, 500.0), "2025-04-30": Expect(0, 2, 0.0)}),
]
