"""Children, families and maternity: smoking at delivery, childhood asthma.

Strategy (BLMK Health Services Strategy, 2024, children and families workplan with the LMNS):
maternity (smoking at delivery, Saving Babies' Lives); childhood asthma (SABA over-reliance,
inequalities by deprivation; CORE20PLUS5 children and young people).
"""

from __future__ import annotations

import ibis.expr.types as ir

from icsight.indicators.cohorts import (
    age_on,
    count_per_person,
    disease_register,
    in_periods,
    keep_registered,
    only_for,
    starts_with_any,
)
from icsight.indicators.definition import Indicator
from icsight.indicators.population import emergency_admissions_per_person

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

SABA_BNF = ("0301011R0", "0301011V0")  # salbutamol, terbutaline (OpenPrescribing SABA measure)


def _births(lake, periods: ir.Table) -> ir.Table:
    """Deliveries in the 12 months (a maternity: a live birth or a stillbirth). A baby born
    dead before 24 completed weeks is a late fetal loss, neither a live birth nor a stillbirth
    (Stillbirth (Definition) Act 1992; ONS birth statistics; MBRRACE-UK), so it is in no
    births indicator: not a delivery for SATOD, not a birth for PRETERM or STILLBIRTH_RATE."""
    births = in_periods(lake.table("maternity"), "delivery_date", periods, "start_12m")
    fetal_loss = ((births.outcome == "stillbirth")
                  & (births.gestation_at_birth_weeks < 24).fill_null(False))
    births = births.filter(~fetal_loss)
    mothers = lake.table("patients").select("patient_id", "cell", "practice_code", "lsoa_code",
                                            "sex", "ethnicity_group", "month_of_birth")
    t = births.join(mothers, "patient_id")
    age = age_on(t.month_of_birth, t.delivery_date)
    return t.mutate(age=age, numerator=t.smoking_at_delivery.fill_null(False))


INDICATORS.append(Indicator(
    id="SATOD", title="Smoking at time of delivery",
    description="Percentage of women who gave birth in the 12 months to the period end who "
                "were smoking at the time of delivery.",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
    programme="children", strategy="Children and families workplan: smoking at delivery",
    numerator="recorded as a smoker at delivery",
    denominator="deliveries in the 12 months to the period end",
    rows=_births, polarity="lower is better", target=6.0,
    source="NHS Digital Statistics on Women's Smoking Status at Time of Delivery (SATOD); "
           "national ambition 6% or less",
))


def _saba_issues(lake, periods: ir.Table) -> ir.Table:
    """5-17 year olds on the asthma register with their SABA issues in the 12 months (shared
    by the 3+, 6+ and 12+ indicators)."""
    def build() -> ir.Table:
        people = keep_registered(lake, disease_register(lake, periods, "ast_cod", "astres_cod"))
        people = people.filter(people.age >= 5, people.age <= 17)
        meds = only_for(lake.table("medications"), people)
        meds = meds.filter(meds.bnf_code.startswith(SABA_BNF[0])
                           | meds.bnf_code.startswith(SABA_BNF[1])).select("patient_id", "date")
        meds = in_periods(meds, "date", periods, "start_12m")
        return count_per_person(people, meds, "saba_issues")

    return lake.shared("cyp saba issues", periods, build)


for _n, _why in ((3, "review at 3+ SABA a year"),
                 (6, "6+ a year: poorly controlled, high risk of attacks"),
                 (12, "12+ a year: associated with asthma deaths (NRAD)")):
    INDICATORS.append(Indicator(
        id=f"CYP_ASTHMA_SABA{_n}",
        title=f"Children and young people with asthma: {_n}+ SABA inhalers",
        description=f"Percentage of 5-17 year olds with asthma issued {_n} or more "
                    "short-acting reliever (SABA) inhalers in the last 12 months: "
                    "over-reliance on relievers.",
        numerator_basis="people on the period-end list meeting the rule",
        denominator_basis="period-end list",
        programme="children",
        strategy="Children and families workplan: childhood asthma, SABA over-reliance",
        numerator=f"{_n} or more SABA issues in the 12 months to the period end",
        denominator="patients aged 5-17 on the asthma register (AST_COD not resolved)",
        rows=lambda lake, periods, n=_n: (lambda t: t.mutate(numerator=t.saba_issues >= n))(
            _saba_issues(lake, periods)),
        polarity="lower is better", codelists=("ast_cod", "astres_cod"),
        source="National Bundle of Care for Children and Young People with Asthma "
               f"({_why}); National Review of Asthma Deaths (2014); CORE20PLUS5 CYP",
    ))

def _birth_outcome(lake, periods: ir.Table, outcome: str) -> ir.Table:
    t = _births(lake, periods)
    if outcome == "low_birthweight":  # ONS: live births with a stated birthweight
        t = t.filter(t.outcome == "live_birth", t.birthweight_grams.notnull())
        return t.mutate(numerator=t.birthweight_grams < 2500)
    if outcome == "preterm":  # ONS: births with a stated gestation
        t = t.filter(t.gestation_at_birth_weeks.notnull())
        return t.mutate(numerator=t.gestation_at_birth_weeks < 37)
    return t.mutate(numerator=(t.outcome == "stillbirth").cast("int64"))


for _id, _title, _outcome, _num, _den, _method, _mult, _unit, _src in (
    ("LOW_BIRTHWEIGHT", "Low birthweight of live babies (under 2,500 g)", "low_birthweight",
     "live births under 2,500 g", "live births with a stated birthweight in the 12 months "
     "to the period end",
     "proportion", 100, "%", "ONS birth characteristics; OHID Fingertips low birth weight"),
    ("PRETERM", "Preterm births (under 37 weeks)", "preterm",
     "births before 37 completed weeks", "births with a stated gestation in the 12 months "
     "to the period end",
     "proportion", 100, "%", "NHS England Saving Babies' Lives; national ambition 6%"),
    ("STILLBIRTH_RATE", "Stillbirths per 1,000 total births", "stillbirth",
     "stillbirths (born dead at 24 weeks or more)",
     "total births (live and still) in the 12 months to the period end", "rate", 1000,
     "per 1,000", "MBRRACE-UK; national ambition to halve stillbirths (2010 baseline) by 2025"),
):
    INDICATORS.append(Indicator(
        id=_id, title=_title, description=f"{_title}: {_num} as a share of {_den}.",
        numerator_basis="units of the denominator meeting the rule",
        denominator_basis="events in the period",
        programme="children", strategy="Children and families workplan: maternity, Saving "
                                        "Babies' Lives, inequalities by ethnicity and "
                                        "deprivation",
        numerator=_num, denominator=_den,
        rows=lambda lake, periods, o=_outcome: _birth_outcome(lake, periods, o),
        method=_method, multiplier=_mult, unit=_unit, polarity="lower is better", source=_src,
    ))


def _cyp_asthma_admissions(lake, periods: ir.Table) -> ir.Table:
    return emergency_admissions_per_person(
        lake, periods, lambda s: starts_with_any(s.primary_diagnosis, ("J45", "J46")), (0, 18))


INDICATORS.append(Indicator(
    id="CYP_ASTHMA_ADM", title="Emergency admissions for asthma, under 19s, per 100,000",
    description="Emergency admissions with a primary diagnosis of asthma (ICD-10 J45-J46) of "
                "people aged 0-18 in 12 months, per 100,000 registered people of that age.",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
    programme="children", strategy="Children and families workplan: childhood asthma "
                                   "admissions; CORE20PLUS5 CYP asthma",
    numerator="emergency admissions for asthma (J45-J46), ages 0-18",
    denominator="people aged 0-18 registered on the period end", rows=_cyp_asthma_admissions,
    method="rate", multiplier=100_000, unit="per 100,000", polarity="lower is better",
    source="OHID Fingertips: hospital admissions for asthma (under 19 years)",
))
