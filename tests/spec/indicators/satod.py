"""SATOD: smoking at time of delivery.

Of the maternities (women giving birth, live or stillborn) delivered in the 12 months to the
period end, the percentage known to be smoking at the time of delivery. Women whose status at
delivery is not known stay in the denominator."""

import datetime as dt

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, pregnancy

INDICATOR = "SATOD"
SOURCE = ("NHS Digital 'Statistics on Women's Smoking Status at Time of Delivery: England' "
          "(SATOD data collection: women known to be smokers at the time of delivery as a "
          "percentage of all maternities, with status not known in the denominator; "
          "https://digital.nhs.uk/data-and-information/publications/statistical/"
          "statistics-on-women-s-smoking-status-at-time-of-delivery-england); OHID Fingertips "
          "'Smoking status at time of delivery'; age at an event in whole years from the 1st of "
          "the month of birth (docs/indicators.md, common.age_on)")

MOTHER = "1995-01-01"


def birth(pid, delivered, smoker=False, **fields):
    """A pregnancy booked about 30 weeks before its delivery."""
    booked = (dt.date.fromisoformat(delivered) - dt.timedelta(weeks=30)).isoformat()
    return pregnancy(pid, booked, smoking_at_delivery=smoker, delivery=delivered, **fields)


def mother(pid, **fields):
    return patient(pid, born=fields.pop("born", MOTHER), **fields)


# 12 months to 31 March 2025: deliveries after 31 March 2024, up to and including 31 March 2025.
CASES = [
    Case("A woman smoking at delivery counts; a non-smoker is in the denominator only",
         [mother(1), mother(2)], [birth(1, "2024-10-01", smoker=True), birth(2, "2024-10-01")],
         Expect(1, 2, 50.0)),
    Case("Deliveries in the 12 months: 31 March 2024 is outside the window for 31 March 2025, "
         "1 April 2024 inside", [mother(1), mother(2)],
         [birth(1, "2024-03-31", smoker=True), birth(2, "2024-04-01", smoker=True)],
         Expect(1, 1, 100.0)),
    Case("Smoking status at delivery not known: in the denominator, not the numerator",
         [mother(1), mother(2)],
         [birth(1, "2024-10-01", smoker=True), birth(2, "2024-10-01", smoker=None)],
         Expect(1, 2, 50.0)),
    Case("Smoking at booking but not at delivery (quit in pregnancy) does not count",
         [mother(1)], [birth(1, "2024-10-01", smoking_at_booking=True)], Expect(0, 1, 0.0)),
    Case("A pregnancy not yet delivered, and a delivery after the period end, are not "
         "maternities of the period", [mother(1), mother(2), mother(3)],
         [pregnancy(1, "2024-12-01", smoking_at_booking=True, smoking_at_delivery=True),
          birth(2, "2025-04-05", smoker=True), birth(3, "2025-01-01")], Expect(0, 1, 0.0)),
    Case("A stillbirth is a maternity: a smoker whose baby was stillborn counts",
         [mother(1)], [birth(1, "2024-10-01", smoker=True, outcome="stillbirth")],
         Expect(1, 1, 100.0)),
    Case("A late fetal loss (born dead before 24 completed weeks) is not a maternity: a smoker "
         "whose baby was born dead at 23 weeks is in neither count",
         [mother(1), mother(2)],
         [birth(1, "2024-10-01", smoker=True, outcome="stillbirth", gestation_at_birth=23),
          birth(2, "2024-10-01")], Expect(0, 1, 0.0)),
    Case("Every delivery in the period counts, including women who have since left the "
         "practice", [mother(1, registration_end="2025-02-01")],
         [birth(1, "2025-01-01", smoker=True)], Expect(1, 1, 100.0)),
    Case("Each month counts its own 12 months of deliveries: a smoker delivering on 15 April "
         "2024 counts on 31 March 2025, not on 30 April 2025, when a non-smoker delivering on "
         "10 April 2025 comes in", [mother(1), mother(2)],
         [birth(1, "2024-04-15", smoker=True), birth(2, "2025-04-10")],
         expect={"2025-03-31": Expect(1, 1, 100.0), "2025-04-30": Expect(0, 1, 0.0)}),
    Case("Age band is the mother's age at delivery in whole years from the 1st of the month of "
         "birth: born June 2007 and delivering on 1 March 2025 she is 17 (0-17), not 18",
         [mother(1, born="2007-06-01"), mother(2)],
         [birth(1, "2025-03-01", smoker=True), birth(2, "2025-03-01")],
         Expect(1, 1, 100.0), alone=True, breakdown="age_band", group="0-17"),
]
