"""Long-term conditions programme: hypertension (CVDPREVENT) and heart failure medicines.

Strategy (seed 001, long-term conditions workplan): hypertension treated to target above 80%
by the end of 2025, narrowing the deprivation gradient; heart failure SGLT2i/MRA optimisation.
"""

from __future__ import annotations

import ibis.expr.types as ir

from icsight.indicators.catalogue import Indicator, register
from icsight.indicators.common import (
    PERIOD,
    PopulationCounts,
    flag,
    has_event,
    only_for,
    population_counts,
    register_on,
    registered,
)
from icsight.indicators.cvdprevent import hypertension_cohort

CVDP_SOURCE = ("CVDPREVENT indicator metadata (NHS England / NHS Benchmarking Network); "
               "clinical-indicators.md 1.1")
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
    register(Indicator(
        id=_id, title=_title,
        description=f"Of patients with hypertension, the percentage with {_num}.",
        programme="ltc", strategy=HYP_STRATEGY, numerator=_num,
        denominator="patients aged 18+ on the hypertension register (HYP_COD not resolved)"
        + ("" if _ages is None else f", aged {_ages[0]}-{min(_ages[1], 200)}"),
        rows=lambda lake, periods, a=_ages, o=_outcome: _hypertension(lake, periods, a, o),
        codelists=("hyp_cod", "hypres_cod", "systolic_bp_qof", "diastolic_bp_qof"),
        target=80 if _outcome == "treated" else None,
        target_date="2025-12-31" if _outcome == "treated" else None, source=CVDP_SOURCE,
    ))


def _heart_failure(lake, periods: ir.Table, bnf_prefixes: tuple[str, ...]) -> ir.Table:
    people = registered(lake, register_on(lake, periods, "hf_cod", "hfres_cod"))
    people = people.filter(people.age >= 18)
    meds = only_for(lake.table("medications"), people)

    def is_drug(m):
        cond = m.bnf_code.startswith(bnf_prefixes[0])
        for prefix in bnf_prefixes[1:]:
            cond = cond | m.bnf_code.startswith(prefix)
        return cond

    issued = has_event(meds, "date", periods, "start_6m", is_drug)
    return flag(people, issued, "numerator")


register(Indicator(
    id="HF_SGLT2I", title="Heart failure: treated with an SGLT2 inhibitor",
    description="Of patients on the heart failure register, the percentage issued an SGLT2 "
                "inhibitor in the last 6 months (CVDP004HF-style; one of the four pillars of "
                "HFrEF treatment, NICE NG106).",
    programme="ltc", strategy="LTC workplan: heart failure SGLT2i/MRA optimisation",
    numerator="issued an SGLT2i (BNF 0601023A*) in the 6 months to the period end",
    denominator="patients aged 18+ on the heart failure register (HF_COD not resolved)",
    rows=lambda lake, periods: _heart_failure(lake, periods, ("0601023A",)),
    codelists=("hf_cod", "hfres_cod", "sglt2i_snomed"),
    source="CVDPREVENT CVDP004HF (definition pending the API metadata); NICE NG106",
))
register(Indicator(
    id="HF_MRA", title="Heart failure: treated with a mineralocorticoid receptor antagonist",
    description="Of patients on the heart failure register, the percentage issued an MRA "
                "(spironolactone or eplerenone) in the last 6 months.",
    programme="ltc", strategy="LTC workplan: heart failure SGLT2i/MRA optimisation",
    numerator="issued spironolactone (BNF 0202030S0) or eplerenone (0202030X0) in 6 months",
    denominator="patients aged 18+ on the heart failure register (HF_COD not resolved)",
    rows=lambda lake, periods: _heart_failure(lake, periods, ("0202030S0", "0202030X0")),
    codelists=("hf_cod", "hfres_cod", "mra_snomed"),
    source="NICE NG106 (four pillars); CVDPREVENT CVDP003HF",
))


def _hypertension_prevalence(lake, periods: ir.Table) -> PopulationCounts:
    register_ = register_on(lake, periods, "hyp_cod", "hypres_cod")
    return population_counts(lake, periods, register_.select("patient_id", PERIOD), (18, 200))


register(Indicator(
    id="CVDP001HYP", title="Hypertension: prevalence (18+)",
    description="Percentage of registered patients aged 18 and over with a GP record of "
                "hypertension not resolved.",
    programme="ltc", strategy="LTC workplan: hypertension case finding (CORE20PLUS5)",
    numerator="on the hypertension register (HYP_COD not resolved)",
    denominator="registered patients aged 18+", rows=_hypertension_prevalence,
    polarity="no polarity", codelists=("hyp_cod", "hypres_cod"), source=CVDP_SOURCE,
))


def _flu_65(lake, periods: ir.Table) -> PopulationCounts:
    # The most recent season that has opened: in September (before most of a season's doses)
    # the previous season, 1 September to 31 August, is reported (`periods.flu_season`).
    vacc = lake.table("vaccinations")
    vacc = vacc.filter(vacc.vaccine == "influenza").select("patient_id", "date")
    given = vacc.join(periods.select(PERIOD, "season_start", "season_end"),
                      [vacc.date >= periods.season_start, vacc.date <= periods.season_end])
    given = given.select("patient_id", PERIOD).distinct()
    return population_counts(lake, periods, given, (65, 200))


register(Indicator(
    id="FLU_65", title="Seasonal influenza vaccination, 65 and over (season to date)",
    description="Percentage of registered people aged 65+ vaccinated against influenza in the "
                "current season (from 1 September; for September period ends, the season just "
                "finished).",
    programme="ltc", strategy="LTC and CORE20PLUS5 chronic respiratory disease: vaccination "
                              "uptake to reduce exacerbations and admissions",
    numerator="an influenza vaccination in the season (1 September to the period end)",
    denominator="registered people aged 65+", rows=_flu_65, target=75.0,
    source="UKHSA seasonal influenza vaccine uptake (GP patients); WHO/UKHSA ambition 75%",
))
