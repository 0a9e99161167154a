"""ELECTIVE_VS_BASELINE: elective activity against the baseline year.

Elective admissions (ordinary and day case) and attended first outpatient appointments in the
12 months to the period end, as a percentage of the same activity in the baseline financial
year, 1 April 2022 to 31 March 2023 (the `denominator` column holds the baseline count). Each
spell and each appointment counts once; activity is counted, not value-weighted."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import appointment, patient, spell

INDICATOR = "ELECTIVE_VS_BASELINE"
SOURCE = ("NHS England elective recovery: activity against a baseline year (2024/25 priorities "
          "and operational planning guidance, value-weighted activity against 2019/20, "
          "https://www.england.nhs.uk/publication/2024-25-priorities-and-operational-planning-"
          "guidance/); where no public source applies the project's documented decision in "
          "docs/indicators.md is followed: activity counted, not value-weighted, against the "
          "first full financial year in the lake, 2022/23")


def elective(pid, date, classification="ordinary"):
    return spell(pid, date, method="elective", diagnosis="M171", classification=classification,
                 treatment_function="110")


def first_op(pid, date, attended="attended", first=True):
    return appointment(pid, date, first=first, attended=attended)


CASES = [
    Case("Elective ordinary and day-case admissions and attended first outpatient "
         "appointments all count: 3 this year against 2 in 2022/23 is 150% of baseline",
         [patient(1), patient(2)],
         [elective(1, "2022-06-01"), first_op(2, "2022-09-01"),
          elective(1, "2024-06-01"), elective(2, "2024-07-01", "day_case"),
          first_op(2, "2024-08-01")],
         Expect(3, 2, 150.0)),
    Case("Emergency, maternity and other admissions, follow-up appointments and first "
         "appointments not attended (DNA) or cancelled do not count, this year or in the "
         "baseline",
         [patient(1)],
         [elective(1, "2022-10-01"), spell(1, "2022-11-01"), first_op(1, "2022-12-01", "dna"),
          elective(1, "2024-10-01"), spell(1, "2024-05-01"),
          spell(1, "2024-06-01", method="maternity"), spell(1, "2024-06-15", method="other"),
          first_op(1, "2024-07-01", first=False), first_op(1, "2024-08-01", "dna"),
          first_op(1, "2024-09-01", "cancelled")],
         Expect(1, 1, 100.0)),
    Case("The baseline year runs from 1 April 2022 to 31 March 2023 inclusive: activity on "
         "31 March 2022 and 1 April 2023 is outside it",
         [patient(1)],
         [elective(1, "2022-03-31"), elective(1, "2022-04-01"), first_op(1, "2023-03-31"),
          first_op(1, "2023-04-01"), elective(1, "2024-12-01")],
         Expect(1, 2, 50.0)),
    Case("The 12 months to 31 March 2025 run from 1 April 2024 to 31 March 2025: activity on "
         "31 March 2024 and 1 April 2025 is outside, on 1 April 2024 and 31 March 2025 inside",
         [patient(1)],
         [elective(1, "2022-05-01"), elective(1, "2022-06-01"),
          elective(1, "2024-03-31"), elective(1, "2024-04-01"), first_op(1, "2025-03-31"),
          first_op(1, "2025-04-01")],
         Expect(2, 2, 100.0)),
    Case("Activity is counted, not people: two first appointments on one day in two "
         "specialties and two elective spells of one person count four times",
         [patient(1)],
         [elective(1, "2022-05-01"), elective(1, "2022-06-01"), elective(1, "2022-07-01"),
          elective(1, "2022-08-01"), elective(1, "2022-09-01"),
          appointment(1, "2024-05-01", "110"), appointment(1, "2024-05-01", "130"),
          elective(1, "2024-06-01"), elective(1, "2024-06-01", "day_case")],
         Expect(4, 5, 80.0)),
    Case("Each month compares its own 12 months with the same baseline: a spell on 15 April "
         "2024 counts to 31 March 2025 but not to 30 April 2025 (2 then 1 against 4)",
         [patient(1)],
         [elective(1, "2022-05-01"), elective(1, "2022-06-01"), first_op(1, "2022-07-01"),
          first_op(1, "2022-08-01"), elective(1, "2024-04-15"), first_op(1, "2024-10-01")],
         expect={"2025-03-31": Expect(2, 4, 50.0), "2025-04-30": Expect(1, 4, 25.0)}),
    Case("Breakdown by age band, age in whole years on the day of the activity from the month "
         "of birth: born April 2007, seen in March 2023 (15) and March 2025 (17), both in 0-17",
         [patient(1, born="2007-04-01"), patient(2, born="1960-01-01")],
         [first_op(1, "2023-03-15"), first_op(1, "2025-03-15"), elective(2, "2022-06-01"),
          elective(2, "2024-06-01")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="0-17"),
]
