"""VIRTUAL_WARD: people on a virtual ward (hospital at home) per 100,000 registered people.

A snapshot on the period end: registered people on a virtual ward that day (admitted to it on
or before the day and not yet discharged by the end of it), each person once, per 100,000
people registered and alive on the period end."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import contact, patient

INDICATOR = "VIRTUAL_WARD"
SOURCE = ("NHS England Virtual Ward Capacity and Occupancy statistics (occupancy: patients on "
          "a virtual ward on the snapshot day, "
          "https://www.england.nhs.uk/statistics/statistical-work-areas/"
          "virtual-ward-capacity-and-occupancy-statistics/), and NHS England's virtual ward "
          "planning guidance (40-50 beds per 100,000 population); read here as a census at "
          "the end of the period-end day, per 100,000 registered people, as the catalogue "
          "states")


def ward(pid, start, end=None):
    return contact(pid, start, "virtual_ward", end)


CASES = [
    Case("A person on a virtual ward on the period end is in the numerator; everyone "
         "registered is in the denominator (1 of 2 is 50,000 per 100,000)",
         [patient(1), patient(2)], [ward(1, "2025-03-20")],
         Expect(1, 2, 50_000.0)),
    Case("Admitted to the ward on the period end counts; discharged on the period end does "
         "not; discharged the day after counts",
         [patient(1), patient(2), patient(3)],
         [ward(1, "2025-03-31"), ward(2, "2025-03-20", "2025-03-31"),
          ward(3, "2025-03-20", "2025-04-01")],
         Expect(2, 3, 200_000 / 3)),
    Case("A stay that ended before the period end or starts after it does not count",
         [patient(1), patient(2)],
         [ward(1, "2025-02-01", "2025-02-10"), ward(2, "2025-04-01")],
         Expect(0, 2, 0.0)),
    Case("A person is counted once even with two overlapping ward stays on the day",
         [patient(1), patient(2)],
         [ward(1, "2025-03-01"), ward(1, "2025-03-25", "2025-04-03")],
         Expect(1, 2, 50_000.0)),
    Case("Urgent community response contacts are not virtual ward stays",
         [patient(1)], [contact(1, "2025-03-31", "urgent_community_response", "2025-03-31",
                                within_2_hours=True)],
         Expect(0, 1, 0.0)),
    Case("Only people registered and alive on the period end count, in the numerator as in "
         "the denominator: a ward stay of someone who left or died before it, or registered "
         "after it, is not counted",
         [patient(1, registration_end="2025-03-15"),
          patient(2, date_of_death="2025-03-20", registration_end="2025-03-20"),
          patient(3, registration_start="2025-04-01"), patient(4)],
         [ward(1, "2025-03-01"), ward(2, "2025-03-10"), ward(3, "2025-03-10")],
         Expect(0, 1, 0.0)),
    Case("Each month is its own snapshot: a stay from 20 January to 10 February 2025 counts "
         "on 31 January, not on 28 February",
         [patient(1)], [ward(1, "2025-01-20", "2025-02-10")],
         expect={"2025-01-31": Expect(1, 1, 100_000.0), "2025-02-28": Expect(0, 1, 0.0)}),
]
