"""New cancer diagnoses, and the emergency admissions through which some are found.

Incidence rises steeply with age (England about 600 new cancers per 100,000 people a year,
crude; about 1 in 4 of them in people under 65: CRUK/NDRS cancer registration statistics) [K];
sites in the shares NDRS reports (breast, prostate, lung and colorectal about half) [K]. A
share of diagnoses are *emergency presentations* (NDRS Routes to Diagnosis: about 1 in 5 in
England; higher for lung, pancreas and unknown primary, older people and more deprived areas;
low for breast and prostate) [K]: for those, an emergency admission with the cancer as primary
diagnosis is written to `apc_spells` in the 28 days up to diagnosis, so the route can be
derived from linked records as NDRS does. Emergency presentations are diagnosed at a later
stage more often.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import DAYS_PER_YEAR, SynthContext, pick_days_for, to_table

STREAM = "cancer"

#: Incidence per 100,000 a year by age band (ages 0, 25, 50, 65, 75, 85+) [K, approximate;
#: scaled so BLMK's younger population gives its crude rate]
INCIDENCE_AGES = (0, 25, 50, 65, 75, 85)
INCIDENCE = (25, 150, 840, 1800, 2750, 3100)
#: (ICD-10 site, share of diagnoses, chance of an emergency presentation) [K, approximate]
SITES = (
    ("C509", 0.16, 0.04), ("C61", 0.14, 0.06), ("C349", 0.14, 0.35), ("C189", 0.11, 0.25),
    ("C20", 0.03, 0.12), ("C439", 0.05, 0.02), ("C859", 0.04, 0.25), ("C679", 0.03, 0.15),
    ("C64", 0.03, 0.18), ("C259", 0.03, 0.45), ("C159", 0.02, 0.20), ("C169", 0.02, 0.30),
    ("C541", 0.03, 0.06), ("C56", 0.02, 0.30), ("C719", 0.02, 0.55), ("C959", 0.03, 0.30),
    ("C80", 0.02, 0.55), ("C029", 0.03, 0.08), ("C73", 0.01, 0.03), ("C229", 0.02, 0.40),
    ("C900", 0.02, 0.30),
)
MALE_ONLY, FEMALE_ONLY = {"C61"}, {"C541", "C56"}
#: Emergency presentation odds multipliers: age 75+, most deprived decile (vs least) [E]
OLDER_EMERGENCY, DEPRIVED_EMERGENCY = 1.6, 1.5
EMERGENCY_ODDS_SCALE = 0.6  # brings the all-cancer share to NDRS's ~19% [E]
STAGES = ("1", "2", "3", "4", "unknown")
STAGE_SHARE = {False: (0.30, 0.22, 0.20, 0.18, 0.10), True: (0.08, 0.12, 0.20, 0.45, 0.15)}
EMERGENCY_SPELL_ID_BASE = 2_000_000_000  # keeps these spell ids apart from hospital's


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """`cancer_diagnoses`, and the emergency admissions of emergency presentations."""
    rng = ctx.rng(STREAM)
    p = ctx.pop
    everyone = np.arange(p.n)
    age_now = p.age_on(ctx.reference_date)
    band = np.searchsorted(INCIDENCE_AGES, np.clip(age_now, 0, None), side="right") - 1
    rate = np.asarray(INCIDENCE, float)[band] / 100_000
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start)
    person, days = pick_days_for(rng, everyone, rate, start, ctx.active_end())
    site = _sites(rng, p.sex[person])
    emergency = rng.random(len(person)) < _emergency_chance(ctx, person, days, site)
    stage = np.array([rng.choice(len(STAGES), p=STAGE_SHARE[bool(e)]) for e in emergency],
                     dtype=np.int8) if len(person) else np.empty(0, np.int8)
    codes = np.array([s[0] for s in SITES])
    diagnoses = to_table("cancer_diagnoses", {
        "patient_id": p.patient_id[person], "diagnosis_date": days,
        "site": pa.array(codes[site]), "stage": pa.array(np.array(STAGES)[stage]),
    })
    return {"cancer_diagnoses": _unique(diagnoses),
            "apc_spells": _emergency_admissions(ctx, rng, person[emergency], days[emergency],
                                                codes[site[emergency]])}


def _sites(rng: np.random.Generator, sex: np.ndarray) -> np.ndarray:
    """A primary site per diagnosis: no prostate cancer in women, no womb or ovary cancer in
    men, and male breast cancer rare (about 1 in 100 breast cancers)."""
    share = np.array([s[1] for s in SITES])
    names = [s[0] for s in SITES]
    female = share * [0.0 if n in MALE_ONLY else 1.0 for n in names]
    male = share * [0.0 if n in FEMALE_ONLY else 0.01 if n == "C509" else 1.0 for n in names]
    out = np.empty(len(sex), np.int64)
    for code, weights in ((0, female), (1, male)):  # sex: 0 female, 1 male
        who = np.flatnonzero(sex == code)
        out[who] = rng.choice(len(SITES), size=len(who), p=weights / weights.sum())
    return out


def _emergency_chance(ctx: SynthContext, person, days, site) -> np.ndarray:
    p = ctx.pop
    base = np.array([s[2] for s in SITES])[site]
    age = (days - p.dob[person]) / DAYS_PER_YEAR
    odds = base / (1 - base) * EMERGENCY_ODDS_SCALE * np.where(age >= 75, OLDER_EMERGENCY, 1.0)
    odds *= DEPRIVED_EMERGENCY ** ((10 - p.imd_decile[person]) / 9)
    return odds / (1 + odds)


def _emergency_admissions(ctx, rng, person, days, site) -> pa.Table:
    admitted = days - rng.integers(0, 28, len(person))
    stay = np.maximum(1, rng.lognormal(np.log(6), 0.7, len(person))).astype(np.int32)
    n = len(person)
    return to_table("apc_spells", {
        "patient_id": ctx.pop.patient_id[person],
        "spell_id": EMERGENCY_SPELL_ID_BASE + np.arange(n, dtype=np.int64),
        "provider_code": pa.array(rng.choice(["RC9", "RD8", "RWH", "RGT"], n)),
        "admission_date": admitted.astype(np.int32),
        "discharge_date": np.minimum(admitted + stay, ctx.reference_date).astype(np.int32),
        "admission_method": pa.array(["emergency"] * n, pa.string()),
        "patient_classification": pa.array(["ordinary"] * n, pa.string()),
        "primary_diagnosis": pa.array(site, pa.string()),
        "primary_procedure": pa.array([None] * n, pa.string()),
        "treatment_function": pa.array(["300"] * n, pa.string()),
        "discharge_destination": pa.array(["usual_residence"] * n, pa.string()),
    })


def _unique(table: pa.Table) -> pa.Table:
    """One diagnosis per person, date and site (the registry's key)."""
    keys = ["patient_id", "diagnosis_date", "site"]
    first = table.group_by(keys, use_threads=False).aggregate([("stage", "min")])
    return first.rename_columns([*keys, "stage"])


TARGETS = [
    Target(
        "cancer_incidence", "New cancer diagnoses per 100,000 population per year", 540, 100,
        "per 100,000", "CRUK/NDRS cancer registration statistics: England about 600 per "
        "100,000 a year (crude) [K]; BLMK's younger population a little lower [E]",
        """
        SELECT count(*) / {years} / (SELECT count(*) FROM (REGISTERED)) * 100000
        FROM cancer_diagnoses
        """.replace("REGISTERED", REGISTERED).replace("{years}", f"{5 * 365 / DAYS_PER_YEAR:.4f}"),
    ),
    Target(
        "cancer_emergency_presentations", "Cancers diagnosed after an emergency admission "
        "(in the 28 days up to diagnosis), %", 19, 4, "%",
        "NDRS Routes to Diagnosis: about 1 in 5 cancers in England present as emergencies [K]",
        """
        SELECT 100.0 * count(*) FILTER (WHERE EXISTS (
                 SELECT 1 FROM apc_spells s WHERE s.patient_id = c.patient_id
                   AND s.admission_method = 'emergency' AND s.primary_diagnosis LIKE 'C%'
                   AND s.admission_date BETWEEN c.diagnosis_date - 28 AND c.diagnosis_date))
               / count(*)
        FROM cancer_diagnoses c
        """,
    ),
]
