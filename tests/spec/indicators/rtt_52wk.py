"""RTT_52WK: incomplete referral-to-treatment pathways waiting more than 52 weeks.

Of the consultant-led RTT pathways still open on the period end (clock started on or before
it and not stopped by it), the percentage whose wait so far (period end minus clock start, in
days) is more than 52 weeks (more than 364 days). Pathways are counted, not people."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import pathway, patient

INDICATOR = "RTT_52WK"
SOURCE = ("NHS England Consultant-led Referral to Treatment Waiting Times statistics and "
          "'Recording and reporting referral to treatment (RTT) waiting times for consultant-led "
          "elective care' (incomplete pathways at the month end, 'over 52 weeks' = the weekly "
          "bands from >52-53 weeks; "
          "https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/); "
          "2025/26 priorities and operational planning guidance: under 1% waiting over 52 "
          "weeks")

CASES = [
    Case("Waited exactly 52 weeks (364 days, clock start 1 April 2024) is not over 52 weeks "
         "on 31 March 2025; 365 days (clock start 31 March 2024) is",
         [patient(1), patient(2)],
         [pathway(1, "2024-04-01"), pathway(2, "2024-03-31")],
         Expect(1, 2, 50.0)),
    Case("Only incomplete pathways count: a long wait whose clock stopped on the period end "
         "is off the list; one stopped the day after was still waiting",
         [patient(1), patient(2), patient(3)],
         [pathway(1, "2023-06-01", "2025-03-31", status="admitted"),
          pathway(2, "2023-06-01", "2025-04-01", status="non_admitted"),
          pathway(3, "2025-02-01")],
         Expect(1, 2, 50.0)),
    Case("A clock starting after the period end is not on the list",
         [patient(1), patient(2)],
         [pathway(1, "2023-01-01"), pathway(2, "2025-04-15")],
         Expect(1, 1, 100.0)),
    Case("Pathways are counted, not people: one patient with a 62-week and a 5-week pathway "
         "counts twice, once in the numerator",
         [patient(1)],
         [pathway(1, "2024-01-22", treatment_function="110"),
          pathway(1, "2025-02-24", treatment_function="101")],
         Expect(1, 2, 50.0)),
    Case("Each month end is its own census: a clock started 1 March 2024 has waited 364 days "
         "on 28 February 2025 (not over) and 395 days on 31 March 2025 (over)",
         [patient(1), patient(2)],
         [pathway(1, "2024-03-01"), pathway(2, "2025-01-15")],
         expect={"2025-02-28": Expect(0, 2, 0.0), "2025-03-31": Expect(1, 2, 50.0)}),
    Case("Breakdown by age band, age in whole years on the period end from the month of "
         "birth: born April 2007 is 17 on 31 March 2025 and is in 0-17",
         [patient(1, born="2007-04-01"), patient(2, born="1960-01-01")],
         [pathway(1, "2023-12-01"), pathway(2, "2024-10-01")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="0-17"),
]
