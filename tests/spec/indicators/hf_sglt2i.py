"""HF_SGLT2I: heart failure, treated with an SGLT2 inhibitor.

Of patients aged 18 and over on the heart failure register (QOF HF_COD not resolved by HFRES_COD)
on the period end, the percentage issued an SGLT2 inhibitor (dapagliflozin, empagliflozin,
canagliflozin, ertugliflozin, alone or in a combination product) in the 6 months to the period
end, counted once per patient."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import event, medication, patient

INDICATOR = "HF_SGLT2I"
SOURCE = ("No published indicator with this definition yet (CVDPREVENT heart failure "
          "indicators, https://www.cvdprevent.nhs.uk/, definition pending): the project's "
          "definition in its catalogue metadata is followed, the QOF heart failure register "
          "(NHS Digital QOF business rules v49, HF_COD, HFRES_COD) aged 18+, issued an SGLT2 "
          "inhibitor in the 6 months to the period end, the drug class as in NICE NG106 "
          "'Chronic heart failure in adults: diagnosis and management' "
          "(https://www.nice.org.uk/guidance/ng106) and the project's sglt2i_snomed codelist "
          "(dm+d), BNF 6.1.2.3 chemical substances 0601023AG/AM/AN/AX (and combinations)")

HF, HFRES = "10335000", "521691000000100"  # chronic right-sided heart failure; HF resolved
DAPA = ("39689811000001104", "0601023AG")  # dapagliflozin 10mg tablets
EMPA = ("25290511000001101", "0601023AN")  # empagliflozin 10mg tablets
ACARBOSE = ("0", "0601023A0")  # BNF 6.1.2.3 too, but an alpha-glucosidase inhibitor
ALOGLIPTIN = ("0", "0601023AK")  # a DPP-4 inhibitor
DULAGLUTIDE = ("0", "0601023AQ")  # a GLP-1 agonist


def hf(pid, date="2015-01-01"):
    return event(pid, date, HF)


def issue(pid, date, drug=DAPA):
    return medication(pid, date, drug[0], drug[1])


def resolved_register_case(issue) -> Case:
    """The QOF register rule, shared by the heart failure medicine indicators: `issue(pid,
    date)` is an issue of the indicator's medicine."""
    return Case(
        "Resolved heart failure leaves the register unless diagnosed again later; a "
        "resolution on the same day as the latest diagnosis removes the patient",
        [patient(1), patient(2), patient(3)],
        [hf(1, "2010-01-01"), event(1, "2020-01-01", HFRES),
         hf(2, "2010-01-01"), event(2, "2020-01-01", HFRES), hf(2, "2022-01-01"),
         hf(3, "2020-01-01"), event(3, "2020-01-01", HFRES),
         issue(1, "2025-01-01"), issue(2, "2025-01-01"), issue(3, "2025-01-01")],
        Expect(1, 1, 100.0))


CASES = [
    Case("Issued an SGLT2 inhibitor in the 6 months counts; a patient on the register without "
         "one is in the denominator only",
         [patient(1), patient(2)], [hf(1), hf(2), issue(1, "2025-01-15")], Expect(1, 2, 50.0)),
    Case("The 6 months start the day after the same date 6 months earlier: an issue on "
         "30 September 2024 is outside the window for 31 March 2025, one on 1 October 2024 "
         "inside; one on 1 April 2025 is after the period end",
         [patient(1), patient(2), patient(3)],
         [hf(1), hf(2), hf(3), issue(1, "2024-09-30"), issue(2, "2024-10-01", EMPA),
          issue(3, "2025-04-01")], Expect(1, 3, 100 / 3)),
    Case("Several issues count the patient once", [patient(1)],
         [hf(1), issue(1, "2024-11-01"), issue(1, "2024-12-01"), issue(1, "2025-01-01", EMPA)],
         Expect(1, 1, 100.0)),
    resolved_register_case(lambda pid, date: issue(pid, date)),
    Case("Aged 18 or over on the period end and registered and alive then: born March 2007 is "
         "in, born April 2007 (17) and a patient who died in February 2025 are out",
         [patient(1, born="2007-03-01"), patient(2, born="2007-04-01"),
          patient(3, date_of_death="2025-02-01", registration_end="2025-02-01")],
         [hf(1), hf(2), hf(3), issue(1, "2025-01-10"), issue(2, "2025-01-10"),
          issue(3, "2025-01-10")], Expect(1, 1, 100.0)),
    Case("Other diabetes medicines in the same BNF paragraph are not SGLT2 inhibitors: "
         "acarbose, alogliptin and dulaglutide do not count",
         [patient(1), patient(2), patient(3)],
         [hf(1), hf(2), hf(3), issue(1, "2025-01-10", ACARBOSE),
          issue(2, "2025-01-10", ALOGLIPTIN), issue(3, "2025-01-10", DULAGLUTIDE)],
         Expect(0, 3, 0.0)),
    Case("An issue identified by its dm+d code (empagliflozin 10mg tablets, in the SGLT2 "
         "inhibitor codelist) counts even where the record carries no BNF code",
         [patient(1)], [hf(1), medication(1, "2025-01-10", EMPA[0], None)],
         Expect(1, 1, 100.0)),
    Case("Each month looks back 6 months from its own end: an issue on 15 September 2024 "
         "counts on 28 February 2025, not on 31 March 2025",
         [patient(1)], [hf(1), issue(1, "2024-09-15")],
         expect={"2025-02-28": Expect(1, 1, 100.0), "2025-03-31": Expect(0, 1, 0.0)}),
]
