"""CAMHS_REF_RATE: referrals to children and young people's mental health services per 1,000.

Referrals received by children and young people's mental health services (CAMHS) in the 12
months to the period end, every referral counted, of people aged 0-17 when referred, per 1,000
people aged under 18 registered on the period end. Age is whole years from the 1st of the
month of birth; a referral counts for the population the child belonged to when referred."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import mh_referral, patient

INDICATOR = "CAMHS_REF_RATE"
SOURCE = ("NHS England Mental Health Services Data Set (MHSDS) monthly statistics, children "
          "and young people's measures: new referrals to children and young people's mental "
          "health services, people aged 0-17 at referral, counted by referral request received "
          "date, each referral counted (https://digital.nhs.uk/data-and-information/"
          "publications/statistical/mental-health-services-monthly-statistics); a crude rate "
          "per 1,000 under-18s with exact/Byar's limits (PHEindicatormethods phe_rate), the "
          "registered population on the period end as denominator, as the indicator's "
          "documented definition (docs/indicators.md)")


def camhs(pid, date, service="camhs"):
    return mh_referral(pid, date, service=service)


def child(pid, born="2015-01-01", **fields):
    return patient(pid, born=born, **fields)


CASES = [
    Case("Every referral counts: a child referred twice in the year counts twice, over two "
         "children registered (2 per 2 = 1,000 per 1,000)",
         [child(1), child(2)], [camhs(1, "2024-06-01"), camhs(1, "2024-11-01")],
         Expect(2, 2, 1000.0)),
    Case("Only referrals to children and young people's services count, not a child's "
         "referral to an adult community or talking therapies service",
         [child(1), child(2, born="2008-01-01")],
         [camhs(1, "2024-06-01"), camhs(2, "2024-06-01", "adult_community"),
          camhs(2, "2024-07-01", "talking_therapies")], Expect(1, 2, 500.0)),
    Case("The 12 months run from the day after the same date a year earlier to the period end "
         "inclusive: referrals on 1 April 2024 and 31 March 2025 count, 31 March 2024 does not",
         [child(1)], [camhs(1, "2024-03-31"), camhs(1, "2024-04-01"), camhs(1, "2025-03-31")],
         Expect(2, 1, 2000.0)),
    Case("The denominator is the registered under-18s on the period end, age from the 1st of "
         "the month of birth: born April 2007 is 17 on 31 March 2025 (in), born March 2007 "
         "is 18 (out)",
         [child(1, born="2007-04-01"), child(2, born="2007-03-01")],
         [camhs(1, "2024-06-01")], Expect(1, 1, 1000.0)),
    Case("A referral at 17 counts even if the young person is 18 by the period end (the age "
         "is the age at referral): born March 2007, referred in June 2024",
         [child(1, born="2007-03-01"), child(2)], [camhs(1, "2024-06-01")],
         Expect(1, 1, 1000.0)),
    Case("A referral counts for the practice the child was registered with when referred, "
         "even if the child left it before the period end",
         [child(1, registration_end="2024-12-01"), child(2)], [camhs(1, "2024-06-01")],
         Expect(1, 1, 1000.0)),
    Case("A referral made before the child registered with the practice does not count for "
         "it, though the child is in its period-end population",
         [child(1, registration_start="2024-09-01")], [camhs(1, "2024-06-01")],
         Expect(0, 1, 0.0)),
    Case("Each month of a series looks back 12 months from its own end: a referral on 15 "
         "April 2024 counts for 31 March 2025, not for 30 April 2025",
         [child(1)], [camhs(1, "2024-04-15")],
         expect={"2025-03-31": Expect(1, 1, 1000.0), "2025-04-30": Expect(0, 1, 0.0)}),
]
