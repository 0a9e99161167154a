"""AUTISM_13WK: autism assessment, first appointment within 13 weeks of referral.

Of referrals for suspected autism whose first appointment (first attended care contact) was in
the calendar month that ends on the period end, the percentage whose first appointment came 13
weeks or less after the referral: 13 weeks is 91 days, and day 91 is within. Every referral
counts (a person with two referrals is two); a referral still waiting for its first appointment
is in neither count; a long wait seen this month is in the denominator. Age for the age bands
is age at the first appointment (whole years, month of birth as the 1st)."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import autism_referral, patient

INDICATOR = "AUTISM_13WK"
SOURCE = ("NHS England Autism Waiting Time Statistics (from the Mental Health Services Data "
          "Set: referrals with reason 25 'suspected autism', the time in days from referral to "
          "the first attended care contact, '13 weeks or less'; https://digital.nhs.uk/data-"
          "and-information/publications/statistical/autism-statistics), read on the first "
          "appointments in the reporting month as the catalogue states; NICE CG128 and CG142 "
          "(a diagnostic assessment to start within 3 months of referral)")

CASES = [
    Case("Exactly 13 weeks counts: referred 16 December 2024, first seen 17 March 2025 (91 "
         "days); referred 15 December 2024, seen the same day (92 days) does not",
         [patient(1), patient(2)],
         [autism_referral(1, "2024-12-16", "2025-03-17"),
          autism_referral(2, "2024-12-15", "2025-03-17")], Expect(1, 2, 50.0)),
    Case("The first appointment's date places a referral in the month: seen on 1 March and 31 "
         "March 2025 count; seen on 28 February or 1 April does not; a referral of 5 March "
         "still waiting is in neither count",
         [patient(1), patient(2), patient(3), patient(4), patient(5)],
         [autism_referral(1, "2025-01-01", "2025-03-01"),
          autism_referral(2, "2024-01-01", "2025-03-31"),
          autism_referral(3, "2025-01-01", "2025-02-28"),
          autism_referral(4, "2025-01-01", "2025-04-01"),
          autism_referral(5, "2025-03-05")], Expect(1, 2, 50.0)),
    Case("A two-year wait seen this month is in the denominator only; a referral seen the day "
         "it was made (0 days) is within 13 weeks",
         [patient(1), patient(2)],
         [autism_referral(1, "2023-03-01", "2025-03-10", "2025-05-01", "autism"),
          autism_referral(2, "2025-03-10", "2025-03-10")], Expect(1, 2, 50.0)),
    Case("Every referral counts: one person with two referrals first seen in the month, one "
         "after 30 days and one after 200 days, is 2 referrals, 1 within 13 weeks",
         [patient(1)],
         [autism_referral(1, "2025-02-05", "2025-03-07"),
          autism_referral(1, "2024-08-20", "2025-03-08")], Expect(1, 2, 50.0)),
    Case("A first appointment counts even if the person died or left before the period end "
         "(the denominator is the appointments, not the period-end list)",
         [patient(1, date_of_death="2025-03-20", registration_end="2025-03-20"),
          patient(2, registration_end="2025-03-25")],
         [autism_referral(1, "2025-02-01", "2025-03-10"),
          autism_referral(2, "2024-02-01", "2025-03-12")], Expect(1, 2, 50.0)),
    Case("Each month counts its own first appointments: seen in February (within 13 weeks) "
         "counts for February, seen in March (after a year) for March",
         [patient(1), patient(2)],
         [autism_referral(1, "2025-01-10", "2025-02-14"),
          autism_referral(2, "2024-03-01", "2025-03-14")],
         expect={"2025-02-28": Expect(1, 1, 100.0), "2025-03-31": Expect(0, 1, 0.0)}),
    Case("Breakdown by age band uses age at the first appointment: born June 2007 is 17 when "
         "seen on 10 March 2025 (0-17, within 13 weeks); born March 2007 is 18 then (18-39)",
         [patient(1, born="2007-06-01"), patient(2, born="2007-03-01")],
         [autism_referral(1, "2025-02-01", "2025-03-10"),
          autism_referral(2, "2024-02-01", "2025-03-10")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="0-17"),
]
