"""STILLBIRTH_RATE: stillbirths per 1,000 total births.

Stillbirths (babies born with no signs of life at 24 or more completed weeks of gestation) in
the 12 months to the period end, per 1,000 total births (live births at any gestation plus
stillbirths). A baby born dead before 24 weeks is a late fetal loss, in neither count."""

import datetime as dt

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, pregnancy

INDICATOR = "STILLBIRTH_RATE"
SOURCE = ("MBRRACE-UK 'Perinatal Mortality Surveillance Report' definitions (stillbirth: a baby "
          "delivered at or after 24+0 weeks gestational age showing no signs of life; rate per "
          "1,000 total births, live and still; https://timms.le.ac.uk/mbrrace-uk-perinatal-"
          "mortality/surveillance/), as in the Stillbirth (Definition) Act 1992 and ONS "
          "'Births in England and Wales' (stillbirth rate per 1,000 live and still births)")

MOTHER = "1995-01-01"


def birth(pid, delivered, stillborn=False, weeks=40, **fields):
    booked = (dt.date.fromisoformat(delivered) - dt.timedelta(weeks=20)).isoformat()
    return pregnancy(pid, booked, delivery=delivered, gestation_at_birth=weeks,
                     outcome="stillbirth" if stillborn else "live_birth", **fields)


def mother(pid, **fields):
    return patient(pid, born=MOTHER, **fields)


CASES = [
    Case("One stillbirth in four births is 1 / 4 x 1,000 = 250 per 1,000",
         [mother(i) for i in (1, 2, 3, 4)],
         [birth(1, "2024-10-01", stillborn=True, weeks=32), birth(2, "2024-10-01"),
          birth(3, "2024-11-01"), birth(4, "2024-12-01")], Expect(1, 4, 250.0)),
    Case("Births in the 12 months: a stillbirth on 31 March 2024 is outside the window for "
         "31 March 2025, one on 1 April 2024 inside (1 / 2 x 1,000 = 500)",
         [mother(1), mother(2), mother(3)],
         [birth(1, "2024-03-31", stillborn=True, weeks=30),
          birth(2, "2024-04-01", stillborn=True, weeks=30), birth(3, "2024-10-01")],
         Expect(1, 2, 500.0)),
    Case("A stillbirth is at 24 or more completed weeks: born dead at 24 weeks counts, at 23 "
         "weeks is a late fetal loss in neither count (1 / 2 x 1,000 = 500)",
         [mother(1), mother(2), mother(3)],
         [birth(1, "2024-10-01", stillborn=True, weeks=24),
          birth(2, "2024-10-01", stillborn=True, weeks=23), birth(3, "2024-10-01")],
         Expect(1, 2, 500.0)),
    Case("A live birth counts in total births at any gestation, even before 24 weeks "
         "(1 / 2 x 1,000 = 500)", [mother(1), mother(2)],
         [birth(1, "2024-10-01", weeks=23), birth(2, "2024-10-01", stillborn=True, weeks=30)],
         Expect(1, 2, 500.0)),
    Case("A pregnancy not yet delivered, and a birth after the period end, are not births of "
         "the period (0 / 1 = 0 per 1,000)", [mother(1), mother(2), mother(3)],
         [pregnancy(1, "2024-12-01"), birth(2, "2025-04-05", stillborn=True, weeks=30),
          birth(3, "2025-01-01")], Expect(0, 1, 0.0)),
    Case("Each month counts its own 12 months of births: a stillbirth on 15 April 2024 counts "
         "on 31 March 2025 (1 / 2 = 500 per 1,000), not on 30 April 2025 (0 / 2, with a live "
         "birth on 10 April 2025)", [mother(1), mother(2), mother(3)],
         [birth(1, "2024-04-15", stillborn=True, weeks=36), birth(2, "2025-01-01"),
          birth(3, "2025-04-10")],
         expect={"2025-03-31": Expect(1, 2, 500.0), "2025-04-30": Expect(0, 2, 0.0)}),
]
