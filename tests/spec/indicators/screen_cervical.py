"""SCREEN_CERVICAL: cervical screening coverage, women aged 25-64, age-appropriate.

Of the women aged 25 to 64 registered on the period end (excluding those whose screening was
ceased), the percentage adequately screened within 3.5 years if aged 25-49, or within 5.5
years if aged 50-64 (ages on the period end)."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, screening

INDICATOR = "SCREEN_CERVICAL"
SOURCE = ("OHID Fingertips / PHOF indicators C24b (93560) 'Cancer screening coverage: cervical "
          "cancer (aged 25 to 49 years old)', adequately screened in the previous 3.5 years, and "
          "C24c (93561) 'Cancer screening coverage: cervical cancer (aged 50 to 64 years old)', "
          "in the previous 5.5 years (https://fingertips.phe.org.uk/search/cervical); NHS "
          "Digital 'Cervical Screening Programme, England' coverage definition "
          "(https://digital.nhs.uk/data-and-information/publications/statistical/"
          "cervical-screening-annual)")

YOUNG, OLDER = "1990-01-01", "1970-01-01"  # 35 and 55 on 31 March 2025


def smear(pid, date, result="hpv_negative"):
    return screening(pid, date, "cervical", result=result)


def ceased(pid, date):
    return screening(pid, date, "cervical", event="ceased", result=None)


# On 31 March 2025: 3.5 years is after 30 September 2021; 5.5 years after 30 September 2019.
CASES = [
    Case("A woman aged 25-49 counts with an adequate test in the 3.5 years: from 1 October "
         "2021 for 31 March 2025; a test on 30 September 2021 is too old",
         [patient(1, born=YOUNG), patient(2, born=YOUNG)],
         [smear(1, "2021-09-30"), smear(2, "2021-10-01")], Expect(1, 2, 50.0)),
    Case("A woman aged 50-64 counts with an adequate test in the 5.5 years: from 1 October "
         "2019 for 31 March 2025; a test on 30 September 2019 is too old",
         [patient(1, born=OLDER), patient(2, born=OLDER)],
         [smear(1, "2019-09-30"), smear(2, "2019-10-01")], Expect(1, 2, 50.0)),
    Case("The look-back follows age on the period end: a test in June 2020 (4.8 years before) "
         "counts for a woman born March 1975 (50), not for one born April 1975 (49)",
         [patient(1, born="1975-03-01"), patient(2, born="1975-04-01")],
         [smear(1, "2020-06-01"), smear(2, "2020-06-01")], Expect(1, 2, 50.0)),
    Case("Aged 25-64 on the period end: born March 2000 (25) and April 1960 (64) are in, born "
         "April 2000 (24) and March 1960 (65) are out",
         [patient(1, born="2000-03-01"), patient(2, born="1960-04-01"),
          patient(3, born="2000-04-01"), patient(4, born="1960-03-01")],
         [smear(i, "2024-06-01") for i in (1, 2, 3, 4)], Expect(2, 2, 100.0)),
    Case("Women only: a man aged 35 with a test is in neither count",
         [patient(1, born=YOUNG, sex="male"), patient(2, born=YOUNG)],
         [smear(1, "2024-06-01")], Expect(0, 1, 0.0)),
    Case("Screening ceased by the period end removes the woman from the denominator; ceased "
         "after the period end does not",
         [patient(1, born=OLDER), patient(2, born=OLDER), patient(3, born=OLDER)],
         [ceased(1, "2020-01-01"), smear(1, "2024-06-01"), smear(2, "2024-06-01"),
          ceased(3, "2025-05-01")], Expect(1, 2, 50.0)),
    Case("Any adequate result counts (HPV negative, HPV positive, abnormal); an invitation "
         "alone does not",
         [patient(i, born=YOUNG) for i in (1, 2, 3, 4)],
         [smear(1, "2024-06-01"), smear(2, "2024-06-01", "hpv_positive"),
          smear(3, "2024-06-01", "abnormal"),
          screening(4, "2024-06-01", "cervical", event="invited", result=None)],
         Expect(3, 4, 75.0)),
    Case("Only women registered and alive on the period end: deregistered or died before, or "
         "registered after, are out; leaving after the period end is in",
         [patient(1, born=YOUNG, registration_end="2025-01-01"),
          patient(2, born=YOUNG, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(3, born=YOUNG, registration_start="2025-04-01"),
          patient(4, born=YOUNG, registration_end="2025-04-30")],
         [smear(i, "2024-06-01") for i in (1, 2, 3, 4)], Expect(1, 1, 100.0)),
    Case("Each month looks back from its own end: a 35-year-old's test on 15 October 2021 "
         "counts on 31 March 2025, not on 30 April 2025 (window from 31 October 2021)",
         [patient(1, born=YOUNG)], [smear(1, "2021-10-15")],
         expect={"2025-03-31": Expect(1, 1, 100.0), "2025-04-30": Expect(0, 1, 0.0)}),
    Case("Turning 50 lengthens the look-back: born April 1975 with a test in June 2020 is "
         "not covered at 49 on 31 March 2025, and covered at 50 on 30 April 2025",
         [patient(1, born="1975-04-01")], [smear(1, "2020-06-01")],
         expect={"2025-03-31": Expect(0, 1, 0.0), "2025-04-30": Expect(1, 1, 100.0)}),
]
