"""STAYS_21D: emergency hospital spells lasting 21 days or more.

Of emergency admitted patient care spells discharged in the calendar month that ends on the
period end, the percentage whose length of stay (discharge date minus admission date, in
days) was 21 days or more; every spell counts, including spells ending in death, and
elective spells are left out."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import death, patient, spell

INDICATOR = "STAYS_21D"
SOURCE = ("NHS England long-stay patients metric (adults in acute beds with a length of stay "
          "of 21 days or more; 'Reducing long term stays', https://www.england.nhs.uk/urgent-"
          "emergency-care/reducing-length-of-stay/), counted on discharges as the catalogue "
          "states; length of stay as NHS Digital HES defines spell duration (discharge date "
          "minus admission date, in days; https://digital.nhs.uk/data-and-information/data-"
          "tools-and-services/data-services/hospital-episode-statistics/hospital-episode-"
          "statistics-data-dictionary); emergency spells from SUS+ APC; age for the age "
          "bands as the project's rule (whole years on the admission date, month of birth as "
          "the 1st)")


def stay(pid, admitted, discharged, method="emergency", **kw):
    return spell(pid, admitted, discharged, method=method, **kw)


CASES = [
    Case("A stay of 21 days counts (1 to 22 March); 20 days does not (1 to 21 March)",
         [patient(1), patient(2)],
         [stay(1, "2025-03-01", "2025-03-22"), stay(2, "2025-03-01", "2025-03-21")],
         Expect(1, 2, 50.0)),
    Case("Only emergency spells count: an elective spell of 30 days is in neither the "
         "numerator nor the denominator",
         [patient(1), patient(2)],
         [stay(1, "2025-02-10", "2025-03-12"),
          stay(2, "2025-02-10", "2025-03-12", method="elective")], Expect(1, 1, 100.0)),
    Case("The discharge date places a spell in a month: discharged on 31 March counts for "
         "March even if admitted in January; discharged on 28 February or 1 April does not",
         [patient(1), patient(2), patient(3)],
         [stay(1, "2025-01-20", "2025-03-31"), stay(2, "2025-01-20", "2025-02-28"),
          stay(3, "2025-03-05", "2025-04-01")], Expect(1, 1, 100.0)),
    Case("Every spell counts: one patient with two emergency spells ending in the month is "
         "2 spells, one of them long",
         [patient(1)],
         [stay(1, "2025-02-01", "2025-03-03"), stay(1, "2025-03-10", "2025-03-12")],
         Expect(1, 2, 50.0)),
    Case("A spell ending in the patient's death in hospital counts like any other",
         [patient(1, date_of_death="2025-03-25", registration_end="2025-03-25")],
         [stay(1, "2025-02-20", "2025-03-25", destination="died"),
          death(1, "2025-03-25", place="hospital")], Expect(1, 1, 100.0)),
    Case("A same-day emergency spell has a length of stay of 0 days and is in the "
         "denominator only", [patient(1)], [stay(1, "2025-03-15", "2025-03-15")],
         Expect(0, 1, 0.0)),
    Case("Each month counts its own discharges: a 25-day spell discharged in February "
         "counts for February, a 3-day spell discharged in March for March",
         [patient(1)],
         [stay(1, "2025-01-20", "2025-02-14"), stay(1, "2025-03-01", "2025-03-04")],
         expect={"2025-02-28": Expect(1, 1, 100.0), "2025-03-31": Expect(0, 1, 0.0)}),
    Case("Breakdown by age band uses age on the admission date in whole years from the "
         "month of birth: born June 1945 is 79 when admitted on 20 February 2025, so that "
         "long stay is in the 60-79 band with a short stay of someone aged 75, not in 80+",
         [patient(1, born="1945-06-01"), patient(2, born="1950-01-01")],
         [stay(1, "2025-02-20", "2025-03-15"), stay(2, "2025-03-01", "2025-03-03")],
         Expect(1, 2, 50.0), alone=True, breakdown="age_band", group="60-79"),
]
