"""CVDP003HYP: hypertension treated to the appropriate threshold, ages 80 and over.

Of patients aged 80 and over on the hypertension register, the percentage whose most recent
blood pressure in the 12 months to the period end is at or below 150/90 mmHg (145/85 for home or
ambulatory readings, from the June 2024 extract)."""

from tests.spec.harness import Case, Expect
from tests.spec.indicators.cvdp007hyp import HYPRES, bp, hyp
from tests.spec.rows import event, patient

INDICATOR = "CVDP003HYP"
SOURCE = ("CVDPREVENT indicator metadata for CVDP003HYP, 'Patients aged 80 and over with GP "
          "recorded hypertension whose last blood pressure reading in the preceding 12 months "
          "is at or below 150/90 mmHg' (NHS England / NHS Benchmarking Network, "
          "https://www.cvdprevent.nhs.uk/), with the CVDPREVENT processing rules for blood "
          "pressure readings (home/ambulatory 145/85 from the June 2024 extract) and the QOF "
          "hypertension register (NHS Digital QOF business rules v49, HYP_COD, HYPRES_COD)")

OLD = "1940-01-01"  # 85 on 31 March 2025

CASES = [
    Case("At the threshold counts (150/90); one over on either side does not (151/90, 150/91)",
         [patient(1, born=OLD), patient(2, born=OLD), patient(3, born=OLD)],
         [hyp(1), hyp(2), hyp(3), *bp(1, "2024-12-01", 150, 90), *bp(2, "2024-12-01", 151, 90),
          *bp(3, "2024-12-01", 150, 91)], Expect(1, 3, 100 / 3)),
    Case("Aged 80 or over on the period end, from the month of birth: born March 1945 is 80 on "
         "31 March 2025 and counts, born April 1945 is 79 and is out; a 104-year-old is in",
         [patient(1, born="1945-03-01"), patient(2, born="1945-04-01"),
          patient(3, born="1920-06-01")],
         [hyp(1), hyp(2), hyp(3), *bp(1, "2025-01-10", 145, 88), *bp(2, "2025-01-10", 145, 88),
          *bp(3, "2025-01-10", 160, 88)], Expect(1, 2, 50.0)),
    Case("The 12 months start the day after the same date a year earlier: a reading on "
         "31 March 2024 is outside the window for 31 March 2025, one on 1 April 2024 inside",
         [patient(1, born=OLD), patient(2, born=OLD)],
         [hyp(1), hyp(2), *bp(1, "2024-03-31", 120, 70), *bp(2, "2024-04-01", 120, 70)],
         Expect(1, 2, 50.0)),
    Case("No blood pressure in the 12 months: in the denominator, not the numerator",
         [patient(1, born=OLD)], [hyp(1)], Expect(0, 1, 0.0)),
    Case("Home and ambulatory readings are held to 145/85: 145/85 at home counts, 146/84 and "
         "144/86 at home do not", [patient(1, born=OLD), patient(2, born=OLD),
                                   patient(3, born=OLD)],
         [hyp(1), hyp(2), hyp(3), *bp(1, "2025-01-01", 145, 85, home=True),
          *bp(2, "2025-01-01", 146, 84, home=True), *bp(3, "2025-01-01", 144, 86, home=True)],
         Expect(1, 3, 100 / 3)),
    Case("Before the June 2024 extract home readings use the clinic threshold: 148/88 at home "
         "in December 2023 is within 150/90 on 31 March 2024",
         [patient(1, born=OLD)], [hyp(1), *bp(1, "2023-12-01", 148, 88, home=True)],
         as_of="2024-03-31", expect=Expect(1, 1, 100.0)),
    Case("Resolved hypertension leaves the register; a resolution on the same day as the latest "
         "diagnosis removes the patient",
         [patient(1, born=OLD), patient(2, born=OLD), patient(3, born=OLD)],
         [hyp(1, "2010-01-01"), event(1, "2020-01-01", HYPRES), hyp(2, "2010-01-01"),
          hyp(3, "2020-01-01"), event(3, "2020-01-01", HYPRES),
          *bp(1, "2024-10-01", 120, 70), *bp(2, "2024-10-01", 120, 70),
          *bp(3, "2024-10-01", 120, 70)], Expect(1, 1, 100.0)),
    Case("A patient joins the denominator in the month they turn 80: born April 1945 with "
         "145/88 in January 2025 is out on 31 March and in (treated) on 30 April 2025",
         [patient(1, born="1945-04-01")], [hyp(1), *bp(1, "2025-01-10", 145, 88)],
         expect={"2025-03-31": Expect(0, 0), "2025-04-30": Expect(1, 1, 100.0)}),
]
