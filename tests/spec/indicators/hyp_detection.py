"""HYP_DETECTION: hypertension, recorded prevalence against expected (18+).

People aged 18 and over on the hypertension register (HYP_COD not resolved) on the period end,
as a percentage of the number expected to have hypertension: every registered person aged 18+
weighted by the estimated prevalence for their age band and sex (people of unknown sex get the
mean of the male and female rates)."""

from tests.spec.harness import Case, Expect
from tests.spec.indicators.cvdp007hyp import HYPRES, hyp
from tests.spec.rows import event, patient

INDICATOR = "HYP_DETECTION"
SOURCE = ("Faculty of Public Health 'Hypertension Ready Reckoner' (Health Survey for England "
          "based estimates of diagnosed and undiagnosed hypertension by age and sex), as "
          "tabulated in Devon County Council's JSNA 'High Blood Pressure (Hypertension)' Table "
          "9.1 (http://www.devonhealthandwellbeing.org.uk/jsna/overview/archive/living-well/"
          "high-blood-pressure/), rates in src/icsight/data/reference/hypertension_expected.csv;"
          " register as QOF (NHS Digital QOF business rules v49, HYP_COD, HYPRES_COD); method "
          "(observed / expected x 100, unknown sex at the mean rate) as docs/indicators.md "
          "decides")

# Expected prevalence (hypertension_expected.csv), male / female:
# 15-24 .06/.02, 25-34 .11/.05, 35-44 .20/.11, 45-54 .35/.23, 55-64 .51/.47, 65-74 .64/.64,
# 75+ .64/.75

CASES = [
    Case("Observed on the register over expected: two women aged 65 (0.64 each) expect 1.28; "
         "one on the register gives 1 / 1.28 = 78.125%",
         [patient(1, born="1960-01-01"), patient(2, born="1960-01-01")], [hyp(1)],
         Expect(1, 1.28, 78.125)),
    Case("Each person is weighted by their own age band and sex: men of 50 (0.35) and 30 "
         "(0.11), women of 50 (0.23) and 80 (0.75) expect 1.44; two on the register give "
         "2 / 1.44 = 138.89%",
         [patient(1, sex="male", born="1975-01-01"), patient(2, born="1975-01-01"),
          patient(3, sex="male", born="1995-01-01"), patient(4, born="1945-01-01")],
         [hyp(1), hyp(4)], Expect(2, 1.44, 200 / 1.44)),
    Case("Aged 18 or over on the period end: a woman born March 2007 (18) counts at the 15-24 "
         "rate (0.02), one born April 2007 (17, on the register) in neither count: "
         "1 / 0.02 = 5000%",
         [patient(1, born="2007-03-01"), patient(2, born="2007-04-01")], [hyp(1), hyp(2)],
         Expect(1, 0.02, 5000.0)),
    Case("Age bands by whole years from the month of birth: men born April 2000 (24, 0.06) and "
         "March 2000 (25, 0.11), women born April 1950 (74, 0.64) and March 1950 (75, 0.75) "
         "expect 1.56; the man of 25 on the register gives 1 / 1.56 = 64.10%",
         [patient(1, sex="male", born="2000-04-01"), patient(2, sex="male", born="2000-03-01"),
          patient(3, born="1950-04-01"), patient(4, born="1950-03-01")], [hyp(2)],
         Expect(1, 1.56, 100 / 1.56)),
    Case("A person of unknown sex is expected at the mean of the two rates: aged 50, "
         "(0.35 + 0.23) / 2 = 0.29; on the register, 1 / 0.29 = 344.83%",
         [patient(1, sex="unknown", born="1975-01-01")], [hyp(1)],
         Expect(1, 0.29, 100 / 0.29)),
    Case("Resolved hypertension adds to the expected count, not the observed; a person who "
         "died before the period end is in neither: women of 65, 1 / 1.28 = 78.125%",
         [patient(1, born="1960-01-01"), patient(2, born="1960-01-01"),
          patient(3, born="1960-01-01", date_of_death="2025-02-01",
                  registration_end="2025-02-01")],
         [hyp(1, "2010-01-01"), event(1, "2020-01-01", HYPRES), hyp(2), hyp(3)],
         Expect(1, 1.28, 78.125)),
    Case("Each month counts the register on its own end: a woman of 65 diagnosed on "
         "10 February 2025 is 0 of 0.64 expected in January and 1 / 0.64 = 156.25% in February",
         [patient(1, born="1960-01-01")], [hyp(1, "2025-02-10")],
         expect={"2025-01-31": Expect(0, 0.64, 0.0), "2025-02-28": Expect(1, 0.64, 156.25)}),
]
