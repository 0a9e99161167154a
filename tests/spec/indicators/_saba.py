"""Shared rules for CYP_ASTHMA_SABA3, CYP_ASTHMA_SABA6 and CYP_ASTHMA_SABA12: the same
denominator (5-17 year olds on the QOF asthma register) and the same count of short-acting
reliever (SABA) issues in the 12 months to the period end, with a threshold of 3, 6 or 12.

Not a spec itself (no INDICATOR): each indicator's module builds its cases from here."""

import datetime as dt

from tests.spec.harness import Case, Expect
from tests.spec.rows import event, medication, patient

SOURCE = (
    "NHS England National Bundle of Care for Children and Young People with Asthma "
    "(https://www.england.nhs.uk/childhood-asthma/): a review for children and young people "
    "issued {why}; Royal College of Physicians, Why asthma still kills: the National Review "
    "of Asthma Deaths (NRAD, 2014); SABA inhalers as in the OpenPrescribing SABA measure "
    "(BNF 0301011R0 salbutamol, 0301011V0 terbutaline, https://openprescribing.net/measure/"
    "saba/); the register is the QOF asthma cluster AST_COD less ASTRES_COD (NHS Digital QOF "
    "business rules v49, https://digital.nhs.uk/data-and-information/data-collections-and-"
    "data-sets/data-collections/quality-and-outcomes-framework-qof), as the catalogue states"
)

AST, ASTRES = "195967001", "162660004"  # Asthma (AST_COD); Asthma resolved (ASTRES_COD)
SALBUTAMOL = ("3408611000001107", "0301011R0AAAAAA")  # salbutamol 100mcg/dose inhaler (AAH)
# Terbutaline 500mcg/dose Turbohaler: selected by its BNF chemical (0301011V0); the dm+d code
# is not part of the rule and none is packaged, so a placeholder stands in for it.
TERBUTALINE = ("0", "0301011V0BBADAA")
BECLOMETASONE = ("3175711000001102", "0302000C0AAAAAA")  # an ICS inhaler: not a reliever


def ast(pid, date="2018-01-01"):
    return event(pid, date, AST)


def saba(pid, date, drug=SALBUTAMOL):
    return medication(pid, date, drug[0], drug[1])


def issues(pid, k, first="2024-06-01", drug=SALBUTAMOL):
    """k SABA issues a fortnight apart from `first` (12 issues run to mid-November 2024)."""
    day = dt.date.fromisoformat(first)
    return [saba(pid, (day + dt.timedelta(days=14 * i)).isoformat(), drug) for i in range(k)]


def cases(n: int) -> list[Case]:
    below = n - 1
    return [
        Case(f"{n} or more SABA issues in the 12 months count; {below} do not",
             [patient(1, born="2015-06-01"), patient(2, born="2015-06-01")],
             [ast(1), ast(2), *issues(1, n), *issues(2, below)], Expect(1, 2, 50.0)),
        Case("The 12 months start the day after the same date a year earlier: an issue on "
             "31 March 2024 is outside the window for 31 March 2025, one on 1 April 2024 and "
             "one on the period end are inside",
             [patient(1, born="2015-06-01"), patient(2, born="2015-06-01")],
             [ast(1), ast(2),
              saba(1, "2024-03-31"), *issues(1, below - 1), saba(1, "2025-03-31"),
              saba(2, "2024-04-01"), *issues(2, below - 1), saba(2, "2025-03-31")],
             Expect(1, 2, 50.0)),
        Case("Issues after the period end do not count: "
             f"{below} in the year and one on 1 April 2025 are fewer than {n}",
             [patient(1, born="2015-06-01")],
             [ast(1), *issues(1, below), saba(1, "2025-04-01")], Expect(0, 1, 0.0)),
        Case("Aged 5 to 17 on the period end, counting from the month of birth: born March "
             "2020 is 5 and born March 2008 is 17 on 31 March 2025 (in), born April 2020 is 4 "
             "and born March 2007 is 18 (out)",
             [patient(1, born="2020-03-01"), patient(2, born="2008-03-01"),
              patient(3, born="2020-04-01"), patient(4, born="2007-03-01")],
             [ast(p, "2024-01-01") for p in (1, 2, 3, 4)]
             + [x for p in (1, 2, 3, 4) for x in issues(p, n)], Expect(2, 2, 100.0)),
        Case("On the asthma register on the period end: latest AST_COD after any ASTRES_COD; "
             "resolved asthma is out unless diagnosed again later, a resolution on the day of "
             "the latest diagnosis takes the child off, and no asthma code at all is out",
             [patient(p, born="2012-06-01") for p in (1, 2, 3, 4)],
             [ast(1, "2018-01-01"), event(1, "2020-01-01", ASTRES),
              ast(2, "2018-01-01"), event(2, "2020-01-01", ASTRES), ast(2, "2022-01-01"),
              ast(3, "2020-01-01"), event(3, "2020-01-01", ASTRES)]
             + [x for p in (1, 2, 3, 4) for x in issues(p, n)], Expect(1, 1, 100.0)),
        Case("An asthma diagnosis after the period end does not count towards it",
             [patient(1, born="2012-06-01")], [ast(1, "2025-04-02"), *issues(1, n)],
             Expect(0, 0)),
        Case("Registered and alive on the period end: a child who left the practice or died "
             "before it is out; one who leaves after it is in",
             [patient(1, born="2012-06-01", registration_end="2025-02-01"),
              patient(2, born="2012-06-01", date_of_death="2025-03-01",
                      registration_end="2025-03-01"),
              patient(3, born="2012-06-01", registration_end="2025-04-30")],
             [ast(1), ast(2), ast(3)] + [x for p in (1, 2, 3) for x in issues(p, n)],
             Expect(1, 1, 100.0)),
        Case("Terbutaline inhalers are SABAs and count with salbutamol; an inhaled "
             "corticosteroid (beclometasone) is not a reliever and does not",
             [patient(1, born="2015-06-01"), patient(2, born="2015-06-01")],
             [ast(1), ast(2), *issues(1, below), saba(1, "2025-02-01", TERBUTALINE),
              *issues(2, below), saba(2, "2025-02-01", BECLOMETASONE)], Expect(1, 2, 50.0)),
        Case("Every issue counts, including two issued on the same day",
             [patient(1, born="2015-06-01")],
             [ast(1), *issues(1, below), saba(1, "2024-06-01")], Expect(1, 1, 100.0)),
        Case("Each month looks back 12 months from its own end: with the earliest of "
             f"{n} issues on 15 April 2024 the child counts on 31 March 2025 but not on "
             "30 April 2025",
             [patient(1, born="2015-06-01")],
             [ast(1), saba(1, "2024-04-15"), *issues(1, below)],
             expect={"2025-03-31": Expect(1, 1, 100.0), "2025-04-30": Expect(0, 1, 0.0)}),
    ]
