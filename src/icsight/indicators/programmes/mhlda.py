"""Mental health, learning disability and autism: physical health of people with SMI, CAMHS
referrals, dementia diagnosis, autism assessment waits and out of area placements.

Strategy (BLMK Health Services Strategy, 2024, MHLDA workplan): physical health of people with
SMI, learning disability and autism; BLMK Health and Care Strategy, January 2023: "40% did not
receive their health check".
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.cohorts import (
    PERIOD,
    ROW_KEYS,
    age_on,
    disease_register,
    in_periods,
    keep_registered,
    latest_on,
    only_for,
)
from icsight.indicators.definition import Indicator
from icsight.indicators.population import (
    PopulationCounts,
    event_counts,
    population_counts,
    register_against_expected,
)
from icsight.model.codelists import codelist
from icsight.model.registration import registered_at_event
from icsight.model.schema import INAPPROPRIATE_OAP_REASONS

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

# The six checks (NHS England PHSMI): BMI, blood pressure, lipids, glucose/HbA1c, alcohol,
# smoking. Each check is a published cluster where one exists: BMI (PRIMIS BMI), total
# cholesterol (NHS Digital CHOL2_COD), HbA1c (IFCCHBAM_COD), systolic blood pressure (the QOF
# systolic observables) and smoking status (GM-SDE current/ex/never smoker sets). Two parts have
# no public codelist yet, so one SNOMED CT code stands in for each [K]: alcohol consumption
# (no ALC_COD cluster is published; 160573003 "Alcohol intake") and a blood glucose test
# without an HbA1c (33747003 "Glucose measurement, blood"), which the national definition
# ("blood glucose or HbA1c", NHS England 2018) accepts.
CHECK_CODELISTS = {
    "bmi": ("bmi_primis",),
    "cholesterol": ("chol2_cod",),
    "glucose": ("ifcchbam_cod",),
    "bp": ("systolic_bp_qof",),
    "smoking": ("smoking_current_snomed", "smoking_ex_snomed", "smoking_never_snomed"),
}
#: The checks (or parts of them) with no public codelist, and the code that stands in.
NO_PUBLIC_CODELIST = {
    "alcohol": ("160573003",),  # Alcohol intake (observable entity)
    "glucose": ("33747003",),  # Glucose measurement, blood (procedure), besides HbA1c
}


def check_codes(name: str) -> list[str]:
    """The codes that record check `name`: its codelists and any stand-in code."""
    codes = [c for listname in CHECK_CODELISTS.get(name, ()) for c in codelist(listname).codes]
    return codes + list(NO_PUBLIC_CODELIST.get(name, ()))


CHECKS = ("bmi", "bp", "cholesterol", "glucose", "alcohol", "smoking")


def _smi_checks(lake, periods: ir.Table) -> ir.Table:
    people = keep_registered(lake, disease_register(lake, periods, "mh_cod"))
    events = only_for(lake.table("clinical_events"), people)
    # The six checks in one pass over the events rather than one each: every event joined to
    # the check(s) its code records, each patient's and check's latest date matched to the
    # periods whose 12 months hold it (as `has_event` does for one check), then a column per
    # check. Same flags as six `has_event`s, a sixth of the work and a much smaller query.
    codes = pd.DataFrame([(code, i) for i, name in enumerate(CHECKS)
                          for code in dict.fromkeys(check_codes(name))],
                         columns=["_code", "_check"])
    lookup = lake.small_table("smi_check_codes", codes, {"_code": "string", "_check": "int64"})
    coded = events.join(lookup, events.snomed_code == lookup._code)
    dates = coded.select("patient_id", "_check", "date").distinct()
    hits = latest_on(dates, "date", periods, "start_12m", key=("patient_id", "_check"))
    checks = hits.group_by(["patient_id", PERIOD]).agg(
        **{name: (hits._check == i).any() for i, name in enumerate(CHECKS)})
    joined = people.left_join(checks, ["patient_id", PERIOD])
    joined = joined.drop(*[c for c in ("patient_id_right", f"{PERIOD}_right")
                           if c in joined.columns])
    people = joined.mutate(**{name: joined[name].fill_null(False) for name in CHECKS})
    all_six = people[CHECKS[0]]
    for name in CHECKS[1:]:
        all_six = all_six & people[name]
    return people.mutate(numerator=all_six)


INDICATORS.append(Indicator(
    id="SMI_HEALTH_CHECKS", title="SMI: all six physical health checks in 12 months",
    description="Percentage of people on the SMI register who had all six physical health "
                "checks (BMI, blood pressure, lipids, HbA1c, alcohol, smoking) in the last 12 "
                "months.",
    programme="mhlda", strategy="MHLDA workplan: physical health of people with SMI",
    numerator="all six checks recorded in the 12 months to the period end",
    denominator="patients on the SMI register (MH_COD)",
    rows=_smi_checks,
    codelists=("mh_cod", "bmi_primis", "systolic_bp_qof", "chol2_cod", "ifcchbam_cod",
               "smoking_current_snomed", "smoking_ex_snomed", "smoking_never_snomed"),
    target=60.0, source="NHS Digital Physical Health Checks for SMI (PHSMI); CORE20PLUS5 "
                        "target 60%. Alcohol consumption has no public codelist yet (no "
                        "ALC_COD cluster is published): one code stands in, 160573003 "
                        "'Alcohol intake'; so does 33747003 'Glucose measurement, blood' for a "
                        "blood glucose test instead of an HbA1c",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
))


def _learning_disability_prevalence(lake, periods: ir.Table) -> PopulationCounts:
    """Everyone on the learning disability register (LD_COD, 2024-12-05 release; no
    resolution cluster, no age limit) per registered patient (the period-end list, all ages).

    Source: NHS England, Quality and Outcomes Framework business rules, learning disability
    register ("The contractor establishes and maintains a register of patients with learning
    disabilities"; LD001 in QOF 2013-14, LD003/LD004 since), whose recorded prevalence QOF
    publishes as register / practice list size, all ages (https://digital.nhs.uk/data-and-
    information/publications/statistical/quality-and-outcomes-framework-achievement-prevalence
    -and-exceptions-data); England 2023-24 about 0.59%."""
    register_ = disease_register(lake, periods, "ld_cod_20241205")
    return population_counts(lake, periods, register_.select("patient_id", PERIOD))


INDICATORS.append(Indicator(
    id="LD_PREVALENCE", title="Learning disability: recorded prevalence (all ages)",
    description="Patients on the GP learning disability register as a percentage of all "
                "registered patients (QOF recorded prevalence). Only a quarter to a third of "
                "the people estimated to have a learning disability are on a GP register, and "
                "only those on it are offered the annual health check: a low figure means "
                "people missing from the register.",
    programme="mhlda", strategy="MHLDA workplan: physical health of people with a learning "
                                "disability (annual health checks need a complete register)",
    numerator="patients on the learning disability register (LD_COD, 2024-12-05 release), "
              "any age",
    denominator="registered patients, all ages (the period-end list)",
    rows=_learning_disability_prevalence, polarity="higher is better",
    codelists=("ld_cod_20241205",),
    source="NHS England Quality and Outcomes Framework: learning disability register "
           "(LD001 in 2013-14, LD003/LD004 since), recorded prevalence = register / list size "
           "(all ages); England 2023-24 about 0.59%. Register completeness (a quarter to a "
           "third of people with a learning disability on it): NHS scorecard indicator "
           "'Completeness of the GP learning disability register'. The learning disability "
           "annual health "
           "check has no public codelist yet and is not in the catalogue",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
))


def _camhs(lake, periods: ir.Table) -> PopulationCounts:
    refs = lake.table("mh_referrals")
    refs = refs.filter(refs.service == "camhs").select("patient_id", "referral_date")
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


# --- autism assessment waits and out of area placements --------------------------------------

#: NICE's standard for an autism diagnostic assessment to start (CG128 for children and young
#: people, CG142 for adults): within 3 months of referral, which NHS England's Autism Waiting
#: Time Statistics measure as 13 weeks. 13 weeks = 91 days; "13 weeks or less" includes day 91.
AUTISM_WAIT_DAYS = 13 * 7
ATTRIBUTES = ("patient_id", "practice_code", "lsoa_code", "sex", "ethnicity_group",
              "month_of_birth")


def _autism_first_appointments(lake, periods: ir.Table) -> ir.Table:
    """Suspected-autism referrals whose first appointment fell in the period end's calendar
    month, one row each, with whether it came within 13 weeks of the referral."""
    refs = lake.table("autism_referrals")
    refs = refs.filter(refs.first_appointment_date.notnull()).select(
        "patient_id", "referral_date", "first_appointment_date")
    refs = in_periods(refs, "first_appointment_date", periods, "previous_month_end")
    t = refs.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
    waited = t.first_appointment_date.delta(t.referral_date, unit="day")
    return t.select(PERIOD, *ATTRIBUTES[1:5],
                    age=age_on(t.month_of_birth, t.first_appointment_date),
                    numerator=waited <= AUTISM_WAIT_DAYS)


INDICATORS.append(Indicator(
    id="AUTISM_13WK", title="Autism assessment: first appointment within 13 weeks of referral",
    description="Of referrals for suspected autism (children and adults) whose first "
                "appointment was in the calendar month to the period end, the percentage seen "
                "within 13 weeks (91 days) of the referral. This reads NHS England's Autism "
                "Waiting Time measure on the first appointments in the period (as its current "
                "measures count patients with a first care contact in the reporting period), "
                "not on the referrals received in it (the earlier 'forward' measure, which "
                "waits on future data to count); a referral still waiting is in neither.",
    programme="mhlda", strategy="MHLDA workplan: autism assessment waits (NICE: an assessment "
                                "within 3 months of referral)",
    numerator="first appointments 13 weeks (91 days) or less after the referral",
    denominator="referrals for suspected autism with a first appointment in the calendar month",
    rows=_autism_first_appointments,  # no national target: NICE's standard is every referral
    source="NHS England Autism Waiting Time Statistics (MHSDS, referral reason 25 'suspected "
           "autism'; first attended care contact within 13 weeks of referral); NICE CG128 and "
           "CG142 (assessment to start within 3 months of referral)",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
))


def _oap_bed_days(lake, periods: ir.Table) -> PopulationCounts:
    """Inappropriate out of area placement bed days in each period end's calendar month, per
    adult: a bed day is a night (each day from admission to the day before discharge, or to
    the period end while still placed), counted only inside the month."""
    mh = lake.table("mh_admissions")
    mh = mh.filter(mh.out_of_area, mh.oap_reason.isin(list(INAPPROPRIATE_OAP_REASONS))).select(
        "patient_id", "admission_date", "discharge_date")
    day, month_start = periods[PERIOD], periods.month_start
    t = mh.join(periods.select(PERIOD, "month_start"), [
        mh.admission_date <= day,
        mh.discharge_date.isnull() | (mh.discharge_date > month_start)])
    first = ibis.greatest(t.admission_date, t.month_start)
    still_there = t.discharge_date.isnull() | (t.discharge_date > t[PERIOD])
    nights = ibis.ifelse(still_there, t[PERIOD].delta(first, unit="day") + 1,
                         t.discharge_date.delta(first, unit="day"))
    t = t.select("patient_id", PERIOD, first_night=first, nights=nights.cast("int64"))
    patients = lake.table("patients").select(
        "patient_id", *ROW_KEYS[1:-1], "month_of_birth", "registration_start",
        "registration_end", "date_of_death")
    t = t.join(patients, "patient_id")
    # the placement counts for the practice the person was registered with, and at the age
    # they were, on its first night in the month (`registered_at_event`)
    t = t.filter(registered_at_event(t, t.first_night))
    t = t.mutate(age=age_on(t.month_of_birth, t.first_night))
    t = t.filter(t.age >= 18)
    hits = t.group_by(list(ROW_KEYS)).agg(n=t.nights.sum().cast("int64"))
    return PopulationCounts(periods, (18, 200), None, hits)


INDICATORS.append(Indicator(
    id="MH_OAP_BED_DAYS",
    title="Inappropriate out of area mental health placements: bed days per 100,000 adults",
    description="Bed days in the calendar month to the period end spent by adults in "
                "inappropriate out of area placements (adult acute, older adult acute and "
                "psychiatric intensive care beds, placed out of area because no local bed was "
                "available), per 100,000 registered adults. A bed day is a night: each day from "
                "admission to the day before discharge; a placement spanning the month's start "
                "or end counts only its nights inside the month. The `numerator` column is the "
                "count of bed days NHS England publishes; the rate makes places and practices "
                "comparable. Intervals treat bed days as Poisson counts, so they understate the "
                "uncertainty (a few long placements make most of the days).",
    programme="mhlda", strategy="MHLDA workplan: eliminate inappropriate out of area "
                                "placements (NHS England planning guidance)",
    numerator="nights in the month in inappropriate out of area placements (`oap_reason` "
              "bed_unavailable) of adults registered on the placement's first night in the "
              "month",
    denominator="people aged 18 and over registered on the period end", rows=_oap_bed_days,
    method="rate", multiplier=100_000, unit="per 100,000 adults", polarity="lower is better",
    target=0.0,
    source="NHS England Out of Area Placements in Mental Health Services (OAP collection, now "
           "MHSDS): inappropriate OAPs are those made because no local bed was available; "
           "national ambition to eliminate them (Five Year Forward View for Mental Health, "
           "2016; NHS planning guidance)",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
))
