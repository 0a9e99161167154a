"""CVDP002HYP: hypertension treated to the appropriate threshold, ages 18 to 79.

Of patients aged 18 to 79 on the hypertension register, the percentage whose most recent blood
pressure in the 12 months to the period end is at or below 140/90 mmHg (135/85 for home or
ambulatory readings, from the June 2024 extract)."""

from tests.spec.harness import Case, Expect
from tests.spec.indicators.cvdp007hyp import HYPRES, bp, hyp
from tests.spec.rows import event, patient

INDICATOR = "CVDP002HYP"
SOURCE = ("CVDPREVENT indicator metadata for CVDP002HYP, 'Patients aged 18 to 79 with GP "
          "recorded hypertension whose last blood pressure reading in the preceding 12 months "
          "is at or below 140/90 mmHg' (NHS England / NHS Benchmarking Network, "
          "https://www.cvdprevent.nhs.uk/), with the CVDPREVENT processing rules for blood "
          "pressure readings (home/ambulatory 135/85 from the June 2024 extract) and the QOF "
          "hypertension register (NHS Digital QOF business rules v49, HYP_COD, HYPRES_COD)")

CASES = [
    Case("At the threshold counts (140/90); one over on either side does not (141/90, 140/91)",
         [patient(1), patient(2), patient(3)],
         [hyp(1), hyp(2), hyp(3), *bp(1, "2024-12-01", 140, 90), *bp(2, "2024-12-01", 141, 90),
          *bp(3, "2024-12-01", 140, 91)], Expect(1, 3, 100 / 3)),
    Case("Aged 18 to 79 on the period end, from the month of birth: born March 2007 (18) and "
         "April 1945 (79) are in; April 2007 (17) and March 1945 (80) are out",
         [patient(1, born="2007-03-01"), patient(2, born="1945-04-01"),
          patient(3, born="2007-04-01"), patient(4, born="1945-03-01")],
         [hyp(i) for i in (1, 2, 3, 4)]
         + [r for i in (1, 2, 3, 4) for r in bp(i, "2025-01-10", 130, 80)],
         Expect(2, 2, 100.0)),
    Case("A 79-year-old is held to 140/90, not the 80+ threshold: 145/88 is above target",
         [patient(1, born="1945-04-01")], [hyp(1), *bp(1, "2025-01-10", 145, 88)],
         Expect(0, 1, 0.0)),
    Case("The 12 months start the day after the same date a year earlier: a reading on "
         "31 March 2024 is outside the window for 31 March 2025, one on 1 April 2024 inside",
         [patient(1), patient(2)],
         [hyp(1), hyp(2), *bp(1, "2024-03-31", 120, 70), *bp(2, "2024-04-01", 120, 70)],
         Expect(1, 2, 50.0)),
    Case("No blood pressure in the 12 months: in the denominator, not the numerator",
         [patient(1)], [hyp(1)], Expect(0, 1, 0.0)),
    Case("The latest day's reading decides, even when an earlier one was within target",
         [patient(1)], [hyp(1), *bp(1, "2024-09-01", 120, 70), *bp(1, "2025-01-01", 150, 95)],
         Expect(0, 1, 0.0)),
    Case("Home and ambulatory readings are held to 135/85: 135/85 at home counts, 136/84 at "
         "home does not", [patient(1), patient(2)],
         [hyp(1), hyp(2), *bp(1, "2025-01-01", 135, 85, home=True),
          *bp(2, "2025-01-01", 136, 84, home=True)], Expect(1, 2, 50.0)),
    Case("Resolved hypertension leaves the register unless diagnosed again later",
         [patient(1), patient(2)],
         [hyp(1, "2010-01-01"), event(1, "2020-01-01", HYPRES),
          hyp(2, "2010-01-01"), event(2, "2020-01-01", HYPRES), hyp(2, "2022-01-01"),
          *bp(1, "2024-10-01", 120, 70), *bp(2, "2024-10-01", 120, 70)], Expect(1, 1, 100.0)),
    Case("Each month looks back 12 months from its own end: a reading on 15 May 2024 counts on "
         "30 April 2025, not on 31 May 2025",
         [patient(1)], [hyp(1), *bp(1, "2024-05-15", 120, 70)],
         expect={"2025-04-30": Expect(1, 1, 100.0), "2025-05-31": Expect(0, 1, 0.0)}),
]
