"""Long-term conditions programme: hypertension (CVDPREVENT) and heart failure medicines.

Strategy (BLMK Health Services Strategy, 2024, long-term conditions workplan): hypertension
treated to target above 80% by the end of 2025, narrowing the deprivation gradient; heart
failure SGLT2i/MRA optimisation.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from icsight.indicators.cohorts import (
    PERIOD,
    ROW_KEYS,
    age_on,
    disease_register,
    flag,
    has_event,
    in_periods,
    keep_registered,
    only_for,
    registered_patients,
    starts_with_any,
)
from icsight.indicators.definition import Indicator
from icsight.indicators.population import (
    PopulationCounts,
    emergency_admissions_per_person,
    event_counts,
    population_counts,
    register_against_expected,
)
from icsight.model.codelists import codelist

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

#: BNF chemical codes of the SGLT2 inhibitors and their combinations (BNF 6.1.2.3 also holds
#: DPP-4 inhibitors, GLP-1 agonists and acarbose, which must not count).
SGLT2I_BNF = ("0601023AG", "0601023AL", "0601023AM", "0601023AP", "0601023AN", "0601023AR",
              "0601023AX", "0601023AY")  # dapagliflozin(/metformin), canagliflozin(/metformin),
#                                        empagliflozin(/metformin), ertugliflozin, empa/lina
MRA_BNF = ("0202030S0", "0202030X0")  # spironolactone, eplerenone


def _heart_failure(lake, periods: ir.Table, medicines: str, bnf: tuple[str, ...]) -> ir.Table:
    """Heart failure register (18+) flagged for an issue of the medicine class in 6 months: a
    dm+d product in the class's codelist, or (for records without one) its BNF chemicals."""
    people = keep_registered(lake, disease_register(lake, periods, "hf_cod", "hfres_cod"))
    people = people.filter(people.age >= 18)
    meds = only_for(lake.table("medications"), people)
    products = codelist(medicines).codes

    def is_drug(m):
        return m.dmd_code.isin(products) | starts_with_any(m.bnf_code, bnf).fill_null(False)

    issued = has_event(meds, "date", periods, "start_6m", is_drug)
    return flag(people, issued, "numerator")


INDICATORS.append(Indicator(
    id="HF_SGLT2I", title="Heart failure: treated with an SGLT2 inhibitor",
    description="Of patients on the heart failure register, the percentage issued an SGLT2 "
                "inhibitor in the last 6 months (CVDP004HF-style; one of the four pillars of "
                "HFrEF treatment, NICE NG106).",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: heart failure SGLT2i/MRA optimisation",
    numerator="issued an SGLT2i (dm+d sglt2i_snomed, or BNF dapagliflozin, canagliflozin, "
              "empagliflozin, ertugliflozin and their combinations) in the 6 months to the "
              "period end",
    denominator="patients aged 18+ on the heart failure register (HF_COD not resolved)",
    rows=lambda lake, periods: _heart_failure(lake, periods, "sglt2i_snomed", SGLT2I_BNF),
    codelists=("hf_cod", "hfres_cod", "sglt2i_snomed"),
    source="CVDPREVENT CVDP004HF (definition pending the API metadata); NICE NG106",
))
INDICATORS.append(Indicator(
    id="HF_MRA", title="Heart failure: treated with a mineralocorticoid receptor antagonist",
    description="Of patients on the heart failure register, the percentage issued an MRA "
                "(spironolactone or eplerenone) in the last 6 months.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: heart failure SGLT2i/MRA optimisation",
    numerator="issued an MRA (dm+d mra_snomed, or BNF spironolactone 0202030S0, eplerenone "
              "0202030X0) in 6 months",
    denominator="patients aged 18+ on the heart failure register (HF_COD not resolved)",
    rows=lambda lake, periods: _heart_failure(lake, periods, "mra_snomed", MRA_BNF),
    codelists=("hf_cod", "hfres_cod", "mra_snomed"),
    source="NICE NG106 (four pillars); CVDPREVENT CVDP003HF",
))


def _flu_65(lake, periods: ir.Table) -> PopulationCounts:
    """Registered people aged 65 or over on 31 March of the season (UKHSA's cohort), with a
    vaccination in the season. The most recent season that has opened is reported: in
    September (before most of a season's doses) the previous one, 1 September to 31 August
    (`periods.flu_season`)."""
    vacc = lake.table("vaccinations")
    vacc = vacc.filter(vacc.vaccine == "influenza").select("patient_id", "date")
    given = vacc.join(periods.select(PERIOD, "season_start", "season_end"),
                      [vacc.date >= periods.season_start, vacc.date <= periods.season_end])
    given = given.select("patient_id", PERIOD).distinct()
    cohort_age = _age_on_season_date(lake, periods)
    given = given.left_join(cohort_age, ["patient_id", PERIOD])
    given = given.select(given.patient_id, given[PERIOD], given.cohort_age)
    counts = population_counts(lake, periods, given, (64, 200),
                               keep=lambda t: t.cohort_age.fill_null(t.age) >= 65)
    # The registered population is counted by age on the period end: move the people whose
    # age on 31 March puts them on the other side of 65 (64 now and 65 by 31 March in the
    # autumn; 65 now but 64 on 31 March in the spring and summer).
    near = keep_registered(lake, cohort_age.select("patient_id", PERIOD, "cohort_age"))
    near = near.filter(near.age.isin([64, 65]), (near.age >= 65) != (near.cohort_age >= 65))
    moved = near.select(*ROW_KEYS, n=ibis.ifelse(near.cohort_age >= 65, 1, -1).cast("int64"))
    return PopulationCounts(periods, (65, 200), None, counts.numerator, moved)


def _age_on_season_date(lake, periods: ir.Table) -> ir.Table:
    """(patient_id, period_end, cohort_age) for people aged 64-66 on a period end: their age on
    the season's 31 March (the only ages whose cohort can differ from their age then)."""
    people = registered_patients(lake.table("patients").select(
        "patient_id", "month_of_birth", "registration_start", "registration_end",
        "date_of_death"), periods)
    people = people.join(periods.select(PERIOD, "season_age_date"), PERIOD)
    people = people.filter(age_on(people.month_of_birth, people[PERIOD]).between(64, 66))
    return people.select("patient_id", PERIOD,
                         cohort_age=age_on(people.month_of_birth, people.season_age_date))


INDICATORS.append(Indicator(
    id="FLU_65", title="Seasonal influenza vaccination, 65 and over (season to date)",
    description="Percentage of registered people aged 65+ vaccinated against influenza in the "
                "current season (from 1 September; for September period ends, the season just "
                "finished).",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC and CORE20PLUS5 chronic respiratory disease: vaccination "
                              "uptake to reduce exacerbations and admissions",
    numerator="an influenza vaccination in the season (1 September to the period end)",
    denominator="registered people aged 65+", rows=_flu_65, target=75.0,
    source="UKHSA seasonal influenza vaccine uptake (GP patients); WHO/UKHSA ambition 75%",
))


# --- outcomes: premature mortality and heart failure admissions, age-standardised -----------

MORTALITY_SOURCE = ("OHID Public Health Outcomes Framework / Fingertips: under 75 mortality "
                    "rates (all-cause within each group of diseases), ESP2013, Dobson limits "
                    "(PHEindicatormethods calculate_dsr)")


def _premature_deaths(lake, periods: ir.Table, cause_prefix: str) -> PopulationCounts:
    """Deaths under 75 with an underlying cause starting `cause_prefix`, in the 12 months to
    each period end, per registered population under 75 (plus the people who died in the
    year, who were at risk for part of it)."""
    deaths = lake.table("deaths").select("patient_id", "date_of_death", "underlying_cause")
    deaths = in_periods(deaths, "date_of_death", periods, "start_12m")
    patients = lake.table("patients").select("patient_id", *ROW_KEYS[1:-1], "month_of_birth",
                                              "registration_start", "registration_end")
    d = deaths.join(patients, "patient_id")
    d = d.mutate(age=age_on(d.month_of_birth, d.date_of_death), n=ibis.literal(1, "int64"))
    # registered with the practice when they died (a registration ends on the day of death)
    d = d.filter(d.age <= 74, d.registration_start <= d.date_of_death,
                 d.registration_end.isnull() | (d.registration_end >= d.date_of_death))
    died = d.filter(d.underlying_cause.startswith(cause_prefix))
    return PopulationCounts(periods, (0, 74), None, died.select(*ROW_KEYS, "n"),
                            d.select(*ROW_KEYS, "n"))


for _id, _title, _prefix, _codes in (
    ("PREM_MORT_CVD", "Under 75 mortality from cardiovascular disease", "I", "I00-I99"),
    ("PREM_MORT_RESP", "Under 75 mortality from respiratory disease", "J", "J00-J99"),
    ("PREM_MORT_CANCER", "Under 75 mortality from cancer", "C", "C00-C97"),
):
    INDICATORS.append(Indicator(
        id=_id, title=_title + " (directly age-standardised)",
        description=f"Deaths under 75 with an underlying cause of {_codes} in the 12 months to "
                    "the period end, per 100,000 registered people under 75, directly "
                    "age-standardised to the 2013 European Standard Population.",
        numerator_basis="events in the period of people registered at the event",
        denominator_basis="period-end list and deaths in the period",
        programme="ltc",
        strategy="LTC workplan and CORE20PLUS5: reduce premature mortality and its "
                 "deprivation gap (cardiovascular, respiratory, cancer)",
        numerator=f"deaths aged under 75, underlying cause ICD-10 {_codes} (ONS death "
                  "registrations)",
        denominator="registered people aged 0-74 on the period end, plus those who died aged "
                    "under 75 in the 12 months",
        rows=lambda lake, periods, p=_prefix: _premature_deaths(lake, periods, p),
        method="dsr", multiplier=100_000, unit="per 100,000", polarity="lower is better",
        source=MORTALITY_SOURCE + "; 12-month rolling here (Fingertips pools 3 years)",
    ))


def _hf_admissions(lake, periods: ir.Table) -> PopulationCounts:
    return emergency_admissions_per_person(lake, periods,
                                  lambda s: s.primary_diagnosis.startswith("I50"))


INDICATORS.append(Indicator(
    id="HF_ADM_DSR", title="Emergency admissions for heart failure (directly age-standardised)",
    description="Emergency admissions with a primary diagnosis of heart failure (ICD-10 I50) in "
                "the 12 months to the period end per 100,000 registered people, "
                "age-standardised to the 2013 European Standard Population.",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: heart failure optimisation to prevent admissions",
    numerator="emergency admissions (spells) with primary diagnosis I50 in the 12 months",
    denominator="people registered on the period end", rows=_hf_admissions, method="dsr",
    multiplier=100_000, unit="per 100,000", polarity="lower is better",
    source="NHS Outcomes Framework / CVDPREVENT outcome: emergency heart failure admissions; "
           "ESP2013, Dobson limits (PHEindicatormethods calculate_dsr)",
))


def _msk_first_attendances(lake, periods: ir.Table) -> PopulationCounts:
    op = lake.table("op_appointments")
    op = op.filter(op.first_attendance, op.attended == "attended",
                   op.treatment_function.isin(list(MSK_TREATMENT_FUNCTIONS)))
    op = in_periods(op.select("patient_id", "appointment_date"), "appointment_date", periods,
                    "start_12m")
    return event_counts(lake, periods, op, "appointment_date")


#: Trauma and orthopaedics, rheumatology (NHS Data Dictionary treatment function codes); MSK
#: physiotherapy (650) and community MSK services are not in the outpatient data here.
MSK_TREATMENT_FUNCTIONS = ("110", "410")

INDICATORS.append(Indicator(
    id="MSK_REF_RATE", title="MSK referrals seen: first outpatient attendances per 1,000",
    description="First outpatient attendances in trauma and orthopaedics or rheumatology in "
                "the 12 months to the period end, per 1,000 registered people: referrals into "
                "secondary care musculoskeletal services that were seen.",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: musculoskeletal conditions; fragile services and "
                              "planned care: demand for T&O",
    numerator="first attended outpatient appointments, treatment functions 110 and 410",
    denominator="people registered on the period end", rows=_msk_first_attendances,
    method="rate", multiplier=1000, unit="per 1,000", polarity="no polarity",
    source="NHS Data Dictionary treatment function codes; SUS+/HES Outpatients (first "
           "attendances stand in for referrals, which are not in the outpatient data)",
))


def _hypertension_detection(lake, periods: ir.Table) -> PopulationCounts:
    return register_against_expected(lake, periods, "hyp_cod", "hypres_cod", (18, 200),
                                     "hypertension_expected")


INDICATORS.append(Indicator(
    id="HYP_DETECTION", title="Hypertension: recorded prevalence against expected (18+)",
    description="People aged 18 and over on the hypertension register as a percentage of the "
                "number expected to have hypertension (diagnosed or not) given the registered "
                "population's age and sex: how much hypertension has been found.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="expected count",
    programme="ltc", strategy="LTC workplan and CORE20PLUS5: hypertension case finding (find "
                              "the undiagnosed, narrowing the deprivation gap)",
    numerator="patients aged 18+ on the hypertension register (HYP_COD not resolved)",
    denominator="expected cases: registered people 18+ by age band and sex x the estimated "
                "prevalence of hypertension in England (the `denominator` column)",
    rows=_hypertension_detection, method="ratio", multiplier=100, unit="% of expected",
    codelists=("hyp_cod", "hypres_cod"),
    source="Faculty of Public Health Hypertension Ready Reckoner (Health Survey for England), "
           "age-sex prevalence as tabulated by Devon JSNA; exact/Byar's limits as for an ISR",
))
