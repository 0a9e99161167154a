"""SCREEN_BOWEL: bowel cancer screening coverage, people aged 60-74.

Of the people aged 60 to 74 registered on the period end (excluding anyone whose screening
was ceased for clinical reasons), the percentage adequately screened (an adequate FIT result,
normal or abnormal) in the 30 months to the period end."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, screening

INDICATOR = "SCREEN_BOWEL"
SOURCE = ("OHID Fingertips / PHOF indicator C24d (91720) 'Cancer screening coverage: bowel "
          "cancer' (persons aged 60-74 adequately screened in the previous 30 months; "
          "https://fingertips.phe.org.uk/search/bowel%20cancer%20screening), with the NHS "
          "Bowel Cancer Screening Programme coverage KPI (NHS England, 'NHS screening "
          "programmes: KPI reports', https://www.gov.uk/government/collections/"
          "nhs-screening-programmes-national-data-reporting)")


def fit(pid, date, result="normal"):
    return screening(pid, date, "bowel", result=result)


def ceased(pid, date):
    return screening(pid, date, "bowel", event="ceased", result=None)


# 30 months to 31 March 2025: after 30 September 2022, up to and including 31 March 2025.
CASES = [
    Case("An adequate screen in the 30 months counts; no screen is in the denominator only",
         [patient(1), patient(2)], [fit(1, "2024-06-01")], Expect(1, 2, 50.0)),
    Case("The 30 months start the day after the same date 30 months earlier: a screen on "
         "30 September 2022 is outside the window for 31 March 2025, one on 1 October 2022 "
         "inside", [patient(1), patient(2)], [fit(1, "2022-09-30"), fit(2, "2022-10-01")],
         Expect(1, 2, 50.0)),
    Case("An abnormal FIT result (referred on) is an adequate screen and counts",
         [patient(1)], [fit(1, "2024-06-01", result="abnormal")], Expect(1, 1, 100.0)),
    Case("Aged 60 or over on the period end (from the month of birth): born March 1965 is 60 "
         "on 31 March 2025 and counts, born April 1965 is 59 and does not",
         [patient(1, born="1965-03-01"), patient(2, born="1965-04-01")],
         [fit(1, "2024-06-01"), fit(2, "2024-06-01")], Expect(1, 1, 100.0)),
    Case("Aged 74 or under on the period end: born April 1950 is 74 on 31 March 2025 and "
         "counts, born March 1950 is 75 and does not",
         [patient(1, born="1950-04-01"), patient(2, born="1950-03-01")],
         [fit(1, "2024-06-01"), fit(2, "2024-06-01")], Expect(1, 1, 100.0)),
    Case("Men and women are both eligible: a screened man and an unscreened woman give 1 of 2",
         [patient(1, sex="male"), patient(2)], [fit(1, "2024-06-01")], Expect(1, 2, 50.0)),
    Case("Screening ceased for clinical reasons by the period end removes the person from the "
         "denominator (even if screened); ceased after the period end does not",
         [patient(1), patient(2), patient(3)],
         [ceased(1, "2020-01-01"), fit(1, "2024-06-01"), fit(2, "2024-06-01"),
          ceased(3, "2025-05-01")], Expect(1, 2, 50.0)),
    Case("An invitation without a test is not a screen",
         [patient(1)], [screening(1, "2024-06-01", "bowel", event="invited", result=None)],
         Expect(0, 1, 0.0)),
    Case("Each person counts once however many screens they had, and screens in other "
         "programmes do not count", [patient(1), patient(2)],
         [fit(1, "2023-01-01"), fit(1, "2024-06-01"), screening(2, "2024-06-01", "breast")],
         Expect(1, 2, 50.0)),
    Case("A screen after the period end does not count on it",
         [patient(1)], [fit(1, "2025-04-10")], Expect(0, 1, 0.0)),
    Case("Only people registered and alive on the period end: deregistered or died before, "
         "or registered after, are out; leaving after the period end is in",
         [patient(1, registration_end="2025-01-01"),
          patient(2, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(3, registration_start="2025-04-01"), patient(4, registration_end="2025-04-30")],
         [fit(i, "2024-06-01") for i in (1, 2, 3, 4)], Expect(1, 1, 100.0)),
    Case("Each month looks back 30 months from its own end: a screen on 15 October 2022 counts "
         "on 31 March 2025 (window from 1 October 2022), not on 30 April 2025 (from 31 October "
         "2022)", [patient(1)], [fit(1, "2022-10-15")],
         expect={"2025-03-31": Expect(1, 1, 100.0), "2025-04-30": Expect(0, 1, 0.0)}),
    Case("Someone born April 1965 enters the denominator in April 2025, when they turn 60, "
         "with the screen they already had",
         [patient(1, born="1965-04-01")], [fit(1, "2024-01-01")],
         expect={"2025-03-31": Expect(0, 0), "2025-04-30": Expect(1, 1, 100.0)}),
]
