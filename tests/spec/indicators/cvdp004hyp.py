"""CVDP004HYP: hypertension, blood pressure recorded in the preceding 12 months.

Of patients aged 18 and over on the hypertension register, the percentage with a valid blood
pressure (a systolic and a diastolic on the same day) in the 12 months to the period end,
whatever its level."""

from tests.spec.harness import Case, Expect
from tests.spec.indicators.cvdp007hyp import DIA, HYPRES, SYS, bp, hyp
from tests.spec.rows import event, patient

INDICATOR = "CVDP004HYP"
SOURCE = ("CVDPREVENT indicator metadata for CVDP004HYP, 'Patients with GP recorded "
          "hypertension with a blood pressure reading in the preceding 12 months' (NHS England "
          "/ NHS Benchmarking Network, https://www.cvdprevent.nhs.uk/), with the CVDPREVENT "
          "processing rules for blood pressure readings and the QOF hypertension register "
          "(NHS Digital QOF business rules v49, HYP_COD, HYPRES_COD)")

CASES = [
    Case("Any valid reading in the 12 months counts, whatever its level (180/110); no reading "
         "is in the denominator only",
         [patient(1), patient(2)], [hyp(1), hyp(2), *bp(1, "2025-01-01", 180, 110)],
         Expect(1, 2, 50.0)),
    Case("The 12 months start the day after the same date a year earlier: a reading on "
         "31 March 2024 is outside the window for 31 March 2025, one on 1 April 2024 inside; "
         "one on 1 April 2025 is after the period end",
         [patient(1), patient(2), patient(3)],
         [hyp(1), hyp(2), hyp(3), *bp(1, "2024-03-31", 120, 70), *bp(2, "2024-04-01", 120, 70),
          *bp(3, "2025-04-01", 120, 70)], Expect(1, 3, 100 / 3)),
    Case("A systolic without a diastolic on the same day (or a diastolic alone) is not a "
         "reading", [patient(1), patient(2)],
         [hyp(1), hyp(2), event(1, "2025-01-01", SYS, 120), event(2, "2025-01-01", DIA, 80)],
         Expect(0, 2, 0.0)),
    Case("Invalid readings are discarded: systolic below 50 or diastolic below 20 mmHg leave "
         "no reading that day; 50/20 is valid",
         [patient(1), patient(2), patient(3)],
         [hyp(1), hyp(2), hyp(3), *bp(1, "2025-01-01", 45, 70), *bp(2, "2025-01-01", 120, 15),
          *bp(3, "2025-01-01", 50, 20)], Expect(1, 3, 100 / 3)),
    Case("A home or ambulatory reading counts as a reading",
         [patient(1)], [hyp(1), *bp(1, "2025-01-01", 130, 80, home=True)], Expect(1, 1, 100.0)),
    Case("Aged 18 or over on the period end, registered and alive on it, and on the register "
         "(resolved hypertension is out)",
         [patient(1, born="2007-03-01"), patient(2, born="2007-04-01"),
          patient(3, date_of_death="2025-02-01", registration_end="2025-02-01"), patient(4)],
         [hyp(1), hyp(2), hyp(3), hyp(4, "2010-01-01"), event(4, "2020-01-01", HYPRES),
          *[r for i in (1, 2, 3, 4) for r in bp(i, "2024-12-01", 120, 70)]],
         Expect(1, 1, 100.0)),
    Case("Each month looks back 12 months from its own end: a reading on 15 May 2024 counts on "
         "30 April 2025, not on 31 May 2025",
         [patient(1)], [hyp(1), *bp(1, "2024-05-15", 120, 70)],
         expect={"2025-04-30": Expect(1, 1, 100.0), "2025-05-31": Expect(0, 1, 0.0)}),
]
