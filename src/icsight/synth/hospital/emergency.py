"""Emergency admissions (`apc_spells`, method `emergency`).

Emergency admissions follow age-specific rates (infants: a HES birth-cohort study, BMC Health Serv
Res 2022; other ages a project estimate [E]), raised by
long-term conditions, deprivation and ill-health and peaking in winter. People who die have
extra admissions in their final year (and so do people alive on the reference date who would
die within a year of it: the admissions of their final year that fall before it are in the
record, their death is not), and about 44% die in hospital: their last spell ends on
the day of death with destination `died`. Diagnoses are ICD-10 codes by age and condition,
with chronic ambulatory-care-sensitive conditions (asthma, COPD, heart failure, angina,
diabetes, epilepsy, hypertension) about 17%. Diagnoses and admitting treatment functions are
indices into the shared code lists (`common.CodeLists`), which the orchestrator passes in.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from icsight.synth.context import DAYS_PER_YEAR, NO_DATE
from icsight.synth.deaths import death_rate
from icsight.synth.hospital.common import (
    CONDITION_RISK,
    MAX_AGE,
    CodeLists,
    _age_rate_events,
    _ages,
    _choose,
    _choose_by_group,
    _Cohort,
    _condition_ratio,
    _lognormal,
    _per_year_of_age,
    _personal_factor,
)
from icsight.synth.people import deaths_per_person_year

# --- rates -----------------------------------------------------------------------------------
# Age bands are given by their lower age. Emergency admissions per 1,000 per year: infants 338
# [S: HES birth-cohort study, BMC Health Serv Res 2022]; other ages [E] project
# estimates, scaled to give the all-ages ~110 per 1,000 for BLMK's age structure [E].
EA_AGE_BANDS = (0, 1, 5, 15, 45, 65, 75, 85)
EA_RATES_PER_1000 = (338, 120, 35, 60, 85, 160, 290, 520)
EA_RATE_SCALE = 1.13
# Extra emergency admissions in the final 12 months of life, on top of the age rate: a mean of
# LAST_YEAR_EXTRA_ADMISSIONS per death, very unevenly spread (gamma-Poisson with shape
# LAST_YEAR_DISPERSION: many sudden deaths have none, a few people are admitted again and
# again) [E, calibrated so that, with the final spell of those who die in hospital, ~25% of
# decedents have 3+ emergency admissions in the last year of life (Nuffield Trust QualityWatch
# "End of life care", 2018) [S] and ~6% 3+ in the last 90 days (OHID PEoLC profile, 2022) [S]].
LAST_YEAR_EXTRA_ADMISSIONS, LAST_YEAR_DISPERSION = 1.15, 1.0
# Days before death of those admissions: 365 x u ** LAST_YEAR_BUNCHING, u uniform, so they
# bunch towards the death [E, calibrated with the above].
LAST_YEAR_BUNCHING = 1.4
# The published age rates already contain those admissions, so the baseline rate at each age
# is lowered by this many admissions x that age's mortality [E, calibrated so the 75+ rates
# measured over 12 months, deaths included, come back to the published ones].
LAST_YEAR_OFFSET = 1.5
# Deaths in hospital: 43.4% of deaths in England in 2022, 42.8% in 2023 (OHID Fingertips 93474)
# [S]. The final spell is drawn for these shares (fewer for care home residents) [E,
# calibrated]; spells that happen to run into the day of death add a little more. (Community
# 0.42 until care home residence was set to Census 2021's 2.5% of the 65+: fewer residents
# among the people dying, so 0.415 keeps the same share dying in hospital.)
DIE_IN_HOSPITAL = {"community": 0.415, "care_home": 0.17}
DIE_IN_DEPARTMENT = 0.05  # of hospital deaths, in A&E rather than on a ward [E]
# Five-year age groups (the last open) in which the notional deaths just after the window
# match the deaths of its last year (`_death_or_notional_death`).
NOTIONAL_GROUPS = 20
WINTER_PEAK_ADMISSIONS = 0.09  # Dec-Feb about 15% above Jun-Aug [E]

# --- spells ----------------------------------------------------------------------------------
# Primary diagnoses (ICD-10, no dot, X-filled) with weights for infants, 1-15, 16-64, 65+ [E].
# Chronic ambulatory-care-sensitive codes (NHS Outcomes Framework 2.3.i) also arrive through
# each person's conditions below.
EMERGENCY_DIAGNOSES = {
    "J210": (30, 0, 0, 0), "J069": (12, 12, 2, 0.5), "R509": (12, 9, 2, 1),
    "A099": (6, 9, 3, 2), "R104": (1, 8, 10, 4), "R074": (0, 0.5, 9, 5),
    "J189": (3, 4, 4, 10), "N390": (3, 2, 3, 8), "L039": (1, 2, 3, 3), "E86X": (4, 1, 1, 3),
    "I214": (0, 0, 2, 3), "I639": (0, 0, 1, 4), "I489": (0, 0, 1.5, 3), "S720": (0, 0, 0.3, 4),
    "S099": (3, 4, 2, 2), "S525": (0, 2, 1, 1), "K358": (0, 3, 2, 0.3), "K802": (0, 0, 2, 1.5),
    "K859": (0, 0, 1, 0.8), "R55X": (0, 0.5, 2, 3), "R060": (2, 2, 1.5, 2.5),
    "T391": (0, 1.5, 2, 0.2), "F100": (0, 0.2, 1.5, 0.3), "U071": (0.5, 0.5, 1, 2.5),
    "R51X": (0, 1, 2, 0.5), "D649": (0, 0, 0.5, 1.5), "N179": (0, 0, 0.5, 2),
    "A419": (1, 0.5, 1, 3), "R296": (0, 0, 0.3, 3), "P599": (8, 0, 0, 0),
    # chronic ACSC background (people not on a register, or first presentations)
    "I209": (0, 0, 2.5, 3.5), "G409": (1, 2.5, 2, 1), "I10X": (0, 0, 0.4, 0.6),
    "J459": (0.3, 0.4, 0.4, 0.1), "E119": (0, 0.2, 0.8, 1), "J441": (0, 0, 0.5, 2.5),
    "I500": (0, 0, 0.15, 0.8),
}
# Per condition: codes, their weights, and the share of that person's emergency admissions
# coded to the condition under 16, 16-64 and 65+, once it is in their record [E; heart
# failure's raised from 8.5% to 10% when admissions before the diagnosis stopped being
# coded to it, to keep its admission rate near the target (`hospital.targets`)].
CONDITION_DIAGNOSES = {
    "asthma": (("J459", "J46X"), (0.85, 0.15), (0.24, 0.10, 0.04)),
    "copd": (("J441", "J440"), (0.7, 0.3), (0.0, 0.30, 0.28)),
    "heart_failure": (("I500", "I509"), (0.6, 0.4), (0.1, 0.1, 0.1)),
    "diabetes": (("E119", "E116", "E115", "E149"), (0.4, 0.3, 0.2, 0.1), (0.15, 0.06, 0.05)),
    "type1_diabetes": (("E101", "E109"), (0.7, 0.3), (0.2, 0.15, 0.1)),
    "learning_disability": (("G409",), (1.0,), (0.15, 0.15, 0.1)),
    "dementia": (("F03X",), (1.0,), (0.0, 0.05, 0.05)),
    "ckd": (("N179",), (1.0,), (0.0, 0.04, 0.04)),
}
CHRONIC_ACSC_PREFIXES = ("J45", "J46", "J44", "I50", "I20", "E10", "E11", "E12", "E13", "E14",
                         "G40", "G41", "I10", "I11")  # the generated ones, of NHSOF 2.3.i's
EMERGENCY_SPECIALTY = {  # admitting treatment function by diagnosis; 300 otherwise
    "R104": "100", "K358": "100", "K802": "100", "K859": "100", "S099": "100",
    "S720": "110", "S525": "110", "I214": "320", "I209": "320", "I500": "320", "I509": "320",
    "I489": "320", "R074": "320", "I639": "328", "J441": "340", "J440": "340", "J459": "340",
    "J46X": "340", "J189": "340",
}
# Length of stay in days: lognormal median by age, sigma; tuned for a mean of ~4.5 days and
# ~2.5% of emergency spells over 21 days, more at 75+ (NHS England long-stay metric) [E].
LOS_AGES, LOS_MEDIAN_DAYS, LOS_SIGMA = (0, 16, 45, 65, 75, 85), (0.6, 1.3, 2.0, 3.1, 4.2, 5.0), 1.0
DISCHARGE_DESTINATIONS = ("usual_residence", "care_home", "other_provider", "died")
TO_OTHER_PROVIDER, TO_NEW_CARE_HOME_85 = 0.04, 0.03  # [E]


def _emergency_spells(ctx, rng, cohort: _Cohort, lists: CodeLists) -> tuple[dict, np.ndarray]:
    """Emergency spells as column arrays, and the people who died in A&E."""
    p = ctx.pop
    top, risk_on = _admission_risk(ctx, cohort)
    person, adm = _age_rate_events(ctx, rng, cohort, _baseline_admission_rates(), top,
                                   WINTER_PEAK_ADMISSIONS)
    # drawn at each person's highest risk, thinned to their risk on the day
    keep = rng.random(len(person)) * top[person] < risk_on(person, adm)
    person, adm = person[keep], adm[keep]
    ly_person, ly_adm = _last_year_of_life(ctx, rng)
    final, died_in_ed = _dying_in_hospital(ctx, rng)
    final_adm = _final_admission(ctx, rng, final)
    person = np.concatenate([person, ly_person, final])
    adm = np.concatenate([adm, ly_adm, final_adm]).astype(np.int32)
    is_final = np.arange(len(adm)) >= len(adm) - len(final)
    los = _emergency_stay(rng, _ages(ctx, person, adm))
    dis = np.where(is_final, p.death[person], adm + los).astype(np.int64)
    spells = _tidy_spells(ctx, person, adm, dis, is_final, died_in_ed)
    spells["diag"] = _emergency_diagnoses(ctx, rng, spells["person"], spells["adm"], lists)
    spells["tf"] = _emergency_specialty(_ages(ctx, spells["person"], spells["adm"]),
                                        spells["diag"], lists)
    spells["dest"] = _destinations(ctx, rng, spells)
    return spells, died_in_ed


def _admission_risk(ctx, cohort: _Cohort) -> tuple[np.ndarray, Callable]:
    """Each person's relative risk of an emergency admission on a day: (the highest over
    their record, a function of (people, days) giving it on those days).

    Their ill-health and deprivation, times the ratios of the conditions in their record that
    day (`common._condition_ratio`), scaled to mean 1 over the person-time of each five-year
    age group on the day, everyone together, so that the age rates hold at every date of the
    window [E].

    It was one figure over the whole record (`common._Cohort.risk`): the conditions a person
    has at the end of it raised their risk before they were diagnosed too, the risk was scaled
    within the age group they end the window in rather than the age on the day, and the people
    who die in the window were scaled among themselves. The heart failure register's mean risk
    then rose over the window at each age (7.5% at 65-74, 5.8% at 75-84 and 4.0% at 85 and
    over from its first year to its last, ten 300,000-person populations), and its coded
    admissions with it (HF_ADM_DSR +2.9% in expectation): the people on a register at an age
    early in the window carried the scaling of an older group, and more of them were scaled
    down as the window's deaths. The excess of the people who die is still their final year's
    admissions, added apart (`_last_year_of_life`); scaled together with everyone else, their
    risk before it is as high as their own ill-health and conditions make it.
    """
    p = ctx.pop
    base = _personal_factor(ctx)
    person, first, length = _risk_segments(ctx, cohort)
    group = _risk_group(ctx, person, first)
    raw = base[person] * _condition_ratio(ctx, person, first)
    mean = (np.bincount(group, raw * length, RISK_GROUPS)
            / np.maximum(np.bincount(group, length, RISK_GROUPS), 1e-9))
    mean = np.where(mean > 0, mean, 1.0)
    top = np.zeros(p.n)
    np.maximum.at(top, person, raw / mean[group])

    def on(who: np.ndarray, days: np.ndarray) -> np.ndarray:
        days = np.asarray(days, np.int64)
        return (base[who] * _condition_ratio(ctx, who, days)
                / mean[_risk_group(ctx, who, days)])

    return top, on


RISK_GROUPS = 21  # five-year age groups on the day for `_admission_risk`, the last from 100


def _risk_group(ctx, person: np.ndarray, days: np.ndarray) -> np.ndarray:
    return np.minimum(_ages(ctx, person, days) // 5, RISK_GROUPS - 1)


def _risk_segments(ctx, cohort: _Cohort) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, first day, days) of each stretch of the records over which a person's risk
    and age group are constant: cut where a condition is diagnosed and at each fifth
    birthday."""
    p = ctx.pop
    start, end = cohort.start.astype(np.int64), cohort.end.astype(np.int64)
    inside = end >= start
    dob = p.dob.astype(np.int64)
    cuts = [np.where(p.conditions[name].has, p.conditions[name].diagnosed, NO_DATE).astype(
        np.int64) for name in CONDITION_RISK]
    # the first day of each age 5k (`common._ages` floors (day - dob) / DAYS_PER_YEAR)
    cuts += [dob + int(np.ceil(5 * k * DAYS_PER_YEAR)) for k in range(1, RISK_GROUPS)]
    person = [np.flatnonzero(inside)]
    day = [start[person[0]]]
    for cut in cuts:
        hit = np.flatnonzero(inside & (cut > start) & (cut <= end))
        person.append(hit)
        day.append(cut[hit])
    person, day = np.concatenate(person), np.concatenate(day)
    order = np.lexsort((day, person))
    person, day = person[order], day[order]
    first = np.r_[True, (person[1:] != person[:-1]) | (day[1:] != day[:-1])]
    person, day = person[first], day[first]
    last = np.r_[person[1:] != person[:-1], True]
    following = np.where(last, end[person] + 1, np.r_[day[1:], 0])
    return person, day, (following - day).astype(float)


def _baseline_admission_rates() -> np.ndarray:
    """Age rates less the expected last-year-of-life admissions added separately."""
    rate = _per_year_of_age(EA_AGE_BANDS, EA_RATES_PER_1000, EA_RATE_SCALE)
    extra = LAST_YEAR_OFFSET * death_rate(np.arange(MAX_AGE + 1))
    return np.maximum(rate - extra, 0.3 * rate)


def _last_year_of_life(ctx, rng) -> tuple[np.ndarray, np.ndarray]:
    """Extra admissions in the final year, bunched towards the death, for the people who died
    and for those alive at the end who would die in the year after it (their notional death
    is only used here), so that the last year of the window has as many as any other."""
    death = _death_or_notional_death(ctx, rng)
    dead = np.flatnonzero(death != NO_DATE)
    mean = rng.gamma(LAST_YEAR_DISPERSION, LAST_YEAR_EXTRA_ADMISSIONS / LAST_YEAR_DISPERSION,
                     len(dead))
    person = np.repeat(dead, rng.poisson(mean))
    before = np.floor(365 * rng.random(len(person)) ** LAST_YEAR_BUNCHING).astype(np.int32)
    days = (death[person] - before).astype(np.int32)
    keep = ctx.in_record(person, days)
    return person[keep], days[keep]


def _death_or_notional_death(ctx, rng) -> np.ndarray:
    """Each person's day of death; for people registered on the reference date, a day in the
    following year with their own chance (`people.deaths_per_person_year`), scaled in each
    five-year age group so that the year after the window has as many deaths as its last
    year had; else none.

    With the plain annual chance of death (`people.mortality_risk`) the year after had about
    a fifth fewer deaths at 85 and over than the window's last year, so the final-year
    admissions of the window's last year fell, at those ages by a tenth."""
    p = ctx.pop
    death = p.death.copy()
    alive = np.flatnonzero((ctx.active_end() == ctx.reference_date) & (death == NO_DATE))
    age = p.age_on(ctx.reference_date)[alive]
    chance = deaths_per_person_year(age, p.imd_decile[alive], p.health[alive])
    group = np.minimum(age // 5, NOTIONAL_GROUPS - 1).astype(np.int64)
    last_year = np.flatnonzero((death > ctx.reference_date - 365) & (death <= ctx.reference_date))
    died_in = np.minimum((death[last_year] - p.dob[last_year]) // DAYS_PER_YEAR // 5,
                         NOTIONAL_GROUPS - 1).astype(np.int64)
    expected = np.bincount(group, chance, NOTIONAL_GROUPS)
    seen = np.bincount(died_in, minlength=NOTIONAL_GROUPS)
    scale = np.where(expected > 0, seen / np.maximum(expected, 1e-9), 1.0)
    risk = np.minimum(chance * scale[group], 1.0)
    dies = alive[rng.random(len(alive)) < risk]
    death[dies] = ctx.reference_date + rng.integers(1, 366, len(dies))
    return death


def _dying_in_hospital(ctx, rng) -> tuple[np.ndarray, np.ndarray]:
    """People whose death is in hospital: (died on a ward, died in A&E).

    Care home residents and everyone else each die in hospital at their own share
    (`DIE_IN_HOSPITAL`), taken as an exact share of their deaths in any stretch of the window
    (`_exact_share_in_date_order`) rather than a coin toss for each death: tossed, one year's
    share of deaths in hospital moved by about 1.2 points either way on a 250,000-person lake
    (~1,800 deaths a year), so the target (43% +- 3) failed at one of its three dates for no
    reason but the draw (46.2% on seed 11)."""
    p = ctx.pop
    dead = np.flatnonzero((p.death <= ctx.reference_date) & (p.death >= ctx.window_start))
    dying = []
    for in_care_home, share in ((True, DIE_IN_HOSPITAL["care_home"]),
                                (False, DIE_IN_HOSPITAL["community"])):
        group = dead[p.care_home[dead] == in_care_home]
        dying.append(group[_exact_share_in_date_order(rng, p.death[group], share)])
    dying = np.sort(np.concatenate(dying))
    in_ed = rng.random(len(dying)) < DIE_IN_DEPARTMENT
    return dying[~in_ed], dying[in_ed]


def _exact_share_in_date_order(rng, day: np.ndarray, share: float) -> np.ndarray:
    """Which of the deaths on days `day` to choose so that `share` of them are chosen, to
    within one, in every run of consecutive deaths: systematic sampling in date order (a
    random start, then every 1/share-th death; same-day deaths in random order)."""
    order = np.lexsort((rng.random(len(day)), day))
    start = rng.random()
    taken = np.floor(start + share * np.arange(1, len(day) + 1)) - np.floor(
        start + share * np.arange(len(day)))
    chosen = np.zeros(len(day), bool)
    chosen[order] = taken > 0
    return chosen


def _final_admission(ctx, rng, person: np.ndarray) -> np.ndarray:
    p = ctx.pop
    stay = np.minimum(_lognormal(rng, 5.0, 1.0, len(person)), 60).astype(np.int32)
    first = np.maximum(np.maximum(p.registration_start[person], p.dob[person]), ctx.window_start)
    return np.maximum(p.death[person] - stay, first).astype(np.int32)


def _emergency_stay(rng, age: np.ndarray) -> np.ndarray:
    median = np.interp(age, LOS_AGES, LOS_MEDIAN_DAYS)
    days = np.round(_lognormal(rng, median, LOS_SIGMA, len(age)))
    return np.minimum(days, 365).astype(np.int32)


def _tidy_spells(ctx, person, adm, dis, is_final, died_in_ed) -> dict[str, np.ndarray]:
    """One spell a day per person, no overlaps, ended at death, leaving or the reference date.

    A spell running into the next admission ends that day; a person's last spell running into
    their death ends in death (unless they died in A&E: then it ends the day before, or on
    the day of admission); spells still open on the reference date have no discharge.
    """
    p = ctx.pop
    order = np.lexsort((~is_final, adm, person))
    person, adm, dis, is_final = person[order], adm[order], dis[order], is_final[order]
    first = np.ones(len(person), bool)
    first[1:] = (person[1:] != person[:-1]) | (adm[1:] != adm[:-1])
    person, adm, dis = person[first], adm[first], dis[first]
    last = np.ones(len(person), bool)
    last[:-1] = person[1:] != person[:-1]
    dis[:-1] = np.where(last[:-1], dis[:-1], np.minimum(dis[:-1], adm[1:]))
    end = ctx.active_end()[person]
    death = p.death[person]
    in_ed = np.isin(person, died_in_ed)
    dis = np.where(in_ed & (dis >= death), np.maximum(death - 1, adm), dis)
    died = last & (death != NO_DATE) & (dis >= death) & ~in_ed
    ongoing = (dis > end) & (end == ctx.reference_date) & ~died
    dis = np.where(ongoing, NO_DATE, np.minimum(dis, end))
    return {"person": person, "adm": adm, "dis": dis.astype(np.int32), "died": died,
            "ongoing": ongoing}


def _emergency_diagnoses(ctx, rng, person: np.ndarray, adm: np.ndarray,
                         lists: CodeLists) -> np.ndarray:
    """Index into `lists.diagnoses`: by age group, then each person's own conditions."""
    age = _ages(ctx, person, adm)
    group = np.searchsorted([1, 16, 65], age, side="right")
    weights = np.array(list(EMERGENCY_DIAGNOSES.values()), float).T
    out = _choose_by_group(rng, weights, group)
    band = np.minimum(np.searchsorted([16, 65], age, side="right"), 2)
    for name, (codes, code_weights, shares) in CONDITION_DIAGNOSES.items():
        if name not in ctx.pop.conditions:
            continue
        # coded to the condition only once it is in the person's record
        has = ctx.pop.conditions[name].recorded_on(person, adm)
        hit = np.flatnonzero(has & (rng.random(len(person)) < np.asarray(shares)[band]))
        pick = _choose(rng, code_weights, len(hit))
        out[hit] = np.array([lists.diagnosis(c) for c in codes])[pick]
    return out


def _emergency_specialty(age: np.ndarray, diag: np.ndarray, lists: CodeLists) -> np.ndarray:
    """Index into `lists.functions`: paediatrics under 16, geriatric medicine for medical
    admissions at 80+, surgical and medical specialties by diagnosis otherwise."""
    by_code = np.array([lists.function(EMERGENCY_SPECIALTY.get(c, "300"))
                        for c in lists.diagnoses])
    tf = by_code[diag]
    medical = np.isin(tf, [lists.function(c) for c in ("300", "320", "340")])
    tf = np.where((age >= 80) & medical, lists.function("430"), tf)
    return np.where(age < 16, lists.function("420"), tf)


def _destinations(ctx, rng, spells: dict) -> np.ndarray:
    """Index into DISCHARGE_DESTINATIONS (-1 while still in hospital)."""
    p = ctx.pop
    person = spells["person"]
    n = len(person)
    age = _ages(ctx, person, spells["adm"])
    dest = np.where(p.care_home[person], 1, 0)
    dest = np.where((age >= 85) & (rng.random(n) < TO_NEW_CARE_HOME_85), 1, dest)
    dest = np.where(rng.random(n) < TO_OTHER_PROVIDER * np.where(age >= 75, 2, 1), 2, dest)
    dest = np.where(spells["died"], 3, dest)
    return np.where(spells["ongoing"], -1, dest)
