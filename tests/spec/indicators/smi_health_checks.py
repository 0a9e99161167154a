"""SMI_HEALTH_CHECKS: people with severe mental illness who had all six physical health checks.

Of the patients on the GP SMI register (QOF MH_COD: schizophrenia, bipolar affective disorder
and other psychoses) who are registered and alive on the period end, the percentage with all
six checks recorded in the 12 months to the period end: BMI, blood pressure, lipids
(cholesterol), glucose (HbA1c or blood glucose), alcohol consumption and smoking status.

Each check is recorded by a code of its published cluster: BMI (PRIMIS BMI), total cholesterol
(NHS Digital CHOL2_COD), HbA1c (IFCCHBAM_COD), systolic blood pressure (the QOF systolic
observables) and smoking status (current, ex- or never smoker). Alcohol consumption has no
public codelist yet, nor has a blood glucose test: one SNOMED CT code stands in for each
(160573003 Alcohol intake; 33747003 Glucose measurement, blood)."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import event, patient

INDICATOR = "SMI_HEALTH_CHECKS"
SOURCE = ("NHS England, 'Physical Health Checks for people with Severe Mental Illness' "
          "(PHSMI, GPES extract; supporting information "
          "https://digital.nhs.uk/data-and-information/publications/statistical/"
          "physical-health-checks-for-people-with-severe-mental-illness/supporting-information"
          "): denominator the GP SMI register (MH_COD cluster) on the last day of the period, "
          "numerator all six checks in the 12 months to the period end; the six checks as "
          "NHS England's 'Improving physical healthcare for people living with severe mental "
          "illness (SMI) in primary care' (2018): weight/BMI, blood pressure, lipids, blood "
          "glucose or HbA1c, alcohol consumption, smoking status")

SCHIZOPHRENIA = "58214004"  # MH_COD
BMI, CHOL, HBA1C, ALCOHOL = "60621009", "1005671000000105", "999791000000106", "160573003"
SYSTOLIC, SYSTOLIC_ART = "271649006", "72313002"  # QOF systolic BP codes
SMOKER, EX_SMOKER, NEVER = "77176002", "8517006", "266919005"
BLOOD_GLUCOSE = "33747003"  # Glucose measurement, blood (procedure)
SERUM_TOTAL_CHOL, HBA1C_MONITORING, BASELINE_BMI = (
    "994351000000103", "1049321000000109", "846931000000101")  # CHOL2, IFCCHBAM, PRIMIS BMI
HDL = "1005681000000107"  # Serum HDL cholesterol level: not total cholesterol (CHOL2_COD)


def smi(pid, date="2015-01-01"):
    return event(pid, date, SCHIZOPHRENIA)


def checks(pid, date="2024-10-01", skip=(), smoking=SMOKER, bp=SYSTOLIC, glucose=HBA1C,
           dates=None, bmi=BMI, cholesterol=CHOL):
    """The six checks on `date` (or per check in `dates`), leaving out those in `skip`."""
    codes = {"bmi": bmi, "bp": bp, "cholesterol": cholesterol, "glucose": glucose,
             "alcohol": ALCOHOL, "smoking": smoking}
    dates = dates or {}
    return [event(pid, dates.get(name, date), code, 1.0) for name, code in codes.items()
            if name not in skip]


CASES = [
    Case("All six checks in the 12 months count; five of six (no alcohol assessment) do not",
         [patient(1), patient(2)],
         [smi(1), smi(2), *checks(1), *checks(2, skip=("alcohol",))], Expect(1, 2, 50.0)),
    Case("The 12 months run from the day after the same date a year earlier to the period end "
         "inclusive: a BMI on 1 April 2024 counts for 31 March 2025, one on 31 March 2024 "
         "does not",
         [patient(1), patient(2)],
         [smi(1), smi(2), *checks(1, dates={"bmi": "2024-04-01"}),
          *checks(2, dates={"bmi": "2024-03-31"})], Expect(1, 2, 50.0)),
    Case("Checks on the period end itself count",
         [patient(1)], [smi(1), *checks(1, "2025-03-31")], Expect(1, 1, 100.0)),
    Case("The denominator is the SMI register on the period end: a first MH_COD diagnosis "
         "after it, or none at all, keeps a patient out even with all six checks",
         [patient(1), patient(2), patient(3)],
         [smi(1), smi(2, "2025-04-02"), *checks(1), *checks(2), *checks(3)],
         Expect(1, 1, 100.0)),
    Case("Only patients registered and alive on the period end count: one who left before it "
         "and one who died are out",
         [patient(1), patient(2, registration_end="2025-01-01"),
          patient(3, date_of_death="2025-02-01", registration_end="2025-02-01")],
         [smi(1), smi(2), smi(3), *checks(1, skip=("bmi",)), *checks(2), *checks(3)],
         Expect(0, 1, 0.0)),
    Case("Any recorded smoking status is the smoking check: current smoker, ex-smoker or "
         "never smoked",
         [patient(1), patient(2), patient(3)],
         [smi(1), smi(2), smi(3), *checks(1, smoking=SMOKER), *checks(2, smoking=EX_SMOKER),
          *checks(3, smoking=NEVER)], Expect(3, 3, 100.0)),
    Case("Any systolic blood pressure code of the QOF cluster is the blood pressure check "
         "(systolic arterial pressure, 72313002)",
         [patient(1)], [smi(1), *checks(1, bp=SYSTOLIC_ART)], Expect(1, 1, 100.0)),
    Case("The glucose check is a blood glucose or an HbA1c: a blood glucose measurement "
         "without an HbA1c completes the six",
         [patient(1)], [smi(1), *checks(1, glucose=BLOOD_GLUCOSE)], Expect(1, 1, 100.0)),
    Case("Any code of each check's cluster records it (serum total cholesterol, HbA1c "
         "monitoring range, baseline BMI); an HDL cholesterol is not a total cholesterol and "
         "leaves the lipids check undone",
         [patient(1), patient(2)],
         [smi(1), smi(2),
          *checks(1, cholesterol=SERUM_TOTAL_CHOL, glucose=HBA1C_MONITORING, bmi=BASELINE_BMI),
          *checks(2, cholesterol=HDL)], Expect(1, 2, 50.0)),
    Case("Each month of a series looks back 12 months from its own end: checks all done on "
         "15 April 2024 count for 31 March 2025, not for 30 April 2025",
         [patient(1)], [smi(1), *checks(1, "2024-04-15")],
         expect={"2025-03-31": Expect(1, 1, 100.0), "2025-04-30": Expect(0, 1, 0.0)}),
]
