"""PRETERM: preterm births (under 37 completed weeks).

Of the births (live and still) in the 12 months to the period end with a stated gestation,
the percentage born before 37 completed weeks of gestation. Births whose gestation is not
stated are left out."""

import datetime as dt

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, pregnancy

INDICATOR = "PRETERM"
SOURCE = ("NHS England 'Saving Babies' Lives Care Bundle' (version 3, element 5: reducing "
          "preterm birth; national ambition to reduce preterm births from 8% to 6%; "
          "https://www.england.nhs.uk/publication/saving-babies-lives-version-three/), with "
          "preterm as born before 37 completed weeks (WHO) and the rate as a percentage of "
          "births with stated gestation, as ONS 'Birth characteristics in England and Wales' "
          "publishes it (https://www.ons.gov.uk/peoplepopulationandcommunity/"
          "birthsdeathsandmarriages/livebirths/datasets/birthcharacteristicsinenglandandwales); "
          "births live and still, as the catalogue's denominator says")

MOTHER = "1995-01-01"


def birth(pid, delivered, weeks=40, **fields):
    booked = (dt.date.fromisoformat(delivered) - dt.timedelta(weeks=20)).isoformat()
    return pregnancy(pid, booked, delivery=delivered, gestation_at_birth=weeks, **fields)


def mother(pid, **fields):
    return patient(pid, born=MOTHER, **fields)


CASES = [
    Case("Before 37 completed weeks is preterm: 36 weeks counts, 37 weeks does not",
         [mother(1), mother(2)], [birth(1, "2024-10-01", 36), birth(2, "2024-10-01", 37)],
         Expect(1, 2, 50.0)),
    Case("Stillbirths are births: a baby stillborn at 30 weeks is a preterm birth",
         [mother(1), mother(2)],
         [birth(1, "2024-10-01", 30, outcome="stillbirth", birthweight=1400),
          birth(2, "2024-10-01")], Expect(1, 2, 50.0)),
    Case("A baby born dead before 24 completed weeks is a late fetal loss, not a birth "
         "(Stillbirth (Definition) Act 1992): stillborn at 23 weeks is in neither count, at "
         "24 weeks it is a preterm birth",
         [mother(1), mother(2), mother(3)],
         [birth(1, "2024-10-01", 23, outcome="stillbirth", birthweight=500),
          birth(2, "2024-10-01", 24, outcome="stillbirth", birthweight=600),
          birth(3, "2024-10-01")], Expect(1, 2, 50.0)),
    Case("Births whose gestation is not stated are left out of the denominator",
         [mother(1), mother(2)], [birth(1, "2024-10-01", 36), birth(2, "2024-10-01", None)],
         Expect(1, 1, 100.0)),
    Case("Births in the 12 months: 31 March 2024 is outside the window for 31 March 2025, "
         "1 April 2024 inside", [mother(1), mother(2)],
         [birth(1, "2024-03-31", 34), birth(2, "2024-04-01", 34)], Expect(1, 1, 100.0)),
    Case("A pregnancy not yet delivered, and a birth after the period end, are not births of "
         "the period", [mother(1), mother(2), mother(3)],
         [pregnancy(1, "2024-12-01"), birth(2, "2025-04-05", 32), birth(3, "2025-01-01")],
         Expect(0, 1, 0.0)),
    Case("Each month counts its own 12 months of births: a 35-week birth on 15 April 2024 "
         "counts on 31 March 2025, not on 30 April 2025, when a term birth on 10 April 2025 "
         "comes in", [mother(1), mother(2)],
         [birth(1, "2024-04-15", 35), birth(2, "2025-04-10")],
         expect={"2025-03-31": Expect(1, 1, 100.0), "2025-04-30": Expect(0, 1, 0.0)}),
]
