"""HPV_BY_14: HPV vaccination by age 14.

Of the people aged 14 (whole years on the period end, from the month of birth) registered on
the period end, girls and boys alike, the percentage with at least one HPV vaccination
recorded on or before the period end, at any age."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, vaccination

INDICATOR = "HPV_BY_14"
SOURCE = ("UKHSA 'Human papillomavirus (HPV) vaccination coverage in adolescents in England' "
          "annual reports (https://www.gov.uk/government/collections/"
          "vaccine-uptake#hpv-vaccine-uptake): HPV is offered to girls and boys in school Year 8 "
          "(one dose from September 2023), with catch-up to Year 10, and coverage is at least "
          "one dose by the cohort's age; OHID Fingertips 'Population vaccination coverage: HPV "
          "vaccination coverage for one dose (12 to 13 year old)'. "
          "UKHSA counts school-year cohorts; this registered-list measure (the catalogue's own "
          "definition, no public equivalent) counts people aged 14 on the period end, "
          "with age in whole years from the 1st of the month of birth (docs/indicators.md)")

AGE_14 = "2010-06-01"  # 14 on 31 March 2025


def hpv(pid, date):
    return vaccination(pid, date, "hpv")


CASES = [
    Case("A 14-year-old with an HPV vaccination counts; one without is in the denominator only",
         [patient(1, born=AGE_14), patient(2, born=AGE_14)], [hpv(1, "2023-01-10")],
         Expect(1, 2, 50.0)),
    Case("Girls and boys are both eligible: a vaccinated boy counts",
         [patient(1, born=AGE_14, sex="male"), patient(2, born=AGE_14)],
         [hpv(1, "2023-01-10")], Expect(1, 2, 50.0)),
    Case("Aged exactly 14 on the period end (from the month of birth): born March 2011 and "
         "April 2010 are 14 on 31 March 2025; born April 2011 (13) and March 2010 (15) are out",
         [patient(1, born="2011-03-01"), patient(2, born="2010-04-01"),
          patient(3, born="2011-04-01"), patient(4, born="2010-03-01")],
         [hpv(i, "2024-01-10") for i in (1, 2, 3, 4)], Expect(2, 2, 100.0)),
    Case("A vaccination at any earlier age counts (given at 12 in Year 8); one after the "
         "period end does not count on it",
         [patient(1, born=AGE_14), patient(2, born=AGE_14)],
         [hpv(1, "2022-11-01"), hpv(2, "2025-04-10")], Expect(1, 2, 50.0)),
    Case("Each person counts once whatever the number of doses; other vaccines do not count",
         [patient(1, born=AGE_14), patient(2, born=AGE_14)],
         [hpv(1, "2023-01-10"), vaccination(1, "2023-07-10", "hpv", dose_number=2),
          vaccination(2, "2024-10-01", "influenza")], Expect(1, 2, 50.0)),
    Case("Only people registered and alive on the period end: deregistered before or "
         "registered after are out; leaving after the period end is in",
         [patient(1, born=AGE_14, registration_end="2025-01-01"),
          patient(2, born=AGE_14, registration_start="2025-04-01"),
          patient(3, born=AGE_14, registration_end="2025-04-30")],
         [hpv(i, "2023-01-10") for i in (1, 2, 3)], Expect(1, 1, 100.0)),
    Case("Each month takes the 14-year-olds of its own end: born April 2011 (vaccinated) "
         "joins on 30 April 2025; born April 2010 (not vaccinated) turns 15 and leaves",
         [patient(1, born="2011-04-01"), patient(2, born="2010-04-01")],
         [hpv(1, "2024-01-10")],
         expect={"2025-03-31": Expect(0, 1, 0.0), "2025-04-30": Expect(1, 1, 100.0)}),
]
