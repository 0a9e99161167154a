"""New cancer diagnoses, and the emergency admissions through which some are found.

Incidence rises steeply with age (England about 600 new cancers per 100,000 people a year,
crude; about 1 in 4 of them in people under 65: CRUK/NDRS cancer registration statistics) [K]
and is read at each person's age on the day, so that it holds over the window (as do the
referrals below; England's referrals have risen, but that trend is not modelled here);
sites in the shares NDRS reports (breast, prostate, lung and colorectal about half) [K]. A
share of diagnoses are *emergency presentations* (NDRS Routes to Diagnosis: about 1 in 5 in
England; higher for lung, pancreas and unknown primary, older people and more deprived areas;
low for breast and prostate) [K]: for those, an emergency admission with the cancer as primary
diagnosis is written to `apc_spells` in the 28 days up to diagnosis, so the route can be
derived from linked records as NDRS does. Emergency presentations are diagnosed at a later
stage more often.

**Cancer waiting time pathways** (`cancer_pathways`, from their own random stream, so the
diagnoses above are unchanged by them), shaped as NHS England's Cancer Waiting Times (CWT)
statistics report them:

* *Volumes.* England's urgent suspected cancer referrals run at about 3 million a year (CWT
  monthly statistics, 2024-25: 250,000-290,000 people a month told they have cancer or that it
  is ruled out) [K], over 5,000 per 100,000 residents, rising steeply with age; BLMK's younger
  population gives about 4,000-4,500 per 100,000 registered [E]. About 1 in 14 referrals
  finds a cancer (the conversion rate) [K]. Here most non-emergency diagnoses (80%) come
  through a pathway whose diagnosis date is the date it was communicated, and the rest of the
  referrals rule cancer out.
* *Routes.* Most are urgent suspected cancer referrals; breast symptomatic referrals (cancer
  not initially suspected) and urgent referrals from the screening programmes (bowel and
  breast, ages 50-74) are in the faster diagnosis standard; consultant upgrades (8% of the
  diagnosed) are in the 62-day standard only [E].
* *Waits.* The 28-day faster diagnosis standard (FDS) is 75%, rising to 80% by March 2026
  (NHS England 2025/26 planning guidance); England has run at about 75-78% in 2024-25 [K].
  The 62-day referral to first treatment standard is 85%, with an interim 75% by March 2026;
  England has run at about 67-70% [K]. Waits are lognormal: cancer ruled out in a median of 17
  days, diagnosed in 30; then about 10 days to the decision to treat and 11 to treatment
  (31-day standard 96%) [E, calibrated to the figures above]. Untreated cancers (about 12%:
  active monitoring declined, best supportive care) have no treatment dates [E].
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from icsight.model.schema import CANCER_ROUTES, TUMOUR_GROUPS
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    categorical,
    pick_days_at_age,
    to_table,
)

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
    person, days = days_at_age_rates(ctx, rng, INCIDENCE_AGES, INCIDENCE)
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
                                                codes[site[emergency]]),
            "cancer_pathways": pathways(ctx, person[~emergency], days[~emergency],
                                        codes[site[~emergency]])}


def days_at_age_rates(ctx: SynthContext, rng: np.random.Generator, ages: tuple[int, ...],
                      per_100k: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(person, day) of events happening to everyone while in the record, at a yearly rate
    per 100,000 that rises with age (`per_100k` from each of `ages` on), read at the person's
    age on the day (`pick_days_at_age`)."""
    p = ctx.pop
    rates = np.asarray(per_100k, float) / 100_000
    assert (np.diff(rates) >= 0).all(), "the oldest age reached must have the highest rate"

    def rate_at(_person: np.ndarray, age: np.ndarray) -> np.ndarray:
        return rates[np.searchsorted(ages, np.clip(age, 0, None), side="right") - 1]

    everyone = np.arange(p.n)
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start)
    end = ctx.active_end()
    top = rate_at(everyone, (np.maximum(end, start) - p.dob) / DAYS_PER_YEAR)
    return pick_days_at_age(rng, p, everyone, rate_at, top, start, end)


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
    discharged = np.minimum(admitted + stay, ctx.reference_date).astype(np.int32)
    # the hospital module books planned admissions around these spells
    ctx.cancer_admissions = {"person": person, "adm": admitted.astype(np.int32),
                             "dis": discharged}
    return to_table("apc_spells", {
        "patient_id": ctx.pop.patient_id[person],
        "spell_id": EMERGENCY_SPELL_ID_BASE + np.arange(n, dtype=np.int64),
        "provider_code": pa.array(rng.choice(["RC9", "RD8", "RWH", "RGT"], n)),
        "admission_date": admitted.astype(np.int32),
        "discharge_date": discharged,
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


# --- cancer waiting time pathways (issue 10) ------------------------------------------------

PATHWAY_STREAM = "cancer_pathways"
#: Urgent suspected cancer referrals that rule cancer out, per 100,000 a year by age (ages 0,
#: 16, 25, 50, 65, 75+) [E: rising with age as CWT referrals do; scaled to about 4,000 per
#: 100,000 in BLMK, with the diagnosed pathways on top]
REFERRAL_AGES = (0, 16, 25, 50, 65, 75)
REFERRALS_RULED_OUT = (500, 1300, 2900, 6000, 8500, 10000)
#: Share of non-emergency diagnoses found through a cancer pathway [E]
DIAGNOSED_VIA_PATHWAY = 0.80
CONSULTANT_UPGRADE = 0.08  # of the diagnosed pathways [E]
SCREENING_AGES = (50, 74)  # bowel (FIT) and breast screening referrals [K]
SCREENING_SHARE_DIAGNOSED = 0.25  # of breast and bowel cancers at screening ages [E]
SCREENING_SHARE_RULED_OUT = 0.12  # of breast and lower GI referrals at screening ages [E]
BREAST_SYMPTOMATIC_SHARE = 0.35  # of breast referrals ruling cancer out (5% of diagnosed) [E]
#: (median days, sigma) of lognormal waits [E, calibrated to CWT performance, see above;
#: the calibration targets use 36 months (the combined standards' life) so that a small test
#: population measures them within tolerance]. A pathway's referral cannot be before the
#: window (or the person's registration): one that would be is moved to its first day, so the
#: clock stops of the window's first six months or so are quicker than the rest (62-day 71.1%
#: in the first year against 67.2-68.1% in each later year, FDS 78.5% against 77.0-77.3%; six
#: 250,000-person lakes, seeds 11-16, pooled). Nothing else here depends on the calendar or on
#: the list's size: waits are drawn alike for every referral.
RULED_OUT_WAIT, DIAGNOSED_WAIT = (17.0, 0.62), (30.0, 0.55)
UPGRADE_WAIT = (12.0, 0.6)  # upgrade to diagnosis
TO_DECISION, TO_TREATMENT = (9.0, 0.7), (10.0, 0.6)
UNTREATED = 0.12
PROVIDERS = ("RC9", "RD8", "RWH", "RGT")  # the providers BLMK residents use most [E]
#: Tumour groups of referrals that rule cancer out, women then men [E, approximate CWT
#: shares: lower GI, breast and skin about two thirds]
RULED_OUT_GROUPS = ("lower_gi", "breast", "skin", "urological", "gynaecological",
                    "head_and_neck", "upper_gi", "lung", "haematological", "brain_cns",
                    "sarcoma", "other")
RULED_OUT_SHARES = {
    0: (0.21, 0.33, 0.15, 0.04, 0.12, 0.06, 0.04, 0.02, 0.01, 0.01, 0.005, 0.005),
    1: (0.34, 0.01, 0.20, 0.19, 0.0, 0.11, 0.07, 0.04, 0.02, 0.01, 0.005, 0.005),
}
#: ICD-10 site prefix -> tumour group of a diagnosed pathway
SITE_GROUPS = (("C50", "breast"), ("C18", "lower_gi"), ("C19", "lower_gi"), ("C20", "lower_gi"),
               ("C15", "upper_gi"), ("C16", "upper_gi"), ("C22", "upper_gi"),
               ("C25", "upper_gi"), ("C34", "lung"), ("C43", "skin"), ("C61", "urological"),
               ("C64", "urological"), ("C67", "urological"), ("C54", "gynaecological"),
               ("C56", "gynaecological"), ("C0", "head_and_neck"), ("C73", "head_and_neck"),
               ("C71", "brain_cns"), ("C8", "haematological"), ("C9", "haematological"))


def _group_of(site: str) -> str:
    for prefix, group in SITE_GROUPS:
        if site.startswith(prefix):
            return group
    return "other"


def _wait(rng, shape: tuple[float, float], n: int) -> np.ndarray:
    median, sigma = shape
    return np.round(rng.lognormal(np.log(median), sigma, n)).astype(np.int64)


def pathways(ctx: SynthContext, person, diagnosed_on, site) -> pa.Table:
    """`cancer_pathways`: diagnosed pathways for most non-emergency diagnoses (`person`,
    `diagnosed_on`, `site`), then referrals that ruled cancer out."""
    rng = ctx.rng(PATHWAY_STREAM)
    p = ctx.pop
    via = rng.random(len(person)) < DIAGNOSED_VIA_PATHWAY
    person, diagnosed_on, site = person[via], diagnosed_on[via].astype(np.int64), site[via]
    n_dx = len(person)
    age_dx = (diagnosed_on - p.dob[person]) / DAYS_PER_YEAR
    group_dx = np.array([_group_of(s) for s in site], dtype=object)
    screening_age = (age_dx >= SCREENING_AGES[0]) & (age_dx <= SCREENING_AGES[1] + 1)
    route_dx = np.zeros(n_dx, np.int64)  # urgent_suspected_cancer
    draw = rng.random(n_dx)
    screened = np.isin(group_dx, ["breast", "lower_gi"]) & screening_age
    route_dx[screened & (draw < SCREENING_SHARE_DIAGNOSED)] = 2
    route_dx[(group_dx == "breast") & (route_dx == 0) & (draw > 0.95)] = 1
    route_dx[rng.random(n_dx) < CONSULTANT_UPGRADE] = 3
    upgrade = route_dx == 3
    waited = np.where(upgrade, _wait(rng, UPGRADE_WAIT, n_dx), _wait(rng, DIAGNOSED_WAIT, n_dx))
    earliest = np.maximum(p.registration_start[person], ctx.window_start).astype(np.int64)
    referral_dx = np.maximum(diagnosed_on - waited, earliest)
    fds_dx = np.where(upgrade, NO_DATE, diagnosed_on)
    decision = diagnosed_on + _wait(rng, TO_DECISION, n_dx)
    treated = decision + _wait(rng, TO_TREATMENT, n_dx)
    end = ctx.active_end()[person].astype(np.int64)
    untreated = rng.random(n_dx) < UNTREATED
    decision = np.where(untreated | (decision > end), NO_DATE, decision)
    treated = np.where((decision == NO_DATE) | (treated > end), NO_DATE, treated)

    # Referrals that ruled cancer out (or are still open on the reference date)
    who, referral_ro = days_at_age_rates(ctx, rng, REFERRAL_AGES, REFERRALS_RULED_OUT)
    referral_ro = referral_ro.astype(np.int64)
    n_ro = len(who)
    group_ro = np.empty(n_ro, dtype=object)
    for sex in (0, 1):
        mine = np.flatnonzero(p.sex[who] == sex)
        shares = np.asarray(RULED_OUT_SHARES[sex])
        group_ro[mine] = np.array(RULED_OUT_GROUPS, dtype=object)[
            rng.choice(len(RULED_OUT_GROUPS), size=len(mine), p=shares / shares.sum())]
    age_ro = (referral_ro - p.dob[who]) / DAYS_PER_YEAR
    group_ro[age_ro < 16] = "children"
    route_ro = np.zeros(n_ro, np.int64)
    draw = rng.random(n_ro)
    route_ro[(group_ro == "breast") & (draw < BREAST_SYMPTOMATIC_SHARE)] = 1
    screening_age = (age_ro >= SCREENING_AGES[0]) & (age_ro <= SCREENING_AGES[1] + 1)
    route_ro[np.isin(group_ro, ["breast", "lower_gi"]) & screening_age
             & (draw > 1 - SCREENING_SHARE_RULED_OUT)] = 2
    fds_ro = referral_ro + _wait(rng, RULED_OUT_WAIT, n_ro)
    open_ro = fds_ro > ctx.active_end()[who]

    n = n_dx + n_ro
    people = np.concatenate([person, who])
    outcome = np.concatenate([np.where(diagnosed_on > ctx.reference_date, 2, 0),
                              np.where(open_ro, 2, 1)])
    groups = np.concatenate([group_dx, group_ro])
    table = to_table("cancer_pathways", {
        "patient_id": p.patient_id[people],
        "pathway_id": np.arange(1, n + 1, dtype=np.int64),
        "provider_code": pa.array(np.array(PROVIDERS)[rng.integers(0, len(PROVIDERS), n)]),
        "route": categorical(CANCER_ROUTES, np.concatenate([route_dx, route_ro])),
        "referral_date": np.concatenate([referral_dx, referral_ro]),
        "tumour_group": categorical(TUMOUR_GROUPS,
                                    np.array([TUMOUR_GROUPS.index(g) for g in groups])),
        "faster_diagnosis_date": np.concatenate([fds_dx, np.where(open_ro, NO_DATE, fds_ro)]),
        "outcome": pa.array(np.array(["diagnosed", "ruled_out", None], dtype=object)[outcome],
                            pa.string()),
        "decision_to_treat_date": np.concatenate([decision, np.full(n_ro, NO_DATE)]),
        "first_treatment_date": np.concatenate([treated, np.full(n_ro, NO_DATE)]),
    })
    # In referral order, numbered in that order
    order = pc.sort_indices(table, [("referral_date", "ascending"),
                                            ("patient_id", "ascending")])
    table = table.take(order)
    return table.set_column(1, table.schema.field("pathway_id"),
                            pa.array(np.arange(1, n + 1, dtype=np.int64)))


#: How far back the waiting time targets read: 36 months of clock stops, and the referrals of
#: those pathways up to six months before the first of them, so that the check's first date
#: leaves out the window's first months, whose waits are cut short by its start (above).
CWT_LOOKBACK_MONTHS = 36 + 6

_FDS_SQL = """
    SELECT 100.0 * avg(CASE WHEN faster_diagnosis_date - referral_date <= 28 THEN 1 ELSE 0 END)
    FROM cancer_pathways
    WHERE route <> 'consultant_upgrade' AND faster_diagnosis_date > {ref} - INTERVAL 36 MONTH
      AND faster_diagnosis_date <= {ref}
"""
_62D_SQL = """
    SELECT 100.0 * avg(CASE WHEN first_treatment_date - referral_date <= 62 THEN 1 ELSE 0 END)
    FROM cancer_pathways
    WHERE first_treatment_date > {ref} - INTERVAL 36 MONTH AND first_treatment_date <= {ref}
"""

TARGETS = [
    Target(
        "cancer_incidence", "New cancer diagnoses per 100,000 population per year", 540, 100,
        "per 100,000", "CRUK/NDRS cancer registration statistics: England about 600 per "
        "100,000 a year (crude) [K]; BLMK's younger population a little lower [E]",
        """
        SELECT count(*) / {years} / (SELECT count(*) FROM (REGISTERED)) * 100000
        FROM cancer_diagnoses
        """.replace("REGISTERED", REGISTERED).replace("{years}", f"{5 * 365 / DAYS_PER_YEAR:.4f}"),
        once=True,  # all diagnoses in the five years
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
    Target(
        "cancer_urgent_referrals", "Cancer pathways (urgent suspected cancer, breast "
        "symptomatic, screening, upgrades) per 100,000 registered a year, last 12 months",
        4100, 600, "per 100,000",
        "NHS England Cancer Waiting Times: about 3 million urgent suspected cancer referrals a "
        "year in England (over 5,000 per 100,000) [K]; BLMK's younger population fewer [E]",
        """
        SELECT 100000.0 * count(*) / (SELECT count(*) FROM (REGISTERED))
        FROM cancer_pathways
        WHERE referral_date > {ref} - INTERVAL 12 MONTH AND referral_date <= {ref}
        """.replace("REGISTERED", REGISTERED),
    ),
    Target(
        "cancer_fds_28d", "Faster diagnosis standard: told within 28 days, %, last 36 months",
        77, 3, "%",
        "NHS England Cancer Waiting Times: 28-day FDS about 75-78% in England in 2024-25 [K] "
        "(standard 75%, 80% by March 2026)", _FDS_SQL, lookback_months=CWT_LOOKBACK_MONTHS,
    ),
    Target(
        "cancer_62d", "62-day referral to first treatment, %, last 36 months", 69, 4, "%",
        "NHS England Cancer Waiting Times: 62-day combined standard about 67-70% in England "
        "in 2024-25 [K] (standard 85%, 75% by March 2026)", _62D_SQL,
        lookback_months=CWT_LOOKBACK_MONTHS,
    ),
]
