"""DEMENTIA_DIAGNOSIS_RATE: dementia 65+ estimated diagnosis rate.

Patients aged 65 and over on the period end on the GP dementia register (QOF DEM_COD, no
resolution code), as a percentage of the number expected to have dementia: the registered
population aged 65+ by five-year age band and sex multiplied by the CFAS II prevalence rates,
summed. Age is whole years on the period end from the 1st of the month of birth."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import event, patient

INDICATOR = "DEMENTIA_DIAGNOSIS_RATE"
SOURCE = ("NHS England, 'Primary Care Dementia Data' and the NHS Oversight Framework metric "
          "'Estimated diagnosis rate for people with dementia' (people aged 65+ on the QOF "
          "dementia register, DEM_COD, over the expected number from the CFAS II age-sex "
          "prevalence rates applied to the registered population 65+ by 5-year band, national "
          "ambition 66.7%; https://digital.nhs.uk/data-and-information/publications/"
          "statistical/primary-care-dementia-data), CFAS II rates (Matthews et al., Lancet "
          "2013;382:1405-12) as in src/icsight/data/reference/dementia_cfas2.csv; people of "
          "unknown sex take the mean of the two rates (the project's documented decision, "
          "docs/indicators.md 'Observed against expected')")

DEMENTIA, ALZHEIMER = "52448006", "26929004"  # DEM_COD
# CFAS II rates used here (male, female): 65-69 0.012, 0.018; 70-74 0.030, 0.025;
# 80-84 0.106, 0.095; 90+ 0.171, 0.350. The output's `denominator` column is the expected
# count to 2 decimal places; the value is worked from the unrounded count.


def dem(pid, date="2020-01-01", code=DEMENTIA):
    return event(pid, date, code)


CASES = [
    Case("The expected count is the sum of each person's CFAS II rate for their age band and "
         "sex: a man of 72 (0.030) and a woman of 92 (0.350) expect 0.38; the woman is on the "
         "register, 1 / 0.38 = 263.2% of expected",
         [patient(1, born="1952-06-01", sex="male"), patient(2, born="1932-06-01")],
         [dem(2)], Expect(1, 0.38, 1 / 0.38 * 100)),
    Case("Aged 65 and over on the period end, age from the 1st of the month of birth: born "
         "March 1960 is 65 on 31 March 2025 (in numerator and expected count: a man 0.012 "
         "and a woman 0.018, 0.03 in all), born April 1960 is 64 (out of both)",
         [patient(1, born="1960-03-01", sex="male"), patient(2, born="1960-03-01"),
          patient(3, born="1960-04-01")],
         [dem(1), dem(2), dem(3)], Expect(2, 0.03, 2 / 0.03 * 100)),
    Case("On the register on the period end: any DEM_COD code on or before it counts (there "
         "is no resolution code); a first code after the period end does not",
         [patient(1, born="1952-06-01", sex="male"), patient(2, born="1952-06-01", sex="male")],
         [dem(1, "2025-03-31", ALZHEIMER), dem(2, "2025-04-01")],
         Expect(1, 0.06, 1 / 0.06 * 100)),
    Case("Only people registered and alive on the period end count, in the register and in "
         "the expected count: a woman of 92 who died and a man of 72 who left are out",
         [patient(1, born="1952-06-01", sex="male"),
          patient(2, born="1932-06-01", date_of_death="2025-01-01",
                  registration_end="2025-01-01"),
          patient(3, born="1952-06-01", sex="male", registration_end="2025-02-01")],
         [dem(1), dem(2), dem(3)], Expect(1, 0.03, 1 / 0.03 * 100)),
    Case("A person of unknown sex takes the mean of the male and female rates: aged 92, "
         "(0.171 + 0.350) / 2 = 0.2605 expected",
         [patient(1, born="1932-06-01", sex="unknown")], [dem(1)],
         Expect(1, 0.26, 1 / 0.2605 * 100)),
    Case("Men and women of the same age band expect different numbers: a man and a woman "
         "of 82 expect 0.106 + 0.095 = 0.201; the man on the register gives 497.5%",
         [patient(1, born="1942-06-01", sex="male"), patient(2, born="1942-06-01")],
         [dem(1)], Expect(1, 0.2, 1 / 0.201 * 100)),
    Case("Each month of a series takes ages on its own end: a man born April 1960 with "
         "dementia is 64 on 31 March 2025 and 65 on 30 April 2025, when he enters the "
         "numerator and adds 0.012 to a 72-year-old man's 0.030",
         [patient(1, born="1960-04-01", sex="male"), patient(2, born="1952-06-01", sex="male")],
         [dem(1)],
         expect={"2025-03-31": Expect(0, 0.03, 0.0),
                 "2025-04-30": Expect(1, 0.04, 1 / 0.042 * 100)}),
]
