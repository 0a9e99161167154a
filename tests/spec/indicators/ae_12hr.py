"""AE_12HR: type 1 A&E attendances spending more than 12 hours in the department.

Of type 1 (major, consultant-led 24-hour) A&E attendances arriving in the calendar month that
ends on the period end, the percentage whose time from arrival to departure was more than 12
hours; other A&E types are left out and every attendance counts."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import attendance, patient

INDICATOR = "AE_12HR"
SOURCE = ("NHS England, A&E Attendances and Emergency Admissions statistics: type 1 "
          "attendances spending more than 12 hours in A&E from arrival (ECDS, published "
          "monthly since 2023), https://www.england.nhs.uk/statistics/statistical-work-areas/"
          "ae-waiting-times-and-activity/; NHS England 2024/25 priorities and operational "
          "planning guidance (under 10% of type 1 attendances over 12 hours); age for the "
          "age bands as the project's rule (whole years on the arrival date, month of birth "
          "as the 1st)")


def ae(pid, arrival, departure, department_type="01"):
    return attendance(pid, arrival, departure, department_type=department_type)


CASES = [
    Case("More than 12 hours from arrival counts: 12 hours 1 minute does, exactly 12 hours "
         "does not",
         [patient(1), patient(2)],
         [ae(1, "2025-03-10 08:00", "2025-03-10 20:01"),
          ae(2, "2025-03-10 08:00", "2025-03-10 20:00")], Expect(1, 2, 50.0)),
    Case("Only type 1 departments count: a type 03 attendance of 13 hours is in neither the "
         "numerator nor the denominator",
         [patient(1), patient(2)],
         [ae(1, "2025-03-10 08:00", "2025-03-10 21:00", "01"),
          ae(2, "2025-03-10 08:00", "2025-03-10 21:00", "03")], Expect(1, 1, 100.0)),
    Case("The arrival date places an attendance in a month: arriving 31 March 20:00 and "
         "leaving 1 April 09:00 is a March attendance over 12 hours; arriving 28 February "
         "20:00 and leaving 1 March 10:00 is not a March attendance",
         [patient(1), patient(2)],
         [ae(1, "2025-03-31 20:00", "2025-04-01 09:00"),
          ae(2, "2025-02-28 20:00", "2025-03-01 10:00")], Expect(1, 1, 100.0)),
    Case("Every attendance counts: one patient attending three times in the month is 3 "
         "attendances, one of them over 12 hours",
         [patient(1)],
         [ae(1, "2025-03-03 10:00", "2025-03-03 11:00"),
          ae(1, "2025-03-12 10:00", "2025-03-13 02:00"),
          ae(1, "2025-03-20 10:00", "2025-03-20 15:00")], Expect(1, 3, 100 / 3)),
    Case("A stay over 24 hours is over 12 hours", [patient(1)],
         [ae(1, "2025-03-05 09:00", "2025-03-06 11:00")], Expect(1, 1, 100.0)),
    Case("Each month counts the attendances arriving in it: a January attendance of 14 "
         "hours counts for January, a February one of 3 hours for February",
         [patient(1)],
         [ae(1, "2025-01-15 10:00", "2025-01-16 00:00"),
          ae(1, "2025-02-15 10:00", "2025-02-15 13:00")],
         expect={"2025-01-31": Expect(1, 1, 100.0), "2025-02-28": Expect(0, 1, 0.0)}),
    Case("Breakdown by age band uses age on the arrival date in whole years from the month "
         "of birth: born June 1945 is 79 on 10 March 2025, so that attendance over 12 hours "
         "is in the 60-79 band, not 80+",
         [patient(1, born="1945-06-01"), patient(2, born="1950-01-01")],
         [ae(1, "2025-03-10 08:00", "2025-03-11 08:00"),
          ae(2, "2025-03-10 08:00", "2025-03-10 10:00")],
         Expect(1, 2, 50.0), alone=True, breakdown="age_band", group="60-79"),
]
