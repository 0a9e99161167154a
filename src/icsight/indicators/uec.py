"""Urgent and emergency care: A&E four-hour performance and emergency admissions.

Strategy (seed 001, UEC workplan): avoid unnecessary overnight admissions; national A&E
standard (78% within 4 hours by March 2025/26).
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir

from icsight.indicators.catalogue import Indicator, register
from icsight.indicators.common import one_year_before, population_on

ATTRIBUTES = ("patient_id", "practice_code", "lsoa_code", "sex", "ethnicity_group",
              "month_of_birth")


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _attendances(lake, day: dt.date) -> ir.Table:
    ec = lake.table("ec_attendances")
    start = _month_start(day)
    ec = ec.filter(ec.arrival.date() >= start, ec.arrival.date() <= day)
    t = ec.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
    minutes = (t.departure.epoch_seconds() - t.arrival.epoch_seconds()) / 60
    age = (t.arrival.year() - t.month_of_birth.year()).cast("int64")
    return t.mutate(age=age, numerator=minutes <= 240)


register(Indicator(
    id="AE_4HR", title="A&E: attendances admitted, transferred or discharged within 4 hours",
    description="Percentage of A&E attendances (all types) in the month to the period end that "
                "left within 4 hours of arrival.",
    programme="uec", strategy="UEC workplan; NHS constitutional standard (95%), interim 78%",
    numerator="attendances leaving within 4 hours of arrival",
    denominator="A&E attendances by BLMK residents arriving in the calendar month",
    rows=_attendances, target=78.0, target_date="2026-03-31",
    source="NHS England A&E attendances and emergency admissions (4-hour standard); ECDS",
))


def _emergency_admissions(lake, day: dt.date) -> ir.Table:
    people = population_on(lake, day)
    spells = lake.table("apc_spells")
    spells = spells.filter(spells.admission_method == "emergency",
                           spells.admission_date > one_year_before(day),
                           spells.admission_date <= day)
    counts = spells.group_by("patient_id").agg(admissions=spells.count())
    t = people.left_join(counts, "patient_id")
    return t.mutate(numerator=t.admissions.fill_null(0))


register(Indicator(
    id="EMERG_ADM_RATE", title="Emergency admissions per 1,000 registered population",
    description="Emergency hospital admissions in the 12 months to the period end per 1,000 "
                "people registered on that date (crude rate).",
    programme="uec", strategy="UEC workplan: avoid unnecessary overnight admissions (up to 20% "
                              "avoidable)",
    numerator="emergency admissions (spells) in the 12 months to the period end",
    denominator="people registered on the period end", rows=_emergency_admissions,
    method="rate", multiplier=1000, unit="per 1,000", polarity="lower is better",
    source="NHS England/HES emergency admissions; crude rate with exact/Byar's limits "
           "(PHEindicatormethods phe_rate)",
))
