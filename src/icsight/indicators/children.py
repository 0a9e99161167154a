"""Children, families and maternity: smoking at delivery, childhood asthma.

Strategy (seed 001, children and families workplan with the LMNS): maternity (smoking at
delivery, Saving Babies' Lives); childhood asthma (SABA over-reliance, inequalities by
deprivation; CORE20PLUS5 children and young people).
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir

from icsight.indicators.catalogue import Indicator, register
from icsight.indicators.common import on_register, one_year_before, population_on
from icsight.model.codelists import codelist

SABA_BNF = ("0301011R0", "0301011V0")  # salbutamol, terbutaline (OpenPrescribing SABA measure)


def _births(lake, day: dt.date) -> ir.Table:
    births = lake.table("maternity")
    births = births.filter(births.delivery_date > one_year_before(day),
                           births.delivery_date <= day)
    mothers = lake.table("patients").select("patient_id", "practice_code", "lsoa_code", "sex",
                                            "ethnicity_group", "month_of_birth")
    t = births.join(mothers, "patient_id")
    age = (t.delivery_date.year() - t.month_of_birth.year()).cast("int64")
    return t.mutate(age=age, numerator=t.smoking_at_delivery.fill_null(False))


register(Indicator(
    id="SATOD", title="Smoking at time of delivery",
    description="Percentage of women who gave birth in the 12 months to the period end who "
                "were smoking at the time of delivery.",
    programme="children", strategy="Children and families workplan: smoking at delivery",
    numerator="recorded as a smoker at delivery",
    denominator="deliveries in the 12 months to the period end",
    rows=_births, polarity="lower is better", target=6.0,
    source="NHS Digital Statistics on Women's Smoking Status at Time of Delivery (SATOD); "
           "national ambition 6% or less",
))


def _cyp_saba(lake, day: dt.date) -> ir.Table:
    people = population_on(lake, day)
    people = people.filter(people.age >= 5, people.age <= 17)
    events = lake.table("clinical_events")
    people = people.join(on_register(events, day, codelist("ast_cod").codes,
                                     codelist("astres_cod").codes), "patient_id")
    meds = lake.table("medications")
    meds = meds.filter(meds.date > one_year_before(day), meds.date <= day,
                       meds.bnf_code.startswith(SABA_BNF[0])
                       | meds.bnf_code.startswith(SABA_BNF[1]))
    counts = meds.group_by("patient_id").agg(saba_issues=meds.count())
    t = people.left_join(counts, "patient_id")
    return t.mutate(numerator=t.saba_issues.fill_null(0) >= 3)


register(Indicator(
    id="CYP_ASTHMA_SABA3", title="Children and young people with asthma: 3+ SABA inhalers",
    description="Percentage of 5-17 year olds with asthma issued three or more short-acting "
                "reliever (SABA) inhalers in the last 12 months: over-reliance on relievers.",
    programme="children",
    strategy="Children and families workplan: childhood asthma, SABA over-reliance",
    numerator="3 or more SABA issues in the 12 months to the period end",
    denominator="patients aged 5-17 on the asthma register (AST_COD not resolved)",
    rows=_cyp_saba, polarity="lower is better", codelists=("ast_cod", "astres_cod"),
    source="National Bundle of Care for Children and Young People with Asthma (review at 3+ "
           "SABA a year); CORE20PLUS5 CYP",
))
