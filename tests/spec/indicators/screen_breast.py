"""SCREEN_BREAST: breast cancer screening coverage, women aged 53-70.

Of the women aged 53 to 70 registered on the period end (excluding those whose screening was
ceased), the percentage with an adequate breast screen in the 36 months to the period end."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, screening

INDICATOR = "SCREEN_BREAST"
SOURCE = ("OHID Fingertips / PHOF indicator C24a (22001) 'Cancer screening coverage: breast "
          "cancer' (women aged 53-70 screened adequately within the previous 3 years; "
          "https://fingertips.phe.org.uk/search/breast%20cancer%20screening), with the NHS "
          "Breast Screening Programme coverage KPI (NHS England, 'NHS screening programmes: KPI "
          "reports', https://www.gov.uk/government/collections/"
          "nhs-screening-programmes-national-data-reporting)")


def mammogram(pid, date, result="normal"):
    return screening(pid, date, "breast", result=result)


def ceased(pid, date):
    return screening(pid, date, "breast", event="ceased", result=None)


# 36 months to 31 March 2025: after 31 March 2022, up to and including 31 March 2025.
CASES = [
    Case("An adequate screen in the 36 months counts; no screen is in the denominator only",
         [patient(1), patient(2)], [mammogram(1, "2024-06-01")], Expect(1, 2, 50.0)),
    Case("The 36 months start the day after the same date three years earlier: a screen on "
         "31 March 2022 is outside the window for 31 March 2025, one on 1 April 2022 inside",
         [patient(1), patient(2)], [mammogram(1, "2022-03-31"), mammogram(2, "2022-04-01")],
         Expect(1, 2, 50.0)),
    Case("Women only: a screened man aged 65 is in neither count",
         [patient(1, sex="male"), patient(2)],
         [mammogram(1, "2024-06-01"), mammogram(2, "2024-06-01")], Expect(1, 1, 100.0)),
    Case("Aged 53 or over on the period end (from the month of birth): born March 1972 is 53 "
         "on 31 March 2025 and counts, born April 1972 is 52 and does not",
         [patient(1, born="1972-03-01"), patient(2, born="1972-04-01")],
         [mammogram(1, "2024-06-01"), mammogram(2, "2024-06-01")], Expect(1, 1, 100.0)),
    Case("Aged 70 or under on the period end: born April 1954 is 70 on 31 March 2025 and "
         "counts, born March 1954 is 71 and does not",
         [patient(1, born="1954-04-01"), patient(2, born="1954-03-01")],
         [mammogram(1, "2024-06-01"), mammogram(2, "2024-06-01")], Expect(1, 1, 100.0)),
    Case("Screening ceased by the period end removes the woman from the denominator (even if "
         "screened); ceased after the period end does not",
         [patient(1), patient(2), patient(3)],
         [ceased(1, "2020-01-01"), mammogram(1, "2024-06-01"), mammogram(2, "2024-06-01"),
          ceased(3, "2025-05-01")], Expect(1, 2, 50.0)),
    Case("An abnormal result (referred for assessment) is an adequate screen; an invitation "
         "alone is not", [patient(1), patient(2)],
         [mammogram(1, "2024-06-01", result="abnormal"),
          screening(2, "2024-06-01", "breast", event="invited", result=None)],
         Expect(1, 2, 50.0)),
    Case("Each woman counts once however many screens she had; a bowel screen does not count",
         [patient(1), patient(2)],
         [mammogram(1, "2022-06-01"), mammogram(1, "2024-06-01"),
          screening(2, "2024-06-01", "bowel")], Expect(1, 2, 50.0)),
    Case("Only women registered and alive on the period end: deregistered or died before, or "
         "registered after, are out; leaving after the period end is in",
         [patient(1, registration_end="2025-01-01"),
          patient(2, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(3, registration_start="2025-04-01"), patient(4, registration_end="2025-04-30")],
         [mammogram(i, "2024-06-01") for i in (1, 2, 3, 4)], Expect(1, 1, 100.0)),
    Case("Each month looks back 36 months from its own end: a screen on 15 April 2022 counts "
         "on 31 March 2025 (window from 1 April 2022), not on 30 April 2025 (from 1 May 2022); "
         "a screen on 10 April 2025 counts only from April",
         [patient(1), patient(2)], [mammogram(1, "2022-04-15"), mammogram(2, "2025-04-10")],
         expect={"2025-03-31": Expect(1, 2, 50.0), "2025-04-30": Expect(1, 2, 50.0),
                 "2025-05-31": Expect(1, 2, 50.0)}),
]
