"""LD_PREVALENCE: learning disability register, recorded prevalence (all ages).

Of patients registered and alive on the period end (every age), the percentage on the
learning disability register: a code of the QOF learning disability cluster (LD_COD, the
2024-12-05 release) on or before the period end. The register has no resolution cluster and
no age limit: once coded, a patient stays on it."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import event, patient

INDICATOR = "LD_PREVALENCE"
SOURCE = ("NHS England Quality and Outcomes Framework, learning disability register ('The "
          "contractor establishes and maintains a register of patients with learning "
          "disabilities', LD001 in 2013-14, LD003/LD004 later), cluster LD_COD "
          "(nhsd-primary-care-domain-refsets/ld_cod/20241205 on OpenCodelists); recorded "
          "prevalence as QOF publishes it, register / list size, all ages "
          "(https://digital.nhs.uk/data-and-information/publications/statistical/"
          "quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data)")

INTELLECTUAL_DISABILITY = "110359009"  # LD_COD, in both the 2021 and the 2024 releases
DOWN_SYNDROME = "41040004"  # Complete trisomy 21 syndrome: LD_COD
MICROLISSENCEPHALY = "1003374009"  # LD_COD 2024-12-05, not in the 2021-01-27 release
AUTISM = "35919005"  # Pervasive developmental disorder: not an LD_COD code


def ld(pid, date="2015-06-01", code=INTELLECTUAL_DISABILITY):
    return event(pid, date, code)


CASES = [
    Case("A patient with a learning disability code is on the register; registered patients "
         "without one are in the denominator only",
         [patient(1), patient(2), patient(3), patient(4)], [ld(1)], Expect(1, 4, 25.0)),
    Case("Any code of the cluster counts (Down's syndrome); so does a code new in the "
         "2024-12-05 release (microlissencephaly); a code outside the cluster (autism "
         "without a learning disability) does not",
         [patient(1), patient(2), patient(3)],
         [ld(1, code=DOWN_SYNDROME), ld(2, code=MICROLISSENCEPHALY), ld(3, code=AUTISM)],
         Expect(2, 3, 200 / 3)),
    Case("All ages: a child of 3 on the register counts, and children count in the "
         "denominator",
         [patient(1, born="2021-06-01"), patient(2, born="2021-06-01")],
         [ld(1, "2023-01-01")], Expect(1, 2, 50.0)),
    Case("Only people registered and alive on the period end count: deregistered or died "
         "before it, or registered after it, are in neither count; leaving after it is in",
         [patient(1, registration_end="2025-01-01"),
          patient(2, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(3, registration_start="2025-04-01"),
          patient(4, registration_end="2025-04-30"), patient(5)],
         [ld(1), ld(2), ld(3), ld(4)], Expect(1, 2, 50.0)),
    Case("A code on the period end counts; one the day after does not",
         [patient(1), patient(2)], [ld(1, "2025-03-31"), ld(2, "2025-04-01")],
         Expect(1, 2, 50.0)),
    Case("Each month counts the register on its own end: coded 10 February 2025, off the "
         "register at the end of January and on it from the end of February",
         [patient(1), patient(2)], [ld(1, "2025-02-10")],
         expect={"2025-01-31": Expect(0, 2, 0.0), "2025-02-28": Expect(1, 2, 50.0),
                 "2025-03-31": Expect(1, 2, 50.0)}),
]
