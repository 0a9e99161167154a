"""Urgent and emergency care: A&E four-hour performance and emergency admissions.

Strategy (BLMK Health Services Strategy, 2024, UEC workplan): avoid unnecessary overnight
admissions; national A&E standard (78% within 4 hours by March 2025/26).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from icsight.indicators.cohorts import PERIOD, age_on, in_periods, starts_with_any
from icsight.indicators.definition import Indicator
from icsight.indicators.population import (
    PopulationCounts,
    emergency_admissions_per_person,
    population_counts,
)

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

ATTRIBUTES = ("patient_id", "cell", "practice_code", "lsoa_code", "sex", "ethnicity_group",
              "month_of_birth")


def _attendances(lake, periods: ir.Table) -> ir.Table:
    """A&E attendances arriving in each period's month, with minutes in the department
    (shared by the A&E indicators)."""
    def build() -> ir.Table:
        ec = lake.table("ec_attendances").select("patient_id", "arrival", "departure",
                                                 "department_type")
        ec = ec.mutate(arrival_date=ec.arrival.date())
        ec = in_periods(ec, "arrival_date", periods, "previous_month_end")
        t = ec.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
        minutes = (t.departure.epoch_seconds() - t.arrival.epoch_seconds()) / 60
        return t.select(PERIOD, *ATTRIBUTES[2:6], "department_type", minutes=minutes,
                        age=age_on(t.month_of_birth, t.arrival_date))

    t = lake.shared("attendances", periods, build)
    return t.mutate(numerator=t.minutes <= 240)


INDICATORS.append(Indicator(
    id="AE_4HR", title="A&E: attendances admitted, transferred or discharged within 4 hours",
    description="Percentage of A&E attendances (all types) in the month to the period end that "
                "left within 4 hours of arrival.",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    programme="uec", strategy="UEC workplan; NHS constitutional standard (95%), interim 78%",
    numerator="attendances leaving within 4 hours of arrival",
    denominator="A&E attendances by BLMK residents arriving in the calendar month",
    rows=_attendances, target=78.0, target_date="2026-03-31",
    source="NHS England A&E attendances and emergency admissions (4-hour standard); ECDS",
))


def _emergency_admissions(lake, periods: ir.Table) -> ir.Table:
    return emergency_admissions_per_person(lake, periods,
                                           lambda s: s.admission_method == "emergency")


INDICATORS.append(Indicator(
    id="EMERG_ADM_RATE", title="Emergency admissions per 1,000 registered population",
    description="Emergency hospital admissions in the 12 months to the period end per 1,000 "
                "people registered on that date (crude rate).",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
    programme="uec", strategy="UEC workplan: avoid unnecessary overnight admissions (up to 20% "
                              "avoidable)",
    numerator="emergency admissions (spells) in the 12 months to the period end",
    denominator="people registered on the period end", rows=_emergency_admissions,
    method="rate", multiplier=1000, unit="per 1,000", polarity="lower is better",
    source="NHS England/HES emergency admissions; crude rate with exact/Byar's limits "
           "(PHEindicatormethods phe_rate)",
))


def _type1_attendances(lake, periods: ir.Table) -> ir.Table:
    t = _attendances(lake, periods)
    t = t.filter(t.department_type == "01")
    return t.mutate(numerator=t.minutes > 12 * 60)


INDICATORS.append(Indicator(
    id="AE_12HR", title="Type 1 A&E: attendances over 12 hours from arrival",
    description="Percentage of type 1 (major) A&E attendances in the month to the period end "
                "that spent more than 12 hours in the department from arrival.",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    programme="uec", strategy="UEC workplan: long waits in A&E",
    numerator="attendances with more than 12 hours from arrival to departure",
    denominator="type 1 A&E attendances arriving in the calendar month", rows=_type1_attendances,
    polarity="lower is better",
    source="NHS England A&E statistics: 12 hours from arrival (ECDS); planning guidance aims "
           "for under 10%",
))


def _discharges(lake, periods: ir.Table) -> ir.Table:
    spells = lake.table("apc_spells")
    spells = spells.filter(spells.admission_method == "emergency")
    spells = in_periods(spells, "discharge_date", periods, "previous_month_end")
    t = spells.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
    los = t.discharge_date.delta(t.admission_date, unit="day")
    age = age_on(t.month_of_birth, t.admission_date)
    return t.mutate(age=age, numerator=los >= 21)


INDICATORS.append(Indicator(
    id="STAYS_21D", title="Emergency spells of 21 days or more",
    description="Percentage of emergency hospital spells ending in the month that lasted 21 "
                "days or more (long stays).",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    programme="uec", strategy="UEC workplan: unnecessary hospital stays",
    numerator="spells with a length of stay of 21 days or more",
    denominator="emergency spells discharged in the calendar month", rows=_discharges,
    polarity="lower is better",
    source="NHS England long-stay patients (21+ days) metric; SUS+ APC",
))

#: The chronic ambulatory care sensitive conditions of NHS Outcomes Framework 2.3.i (NHS
#: Digital indicator specification IAP00068, CCG OIS 2.6), as ICD-10 primary diagnosis
#: prefixes (no dot): chronic hepatitis B, diabetes, iron deficiency anaemia, dementia,
#: convulsions and epilepsy, congestive heart failure, angina, hypertension, atrial
#: fibrillation and flutter, COPD, asthma.
CHRONIC_ACSC = {
    "chronic hepatitis B": ("B180", "B181"),
    "diabetes": ("E10", "E11", "E12", "E13", "E14"),
    "iron deficiency anaemia": ("D501", "D508", "D509"),
    "dementia": ("F00", "F01", "F02", "F03"),
    "convulsions and epilepsy": ("G40", "G41", "R56", "O15"),
    "congestive heart failure": ("I110", "I130", "I50", "J81"),
    "angina": ("I20", "I240", "I248", "I249", "I25"),
    "hypertension": ("I10", "I119"),
    "atrial fibrillation and flutter": ("I48",),
    "COPD": ("J41", "J42", "J43", "J44", "J47"),
    "asthma": ("J45", "J46"),
}
CHRONIC_ACSC_PREFIXES = tuple(p for prefixes in CHRONIC_ACSC.values() for p in prefixes)


INDICATORS.append(Indicator(
    id="ACSC_ADM_RATE",
    title="Emergency admissions for chronic ambulatory-care-sensitive conditions per 100,000",
    description="Emergency admissions in 12 months with a primary diagnosis of a chronic "
                "ambulatory-care-sensitive condition (NHS Outcomes Framework 2.3.i: "
                + ", ".join(CHRONIC_ACSC) + ") per 100,000 registered people (crude: the "
                "framework publishes an ESP2013 standardised rate).",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
    programme="uec", strategy="UEC workplan: avoid unnecessary admissions (up to 20% avoidable)",
    numerator="emergency admissions with a chronic ACSC primary diagnosis (ICD-10 "
              + ", ".join(CHRONIC_ACSC_PREFIXES) + ")",
    denominator="people registered on the period end",
    rows=lambda lake, periods: emergency_admissions_per_person(
        lake, periods, lambda s: starts_with_any(s.primary_diagnosis, CHRONIC_ACSC_PREFIXES)),
    method="rate", multiplier=100_000, unit="per 100,000", polarity="lower is better",
    source="NHS Outcomes Framework 2.3.i (unplanned hospitalisation for chronic ACSCs)",
))


def _virtual_ward(lake, periods: ir.Table) -> PopulationCounts:
    cc = lake.table("community_contacts")
    cc = cc.filter(cc.service == "virtual_ward").select("patient_id", "start_date", "end_date")
    day = periods[PERIOD]
    on_ward = cc.join(periods.select(PERIOD), [
        cc.start_date <= day, cc.end_date.isnull() | (cc.end_date > day)])
    return population_counts(lake, periods, on_ward.select("patient_id", PERIOD).distinct())


INDICATORS.append(Indicator(
    id="VIRTUAL_WARD", title="Virtual ward patients per 100,000",
    description="People on a virtual ward (hospital at home) on the period end, per 100,000 "
                "registered people.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="uec", strategy="UEC workplan: virtual wards",
    numerator="registered people on a virtual ward on the period end",
    denominator="people registered on the period end", rows=_virtual_ward, method="rate",
    multiplier=100_000, unit="per 100,000", polarity="no polarity",
    source="NHS England virtual wards: planned capacity 40-50 per 100,000 at ~80% occupancy",
))


# --- urgent community response (issue 10) --------------------------------------------------

def _urgent_community_response(lake, periods: ir.Table) -> ir.Table:
    """2-hour UCR contacts in the calendar month to the period end, met when care started
    within 2 hours of the referral; contacts with no record of the timing are left out."""
    cc = lake.table("community_contacts")
    cc = cc.filter(cc.service == "urgent_community_response", cc.within_2_hours.notnull())
    cc = in_periods(cc.select("patient_id", "start_date", "within_2_hours"), "start_date",
                    periods, "previous_month_end")
    t = cc.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
    return t.select(PERIOD, *ATTRIBUTES[2:6], age=age_on(t.month_of_birth, t.start_date),
                    numerator=t.within_2_hours)


INDICATORS.append(Indicator(
    id="UCR_2HR", title="Urgent community response within 2 hours",
    description="Percentage of 2-hour urgent community response (UCR) referrals with a "
                "contact in the month to the period end where care was provided within 2 "
                "hours of the referral.",
    programme="uec", strategy="UEC workplan: care closer to home; avoid unnecessary "
                              "admissions (2-hour urgent community response)",
    numerator="UCR contacts where care started within 2 hours of the referral",
    denominator="2-hour UCR referrals with a contact in the calendar month (with the timing "
                "recorded)",
    rows=_urgent_community_response, target=70.0,
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    source="NHS England Community Health Services SitRep and Community Services Data Set "
           "(CSDS) 2-hour urgent community response statistics: the share of 2-hour UCR "
           "referrals where care was provided within 2 hours; national standard 70% (NHS "
           "England 2-hour UCR guidance; 2025/26 planning guidance)",
))


def _last_year_of_life(lake, periods: ir.Table) -> ir.Table:
    deaths = lake.table("deaths").select("patient_id", "date_of_death")
    t = deaths.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
    spells = lake.table("apc_spells")
    spells = spells.filter(spells.admission_method == "emergency")
    j = t.join(spells.select("patient_id", "admission_date"), "patient_id", how="left")
    j = j.mutate(in_year=(j.admission_date > j.date_of_death - ibis.interval(days=365))
                 & (j.admission_date <= j.date_of_death))
    per_person = j.group_by(["patient_id", "cell", "practice_code", "lsoa_code", "sex",
                             "ethnicity_group", "month_of_birth", "date_of_death"]).agg(
        any_admission=j.in_year.fill_null(False).any())
    per_person = in_periods(per_person, "date_of_death", periods, "start_12m")
    age = age_on(per_person.month_of_birth, per_person.date_of_death)
    return per_person.mutate(age=age, numerator=per_person.any_admission)


INDICATORS.append(Indicator(
    id="EOL_EMERG_ADM", title="Deaths with an emergency admission in the last year of life",
    description="Percentage of people who died in the 12 months to the period end who had at "
                "least one emergency admission in their last year of life.",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    programme="uec", strategy="UEC workplan: end of life care (final two years of life)",
    numerator="one or more emergency admissions in the 365 days before death",
    denominator="deaths in the 12 months to the period end", rows=_last_year_of_life,
    polarity="lower is better",
    source="OHID End of Life Care Profiles (emergency admissions in the last year of life)",
))
