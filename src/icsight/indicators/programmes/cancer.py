"""Cancer programme: screening coverage as the national KPIs define it.

Coverage is a point-in-time measure on the period end: of the eligible population, the share
with an adequate screen within the look-back (NHS England screening KPIs, as OHID Fingertips
defines coverage; breast standards per Nuffield Trust QualityWatch; cervical per NHS Digital,
Cervical Screening Programme, England 2023-24). People whose screening was ceased for clinical
reasons leave the denominator.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from icsight.indicators.cohorts import PERIOD, age_on, has_event, in_periods
from icsight.indicators.definition import Indicator
from icsight.indicators.population import (
    PopulationCounts,
    population_counts,
    population_rows,
)

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

STRATEGY = "Cancer Board workplan: screening coverage (bowel, breast, cervical) and HPV uptake"


#: programme -> (ages, look-back in months, women only, longer look-back from 50 or None)
SCREENING = {
    "bowel": ((60, 74), 30, False, None),
    "breast": ((53, 70), 36, True, None),
    "cervical": ((25, 64), 42, True, 66),
}


def screening_rule(lake, periods: ir.Table, programme: str) -> dict:
    """The arguments of `population_counts` (and of its patient-level twin `population_rows`)
    that define a programme's coverage: who is screened (`numerator`), the ages and sex
    eligible, who is excluded (screening ceased) and, for cervical screening, which look-back
    applies at which age (`keep`)."""
    ages, months, women_only, older_months = SCREENING[programme]
    screening = lake.table("screening")
    ceased = has_event(screening, "date", periods, None,
                       lambda s: (s.programme == programme) & (s.event == "ceased"))
    tests = screening.filter(screening.programme == programme, screening.event == "tested")
    sex = "female" if women_only else None
    recent = has_event(tests, "date", periods, f"start_{months}m")
    if older_months is None:
        return {"numerator": recent, "ages": ages, "sex": sex, "exclude": ceased}
    # Cervical: under 50s within the shorter look-back, 50 and over within the longer one.
    # Anyone screened in the shorter window is also in the longer one, so the 50-and-overs
    # come from the longer window and the under-50s from the shorter.
    longer = has_event(tests, "date", periods, f"start_{older_months}m")
    either = recent.mutate(shorter=ibis.literal(True)).union(
        longer.mutate(shorter=ibis.literal(False)))
    return {"numerator": either, "ages": ages, "sex": sex, "exclude": ceased,
            "keep": lambda t: t.shorter == (t.age < 50)}


def _coverage(lake, periods: ir.Table, programme: str) -> PopulationCounts:
    return population_counts(lake, periods, **screening_rule(lake, periods, programme))


def screening_patients(lake, periods: ir.Table, programme: str) -> ir.Table:
    """Everyone in a screening coverage indicator's denominator, one row per person and
    period, with `numerator` (screened within the look-back): `population_rows` with the
    indicator's own rule (`screening_rule`)."""
    return population_rows(lake, periods, **screening_rule(lake, periods, programme))


INDICATORS.append(Indicator(
    id="SCREEN_BOWEL", title="Bowel cancer screening coverage (60-74)",
    description="Percentage of people aged 60-74 adequately screened for bowel cancer in the "
                "previous 30 months.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="cancer", strategy=STRATEGY,
    numerator="an adequate FIT result in the 30 months to the period end",
    denominator="registered people aged 60-74, excluding those ceased for clinical reasons",
    rows=lambda lake, periods: _coverage(lake, periods, "bowel"),
    target=76.0, source="NHS bowel screening KPI (Fingertips definition); achievable 76% "
                        "(thresholds from April 2025)",
))
INDICATORS.append(Indicator(
    id="SCREEN_BREAST", title="Breast cancer screening coverage (53-70)",
    description="Percentage of women aged 53-70 screened for breast cancer in the previous 36 "
                "months.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="cancer", strategy=STRATEGY,
    numerator="an adequate screen in the 36 months to the period end",
    denominator="registered women aged 53-70, excluding those ceased",
    rows=lambda lake, periods: _coverage(lake, periods, "breast"),
    target=80.0, source="NHS breast screening KPI; acceptable 70%, achievable 80%",
))
INDICATORS.append(Indicator(
    id="SCREEN_CERVICAL", title="Cervical screening coverage (25-64, age-appropriate)",
    description="Percentage of women aged 25-64 screened within 3.5 years (ages 25-49) or "
                "5.5 years (ages 50-64).",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="cancer", strategy=STRATEGY,
    numerator="an adequate test within 3.5 years (25-49) or 5.5 years (50-64)",
    denominator="registered women aged 25-64, excluding those ceased",
    rows=lambda lake, periods: _coverage(lake, periods, "cervical"),
    target=80.0, source="NHS cervical screening KPI (NHS Digital Cervical Screening Programme); "
                        "acceptable 80%",
))


def hpv_rule(lake, periods: ir.Table) -> dict:
    """HPV_BY_14's arguments of `population_counts`: registered 14-year-olds, with an HPV
    vaccination on record by the period end."""
    vacc = lake.table("vaccinations")
    vacc = vacc.filter(vacc.vaccine == "hpv").select("patient_id", "date")
    return {"numerator": has_event(vacc, "date", periods, None), "ages": (14, 14)}


def _hpv(lake, periods: ir.Table) -> PopulationCounts:
    return population_counts(lake, periods, **hpv_rule(lake, periods))


def hpv_patients(lake, periods: ir.Table) -> ir.Table:
    """Everyone in HPV_BY_14's denominator with `numerator` (vaccinated): `population_rows`
    with the indicator's own rule (`hpv_rule`)."""
    return population_rows(lake, periods, **hpv_rule(lake, periods))


INDICATORS.append(Indicator(
    id="HPV_BY_14", title="HPV vaccination by age 14",
    description="Percentage of registered 14-year-olds with an HPV vaccination on record "
                "(offered in school Year 8, with catch-up in Years 9-10).",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="cancer", strategy=STRATEGY,
    numerator="at least one HPV vaccination recorded", denominator="registered people aged 14",
    rows=_hpv, target=90.0,
    source="UKHSA HPV vaccination coverage (Year 8-10); national aspiration 90%",
))


#: An emergency admission for cancer this many days before diagnosis (or on the day) makes
#: the diagnosis an emergency presentation.
EMERGENCY_ROUTE_DAYS = 30
ATTRIBUTES = ("patient_id", "cell", "practice_code", "lsoa_code", "sex", "ethnicity_group",
              "month_of_birth")


def _emergency_presentations(lake, periods: ir.Table) -> ir.Table:
    diagnoses = lake.table("cancer_diagnoses")
    spells = lake.table("apc_spells")
    spells = spells.filter(spells.admission_method == "emergency",
                           spells.primary_diagnosis.startswith("C"))
    spells = spells.select("patient_id", "admission_date")
    j = diagnoses.left_join(spells, [
        diagnoses.patient_id == spells.patient_id,
        spells.admission_date <= diagnoses.diagnosis_date,
        spells.admission_date >= diagnoses.diagnosis_date
        - ibis.interval(days=EMERGENCY_ROUTE_DAYS)])
    per_diagnosis = j.group_by(["patient_id", "diagnosis_date", "site"]).agg(
        emergency=j.admission_date.notnull().any())
    t = in_periods(per_diagnosis, "diagnosis_date", periods, "start_12m")
    t = t.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
    return t.mutate(age=age_on(t.month_of_birth, t.diagnosis_date), numerator=t.emergency)


INDICATORS.append(Indicator(
    id="CANCER_EMERGENCY_PRESENTATION", title="Cancers diagnosed as emergency presentations",
    description="Percentage of new cancer diagnoses in the 12 months to the period end made "
                f"after an emergency admission for cancer in the {EMERGENCY_ROUTE_DAYS} days "
                "up to diagnosis: late diagnosis, worse survival.",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    programme="cancer", strategy="Cancer Board workplan: earlier diagnosis (75% at stage 1-2 "
                                 "by 2028); fewer emergency presentations",
    numerator=f"diagnoses with an emergency admission (primary diagnosis ICD-10 C) in the "
              f"{EMERGENCY_ROUTE_DAYS} days up to and including the diagnosis date",
    denominator="new cancer diagnoses (cancer registry) in the 12 months to the period end",
    rows=_emergency_presentations, polarity="lower is better",
    source="NDRS Routes to Diagnosis (emergency presentation route, from registry data linked "
           "to HES); here from the linked registry and admitted patient care records",
))


# --- cancer waiting times (issue 10) ---------------------------------------------------------

CWT_SOURCE = ("NHS England Cancer Waiting Times (CWT) statistics and the CWT guidance "
              "(Cancer Waiting Times: National Cancer Waiting Times Monitoring Dataset "
              "Guidance, version 12, standards from 1 October 2023), "
              "https://www.england.nhs.uk/statistics/statistical-work-areas/"
              "cancer-waiting-times/")
#: Routes in the 28-day faster diagnosis standard: urgent suspected cancer referrals, breast
#: symptomatic referrals and urgent referrals from screening (not consultant upgrades).
FDS_ROUTES = ("urgent_suspected_cancer", "breast_symptomatic", "screening")
#: Routes in the 62-day combined standard: every referral route and consultant upgrades.
TREATMENT_ROUTES = (*FDS_ROUTES, "consultant_upgrade")
FDS_DAYS, TREATMENT_DAYS = 28, 62
CWT_STRATEGY = ("Cancer Board workplan: cancer waiting times (28-day faster diagnosis, 62-day "
                "referral to treatment); NHS England 2025/26 planning guidance")


def _cwt(lake, periods: ir.Table, clock_stop: str, routes: tuple[str, ...],
         days: int) -> ir.Table:
    """Cancer pathways whose clock stopped (`clock_stop`) in the calendar month to the period
    end, one row per pathway, met when the stop is at most `days` after the referral (day 0;
    CWT counts the day after the clock start as day 1)."""
    cp = lake.table("cancer_pathways")
    cp = cp.filter(cp[clock_stop].notnull(), cp.route.isin(list(routes))).select(
        "patient_id", "referral_date", clock_stop)
    cp = in_periods(cp, clock_stop, periods, "previous_month_end")
    t = cp.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
    waited = t[clock_stop].delta(t.referral_date, unit="day")
    return t.select(PERIOD, *ATTRIBUTES[2:6], age=age_on(t.month_of_birth, t.referral_date),
                    numerator=waited <= days)


INDICATORS.append(Indicator(
    id="CANCER_FDS_28D", title="Cancer: diagnosed or cancer ruled out within 28 days",
    description="Percentage of cancer pathways (urgent suspected cancer, breast symptomatic "
                "and screening referrals) whose faster diagnosis clock stopped in the month to "
                "the period end (cancer diagnosed and the patient told, or cancer ruled out) "
                "within 28 days of the referral being received.",
    programme="cancer", strategy=CWT_STRATEGY,
    numerator="pathways told of a diagnosis or that cancer is ruled out within 28 days of the "
              "referral (the 28th day counts)",
    denominator="urgent suspected cancer, breast symptomatic and urgent screening referrals "
                "whose faster diagnosis clock stopped in the calendar month (consultant "
                "upgrades are outside the standard)",
    rows=lambda lake, periods: _cwt(lake, periods, "faster_diagnosis_date", FDS_ROUTES,
                                    FDS_DAYS),
    target=80.0, target_date="2026-03-31",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    source=CWT_SOURCE + "; 28-day Faster Diagnosis Standard 75%, 80% by March 2026 (NHS "
                        "England 2025/26 priorities and operational planning guidance)",
))
INDICATORS.append(Indicator(
    id="CANCER_62D", title="Cancer: first treatment within 62 days of referral",
    description="Percentage of first definitive treatments for cancer in the month to the "
                "period end that started within 62 days of the urgent referral, screening "
                "referral or consultant upgrade (the 62-day combined standard).",
    programme="cancer", strategy=CWT_STRATEGY,
    numerator="first definitive treatments within 62 days of the referral or upgrade (the "
              "62nd day counts)",
    denominator="first definitive treatments in the calendar month of pathways started by an "
                "urgent suspected cancer, breast symptomatic or screening referral or a "
                "consultant upgrade",
    rows=lambda lake, periods: _cwt(lake, periods, "first_treatment_date", TREATMENT_ROUTES,
                                    TREATMENT_DAYS),
    target=75.0, target_date="2026-03-31",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    source=CWT_SOURCE + "; 62-day operational standard 85%, interim target 75% by March 2026 "
                        "(NHS England 2025/26 priorities and operational planning guidance)",
))
