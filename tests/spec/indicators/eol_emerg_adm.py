"""EOL_EMERG_ADM: deaths with an emergency admission in the last year of life.

Of people who died in the 12 months to the period end, the percentage with one or more
emergency hospital admissions in their last year of life: admitted in the 365 days up to and
including the day of death (after the day 365 days before it). Each death counts once,
however many admissions."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import death, patient, spell

INDICATOR = "EOL_EMERG_ADM"
SOURCE = ("OHID Fingertips End of Life Care Profiles (https://fingertips.phe.org.uk/profile/"
          "end-of-life): emergency admissions in the last year of life, here as the "
          "catalogue defines it (deaths in the 12 months to the period end, ONS death "
          "registrations; one or more emergency admissions, SUS+ APC admission method "
          "emergency, in the 365 days before death); age for the age bands as the project's "
          "rule (whole years on the date of death, month of birth as the 1st)")


def died(pid, date, **kw):
    """The patient (deregistered on the day of death) and the death registration."""
    return patient(pid, date_of_death=date, registration_end=date, **kw)


def emergency(pid, date, method="emergency"):
    return spell(pid, date, method=method)


CASES = [
    Case("A death with an emergency admission in the last year of life counts; a death "
         "without one is in the denominator only",
         [died(1, "2024-10-15"), died(2, "2024-11-20"), patient(3)],
         [death(1, "2024-10-15"), death(2, "2024-11-20"), emergency(1, "2024-08-01"),
          emergency(3, "2024-08-01")], Expect(1, 2, 50.0)),
    Case("The last year of life is the 365 days up to the death: for a death on 15 October "
         "2024 an admission on 17 October 2023 counts, one on 16 October 2023 (365 days "
         "before) does not",
         [died(1, "2024-10-15"), died(2, "2024-10-15")],
         [death(1, "2024-10-15"), death(2, "2024-10-15"), emergency(1, "2023-10-17"),
          emergency(2, "2023-10-16")], Expect(1, 2, 50.0)),
    Case("An emergency admission on the day of death counts",
         [died(1, "2025-02-03")], [death(1, "2025-02-03"), emergency(1, "2025-02-03")],
         Expect(1, 1, 100.0)),
    Case("Only emergency admissions count: an elective admission in the last year does not",
         [died(1, "2025-01-10")],
         [death(1, "2025-01-10"), emergency(1, "2024-12-01", method="elective")],
         Expect(0, 1, 0.0)),
    Case("Each death counts once: three emergency admissions in the last year are one "
         "person in the numerator",
         [died(1, "2025-01-10")],
         [death(1, "2025-01-10"), emergency(1, "2024-05-01"), emergency(1, "2024-09-01"),
          emergency(1, "2024-12-24")], Expect(1, 1, 100.0)),
    Case("Deaths in the 12 months to the period end: 1 April 2024 and 31 March 2025 are in "
         "for 31 March 2025; 31 March 2024 and 1 April 2025 are out",
         [died(1, "2024-03-31"), died(2, "2024-04-01"), died(3, "2025-03-31"),
          died(4, "2025-04-01")],
         [death(p, d) for p, d in ((1, "2024-03-31"), (2, "2024-04-01"), (3, "2025-03-31"),
                                   (4, "2025-04-01"))]
         + [emergency(p, "2024-03-01") for p in (1, 2, 3, 4)], Expect(1, 2, 50.0)),
    Case("Each month counts the deaths in its own 12 months: a death on 15 April 2024 "
         "after an emergency admission counts on 31 March 2025, not on 30 April 2025",
         [died(1, "2024-04-15"), died(2, "2024-09-01")],
         [death(1, "2024-04-15"), death(2, "2024-09-01"), emergency(1, "2024-04-01")],
         expect={"2025-03-31": Expect(1, 2, 50.0), "2025-04-30": Expect(0, 1, 0.0)}),
    Case("Breakdown by age band uses age on the date of death in whole years from the month "
         "of birth: born June 1945 and died 10 January 2025 aged 79, with an emergency "
         "admission, is in the 60-79 band with a death aged 75 without one, not in 80+",
         [died(1, "2025-01-10", born="1945-06-01"), died(2, "2025-01-10", born="1950-01-01")],
         [death(1, "2025-01-10"), death(2, "2025-01-10"), emergency(1, "2024-12-01")],
         Expect(1, 2, 50.0), alone=True, breakdown="age_band", group="60-79"),
]
