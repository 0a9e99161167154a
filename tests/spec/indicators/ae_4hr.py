"""AE_4HR: A&E attendances admitted, transferred or discharged within 4 hours of arrival.

Of A&E attendances of every type (01 major, 02 single specialty, 03/04 other and urgent
treatment centres) arriving in the calendar month that ends on the period end, the percentage
whose time from arrival to departure (admission, transfer or discharge) was 4 hours or less;
every attendance counts, not every patient."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import attendance, patient

INDICATOR = "AE_4HR"
SOURCE = ("NHS England, A&E Attendances and Emergency Admissions statistics: the 4-hour "
          "standard (percentage of attendances, all A&E types, with a total time in A&E of "
          "4 hours or less from arrival to admission, transfer or discharge; monthly, by "
          "arrival), https://www.england.nhs.uk/statistics/statistical-work-areas/"
          "ae-waiting-times-and-activity/, and its Monthly A&E Attendances and Emergency "
          "Admissions definitions; ECDS arrival and departure times; age for the age bands "
          "as the project's rule (whole years on the arrival date, month of birth as the 1st)")


def ae(pid, arrival, departure, department_type="01"):
    return attendance(pid, arrival, departure, department_type=department_type)


CASES = [
    Case("Leaving within 4 hours counts (3 hours 59 minutes); 4 hours 1 minute does not",
         [patient(1), patient(2)],
         [ae(1, "2025-03-10 10:00", "2025-03-10 13:59"),
          ae(2, "2025-03-10 10:00", "2025-03-10 14:01")], Expect(1, 2, 50.0)),
    Case("Exactly 4 hours from arrival is within the standard",
         [patient(1)], [ae(1, "2025-03-12 08:30", "2025-03-12 12:30")], Expect(1, 1, 100.0)),
    Case("All A&E types count: type 01, 02 and 03 attendances within 4 hours, and a type 03 "
         "attendance over 4 hours, are 3 of 4",
         [patient(1), patient(2), patient(3), patient(4)],
         [ae(1, "2025-03-05 09:00", "2025-03-05 10:00", "01"),
          ae(2, "2025-03-05 09:00", "2025-03-05 10:00", "02"),
          ae(3, "2025-03-05 09:00", "2025-03-05 10:00", "03"),
          ae(4, "2025-03-05 09:00", "2025-03-05 14:30", "03")], Expect(3, 4, 75.0)),
    Case("The arrival date places an attendance in a month: arriving 31 March 23:00 and "
         "leaving 1 April 05:00 is a March attendance over 4 hours; arriving 28 February "
         "23:30 is not a March attendance",
         [patient(1), patient(2)],
         [ae(1, "2025-03-31 23:00", "2025-04-01 05:00"),
          ae(2, "2025-02-28 23:30", "2025-03-01 01:00")], Expect(0, 1, 0.0)),
    Case("Every attendance counts: one patient attending twice in the month is 2 "
         "attendances, one within 4 hours and one not",
         [patient(1)],
         [ae(1, "2025-03-03 10:00", "2025-03-03 11:00"),
          ae(1, "2025-03-20 10:00", "2025-03-20 16:00")], Expect(1, 2, 50.0)),
    Case("An attendance counts whatever happens to the patient afterwards: a patient who "
         "died later in the month is still in the month's attendances",
         [patient(1, date_of_death="2025-03-25", registration_end="2025-03-25")],
         [ae(1, "2025-03-10 10:00", "2025-03-10 12:00")], Expect(1, 1, 100.0)),
    Case("Each month counts the attendances arriving in it: a January attendance within "
         "4 hours counts for January, a February one over 4 hours for February",
         [patient(1)],
         [ae(1, "2025-01-15 10:00", "2025-01-15 11:00"),
          ae(1, "2025-02-15 10:00", "2025-02-15 18:00")],
         expect={"2025-01-31": Expect(1, 1, 100.0), "2025-02-28": Expect(0, 1, 0.0)}),
    Case("Breakdown by age band uses age on the arrival date in whole years from the month "
         "of birth: born June 2007 is 17 on 10 March 2025, so the 0-17 band holds that "
         "attendance (born January 2000, aged 25, is in 18-39)",
         [patient(1, born="2007-06-01"), patient(2, born="2000-01-01")],
         [ae(1, "2025-03-10 10:00", "2025-03-10 11:00"),
          ae(2, "2025-03-10 10:00", "2025-03-10 16:00")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="0-17"),
]
