"""CYP_ASTHMA_ADM: emergency admissions for asthma of children and young people under 19.

Emergency admissions in the 12 months to the period end with a primary diagnosis of asthma
(ICD-10 J45-J46) of people aged 0 to 18 at admission, every admission counted, per 100,000
people aged 0 to 18 registered on the period end (a crude rate). As in Fingertips, the
numerator counts every admission in the period of a child registered at the time, including
children who have since died or moved away."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, spell

INDICATOR = "CYP_ASTHMA_ADM"
SOURCE = ("OHID Fingertips indicator 90810, Hospital admissions for asthma (under 19 years), "
          "crude rate per 100,000 (Child and Maternal Health profile, "
          "https://fingertips.phe.org.uk/search/asthma#page/6/ind-90810): emergency "
          "admissions, primary diagnosis ICD-10 J45-J46, age 0-18 at admission; with the "
          "project's documented choice (docs/indicators.md) of the registered population "
          "on the period end as the denominator and a rolling 12 months")


def child(pid, born="2015-06-01", **kw):
    return patient(pid, born=born, **kw)


def asthma(pid, date, diagnosis="J459", method="emergency"):
    return spell(pid, date, method=method, diagnosis=diagnosis)


CASES = [
    Case("An emergency admission for asthma counts; the rate is per 100,000 registered "
         "children: 1 admission among 2 children is 50,000 per 100,000",
         [child(1), child(2)], [asthma(1, "2024-10-01")], Expect(1, 2, 50_000.0)),
    Case("Asthma is a primary diagnosis of J45 or J46 (status asthmaticus counts); an "
         "elective asthma admission and an emergency admission for another diagnosis do not",
         [child(1), child(2), child(3)],
         [asthma(1, "2024-10-01", "J46X"), asthma(2, "2024-10-01", method="elective"),
          asthma(3, "2024-10-01", "J069")],
         Expect(1, 3, 100_000 / 3)),
    Case("Every admission counts, not every child: two admissions of one child are 2",
         [child(1)], [asthma(1, "2024-06-01"), asthma(1, "2024-11-20", "J450")],
         Expect(2, 1, 200_000.0)),
    Case("The 12 months start the day after the same date a year earlier: admissions on "
         "1 April 2024 and on 31 March 2025 count for 31 March 2025; on 31 March 2024 or "
         "1 April 2025 they do not",
         [child(1), child(2)],
         [asthma(1, "2024-03-31"), asthma(1, "2024-04-01"), asthma(2, "2025-03-31"),
          asthma(2, "2025-04-01")], Expect(2, 2, 100_000.0)),
    Case("The denominator is everyone registered aged 0 to 18 on the period end, from the "
         "month of birth: born April 2006 (18) and January 2025 (0) are in, born March 2006 "
         "(19) and an adult are out",
         [child(1, born="2006-04-01"), child(2, born="2025-01-01"),
          child(3, born="2006-03-01"), patient(4)], [], Expect(0, 2, 0.0)),
    Case("Age is taken at admission: born March 2006, admitted in January 2025 aged 18, "
         "counts though 19 (and out of the denominator) on the period end",
         [child(1, born="2006-03-01"), child(2)], [asthma(1, "2025-01-10")],
         Expect(1, 1, 100_000.0)),
    Case("An admission of someone aged 19 at admission does not count",
         [child(1, born="2005-06-01"), child(2)], [asthma(1, "2024-12-10")],
         Expect(0, 1, 0.0)),
    Case("Admissions of children registered at the time count even if they later died or "
         "moved away before the period end",
         [child(1, date_of_death="2025-01-15", registration_end="2025-01-15"),
          child(2, registration_end="2024-12-01"), child(3)],
         [asthma(1, "2024-10-01"), asthma(2, "2024-09-01")], Expect(2, 1, 200_000.0)),
    Case("An admission before the child registered with the practice is not one of its "
         "admissions: the child was not registered there at the time",
         [child(1, registration_start="2024-12-01")], [asthma(1, "2024-10-01")],
         Expect(0, 1, 0.0)),
    Case("Each month counts its own 12 months: an admission on 15 April 2024 counts on "
         "31 March 2025 and not on 30 April 2025",
         [child(1)], [asthma(1, "2024-04-15")],
         expect={"2025-03-31": Expect(1, 1, 100_000.0), "2025-04-30": Expect(0, 1, 0.0)}),
]
