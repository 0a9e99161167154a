"""Cancer screening: bowel, breast and cervical invitations, tests and results.

Each programme invites eligible people on its national cycle; whether a person takes part
depends on a personal propensity that is lower with deprivation and in some ethnic groups (the
strategy: "coverage varies and is lower in some population groups"). Coverage is then measured
as the national KPIs define it, on the reference date (clinical-indicators.md 1.4):

| programme | who | cycle | coverage KPI | England | aim here |
| --- | --- | --- | --- | --- | --- |
| bowel (FIT) | 60-74 | 2 years | tested in the last 30 months | 71.8% | ~68% |
| breast | women 50-70 | 3 years | women 53-70 screened in the last 36 months | ~70% | ~70% |
| cervical | women 25-64 | 3 years, 5 from 50 | 25-49 in 3.5 years, 50-64 in 5.5 | 68.8% | ~64% |

BLMK sits a few points below England except for breast, as the issue asks (Luton and parts of
Bedford and Milton Keynes are younger, more diverse and more deprived). Screening records are a
national register that follows the person, so history runs six years back (the cervical KPI
looks back 5.5 years).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.model.schema import ETHNICITY_GROUPS
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, SynthContext, categorical, to_table

STREAM = "screening"
HISTORY_DAYS = int(6 * DAYS_PER_YEAR)


class Programme:
    def __init__(self, name, female_only, ages, interval_years, coverage, lookback_years,
                 results, ceased):
        self.name, self.female_only, self.ages = name, female_only, ages
        self.interval_years, self.coverage = interval_years, coverage
        self.lookback_years, self.results, self.ceased = lookback_years, results, ceased


PROGRAMMES = (
    # `coverage` is the internal aim: above the KPI target where people newly in the age range
    # (not yet invited) pull measured coverage down [E, calibrated].
    Programme("bowel", False, (60, 74), (2, 2), 0.77, 2.5, (("normal", 0.98), ("abnormal", 0.02)),
              0.005),
    Programme("breast", True, (50, 70), (3, 3), 0.70, 3.0, (("normal", 0.96), ("abnormal", 0.04)),
              0.003),
    Programme("cervical", True, (25, 64), (3, 5), 0.70, 3.5,
              (("hpv_negative", 0.88), ("hpv_positive", 0.12)), 0.01),
)
ETHNICITY_EFFECT = {"Asian": -0.35, "Black": -0.25, "Other": -0.35, "Mixed": -0.1,
                    "Not stated": -0.2}  # log-odds [E]
DEPRIVATION_EFFECT = 0.45  # log-odds, least vs most deprived tenth differ by twice this [E]


def _propensity(ctx, rng, eligible_idx, prog: Programme) -> np.ndarray:
    p = ctx.pop
    base = DEPRIVATION_EFFECT * (p.imd_decile[eligible_idx] - 5.5) / 4.5
    eth = np.zeros(len(ETHNICITY_GROUPS))
    for g, v in ETHNICITY_EFFECT.items():
        eth[ETHNICITY_GROUPS.index(g)] = v
    base = base + eth[p.ethnicity_group[eligible_idx]] + rng.normal(0, 1.6, len(eligible_idx))
    visits = prog.lookback_years / prog.interval_years[0]
    lo, hi = -6.0, 6.0
    for _ in range(40):  # solve the intercept so expected coverage meets the aim
        mid = (lo + hi) / 2
        q = 1 / (1 + np.exp(-(mid + base)))
        cover = 1 - (1 - q) ** visits
        lo, hi = (mid, hi) if cover.mean() < prog.coverage else (lo, mid)
    return 1 / (1 + np.exp(-(lo + base)))


def _programme_events(ctx, rng, prog: Programme):
    p = ctx.pop
    end = ctx.active_end()
    first = ctx.reference_date - HISTORY_DAYS
    lo_age, hi_age = prog.ages
    age_end = p.age_on(end)
    age_first = ((first - p.dob) / DAYS_PER_YEAR)
    eligible = (age_end >= lo_age) & (age_first <= hi_age + 1)
    if prog.female_only:
        eligible &= p.female
    idx = np.flatnonzero(eligible)
    take = _propensity(ctx, rng, idx, prog)
    # invitations: a personal phase, then every interval while in the age range
    max_invites = int(HISTORY_DAYS / (prog.interval_years[0] * DAYS_PER_YEAR)) + 2
    phase = rng.random(len(idx)) * prog.interval_years[0] * DAYS_PER_YEAR
    out_person, out_day, out_event, out_result = [], [], [], []
    ceased_day = np.where(rng.random(len(idx)) < prog.ceased,
                          rng.integers(first, ctx.reference_date + 1, len(idx)), NO_DATE)
    for k in range(max_invites):
        when = (first + phase + k * prog.interval_years[0] * DAYS_PER_YEAR).astype(np.int64)
        age_k = (when - p.dob[idx]) / DAYS_PER_YEAR
        interval = np.where(age_k >= 50, prog.interval_years[1], prog.interval_years[0])
        # the longer interval from 50 (cervical) thins later invitations
        keep = (age_k >= lo_age) & (age_k < hi_age + 1) & (when <= end[idx]) & (
            when < ceased_day)
        keep &= (interval == prog.interval_years[0]) | (rng.random(len(idx)) < (
            prog.interval_years[0] / interval))
        who, on = idx[keep], when[keep]
        out_person.append(who)
        out_day.append(on)
        out_event.append(np.zeros(len(who), np.int8))
        out_result.append(np.full(len(who), -1))
        tested = rng.random(len(who)) < take[keep]
        t_day = on[tested] + rng.integers(7, 75, tested.sum())
        ok = t_day <= end[who[tested]]
        res = rng.choice(len(prog.results), ok.sum(), p=[r[1] for r in prog.results])
        out_person.append(who[tested][ok])
        out_day.append(t_day[ok])
        out_event.append(np.ones(ok.sum(), np.int8))
        out_result.append(res)
    ceased = ceased_day != NO_DATE
    out_person.append(idx[ceased])
    out_day.append(ceased_day[ceased])
    out_event.append(np.full(ceased.sum(), 2, np.int8))
    out_result.append(np.full(ceased.sum(), -1))
    person = np.concatenate(out_person)
    days = np.concatenate(out_day).astype(np.int32)
    keep = (days >= first) & (days >= p.dob[person]) & (
        days <= end[person])
    results = [r[0] for r in prog.results]
    result = np.concatenate(out_result)[keep]
    result_names = np.array([*results, None], object)[np.where(result < 0, len(results), result)]
    return person[keep], days[keep], np.concatenate(out_event)[keep], result_names


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    rng = ctx.rng(STREAM)
    parts = []
    for i, prog in enumerate(PROGRAMMES):
        person, days, event, result = _programme_events(ctx, rng, prog)
        parts.append((person, days, event, result, np.full(len(person), i, np.int8)))
    person, days, event, result, prog = (np.concatenate(x) for x in zip(*parts, strict=True))
    return {"screening": to_table("screening", {
        "patient_id": ctx.pop.patient_id[person],
        "programme": categorical(tuple(p.name for p in PROGRAMMES), prog),
        "event": categorical(("invited", "tested", "ceased"), event),
        "date": days,
        "result": pa.array(result, pa.string()),
    })}


def _coverage_sql(programme: str, sex_filter: str, age_rule: str) -> str:
    return f"""
    WITH reg AS ({REGISTERED}),
    ages AS (SELECT patient_id,
                    date_diff('month', month_of_birth, {{ref}}) / 12.0 AS age FROM reg
             WHERE {sex_filter}),
    ceased AS (SELECT DISTINCT patient_id FROM screening
               WHERE programme = '{programme}' AND event = 'ceased' AND date <= {{ref}}),
    tests AS (SELECT patient_id, max(date) AS last_test FROM screening
              WHERE programme = '{programme}' AND event = 'tested' AND date <= {{ref}}
              GROUP BY 1)
    SELECT 100.0 * avg(CASE WHEN {age_rule} THEN 1 ELSE 0 END)
    FROM ages LEFT JOIN tests USING (patient_id)
    WHERE patient_id NOT IN (SELECT patient_id FROM ceased) AND {{eligible}}
    """


TARGETS = [
    Target("bowel_coverage", "Bowel screening coverage, 60-74, tested in 30 months", 68.0, 4.0,
           "%", "England 71.8% (PQ 47308); BLMK a few points lower [E]",
           _coverage_sql("bowel", "TRUE", "last_test > {ref} - INTERVAL 30 MONTH").replace(
               "{eligible}", "age >= 60 AND age < 75")),
    Target("breast_coverage", "Breast screening coverage, women 53-70, screened in 36 months",
           70.0, 4.0, "%", "England ~70% (NHS England 2023/24); BLMK about the same [E]",
           _coverage_sql("breast", "sex = 'female'", "last_test > {ref} - INTERVAL 36 MONTH"
                         ).replace("{eligible}", "age >= 53 AND age < 71")),
    Target("cervical_coverage", "Cervical screening coverage, women 25-64 (age-appropriate)",
           64.0, 4.0, "%", "England 68.8% at 31 March 2024 (NHS Digital); BLMK lower [E]",
           _coverage_sql("cervical", "sex = 'female'",
                         "(age < 50 AND last_test > {ref} - INTERVAL 42 MONTH) OR "
                         "(age >= 50 AND last_test > {ref} - INTERVAL 66 MONTH)").replace(
                             "{eligible}", "age >= 25 AND age < 65")),
]
