"""EMERG_ADM_RATE: emergency admissions per 1,000 registered population.

Every emergency hospital admission (spell with an emergency admission method) in the 12 months
to the period end, of people registered with the practice when admitted, per 1,000 people
registered and alive on the period end (a crude rate; each spell counts, not each person)."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, spell

INDICATOR = "EMERG_ADM_RATE"
SOURCE = ("NHS Digital Hospital Episode Statistics, Admitted Patient Care: emergency admissions "
          "are spells with an emergency admission method (HES ADMIMETH 21-2D), counted once per "
          "spell on the admission date and attributed to the GP practice the patient was "
          "registered with at admission "
          "(https://digital.nhs.uk/data-and-information/publications/statistical/"
          "hospital-admitted-patient-care-activity); crude rate per 1,000 registered "
          "population as PHEindicatormethods phe_rate "
          "(https://cran.r-project.org/package=PHEindicatormethods)")

CASES = [
    Case("Each emergency admission counts, so two admissions of one person count twice; the "
         "person without an admission is in the denominator only (2 per 2 people = 1,000)",
         [patient(1), patient(2)],
         [spell(1, "2024-06-01"), spell(1, "2024-11-15")],
         Expect(2, 2, 1000.0)),
    Case("Only emergency admissions count: elective, maternity and other admissions do not",
         [patient(1), patient(2)],
         [spell(1, "2024-06-01", method="elective"), spell(1, "2024-07-01", method="maternity"),
          spell(1, "2024-08-01", method="other"), spell(2, "2024-09-01")],
         Expect(1, 2, 500.0)),
    Case("The 12 months to 31 March 2025 run from 1 April 2024 to 31 March 2025: admissions on "
         "31 March 2024 and 1 April 2025 are outside, on 1 April 2024 and 31 March 2025 inside",
         [patient(1)],
         [spell(1, "2024-03-31"), spell(1, "2024-04-01"), spell(1, "2025-03-31"),
          spell(1, "2025-04-01")],
         Expect(2, 1, 2000.0)),
    Case("An admission is dated by its admission day, not its discharge: admitted 25 March "
         "2024 and discharged in April is outside, admitted 30 March 2025 and still in hospital "
         "on the period end is inside",
         [patient(1)],
         [spell(1, "2024-03-25", "2024-04-10"), spell(1, "2025-03-30", "2025-04-05")],
         Expect(1, 1, 1000.0)),
    Case("Two emergency spells starting on the same day are two admissions",
         [patient(1), patient(2)],
         [spell(1, "2024-10-10"), spell(1, "2024-10-10", provider="RD8")],
         Expect(2, 2, 1000.0)),
    Case("All ages count: a baby under one and a person aged 100 are in the numerator and "
         "the denominator",
         [patient(1, born="2024-12-01"), patient(2, born="1924-06-01")],
         [spell(1, "2025-01-05"), spell(2, "2024-12-20")],
         Expect(2, 2, 1000.0)),
    Case("The denominator is everyone registered and alive on the period end: people who left "
         "or died before it, or registered after it, are not counted",
         [patient(1), patient(2), patient(3, registration_end="2024-12-01"),
          patient(4, date_of_death="2025-01-10", registration_end="2025-01-10"),
          patient(5, registration_start="2025-04-01")],
         [], Expect(0, 2, 0.0)),
    Case("An admission of someone who died later in the year still counts (they were "
         "registered when admitted), though they are not in the period-end denominator",
         [patient(1, date_of_death="2025-01-20", registration_end="2025-01-20"), patient(2)],
         [spell(1, "2024-11-01"), spell(1, "2025-01-15", "2025-01-20", destination="died")],
         Expect(2, 1, 2000.0)),
    Case("An admission of someone who later left the practice still counts (registered when "
         "admitted), though they are not in the period-end denominator",
         [patient(1, registration_end="2025-02-01"), patient(2)],
         [spell(1, "2024-10-01")],
         Expect(1, 1, 1000.0)),
    Case("An admission before the person registered with the practice does not count: it "
         "belongs to the practice they were registered with then",
         [patient(1, registration_start="2024-09-01")],
         [spell(1, "2024-06-01"), spell(1, "2024-10-01")],
         Expect(1, 1, 1000.0)),
    Case("Each month of a series looks back 12 months from its own end: an admission on 15 "
         "April 2024 counts in the 12 months to 31 March 2025, not in those to 30 April "
         "2025",
         [patient(1)], [spell(1, "2024-04-15")],
         expect={"2025-03-31": Expect(1, 1, 1000.0), "2025-04-30": Expect(0, 1, 0.0)}),
]
