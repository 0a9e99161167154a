"""LOW_BIRTHWEIGHT: low birthweight of live babies (under 2,500 g).

Of the live births in the 12 months to the period end with a stated birthweight, the
percentage weighing under 2,500 grams, at any gestation. Stillbirths are left out, and so are
live births whose weight is not stated."""

import datetime as dt

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, pregnancy

INDICATOR = "LOW_BIRTHWEIGHT"
SOURCE = ("ONS 'Birth characteristics in England and Wales' (low birthweight: live births "
          "under 2,500 g as a percentage of live births with stated birthweight; "
          "https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/"
          "livebirths/datasets/birthcharacteristicsinenglandandwales) and OHID Fingertips "
          "'Low birth weight of all babies' (live births with a stated weight under 2,500 g "
          "as a percentage of all live births with a stated weight; "
          "https://fingertips.phe.org.uk/search/low%20birth%20weight)")

MOTHER = "1995-01-01"


def birth(pid, delivered, grams=3400, **fields):
    booked = (dt.date.fromisoformat(delivered) - dt.timedelta(weeks=30)).isoformat()
    return pregnancy(pid, booked, delivery=delivered, birthweight=grams, **fields)


def mother(pid, **fields):
    return patient(pid, born=MOTHER, **fields)


CASES = [
    Case("Under 2,500 g is low: 2,499 g counts, 2,500 g does not",
         [mother(1), mother(2)], [birth(1, "2024-10-01", 2499), birth(2, "2024-10-01", 2500)],
         Expect(1, 2, 50.0)),
    Case("Stillbirths are in neither count: a stillborn baby of 1,800 g is left out",
         [mother(1), mother(2)],
         [birth(1, "2024-10-01", 1800, outcome="stillbirth", gestation_at_birth=33),
          birth(2, "2024-10-01", 2000)], Expect(1, 1, 100.0)),
    Case("Live births whose birthweight is not stated are left out of the denominator",
         [mother(1), mother(2)], [birth(1, "2024-10-01", 2000), birth(2, "2024-10-01", None)],
         Expect(1, 1, 100.0)),
    Case("All live babies count, not only term babies: 2,000 g at 34 weeks is low",
         [mother(1), mother(2)],
         [birth(1, "2024-10-01", 2000, gestation_at_birth=34), birth(2, "2024-10-01")],
         Expect(1, 2, 50.0)),
    Case("Births in the 12 months: 31 March 2024 is outside the window for 31 March 2025, "
         "1 April 2024 inside", [mother(1), mother(2)],
         [birth(1, "2024-03-31", 2000), birth(2, "2024-04-01", 2000)], Expect(1, 1, 100.0)),
    Case("A pregnancy not yet delivered, and a birth after the period end, are not births of "
         "the period", [mother(1), mother(2), mother(3)],
         [pregnancy(1, "2024-12-01"), birth(2, "2025-04-05", 2000), birth(3, "2025-01-01")],
         Expect(0, 1, 0.0)),
    Case("Each month counts its own 12 months of births: a 2,000 g baby born 15 April 2024 "
         "counts on 31 March 2025, not on 30 April 2025, when a 3,400 g baby born 10 April "
         "2025 comes in", [mother(1), mother(2)],
         [birth(1, "2024-04-15", 2000), birth(2, "2025-04-10")],
         expect={"2025-03-31": Expect(1, 1, 100.0), "2025-04-30": Expect(0, 1, 0.0)}),
]
