"""CVDP001HYP: hypertension prevalence (18+).

Of patients registered and alive on the period end and aged 18 or over then, the percentage on
the hypertension register: their latest hypertension code (QOF HYP_COD) on or before the period
end is later than their latest "hypertension resolved" code (HYPRES_COD)."""

from tests.spec.harness import Case, Expect
from tests.spec.indicators.cvdp007hyp import HYPRES, hyp
from tests.spec.rows import event, patient

INDICATOR = "CVDP001HYP"
SOURCE = ("CVDPREVENT indicator metadata for CVDP001HYP, 'Prevalence of GP recorded "
          "hypertension in patients aged 18 and over' (NHS England / NHS Benchmarking Network, "
          "https://www.cvdprevent.nhs.uk/), with the register rule of NHS Digital QOF business "
          "rules v49 (clusters HYP_COD, HYPRES_COD); age from the month of birth as "
          "docs/indicators.md decides")

CASES = [
    Case("A patient with a hypertension code is on the register; a registered adult without "
         "one is in the denominator only",
         [patient(1), patient(2)], [hyp(1)], Expect(1, 2, 50.0)),
    Case("Aged 18 or over on the period end, from the month of birth: born March 2007 is 18 on "
         "31 March 2025 and counts, born April 2007 is 17 and is in neither count",
         [patient(1, born="2007-03-01"), patient(2, born="2007-04-01"), patient(3)],
         [hyp(1), hyp(2)], Expect(1, 2, 50.0)),
    Case("Resolved hypertension leaves the register unless diagnosed again later; a resolution "
         "on the same day as the latest diagnosis removes the patient",
         [patient(1), patient(2), patient(3)],
         [hyp(1, "2010-01-01"), event(1, "2020-01-01", HYPRES),
          hyp(2, "2010-01-01"), event(2, "2020-01-01", HYPRES), hyp(2, "2022-01-01"),
          hyp(3, "2020-01-01"), event(3, "2020-01-01", HYPRES)],
         Expect(1, 3, 100 / 3)),
    Case("Only people registered and alive on the period end count: deregistered or died "
         "before it, or registered after it, are in neither count; leaving after it is in",
         [patient(1, registration_end="2025-01-01"),
          patient(2, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(3, registration_start="2025-04-01"),
          patient(4, registration_end="2025-04-30"), patient(5)],
         [hyp(1), hyp(2), hyp(3), hyp(4)], Expect(1, 2, 50.0)),
    Case("A diagnosis on the period end counts; one the day after does not",
         [patient(1), patient(2)], [hyp(1, "2025-03-31"), hyp(2, "2025-04-01")],
         Expect(1, 2, 50.0)),
    Case("A code made in childhood keeps an adult on the register (no look-back limit)",
         [patient(1, born="1990-01-01")], [hyp(1, "2005-06-01")], Expect(1, 1, 100.0)),
    Case("Each month counts the register on its own end: diagnosed 10 February 2025 and "
         "resolved 5 March 2025, on the register at the end of February only",
         [patient(1)], [hyp(1, "2025-02-10"), event(1, "2025-03-05", HYPRES)],
         expect={"2025-01-31": Expect(0, 1, 0.0), "2025-02-28": Expect(1, 1, 100.0),
                 "2025-03-31": Expect(0, 1, 0.0)}),
]
