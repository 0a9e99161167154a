"""FLU_65: seasonal influenza vaccination, 65 and over (season to date).

Of people registered and alive on the period end who are aged 65 or over by 31 March at the end
of the season, the percentage vaccinated against influenza from 1 September of the season to
the period end, counted once per person. For September period ends the season just finished (1
September to 31 August) is reported (the project's decision)."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, vaccination

INDICATOR = "FLU_65"
SOURCE = ("UKHSA 'Seasonal influenza vaccine uptake in GP patients in England' (official "
          "statistics, e.g. winter season 2023 to 2024, https://www.gov.uk/government/"
          "statistics/seasonal-influenza-vaccine-uptake-in-gp-patients-winter-season-2023-to-"
          "2024) and the annual flu letter's cohort definition: GP-registered patients aged 65 "
          "and over, including those becoming 65 by 31 March at the end of the season, "
          "vaccinated from 1 September; the project's decision (catalogue description) reports "
          "the season just finished on September period ends; WHO/UKHSA ambition 75%")

OLD = "1950-01-01"


def flu(pid, date):
    return vaccination(pid, date, "influenza")


CASES = [
    Case("A person 65 or over vaccinated in the season counts; one not vaccinated is in the "
         "denominator only",
         [patient(1, born=OLD), patient(2, born=OLD)], [flu(1, "2024-10-15")],
         Expect(1, 2, 50.0)),
    Case("The season starts on 1 September: a vaccination on 31 August 2024 does not count for "
         "31 March 2025, one on 1 September 2024 does, one on 1 April 2025 is after the period "
         "end", [patient(1, born=OLD), patient(2, born=OLD), patient(3, born=OLD)],
         [flu(1, "2024-08-31"), flu(2, "2024-09-01"), flu(3, "2025-04-01")],
         Expect(1, 3, 100 / 3)),
    Case("Aged 65 by 31 March 2025, from the month of birth: born March 1960 is in the cohort "
         "on 31 March 2025, born April 1960 is not",
         [patient(1, born="1960-03-01"), patient(2, born="1960-04-01")],
         [flu(1, "2024-10-15"), flu(2, "2024-10-15")], Expect(1, 1, 100.0)),
    Case("Mid-season the cohort is still those 65 by 31 March at the season's end: on "
         "31 December 2024, born March 1960 (64 that day, 65 by 31 March 2025) is in, born "
         "April 1960 is not",
         [patient(1, born="1960-03-01"), patient(2, born="1960-04-01"), patient(3, born=OLD)],
         [flu(1, "2024-10-15"), flu(2, "2024-10-15")], as_of="2024-12-31",
         expect=Expect(1, 2, 50.0)),
    Case("Two doses count the person once; a pneumococcal vaccination is not an influenza one",
         [patient(1, born=OLD), patient(2, born=OLD)],
         [flu(1, "2024-10-01"), flu(1, "2024-11-20"),
          vaccination(2, "2024-10-15", "pneumococcal", "0")], Expect(1, 2, 50.0)),
    Case("Each season's doses stand alone: a dose on 20 August 2024 (last season) does not "
         "count in the season from 1 September 2024, that person's dose on 10 January 2025 "
         "counts from the January period end; a person's first dose of the season counts from "
         "the period end it falls before, a later one adds nothing",
         [patient(1, born=OLD), patient(2, born=OLD)],
         [flu(1, "2024-08-20"), flu(1, "2025-01-10"), flu(2, "2024-09-05"),
          flu(2, "2024-12-01")],
         expect={"2024-10-31": Expect(1, 2, 50.0), "2024-12-31": Expect(1, 2, 50.0),
                 "2025-01-31": Expect(2, 2, 100.0)}),
    Case("Only people registered and alive on the period end count: a vaccinated person who "
         "died or left before it is in neither count; one vaccinated before joining the "
         "practice in the season counts",
         [patient(1, born=OLD, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(2, born=OLD, registration_end="2025-01-01"),
          patient(3, born=OLD, registration_start="2025-01-01"), patient(4, born=OLD)],
         [flu(1, "2024-10-15"), flu(2, "2024-10-15"), flu(3, "2024-10-15")],
         Expect(1, 2, 50.0)),
    Case("A September period end reports the season just finished: a vaccination on "
         "15 September 2025 counts from 31 October 2025, not on 30 September",
         [patient(1, born=OLD)], [flu(1, "2025-09-15")],
         expect={"2025-08-31": Expect(0, 1, 0.0), "2025-09-30": Expect(0, 1, 0.0),
                 "2025-10-31": Expect(1, 1, 100.0)}),
    Case("Last season's vaccination (October 2024) counts to 30 September 2025 and drops out "
         "when the new season opens in the October period end",
         [patient(1, born=OLD)], [flu(1, "2024-10-10")],
         expect={"2025-08-31": Expect(1, 1, 100.0), "2025-09-30": Expect(1, 1, 100.0),
                 "2025-10-31": Expect(0, 1, 0.0)}),
]
