"""DIAG_6WK: people waiting for a diagnostic test for 6 weeks or more.

Of the waits for a diagnostic test still open on the period end (requested on or before it,
test not yet done by it), the percentage that have waited 6 weeks or more (42 days or more
from the request to the period end). Each test waited for is counted."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import pathway, patient

INDICATOR = "DIAG_6WK"
SOURCE = ("NHS England Monthly Diagnostic Waiting Times and Activity (DM01) statistics and "
          "guidance: patients still waiting for a diagnostic test at the month end, by "
          "completed weeks waited since the request, and the operational standard that fewer "
          "than 1% wait 6 weeks or more (the 6+ weeks bands start at '06 <07 weeks'); "
          "https://www.england.nhs.uk/statistics/statistical-work-areas/"
          "diagnostics-waiting-times-and-activity/")


def waiting(pid, start, test=None, clock_start="2024-12-01"):
    """An RTT pathway with a diagnostic wait from `start` and its test on `test`."""
    return pathway(pid, clock_start, diagnostic_wait_start=start, diagnostic_test_date=test)


CASES = [
    Case("Waited 6 completed weeks (42 days, requested 17 February 2025) on 31 March 2025 "
         "counts as 6 weeks or more; 41 days (requested 18 February) does not",
         [patient(1), patient(2)],
         [waiting(1, "2025-02-17"), waiting(2, "2025-02-18")],
         Expect(1, 2, 50.0)),
    Case("Waited 43 days (requested 16 February 2025) is over 6 weeks; 20 days is not",
         [patient(1), patient(2)],
         [waiting(1, "2025-02-16"), waiting(2, "2025-03-11")],
         Expect(1, 2, 50.0)),
    Case("Only people still waiting count: a test done on or before the period end ends the "
         "wait; a test the day after means the person was still waiting on the period end",
         [patient(1), patient(2), patient(3)],
         [waiting(1, "2025-01-02", "2025-03-31"), waiting(2, "2025-01-02", "2025-02-10"),
          waiting(3, "2025-01-02", "2025-04-01")],
         Expect(1, 1, 100.0)),
    Case("A request on the period end is on the list (0 weeks); one after it, or a pathway "
         "with no diagnostic wait, is not",
         [patient(1), patient(2), patient(3)],
         [waiting(1, "2025-03-31"), waiting(2, "2025-04-02"), pathway(3, "2024-06-01")],
         Expect(0, 1, 0.0)),
    Case("Each test waited for counts: one person waiting on two requests, 10 weeks and 2 "
         "weeks, counts twice",
         [patient(1)],
         [waiting(1, "2025-01-20"), waiting(1, "2025-03-17", clock_start="2025-03-01")],
         Expect(1, 2, 50.0)),
    Case("Each month end is its own census: a request on 1 February 2025 has waited 27 days "
         "on 28 February (under 6 weeks) and 58 days on 31 March (6 weeks or more)",
         [patient(1)], [waiting(1, "2025-02-01")],
         expect={"2025-02-28": Expect(0, 1, 0.0), "2025-03-31": Expect(1, 1, 100.0)}),
    Case("Breakdown by age band, age in whole years on the period end from the month of "
         "birth: born April 2007 is 17 on 31 March 2025 and is in 0-17",
         [patient(1, born="2007-04-01"), patient(2, born="1960-01-01")],
         [waiting(1, "2025-01-06"), waiting(2, "2025-03-20")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="0-17"),
]
