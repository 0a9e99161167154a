"""Vaccinations: HPV in school Year 8, seasonal influenza, pneumococcal at 65.

* **HPV**: one dose offered in Year 8 (age 12-13) to girls and boys; UKHSA reports 2024/25
  England Year 8 coverage of 71.7% (girls) and 67.0% (boys), reaching ~75% / ~70% by Year 10
  with catch-up (clinical-indicators.md 1.4 [S]). BLMK a little lower, and lower in deprived
  areas [E].
* **Influenza**: each autumn, ~75% of people 65+ and ~42% of under-65s in clinical risk groups
  (UKHSA seasonal flu uptake, 2023/24 [K]).
* **Pneumococcal** (PPV23): once, at or after 65 (~70% cumulative [K]).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    SynthContext,
    categorical,
    date_of,
    day,
    to_table,
)

STREAM = "vaccinations"
HPV, FLU, PNEUMO = "428570002", "822851000000102", "12866006"
HPV_YEAR8 = {0: 0.71, 1: 0.66}  # by sex (0 female, 1 male)
HPV_CATCH_UP = 0.20  # of the unvaccinated, in Years 9-10
FLU_65, FLU_AT_RISK = 0.73, 0.42
PNEUMO_UPTAKE = 0.70
AT_RISK = ("asthma", "copd", "diabetes", "heart_failure", "ckd", "smi", "learning_disability")


def _school_year8_start(dob: np.ndarray) -> np.ndarray:
    """1 September of the school year in which a child born on `dob` is in Year 8."""
    years = dob.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    months = dob.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12 + 1
    year8 = years + 12 + (months >= 9)  # born Sep-Aug: the cohort starts Year 8 at 12
    return np.array([day(dt.date(int(y), 9, 1)) for y in year8], np.int32) if len(year8) else \
        np.empty(0, np.int32)


def _hpv(ctx, rng):
    p = ctx.pop
    start8 = _school_year8_start(p.dob)
    cand = np.flatnonzero((start8 >= ctx.window_start - 400) & (start8 <= ctx.reference_date))
    depr = np.interp(p.imd_decile[cand], [1, 10], [0.85, 1.08])
    uptake = np.clip(np.where(p.sex[cand] == 1, HPV_YEAR8[1], HPV_YEAR8[0]) * depr, 0, 0.98)
    first = rng.random(len(cand)) < uptake
    when = start8[cand] + rng.integers(120, 290, len(cand))  # January to June of Year 8
    late = ~first & (rng.random(len(cand)) < HPV_CATCH_UP)
    when = np.where(late, when + rng.integers(365, 730, len(cand)), when)
    who = cand[first | late]
    return who, when[first | late].astype(np.int32), np.full(len(who), 0, np.int8)


def _flu(ctx, rng):
    p = ctx.pop
    at_risk = np.zeros(p.n, bool)
    for cond in AT_RISK:
        at_risk |= p.conditions[cond].has
    engaged = rng.beta(4, 1.5, p.n)  # a personal habit: the same people come back each year
    people, days = [], []
    first_year = date_of(ctx.window_start).year
    for year in range(first_year, date_of(ctx.reference_date).year + 1):
        season = day(dt.date(year, 9, 15))
        age = p.age_on(season)
        target = np.where(age >= 65, FLU_65, np.where(at_risk & (age >= 18), FLU_AT_RISK, 0.0))
        prob = np.clip(target * engaged / 0.727, 0, 0.98)
        who = np.flatnonzero(rng.random(p.n) < prob)
        on = season + np.minimum(rng.gamma(2.0, 18.0, len(who)), 130).astype(np.int32)
        people.append(who)
        days.append(on)
    who = np.concatenate(people)
    return who, np.concatenate(days).astype(np.int32), np.full(len(who), 1, np.int8)


def _pneumococcal(ctx, rng):
    p = ctx.pop
    turns65 = (p.dob + 65 * DAYS_PER_YEAR).astype(np.int32)
    who = np.flatnonzero((turns65 >= ctx.window_start) & (rng.random(p.n) < PNEUMO_UPTAKE))
    on = turns65[who] + rng.integers(0, 540, len(who))
    return who, on.astype(np.int32), np.full(len(who), 2, np.int8)


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    rng = ctx.rng(STREAM)
    parts = [_hpv(ctx, rng), _flu(ctx, rng), _pneumococcal(ctx, rng)]
    person, days, kind = (np.concatenate(x) for x in zip(*parts, strict=True))
    # Immunisation records follow the person (NIMS), so a vaccination given before someone
    # registered in BLMK is still on their record; it must fall in their lifetime and the window.
    p = ctx.pop
    keep = (days >= ctx.window_start) & (days >= p.dob[person]) & (
        days <= ctx.active_end()[person])
    person, days, kind = person[keep], days[keep], kind[keep]
    return {"vaccinations": to_table("vaccinations", {
        "patient_id": ctx.pop.patient_id[person],
        "date": days,
        "vaccine": categorical(("hpv", "influenza", "pneumococcal"), kind),
        "snomed_code": categorical((HPV, FLU, PNEUMO), kind),
        "dose_number": np.ones(len(person), np.int64),
    })}


TARGETS = [
    Target("hpv_by_age_14_15", "HPV: % of registered 14-15 year olds vaccinated", 70.0, 5.0,
           "%", "UKHSA 2024/25 England: Year 9 girls 75.3%, boys 70.5%; BLMK a little lower",
           f"""WITH reg AS ({REGISTERED})
           SELECT 100.0 * avg(CASE WHEN v.patient_id IS NULL THEN 0 ELSE 1 END) FROM reg
           LEFT JOIN (SELECT DISTINCT patient_id FROM vaccinations WHERE vaccine = 'hpv') v
           USING (patient_id)
           WHERE date_diff('month', month_of_birth, {{ref}}) BETWEEN 14 * 12 + 1 AND 15 * 12"""),
    Target("flu_65_plus", "Influenza: % of 65+ vaccinated in the 13 months to the reference "
           "date (the latest full season)", 75.0, 4.0, "%",
           "UKHSA seasonal influenza uptake, 65+, ~75-80% [K]",
           f"""WITH reg AS ({REGISTERED})
           SELECT 100.0 * avg(CASE WHEN v.patient_id IS NULL THEN 0 ELSE 1 END) FROM reg
           LEFT JOIN (SELECT DISTINCT patient_id FROM vaccinations WHERE vaccine = 'influenza'
                      AND date > {{ref}} - INTERVAL 13 MONTH) v USING (patient_id)
           WHERE date_diff('month', month_of_birth, {{ref}} - INTERVAL 12 MONTH) >= 65 * 12"""),
]
