"""HF_MRA: heart failure, treated with a mineralocorticoid receptor antagonist.

Of patients aged 18 and over on the heart failure register (QOF HF_COD not resolved by HFRES_COD)
on the period end, the percentage issued spironolactone or eplerenone in the 6 months to the
period end, counted once per patient."""

from tests.spec.harness import Case, Expect
from tests.spec.indicators.hf_sglt2i import hf, resolved_register_case
from tests.spec.rows import medication, patient

INDICATOR = "HF_MRA"
SOURCE = ("No published indicator with this definition yet (CVDPREVENT heart failure "
          "indicators, https://www.cvdprevent.nhs.uk/): the project's definition in its "
          "catalogue metadata is followed, the QOF heart failure register (NHS Digital QOF "
          "business rules v49, HF_COD, HFRES_COD) aged 18+, issued an MRA in the 6 months to "
          "the period end, the drug class as in NICE NG106 'Chronic heart failure in adults: "
          "diagnosis and management' (https://www.nice.org.uk/guidance/ng106): spironolactone "
          "(BNF 0202030S0) or eplerenone (0202030X0), dm+d codes in the project's mra_snomed "
          "codelist")

SPIRO = ("318056008", "0202030S0")  # spironolactone 25mg tablets
EPLER = ("407011007", "0202030X0")  # eplerenone 25mg tablets
AMILORIDE = ("0", "0202030C0")  # potassium-sparing, not an MRA
FUROSEMIDE = ("0", "0202020L0")  # loop diuretic


def issue(pid, date, drug=SPIRO):
    return medication(pid, date, drug[0], drug[1])


CASES = [
    Case("Spironolactone or eplerenone in the 6 months counts; amiloride and furosemide "
         "(other diuretics) do not",
         [patient(1), patient(2), patient(3), patient(4)],
         [hf(1), hf(2), hf(3), hf(4), issue(1, "2025-01-15"), issue(2, "2025-01-15", EPLER),
          issue(3, "2025-01-15", AMILORIDE), issue(4, "2025-01-15", FUROSEMIDE)],
         Expect(2, 4, 50.0)),
    Case("The 6 months start the day after the same date 6 months earlier: an issue on "
         "30 September 2024 is outside the window for 31 March 2025, one on 1 October 2024 "
         "inside, and one on the period end inside",
         [patient(1), patient(2), patient(3)],
         [hf(1), hf(2), hf(3), issue(1, "2024-09-30"), issue(2, "2024-10-01"),
          issue(3, "2025-03-31", EPLER)], Expect(2, 3, 200 / 3)),
    Case("Several issues of both drugs count the patient once", [patient(1)],
         [hf(1), issue(1, "2024-11-01"), issue(1, "2024-12-01"), issue(1, "2025-01-01", EPLER)],
         Expect(1, 1, 100.0)),
    resolved_register_case(lambda pid, date: issue(pid, date)),
    Case("Aged 18 or over on the period end and registered then: born March 2007 is in, born "
         "April 2007 (17) and a patient who left the practice in February 2025 are out",
         [patient(1, born="2007-03-01"), patient(2, born="2007-04-01"),
          patient(3, registration_end="2025-02-01")],
         [hf(1), hf(2), hf(3), issue(1, "2025-01-10"), issue(2, "2025-01-10"),
          issue(3, "2025-01-10")], Expect(1, 1, 100.0)),
    Case("An issue identified by its dm+d code (spironolactone 25mg tablets, in the MRA "
         "codelist) counts even where the record carries no BNF code",
         [patient(1)], [hf(1), medication(1, "2025-01-10", SPIRO[0], None)],
         Expect(1, 1, 100.0)),
    Case("Each month looks back 6 months from its own end: an issue on 15 September 2024 "
         "counts on 28 February 2025, not on 31 March 2025",
         [patient(1)], [hf(1), issue(1, "2024-09-15")],
         expect={"2025-02-28": Expect(1, 1, 100.0), "2025-03-31": Expect(0, 1, 0.0)}),
]
