"""Mental health, learning disability and autism: physical health of people with SMI.

Strategy (BLMK Health Services Strategy, 2024, MHLDA workplan): physical health of people with
SMI, learning disability and autism; BLMK Health and Care Strategy, January 2023: "40% did not
receive their health check".
"""

from __future__ import annotations

import ibis.expr.types as ir

from icsight.indicators.cohorts import (
    disease_register,
    flag,
    has_event,
    in_periods,
    keep_registered,
    only_for,
)
from icsight.indicators.definition import Indicator
from icsight.indicators.population import (
    PopulationCounts,
    event_counts,
    register_against_expected,
)
from icsight.model.codelists import codelist

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

# The six checks (NHS England PHSMI): BMI, blood pressure, lipids, glucose/HbA1c, alcohol,
# smoking. SNOMED CT codes as recorded in GP systems [K]; BP uses the QOF systolic codelist.
CHECKS = {
    "bmi": ["60621009"],
    "cholesterol": ["1005671000000105"],
    # "blood glucose or HbA1c" (NHS England, 2018): an HbA1c or a blood glucose measurement
    "glucose": ["999791000000106", "33747003"],
    "alcohol": ["160573003"],
}


def _smi_checks(lake, periods: ir.Table) -> ir.Table:
    people = keep_registered(lake, disease_register(lake, periods, "mh_cod"))
    events = only_for(lake.table("clinical_events"), people)
    smoking = (codelist("smoking_current_snomed").codes + codelist("smoking_ex_snomed").codes
               + codelist("smoking_never_snomed").codes)
    checks = {**CHECKS, "bp": codelist("systolic_bp_qof").codes, "smoking": smoking}
    for name, codes in checks.items():
        people = flag(people, has_event(events, "date", periods, "start_12m",
                                        lambda e, c=codes: e.snomed_code.isin(c)), name)
    all_six = people.bmi
    for name in ("cholesterol", "glucose", "alcohol", "bp", "smoking"):
        all_six = all_six & people[name]
    return people.mutate(numerator=all_six)


INDICATORS.append(Indicator(
    id="SMI_HEALTH_CHECKS", title="SMI: all six physical health checks in 12 months",
    description="Percentage of people on the SMI register who had all six physical health "
                "checks (BMI, blood pressure, lipids, HbA1c, alcohol, smoking) in the last 12 "
                "months.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="mhlda", strategy="MHLDA workplan: physical health of people with SMI",
    numerator="all six checks recorded in the 12 months to the period end",
    denominator="patients on the SMI register (MH_COD)",
    rows=_smi_checks, codelists=("mh_cod", "systolic_bp_qof", "smoking_current_snomed"),
    target=60.0, source="NHS Digital Physical Health Checks for SMI (PHSMI); CORE20PLUS5 "
                        "target 60%",
))


def _camhs(lake, periods: ir.Table) -> PopulationCounts:
    refs = lake.table("mh_referrals")
    refs = refs.filter(refs.service == "camhs").select("patient_id", "referral_date")
    refs = in_periods(refs, "referral_date", periods, "start_12m")
    return event_counts(lake, periods, refs, "referral_date", (0, 17))  # aged 0-17 at referral


INDICATORS.append(Indicator(
    id="CAMHS_REF_RATE", title="CAMHS referrals per 1,000 children and young people",
    description="Referrals to children and young people's mental health services in 12 months "
                "per 1,000 registered under-18s.",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
    programme="mhlda", strategy="MHLDA workplan; BLMK Health and Care Strategy "
                                "(2023): emotional wellbeing for young people, "
                                "referrals rising since the pandemic",
    numerator="CAMHS referrals received in the 12 months to the period end",
    denominator="people under 18 registered on the period end", rows=_camhs, method="rate",
    multiplier=1000, unit="per 1,000", polarity="no polarity",
    source="Mental Health Services Data Set (MHSDS) CYP referrals",
))


def _dementia_diagnosis_rate(lake, periods: ir.Table) -> PopulationCounts:
    return register_against_expected(lake, periods, "dem_cod", None, (65, 200),
                                     "dementia_cfas2")


INDICATORS.append(Indicator(
    id="DEMENTIA_DIAGNOSIS_RATE", title="Dementia: estimated diagnosis rate (65+)",
    description="People aged 65 and over with a recorded diagnosis of dementia as a percentage "
                "of the number estimated to have dementia, given the registered population's "
                "age and sex (CFAS II prevalence rates).",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="expected count",
    programme="mhlda", strategy="MHLDA workplan: dementia diagnosis (national ambition 66.7%)",
    numerator="patients aged 65+ on the dementia register (DEM_COD)",
    denominator="expected cases: registered people 65+ by 5-year band and sex x CFAS II "
                "prevalence (the `denominator` column)",
    rows=_dementia_diagnosis_rate, method="ratio", multiplier=100, unit="% of expected",
    target=66.7, codelists=("dem_cod",),
    source="NHS England/NHS Digital: Dementia 65+ estimated diagnosis rate (Primary Care "
           "Dementia Data), CFAS II rates (Matthews et al., Lancet 2013)",
))
