"""Death registrations: when, from what, and where.

Death dates come from the people module (age-specific mortality with a premature-mortality
gradient by deprivation). Here each death gets an ICD-10 underlying cause, more likely to be the
person's own long-term condition, and a place of death. Shares are engineering estimates [E]
in line with ONS death registrations for England: about a quarter each from cancer and
circulatory disease, about a tenth each from respiratory disease and dementia; about 44% die in
hospital, 28% at home, 20% in a care home, 5% in a hospice (ONS/OHID place of death).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, SynthContext, categorical, to_table

STREAM = "deaths"

# (ICD-10 code, weight) by cause group; weights within a group are relative.
CAUSES = {
    "cancer": (("C349", 0.25), ("C189", 0.12), ("C509", 0.10), ("C61", 0.08), ("C259", 0.08),
               ("C159", 0.06), ("C679", 0.04), ("C80", 0.27)),
    "circulatory": (("I219", 0.30), ("I251", 0.25), ("I64", 0.20), ("I509", 0.10),
                    ("I489", 0.05), ("I10", 0.10)),
    "respiratory": (("J440", 0.35), ("J449", 0.15), ("J189", 0.40), ("J459", 0.10)),
    "dementia": (("F03", 0.6), ("G309", 0.4)),
    "other": (("K703", 0.15), ("N189", 0.10), ("E149", 0.10), ("G20", 0.10), ("A419", 0.15),
              ("X59", 0.10), ("R54", 0.15), ("K922", 0.15)),
}
BASE_SHARE = {"cancer": 0.26, "circulatory": 0.24, "respiratory": 0.11, "dementia": 0.10,
              "other": 0.29}
PLACES = ("hospital", "home", "care_home", "hospice", "other")
PLACE_SHARE = (0.44, 0.28, 0.20, 0.05, 0.03)


def _cause_weights(ctx: SynthContext, who: np.ndarray) -> np.ndarray:
    p = ctx.pop
    c = p.conditions
    w = np.tile(np.array([BASE_SHARE[g] for g in CAUSES]), (len(who), 1))
    groups = list(CAUSES)
    for cond, group, factor in (("heart_failure", "circulatory", 3.0),
                                ("hypertension", "circulatory", 1.5),
                                ("copd", "respiratory", 4.0), ("asthma", "respiratory", 1.3),
                                ("dementia", "dementia", 6.0), ("diabetes", "other", 1.3),
                                ("ckd", "other", 1.3)):
        w[:, groups.index(group)] *= np.where(c[cond].has[who], factor, 1.0)
    age = (p.death[who] - p.dob[who]) / DAYS_PER_YEAR
    w[:, groups.index("dementia")] *= np.where(age < 65, 0.05, 1.0)
    w[:, groups.index("cancer")] *= np.where(age < 75, 1.4, 1.0)
    return w / w.sum(axis=1, keepdims=True)


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `deaths` table: one row per person who died in the window."""
    rng = ctx.rng(STREAM)
    p = ctx.pop
    who = np.flatnonzero(p.death != NO_DATE)
    weights = _cause_weights(ctx, who)
    group = (rng.random(len(who))[:, None] > weights.cumsum(axis=1)).sum(axis=1)
    group = np.minimum(group, len(CAUSES) - 1)
    codes = np.empty(len(who), object)
    for g_i, g in enumerate(CAUSES):
        sel = group == g_i
        icd, w = zip(*CAUSES[g], strict=True)
        w = np.array(w) / sum(w)
        codes[sel] = np.array(icd, object)[rng.choice(len(icd), sel.sum(), p=w)]
    # Deaths in hospital are the ones whose last hospital spell ended in death (set by the
    # hospital module); the rest die at home, in a care home, a hospice or elsewhere.
    in_hospital = (ctx.died_in_hospital[who] if ctx.died_in_hospital is not None
                   else rng.random(len(who)) < PLACE_SHARE[0])
    elsewhere = np.array(PLACE_SHARE[1:]) / sum(PLACE_SHARE[1:])
    place = 1 + rng.choice(len(PLACES) - 1, len(who), p=elsewhere)
    place = np.where(p.care_home[who] & (rng.random(len(who)) < 0.8), PLACES.index("care_home"),
                     place)
    place = np.where(in_hospital, PLACES.index("hospital"), place)
    return {"deaths": to_table("deaths", {
        "patient_id": p.patient_id[who],
        "date_of_death": p.death[who],
        "underlying_cause": codes,
        "place_of_death": categorical(PLACES, place),
    })}


_DEATHS_PER_YEAR = f"""
SELECT 1000.0 * (SELECT count(*) FROM deaths) / {{years}} /
       (SELECT count(*) FROM ({REGISTERED}))
"""
TARGETS = [
    Target(
        "crude_death_rate", "Deaths per 1,000 population per year", 7.6, 1.2, "per 1,000",
        "ONS death registrations: BLMK ~7,500-8,000 deaths a year for ~1 million residents "
        "(England ~9 per 1,000; BLMK is younger) [K]",
        _DEATHS_PER_YEAR.replace("{years}", f"{5 * 365 / DAYS_PER_YEAR:.4f}"), once=True,
    ),
    Target(
        "premature_mortality_gradient",
        "Deaths under 75, most (Q1) vs least (Q5) deprived quintile: ratio of indirectly "
        "age-standardised mortality ratios", 2.2, 0.6, "ratio",
        "OHID Fingertips: under-75 mortality about twice as high in the most deprived areas [K]",
        """
        WITH p AS (
          SELECT l.imd_quintile q, p.date_of_death d,
                 least(floor(date_diff('year', p.month_of_birth,
                                       coalesce(p.date_of_death, {ref})) / 5), 15) band
          FROM patients p JOIN lsoas l USING (lsoa_code)
          WHERE date_diff('year', p.month_of_birth, coalesce(p.date_of_death, {ref})) < 75),
        cell AS (SELECT q, band, count(d) deaths, count(*) people FROM p GROUP BY q, band),
        rate AS (SELECT band, sum(deaths) / sum(people) r FROM cell GROUP BY band),
        smr AS (SELECT q, sum(deaths) / sum(people * r) smr FROM cell JOIN rate USING (band)
                GROUP BY q)
        SELECT (SELECT smr FROM smr WHERE q = 1) / (SELECT smr FROM smr WHERE q = 5)
        """, once=True,  # every death in the five years
    ),
]
