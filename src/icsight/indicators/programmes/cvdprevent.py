"""CVDPREVENT hypertension indicators (long-term conditions programme): logic and metadata.

CVDP001HYP (prevalence), CVDP002HYP/CVDP003HYP/CVDP007HYP (treated to the appropriate
threshold: 18-79, 80+, all ages) and CVDP004HYP (BP recorded) share one hypertension cohort,
computed once per build. The rules of the cohort follow.

**CVDP007HYP: Hypertension: treated to appropriate threshold (all ages).** Of patients aged 18+
on the hypertension register, the percentage whose most recent blood pressure in the preceding
12 months is at or below the age-appropriate threshold.

Source: CVDPREVENT indicator metadata (NHS Benchmarking Network / NHS England) as the public
CVDPREVENT API returns it (https://api.cvdprevent.nhs.uk, `indicator/{id}/details`), reproduced
in craig-parylo/cvdprevent `articles/ex_1_regional.md` (commit d35ca561) and
The-Strategy-Unit/1199_core20plus5 `README.md` (commit 3cd1f817) [S], with the NHS England CVDP
processing rules for readings ("CVDP Hypertension" pipeline documentation) [S]. How each rule is
applied here:

* **Population on the as-of date**: registered with a practice (registration started on or
  before it and had not ended) and alive; aged 18 or over, with age in whole years on the
  as-of date from the month of birth (taken as the 1st of the month).
* **Hypertension register** (QOF HYP_COD / HYPRES_COD): the latest hypertension code on or
  before the as-of date is strictly after the latest "hypertension resolved" code. A
  resolution on the same day as the latest diagnosis removes the patient.
* **Readings**: systolic (`systolic_bp_qof`) and diastolic (`diastolic_bp_qof`) observations
  dated in the 12 months to the as-of date (after the same day a year earlier, up to and
  including the as-of date). Systolic below 50 or diastolic below 20 mmHg are discarded as
  invalid. On each date the lowest systolic and the lowest diastolic are taken (they may come
  from different readings); a date needs both. The latest such date is the patient's last BP.
* **Thresholds**: under 80, at most 140/90 mmHg; 80 and over, at most 150/90. From the June 2024
  extract CVDPREVENT applies home and ambulatory thresholds of 135/85 (under 80) and 145/85
  (80+): a date counts as home/ambulatory only when every systolic and diastolic reading on it is
  coded as home or ambulatory (otherwise clinic thresholds apply, the more lenient reading of
  a mixed day). Before 30 June 2024 clinic thresholds apply to all readings.
* **Both** systolic and diastolic must be at or below the threshold. No valid BP in the 12
  months counts as not treated to target (so the indicator combines monitoring and control).
* No exception reporting: CVDPREVENT is an audit, not QOF.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from icsight.indicators.cohorts import (
    PERIOD,
    as_date,
    disease_register,
    keep_registered,
    latest_on,
    only_for,
)
from icsight.indicators.definition import Indicator
from icsight.indicators.periods import periods_table
from icsight.indicators.population import PopulationCounts, population_counts
from icsight.model.codelists import codelist, home_diastolic_bp, home_systolic_bp

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

__all__ = ["INDICATORS", "cvdp007hyp", "cvdp007hyp_patients", "hypertension_cohort"]

INDICATOR_ID = "CVDP007HYP"
TITLE = "Hypertension: treated to appropriate threshold (all ages)"
#: (systolic, diastolic) thresholds: [setting][age 80+]
THRESHOLDS = {
    "clinic": {False: (140, 90), True: (150, 90)},
    "home": {False: (135, 85), True: (145, 85)},
}
MIN_SYSTOLIC, MIN_DIASTOLIC = 50, 20


def hypertension_register(lake, periods: ir.Table) -> ir.Table:
    """(patient_id, period_end) on the hypertension register (latest HYP_COD after any
    HYPRES_COD)."""
    return disease_register(lake, periods, "hyp_cod", "hypres_cod")


def bp_dates(events: ir.Table) -> ir.Table:
    """Every date with a valid systolic and diastolic reading: the day's lowest of each, and
    whether every reading that day was a home or ambulatory one.

    One pass over the readings: the events are filtered by the two codelists as one list (one
    hash lookup per event), and each day's systolic and diastolic are aggregated side by side.
    Two filtered passes joined on patient and date gave the same answer, but the database read
    them as one scan filtered by "systolic codes or diastolic codes", two long lists of
    comparisons per event: five times slower than one list."""
    systolic, diastolic = codelist("systolic_bp_qof").codes, codelist("diastolic_bp_qof").codes
    readings = events.filter(events.snomed_code.isin(list(systolic) + list(diastolic)))
    value = readings.numeric_value
    is_systolic = readings.snomed_code.isin(systolic) & (value >= MIN_SYSTOLIC)
    is_diastolic = readings.snomed_code.isin(diastolic) & (value >= MIN_DIASTOLIC)

    def only(valid: ir.BooleanValue, x: ir.Value) -> ir.Value:
        # null for any other reading: min and all ignore nulls, so each aggregate sees only
        # the valid readings of its own kind, as a filtered pass would
        return ibis.ifelse(valid.fill_null(False), x, ibis.null(x.type()))

    daily = readings.group_by(["patient_id", "date"]).agg(
        systolic=only(is_systolic, value).min(),
        systolic_all_home=only(is_systolic,
                               readings.snomed_code.isin(home_systolic_bp().codes)).all(),
        diastolic=only(is_diastolic, value).min(),
        diastolic_all_home=only(is_diastolic,
                                readings.snomed_code.isin(home_diastolic_bp().codes)).all(),
    )
    pairs = daily.filter(daily.systolic.notnull(), daily.diastolic.notnull())
    return pairs.select("patient_id", "date", "systolic", "diastolic",
                        home=pairs.systolic_all_home & pairs.diastolic_all_home)


def latest_bp(events: ir.Table, periods: ir.Table) -> ir.Table:
    """Each patient's last valid BP in the 12 months to each period end: date, systolic,
    diastolic, and whether it was a home/ambulatory reading."""
    latest = latest_on(bp_dates(events), "date", periods, "start_12m")
    return latest.select("patient_id", PERIOD, "systolic", "diastolic", "home",
                         last_bp_date=latest.date)


def hypertension_cohort(lake, periods: ir.Table) -> ir.Table:
    """One row per patient and period in the CVDP007HYP denominator, with their last BP and
    the outcome (computed once per build for the CVDP indicators that share it).

    Columns: patient_id, period_end, cell, practice_code, lsoa_code, sex, ethnicity_group, age,
    last_bp_date, systolic, diastolic, bp_setting (`clinic`, `home` or null),
    treated_to_target.
    """
    return lake.shared("hypertension_cohort", periods, lambda: _cohort(lake, periods))


def _cohort(lake, periods: ir.Table) -> ir.Table:
    register_ = hypertension_register(lake, periods)
    cohort = keep_registered(lake, register_)
    cohort = cohort.filter(cohort.age >= 18)
    # readings of anyone ever on the register (computed once, shared), not of the cohort
    # itself (a person per period end, recomputed here): the join below keeps the cohort's
    events = only_for(lake.table("clinical_events"), register_)
    cohort = cohort.join(periods.select(PERIOD, "home_bp_rules"), PERIOD)
    cohort = cohort.left_join(latest_bp(events, periods), ["patient_id", PERIOD])
    cohort = cohort.drop(*[c for c in cohort.columns if c.endswith("_right")])

    home = cohort.home.fill_null(False) & cohort.home_bp_rules
    over80 = cohort.age >= 80
    sys_limit = ibis.cases(
        (home & over80, THRESHOLDS["home"][True][0]),
        (home, THRESHOLDS["home"][False][0]),
        (over80, THRESHOLDS["clinic"][True][0]),
        else_=THRESHOLDS["clinic"][False][0],
    )
    dia_limit = ibis.ifelse(home, THRESHOLDS["home"][False][1], THRESHOLDS["clinic"][False][1])
    on_target = (cohort.systolic <= sys_limit) & (cohort.diastolic <= dia_limit)
    setting = ibis.cases((cohort.last_bp_date.isnull(), ibis.null("string")),
                         (home, "home"), else_="clinic")
    return cohort.select(
        "patient_id", PERIOD, "cell", "practice_code", "lsoa_code", "sex", "ethnicity_group",
        "age", "last_bp_date", "systolic", "diastolic",
        bp_setting=setting,
        treated_to_target=on_target.fill_null(False),
    )


def cvdp007hyp_patients(lake, as_of: str | dt.date) -> ir.Table:
    """The CVDP007HYP denominator on one date: `hypertension_cohort` for a single period,
    without the period column."""
    return hypertension_cohort(lake, periods_table([as_date(as_of)], lake)).drop(PERIOD,
                                                                                  "cell")


CVDP_SOURCE = ("CVDPREVENT indicator metadata (NHS England / NHS Benchmarking Network), "
               "https://www.cvdprevent.nhs.uk/")
HYP_STRATEGY = "LTC workplan: hypertension treated to target >80% by end of 2025"


def _hypertension(lake, periods: ir.Table, ages=None, outcome="treated") -> ir.Table:
    t = hypertension_cohort(lake, periods)
    if ages is not None:
        t = t.filter(t.age >= ages[0], t.age <= ages[1])
    hit = t.treated_to_target if outcome == "treated" else t.last_bp_date.notnull()
    return t.mutate(numerator=hit)


for _id, _title, _ages, _outcome, _num in (
    ("CVDP007HYP", "Hypertension: treated to appropriate threshold (all ages)", None, "treated",
     "last BP in 12 months at or below the age-appropriate threshold"),
    ("CVDP002HYP", "Hypertension: treated to appropriate threshold (ages 18-79)", (18, 79),
     "treated", "last BP in 12 months at or below 140/90 (135/85 home)"),
    ("CVDP003HYP", "Hypertension: treated to appropriate threshold (ages 80+)", (80, 200),
     "treated", "last BP in 12 months at or below 150/90 (145/85 home)"),
    ("CVDP004HYP", "Hypertension: BP recorded in the preceding 12 months", None, "recorded",
     "a valid BP reading in the preceding 12 months"),
):
    INDICATORS.append(Indicator(
        id=_id, title=_title,
        description=f"Of patients with hypertension, the percentage with {_num}.",
        numerator_basis="people on the period-end list meeting the rule",
        denominator_basis="period-end list",
        programme="ltc", strategy=HYP_STRATEGY, numerator=_num,
        denominator="patients aged 18+ on the hypertension register (HYP_COD not resolved)"
        + ("" if _ages is None else f", aged {_ages[0]}-{min(_ages[1], 200)}"),
        rows=lambda lake, periods, a=_ages, o=_outcome: _hypertension(lake, periods, a, o),
        codelists=("hyp_cod", "hypres_cod", "systolic_bp_qof", "diastolic_bp_qof"),
        target=80 if _outcome == "treated" else None,
        target_date="2025-12-31" if _outcome == "treated" else None, source=CVDP_SOURCE,
    ))


def _hypertension_prevalence(lake, periods: ir.Table) -> PopulationCounts:
    register_ = disease_register(lake, periods, "hyp_cod", "hypres_cod")
    return population_counts(lake, periods, register_.select("patient_id", PERIOD), (18, 200))


INDICATORS.append(Indicator(
    id="CVDP001HYP", title="Hypertension: prevalence (18+)",
    description="Percentage of registered patients aged 18 and over with a GP record of "
                "hypertension not resolved.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: hypertension case finding (CORE20PLUS5)",
    numerator="on the hypertension register (HYP_COD not resolved)",
    denominator="registered patients aged 18+", rows=_hypertension_prevalence,
    polarity="no polarity", codelists=("hyp_cod", "hypres_cod"), source=CVDP_SOURCE,
))


def cvdp007hyp(lake, as_of: str | dt.date):
    """CVDP007HYP for `as_of`, in the tidy indicator format, with Wilson 95% intervals.

    Returns a pandas DataFrame with columns indicator_id, period_end, breakdown, group,
    numerator, denominator, value, lower_ci, upper_ci (value and limits in percent), for every
    breakdown (`icsight.indicators.breakdown.BREAKDOWNS`).
    """
    return next(i for i in INDICATORS if i.id == INDICATOR_ID).compute(lake, as_of)
