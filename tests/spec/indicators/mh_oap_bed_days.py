"""MH_OAP_BED_DAYS: inappropriate out of area mental health placement bed days per 100,000 adults.

Bed days in the calendar month to the period end spent by adults in inappropriate out of area
placements (placed out of area because no local bed was available), per 100,000 adults (18+)
registered on the period end. A bed day is a night: each day from the admission date to the
day before discharge (a placement from 1 to 11 March is 10 bed days), or to the period end for
a placement still running; a placement that spans the month's start or end counts only its
nights inside the month. Local placements and appropriate out of area placements (patient
choice, safeguarding, ...) do not count. A placement counts for the practice the person was
registered with on its first night in the month, even if they died or left before the period
end (they are then not in the denominator)."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import mh_admission, patient

INDICATOR = "MH_OAP_BED_DAYS"
SOURCE = ("NHS England Out of Area Placements in Mental Health Services (the OAP collection, "
          "since 2022 from MHSDS; https://digital.nhs.uk/data-and-information/publications/"
          "statistical/out-of-area-placements-in-mental-health-services): an inappropriate OAP "
          "is one made because no local bed was available, and the measure is the OAP days in "
          "the period; bed days counted as occupied nights (admission date to the day before "
          "discharge, as NHS Digital HES counts spell duration); per 100,000 registered "
          "adults as the catalogue states, national ambition zero (Five Year Forward View for "
          "Mental Health, 2016)")

CASES = [
    Case("A placement from 1 to 11 March 2025 is 10 bed days; over 2 registered adults that is "
         "500,000 per 100,000 (5 per adult)",
         [patient(1), patient(2)], [mh_admission(1, "2025-03-01", "2025-03-11")],
         Expect(10, 2, 500_000.0)),
    Case("A placement spanning the period boundary counts only the nights inside the month: "
         "20 February to 5 March is 4 nights in March (1-4) and 9 in February; 28 March to 10 "
         "April is 4 nights in March (28-31) and 9 in April",
         [patient(1), patient(2)],
         [mh_admission(1, "2025-02-20", "2025-03-05"), mh_admission(2, "2025-03-28",
                                                                    "2025-04-10")],
         expect={"2025-02-28": Expect(9, 2, 450_000.0), "2025-03-31": Expect(8, 2, 400_000.0),
                 "2025-04-30": Expect(9, 2, 450_000.0)}),
    Case("A placement still running on the period end counts its nights to the period end "
         "inclusive: admitted 25 March, not discharged, is 7 bed days (25-31 March)",
         [patient(1)], [mh_admission(1, "2025-03-25")], Expect(7, 1, 700_000.0)),
    Case("Only inappropriate out of area placements count: a local placement and an "
         "out of area placement by patient choice, 10 nights each, do not; a 3-night "
         "placement for want of a local bed does",
         [patient(1), patient(2), patient(3)],
         [mh_admission(1, "2025-03-01", "2025-03-11", oap_reason=None, provider="RWK"),
          mh_admission(2, "2025-03-01", "2025-03-11", oap_reason="patient_choice"),
          mh_admission(3, "2025-03-10", "2025-03-13")], Expect(3, 3, 100_000.0)),
    Case("No nights in the month: discharged on 1 March (last night 28 February), or admitted "
         "and discharged on the same day",
         [patient(1), patient(2)],
         [mh_admission(1, "2025-02-10", "2025-03-01"),
          mh_admission(2, "2025-03-15", "2025-03-15")], Expect(0, 2, 0.0)),
    Case("The nights of a person who died during the placement count (they were registered on "
         "its first night in the month), though they are not in the period-end denominator: "
         "placed 5 March, died 15 March, 10 bed days over 1 surviving adult",
         [patient(1, date_of_death="2025-03-15", registration_end="2025-03-15"), patient(2)],
         [mh_admission(1, "2025-03-05", "2025-03-15")], Expect(10, 1, 1_000_000.0)),
    Case("Adults only: a 16-year-old's placement is not counted and under-18s are not in the "
         "denominator; an adult's 2 nights are",
         [patient(1, born="2009-01-01"), patient(2)],
         [mh_admission(1, "2025-03-01", "2025-03-11"), mh_admission(2, "2025-03-20",
                                                                    "2025-03-22")],
         Expect(2, 1, 200_000.0)),
    Case("The target is zero: a practice with registered adults and no inappropriate "
         "placement has a rate of 0",
         [patient(1), patient(2)], [], Expect(0, 2, 0.0)),
]
