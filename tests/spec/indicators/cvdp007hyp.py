"""CVDP007HYP: hypertension treated to the appropriate threshold (all ages).

Of patients aged 18 and over on the hypertension register, the percentage whose most recent
blood pressure in the preceding 12 months is at or below the age-appropriate threshold."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import event, patient

INDICATOR = "CVDP007HYP"
SOURCE = ("CVDPREVENT indicator metadata for CVDP007HYP (NHS England / NHS Benchmarking "
          "Network, https://www.cvdprevent.nhs.uk/), with the CVDPREVENT processing rules for "
          "blood pressure readings and the QOF hypertension register (HYP_COD, HYPRES_COD)")

HYP, HYPRES = "59621000", "162659009"
SYS, DIA = "271649006", "271650006"  # clinic systolic and diastolic
HOME_SYS, HOME_DIA = "198081000000101", "198091000000104"  # ambulatory


def bp(pid, date, systolic, diastolic, home=False):
    return [event(pid, date, HOME_SYS if home else SYS, systolic),
            event(pid, date, HOME_DIA if home else DIA, diastolic)]


def hyp(pid, date="2015-01-01"):
    return event(pid, date, HYP)


CASES = [
    Case("A last reading within the threshold (130/80 under 80) counts as treated to target",
         [patient(1)], [hyp(1), *bp(1, "2024-06-01", 130, 80)], Expect(1, 1, 100.0)),
    Case("The 12 months start the day after the same date a year earlier: a reading on "
         "31 March 2024 is outside the window for 31 March 2025, one on 1 April 2024 inside",
         [patient(1), patient(2)],
         [hyp(1), hyp(2), *bp(1, "2024-03-31", 120, 70), *bp(2, "2024-04-01", 120, 70)],
         Expect(1, 2, 50.0)),
    Case("No valid reading in the 12 months: in the denominator, not the numerator",
         [patient(1)], [hyp(1)], Expect(0, 1, 0.0)),
    Case("Two readings on one day: the lowest systolic and the lowest diastolic are taken, "
         "even from different readings (150/70 and 130/95 give 130/70)",
         [patient(1)], [hyp(1), *bp(1, "2024-09-01", 150, 70), *bp(1, "2024-09-01", 130, 95)],
         Expect(1, 1)),
    Case("The latest day's reading decides, even when an earlier one was within target",
         [patient(1)], [hyp(1), *bp(1, "2024-09-01", 120, 70), *bp(1, "2025-01-01", 150, 95)],
         Expect(0, 1)),
    Case("Age 80 and over on the period end (from the month of birth) gets 150/90: born "
         "April 1945 is 79 on 31 March 2025, born March 1945 is 80; both read 145/88",
         [patient(1, born="1945-04-01"), patient(2, born="1945-03-01")],
         [hyp(1), hyp(2), *bp(1, "2025-01-10", 145, 88), *bp(2, "2025-01-10", 145, 88)],
         Expect(1, 2)),
    Case("At the threshold counts (140/90); one over on either side does not (141/90, "
         "140/91)", [patient(1), patient(2), patient(3)],
         [hyp(1), hyp(2), hyp(3), *bp(1, "2024-12-01", 140, 90), *bp(2, "2024-12-01", 141, 90),
          *bp(3, "2024-12-01", 140, 91)], Expect(1, 3)),
    Case("Resolved hypertension leaves the register unless diagnosed again later; a "
         "resolution on the same day as the latest diagnosis removes the patient",
         [patient(1), patient(2), patient(3)],
         [hyp(1, "2010-01-01"), event(1, "2020-01-01", HYPRES),
          hyp(2, "2010-01-01"), event(2, "2020-01-01", HYPRES), hyp(2, "2022-01-01"),
          hyp(3, "2020-01-01"), event(3, "2020-01-01", HYPRES),
          *bp(1, "2024-10-01", 120, 70), *bp(2, "2024-10-01", 120, 70),
          *bp(3, "2024-10-01", 120, 70)], Expect(1, 1)),
    Case("Home and ambulatory readings use 135/85 from the June 2024 extract: 137/84 at "
         "home in January 2025 is above target",
         [patient(1)], [hyp(1), *bp(1, "2025-01-01", 137, 84, home=True)], Expect(0, 1)),
    Case("Before the June 2024 extract home readings use the clinic thresholds: 137/84 at "
         "home in December 2023 is within 140/90 on 31 March 2024",
         [patient(1)], [hyp(1), *bp(1, "2023-12-01", 137, 84, home=True)],
         as_of="2024-03-31", expect=Expect(1, 1)),
    Case("A day with clinic and home readings uses the clinic thresholds (137/84 home and "
         "139/86 clinic: 137/84 against 140/90)",
         [patient(1)], [hyp(1), *bp(1, "2025-01-01", 137, 84, home=True),
                        *bp(1, "2025-01-01", 139, 86)], Expect(1, 1)),
    Case("A systolic without a diastolic on the same day is not a reading: the earlier "
         "complete reading (150/95) is the last BP",
         [patient(1)], [hyp(1), *bp(1, "2024-12-01", 150, 95), event(1, "2025-01-01", SYS, 120)],
         Expect(0, 1)),
    Case("Systolic below 50 mmHg is invalid and discarded, and with it that day's reading",
         [patient(1)], [hyp(1), *bp(1, "2025-01-01", 150, 95), *bp(1, "2025-03-01", 45, 70)],
         Expect(0, 1)),
    Case("Diastolic below 20 mmHg is invalid and discarded, and with it that day's reading",
         [patient(1)], [hyp(1), *bp(1, "2025-01-01", 150, 95), *bp(1, "2025-03-01", 120, 15)],
         Expect(0, 1)),
    Case("Only the registered and alive on the period end count: deregistered or died "
         "before, registered or diagnosed after are out; leaving after the period end is in",
         [patient(1, registration_end="2025-01-01"),
          patient(2, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(4, registration_start="2025-04-01"), patient(5),
          patient(6, registration_end="2025-04-30")],
         [hyp(1), hyp(2), hyp(4), hyp(5, "2025-04-02"), hyp(6)], Expect(0, 1)),
    Case("Aged 18 or over on the period end: born March 2007 is 18 on 31 March 2025, born "
         "April 2007 is 17",
         [patient(1, born="2007-03-01"), patient(2, born="2007-04-01")],
         [hyp(1), hyp(2), *bp(1, "2025-01-01", 120, 70), *bp(2, "2025-01-01", 120, 70)],
         Expect(1, 1)),
    Case("Each month of a series looks back 12 months from its own end: a reading on 15 May "
         "2024 counts on 31 March and 30 April 2025, not on 31 May 2025",
         [patient(1)], [hyp(1), *bp(1, "2024-05-15", 120, 70)],
         expect={"2025-03-31": Expect(1, 1), "2025-04-30": Expect(1, 1),
                 "2025-05-31": Expect(0, 1)}),
    Case("Breakdown by age band: 80+ holds the patients aged 80 and over on the period end",
         [patient(1), patient(2, sex="male"), patient(3, born="1940-01-01"), patient(4)],
         [hyp(i) for i in (1, 2, 3, 4)] + [
             *bp(1, "2025-01-01", 120, 70), *bp(2, "2025-01-01", 120, 70),
             *bp(3, "2025-01-01", 148, 80), *bp(4, "2025-01-01", 160, 100)],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="80+"),
    Case("Breakdown by sex: the women of the same four patients, 2 of 3 treated to target",
         [patient(1), patient(2, sex="male"), patient(3, born="1940-01-01"), patient(4)],
         [hyp(i) for i in (1, 2, 3, 4)] + [
             *bp(1, "2025-01-01", 120, 70), *bp(2, "2025-01-01", 120, 70),
             *bp(3, "2025-01-01", 148, 80), *bp(4, "2025-01-01", 160, 100)],
         Expect(2, 3), alone=True, breakdown="sex", group="female"),
]
