"""RTT_18WK: incomplete referral-to-treatment pathways waiting 18 weeks or less.

Of the consultant-led RTT pathways still open on the period end (clock started on or before
it and not stopped by it), the percentage whose wait so far (period end minus clock start, in
days) is 18 weeks (126 days) or less. Pathways are counted, not people."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import pathway, patient

INDICATOR = "RTT_18WK"
SOURCE = ("NHS England Consultant-led Referral to Treatment Waiting Times statistics and "
          "'Recording and reporting referral to treatment (RTT) waiting times for consultant-led "
          "elective care' (incomplete pathways at the month end, waiting time from clock start "
          "to the census date, 'within 18 weeks' = the weekly bands up to >17-18 weeks; "
          "https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/)")

CASES = [
    Case("Waited exactly 18 weeks (126 days, clock start 25 November 2024) is within 18 "
         "weeks on 31 March 2025; 127 days (clock start 24 November 2024) is not",
         [patient(1), patient(2)],
         [pathway(1, "2024-11-25"), pathway(2, "2024-11-24")],
         Expect(1, 2, 50.0)),
    Case("Only incomplete pathways count: a clock stopped on or before the period end is off "
         "the list; one stopped the day after was still waiting on the period end",
         [patient(1), patient(2), patient(3)],
         [pathway(1, "2025-01-10", "2025-03-31", status="admitted"),
          pathway(2, "2024-06-01", "2025-02-01", status="non_admitted"),
          pathway(3, "2025-01-10", "2025-04-01", status="admitted")],
         Expect(1, 1, 100.0)),
    Case("A clock starting on the period end is on the list with a wait of 0 days; one "
         "starting after it is not",
         [patient(1), patient(2)],
         [pathway(1, "2025-03-31"), pathway(2, "2025-04-01")],
         Expect(1, 1, 100.0)),
    Case("Pathways are counted, not people: one patient waiting on two pathways, 10 and 30 "
         "weeks, counts twice",
         [patient(1)],
         [pathway(1, "2025-01-20", treatment_function="110"),
          pathway(1, "2024-09-02", treatment_function="130")],
         Expect(1, 2, 50.0)),
    Case("Each month end is its own census: a clock started 20 November 2024 has waited 100 "
         "days on 28 February (within) and 131 days on 31 March (over); a clock started 10 "
         "March joins the list in March",
         [patient(1), patient(2)],
         [pathway(1, "2024-11-20"), pathway(2, "2025-03-10")],
         expect={"2025-02-28": Expect(1, 1, 100.0), "2025-03-31": Expect(1, 2, 50.0)}),
    Case("Breakdown by age band, age in whole years on the period end from the month of "
         "birth: born April 2007 is 17 on 31 March 2025 and is in 0-17",
         [patient(1, born="2007-04-01"), patient(2, born="1960-01-01")],
         [pathway(1, "2025-01-06"), pathway(2, "2024-06-03")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="0-17"),
]
