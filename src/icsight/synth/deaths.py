"""Death registrations: how often people die at each age, from what, and where.

* **How often.** `death_rate` gives the annual chance of death by age (and sex) from England's
  death rates by five-year age band (`data/reference/mortality_by_age.csv`: a smooth schedule
  whose sums reproduce the deaths of England residents by broad age band in 2023, OHID
  Fingertips 93474 denominators over ONS mid-2023 population 92708 [S-derived]). The people
  module applies it, with a deprivation gradient, to decide who died in the window.
* **From what.** Each death gets an ICD-10 underlying cause. The cause group (cancer,
  circulatory, respiratory, dementia, digestive, external, other) follows the shares of deaths
  by age band in `death_causes_by_age.csv` [E, shaped on ONS "Deaths registered in England
  and Wales: 2023" and set so that England's death rates give England's under-75 cause-specific
  rates, OHID Mortality Profile]. Within an age band a person's own conditions shift the cause
  (heart failure towards circulatory, COPD towards respiratory, dementia towards dementia) and
  men die of circulatory disease about twice as often as women under 75; the shares are then
  raked back so each age band keeps the published mix. The code within a group comes from
  `death_cause_codes.csv` (main causes by age, breast cancer for women, prostate for men).
* **Where.** Deaths in hospital are the ones whose last hospital spell ended in death (set by
  the hospital module, ~43% as in England); the rest die at home, in a care home, a hospice or
  elsewhere in the shares of OHID's Palliative and end of life care profile (2022).

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from icsight.model.reference import data_path
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, SynthContext, categorical, to_table

STREAM = "deaths"

CAUSE_GROUPS = ("cancer", "circulatory", "respiratory", "dementia", "digestive", "external",
                "other")
# Infant mortality: 3.9 deaths under 1 per 1,000 live births, England 2022 (ONS "Child and
# infant mortality in England and Wales: 2022") [K]; the rest of the 0-4 band's deaths fall at 1-4.
INFANT_DEATHS_PER_1000 = 3.9
# Men's share of the population by age (ONS mid-year estimates [K]; as people._sex draws it),
# to give a persons' rate where sex is not yet known.
MALE_SHARE_AGES, MALE_SHARE = (0, 40, 70, 85, 95), (0.512, 0.50, 0.48, 0.42, 0.30)
# Relative weight of circulatory causes by sex (female, male) before raking [E, set so the
# under-75 CVD death rate of men is about 2.2 times women's, as the target measures it: OHID
# Mortality Profile, England 2021, under-75 CVD mortality male ~2.2-2.3 x female [K]]. The
# people who die are no likelier to be men than those who live (`people._sex` draws sex by
# age alone), so the ratio comes from these weights only. At (0.6, 1.5) a man's death under
# 75 was 2.03 times as likely to be circulatory as a woman's, but the crude rate ratio, with
# men ~48% of the deaths, was 1.90 (six 250,000-person lakes, from the cause probabilities,
# so without the noise of drawing causes), and the target measured 1.6-2.2 at its three dates
# on seed 11; (0.55, 1.55) gives 2.23 and 2.08, and the target 2.19, 2.11 and 2.04 on average
# at its three dates (seven lakes, seeds 1-6 and 11).
CIRCULATORY_BY_SEX = (0.55, 1.55)
# A person's own registers: relative weight of the cause group they point to [E].
CONDITION_CAUSES = (("heart_failure", "circulatory", 3.0), ("hypertension", "circulatory", 1.3),
                    ("copd", "respiratory", 4.0), ("asthma", "respiratory", 1.3),
                    ("dementia", "dementia", 8.0), ("diabetes", "other", 1.3),
                    ("ckd", "other", 1.3), ("smi", "external", 2.0))
RAKING_ROUNDS = 30
# The published table's last band is 90 and over, at one rate. Within it death rates rise by
# single year of age: ONS National life tables, England 2020-2022, give a chance of dying within
# the year of about 0.16 for men and 0.13 for women at 90 and about 0.36 and 0.34 at 100, a rise
# of about 9-10% a year of age [K]. The rate at each age from 90 is the band's rate times
# OLDEST_RISE ** (age - 90), scaled so that over the people of 90 and over that these rates
# leave alive (a stationary mix: about three quarters 90-94, a quarter 95-99 and 2-3% 100 and
# over, as ONS's Estimates of the very old find: 13,780 centenarians among over half a million
# people 90 and over in the UK in 2013 [S]) it averages the band's published rate.
OLDEST_BAND_FROM, OLDEST_RISE, OLDEST_AGE = 90, 1.095, 110

PLACES = ("hospital", "home", "care_home", "hospice", "other")
# Place of death, England 2022: hospital 43.4%, home 28.7%, care home 20.5%, hospice 4.7%,
# other 2.6% (OHID "Palliative and end of life care profile December 2023 update: statistical
# commentary", gov.uk, 5 December 2023) [S]. Hospital deaths come from the hospital module.
PLACE_SHARE = (0.434, 0.287, 0.205, 0.047, 0.026)
CARE_HOME_DIES_AT_HOME = 0.8  # care home residents not dying in hospital die in the home [E]


@cache
def _csv(name: str) -> pa.Table:
    with data_path("reference", name).open("rb") as f:
        return pacsv.read_csv(f)


def _band_rates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first age of each band, male and female deaths per person-year)."""
    t = _csv("mortality_by_age.csv")
    return (t["age_from"].to_numpy(), t["male_per_1000"].to_numpy() / 1000,
            t["female_per_1000"].to_numpy() / 1000)


def death_rate(age: np.ndarray, sex: np.ndarray | None = None) -> np.ndarray:
    """Annual probability of death at each age in England (persons if `sex` is None; else
    1 = male, 0 = female). Under-1s die at the infant mortality rate and ages 1-4 take the rest
    of the 0-4 band, so the band keeps its published rate."""
    age = np.asarray(age)
    starts, male, female = _band_rates()
    band = np.clip(np.searchsorted(starts, age, side="right") - 1, 0, len(starts) - 1)
    if sex is None:
        share = np.interp(age, MALE_SHARE_AGES, MALE_SHARE)
        rate = share * male[band] + (1 - share) * female[band]
    else:
        rate = np.where(np.asarray(sex) == 1, male[band], female[band])
    rate = rate * np.where(age >= OLDEST_BAND_FROM, _oldest_factor(age, sex), 1.0)
    infant = INFANT_DEATHS_PER_1000 / 1000
    toddler = np.maximum(5 * rate - infant, 0.1 * rate) / 4
    return np.where(age == 0, infant, np.where(age < 5, toddler, rate))


def _oldest_factor(age: np.ndarray, sex: np.ndarray | None) -> np.ndarray:
    """Each age's death rate relative to the 90+ band's rate (1 below 90; see OLDEST_RISE)."""
    ages = np.clip(np.asarray(age), OLDEST_BAND_FROM, OLDEST_AGE) - OLDEST_BAND_FROM
    male, female = oldest_factors(1), oldest_factors(0)
    if sex is None:
        share = np.interp(np.asarray(age), MALE_SHARE_AGES, MALE_SHARE)
        return share * male[ages] + (1 - share) * female[ages]
    return np.where(np.asarray(sex) == 1, male[ages], female[ages])


@cache
def oldest_factors(sex: int) -> np.ndarray:
    """Death rate at 90, 91, ... OLDEST_AGE over the published 90+ rate for the sex (1 = male):
    OLDEST_RISE a year of age, averaging 1 over the survivors these rates leave at each age
    (found by fixed-point iteration, as the survivors depend on the rates)."""
    band_rate = _band_rates()[1 if sex == 1 else 2][-1]
    rise = OLDEST_RISE ** np.arange(OLDEST_AGE - OLDEST_BAND_FROM + 1)
    factor = rise
    for _ in range(50):
        alive = oldest_survivors(band_rate * factor)
        factor = rise / np.average(rise, weights=alive)
    return factor


def oldest_survivors(rates: np.ndarray) -> np.ndarray:
    """People alive at 90, 91, ... per person reaching 90 when each age dies at `rates`, each
    counted at mid-year (a stationary population)."""
    rates = np.minimum(rates, 1.0)
    at_birthday = np.concatenate([[1.0], np.cumprod(1 - rates)[:-1]])
    return at_birthday * (1 - rates / 2)


def even_gradient(ratio: np.ndarray | float, decile: np.ndarray) -> np.ndarray:
    """Relative risk by deprivation decile (1 = most deprived): `ratio` between deciles 1 and
    10, the same step between neighbouring deciles, and a mean of 1 over the ten deciles (as
    England's people are spread evenly over them)."""
    steps = (5.5 - np.arange(1, 11)) / 9.0
    mean = np.mean(np.asarray(ratio, float)[..., None] ** steps, axis=-1)
    return np.asarray(ratio, float) ** ((5.5 - np.asarray(decile)) / 9.0) / mean


def cause_shares() -> tuple[np.ndarray, np.ndarray]:
    """(first age of each band, share of deaths by cause group: bands x CAUSE_GROUPS)."""
    t = _csv("death_causes_by_age.csv")
    shares = np.column_stack([t[g].to_numpy() for g in CAUSE_GROUPS]).astype(float)
    return t["age_from"].to_numpy(), shares / shares.sum(axis=1, keepdims=True)


def rake(weights: np.ndarray, group: np.ndarray, target: np.ndarray,
         rounds: int = RAKING_ROUNDS) -> np.ndarray:
    """Each row's probabilities over the columns, kept as close to `weights` as raking allows
    while the mean probability of each column within each `group` of rows equals `target`
    (groups x columns, rows summing to 1): iterative proportional fitting."""
    p = weights / weights.sum(axis=1, keepdims=True)
    for _ in range(rounds):
        for g in np.unique(group):
            rows = group == g
            mean = p[rows].mean(axis=0)
            p[rows] *= np.where(mean > 0, target[g] / np.where(mean > 0, mean, 1), 0)
            p[rows] /= p[rows].sum(axis=1, keepdims=True)
    return p


def _cause_probabilities(ctx: SynthContext, who: np.ndarray) -> np.ndarray:
    """Per person who died, the probability of each cause group."""
    p = ctx.pop
    age = ((p.death[who] - p.dob[who]) / DAYS_PER_YEAR).astype(int)
    starts, shares = cause_shares()
    band = np.searchsorted(starts, age, side="right") - 1
    w = shares[band] + 1e-9
    circulatory = CAUSE_GROUPS.index("circulatory")
    w[:, circulatory] *= np.asarray(CIRCULATORY_BY_SEX)[p.sex[who]]
    for condition, group, factor in CONDITION_CAUSES:
        if condition in p.conditions:
            w[:, CAUSE_GROUPS.index(group)] *= np.where(p.conditions[condition].has[who],
                                                        factor, 1.0)
    return rake(w, band, shares)


@cache
def _codes() -> pa.Table:
    return _csv("death_cause_codes.csv")


def _underlying_causes(rng, ctx: SynthContext, who: np.ndarray, group: np.ndarray) -> np.ndarray:
    """An ICD-10 code for each death, within its cause group, by age and sex."""
    p = ctx.pop
    t = _codes()
    age = ((p.death[who] - p.dob[who]) / DAYS_PER_YEAR).astype(int)
    age_column = np.searchsorted([15, 75], age, side="right")
    weights = np.column_stack([t[c].to_numpy() for c in ("under_15", "age_15_74",
                                                          "age_75_plus")]).astype(float)
    sex_of_code = np.array(t["sex"].fill_null("").to_pylist())
    code_group = np.array(t["cause_group"].to_pylist())
    icd = np.array(t["icd10"].to_pylist(), object)
    out = np.empty(len(who), object)
    for g_i, g in enumerate(CAUSE_GROUPS):
        for a in range(3):
            for s, sex_name in enumerate(("female", "male")):
                rows = np.flatnonzero((group == g_i) & (age_column == a) & (p.sex[who] == s))
                ok = (code_group == g) & np.isin(sex_of_code, ["", sex_name])
                w = np.where(ok, weights[:, a], 0.0)
                if w.sum() == 0:  # no code for this age: use the adult codes
                    w = np.where(ok, weights[:, 1], 0.0)
                out[rows] = icd[rng.choice(len(icd), len(rows), p=w / w.sum())]
    return out


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `deaths` table: one row per person who died in the window."""
    rng = ctx.rng(STREAM)
    p = ctx.pop
    who = np.flatnonzero(p.death != NO_DATE)
    probs = _cause_probabilities(ctx, who)
    group = (rng.random(len(who))[:, None] > probs.cumsum(axis=1)).sum(axis=1)
    group = np.minimum(group, len(CAUSE_GROUPS) - 1)
    codes = _underlying_causes(rng, ctx, who, group)
    # Deaths in hospital are the ones whose last hospital spell ended in death (set by the
    # hospital module); the rest die at home, in a care home, a hospice or elsewhere.
    in_hospital = (ctx.died_in_hospital[who] if ctx.died_in_hospital is not None
                   else rng.random(len(who)) < PLACE_SHARE[0])
    elsewhere = np.array(PLACE_SHARE[1:]) / sum(PLACE_SHARE[1:])
    place = 1 + rng.choice(len(PLACES) - 1, len(who), p=elsewhere)
    place = np.where(p.care_home[who] & (rng.random(len(who)) < CARE_HOME_DIES_AT_HOME),
                     PLACES.index("care_home"), place)
    place = np.where(in_hospital, PLACES.index("hospital"), place)
    return {"deaths": to_table("deaths", {
        "patient_id": p.patient_id[who],
        "date_of_death": p.death[who],
        "underlying_cause": codes,
        "place_of_death": categorical(PLACES, place),
    })}


# --- calibration targets: the 12 months (3 years for under-75 mortality) to {ref} ----------

@cache
def esp2013() -> tuple[int, ...]:
    """The 2013 European Standard Population by five-year band, 0-4 ... 85-89, 90+
    (data/reference/esp2013.json, as PHEindicatormethods ships it)."""
    with data_path("reference", "esp2013.json").open("rb") as f:
        return tuple(json.load(f)["esp2013"])


def esp2013_sql(bands: int = 19) -> str:
    """The first `bands` ESP2013 bands as an SQL table (band 0 = ages 0-4, weight w)."""
    return " UNION ALL ".join(f"SELECT {i} AS band, {w} AS w"
                              for i, w in enumerate(esp2013()[:bands]))


_DEATHS_12M = ("SELECT patient_id, underlying_cause FROM deaths "
               "WHERE date_of_death > {ref} - INTERVAL 12 MONTH AND date_of_death <= {ref}")
# Under-75 mortality pools three years, as OHID Fingertips publishes it (2021-23): the deaths of
# the 36 months to {ref} over the person-years at risk, taken as three years for each person
# registered on {ref} (at their age 18 months before) and a year and a half for each person who
# died in the 36 months (at their age at death).
_DEATHS_3Y = ("SELECT patient_id, underlying_cause FROM deaths "
              "WHERE date_of_death > {ref} - INTERVAL 36 MONTH AND date_of_death <= {ref}")
_PERSON_YEARS_3Y = f"""
SELECT p.patient_id, p.sex, l.imd_quintile, 3.0 AS years,
       greatest(date_diff('year', p.month_of_birth, {{ref}} - INTERVAL 18 MONTH), 0) AS age
FROM patients p JOIN lsoas l USING (lsoa_code)
WHERE p.patient_id IN (SELECT patient_id FROM ({REGISTERED}))
UNION ALL
SELECT p.patient_id, p.sex, l.imd_quintile, 1.5 AS years,
       date_diff('year', p.month_of_birth, p.date_of_death) AS age
FROM patients p JOIN lsoas l USING (lsoa_code)
WHERE p.patient_id IN (SELECT patient_id FROM ({_DEATHS_3Y}))
"""


def _under_75_cells(cause_like: str | None, groups: str = "") -> str:
    """SQL WITH clause ending in `cell`: person-years and deaths under 75 by five-year band
    (and the extra `groups` columns) over the three years to {ref}."""
    cause = "TRUE" if cause_like is None else f"d.underlying_cause LIKE '{cause_like}%'"
    extra = f", {groups}" if groups else ""
    return f"""
    WITH r AS ({_PERSON_YEARS_3Y}), d AS ({_DEATHS_3Y}),
    cell AS (SELECT floor(r.age / 5) AS band{extra}, sum(r.years) AS years,
                    count(d.patient_id) FILTER (WHERE {cause}) AS deaths
             FROM r LEFT JOIN d USING (patient_id) WHERE r.age < 75 GROUP BY ALL)"""


def under_75_dsr_sql(cause_like: str | None = None) -> str:
    """SQL for deaths under 75 a year per 100,000 over the three years to {ref}, directly
    standardised to the 2013 European Standard Population (five-year bands 0-4 ... 70-74),
    for underlying causes starting with `cause_like` (all causes if None)."""
    return f"""{_under_75_cells(cause_like)},
    esp AS ({esp2013_sql(15)})
    SELECT 100000.0 * sum(w * deaths / years) / sum(w) FROM cell JOIN esp USING (band)
    """


def under_75_ratio_sql(cause_like: str | None, group_a: str, group_b: str) -> str:
    """SQL for the ratio of under-75 mortality in people matching `group_a` to `group_b`
    (conditions on r.sex, r.imd_quintile), over the three years to {ref}: a ratio of
    indirectly standardised mortality ratios, steadier than a ratio of DSRs in small groups."""
    return f"""{_under_75_cells(cause_like, f"({group_a}) AS in_a, ({group_b}) AS in_b")},
    rate AS (SELECT band, sum(deaths) / sum(years) AS r FROM cell GROUP BY 1)
    SELECT (sum(deaths) FILTER (WHERE in_a) / sum(years * r) FILTER (WHERE in_a))
         / (sum(deaths) FILTER (WHERE in_b) / sum(years * r) FILTER (WHERE in_b))
    FROM cell JOIN rate USING (band)
    """


_MORTALITY_PROFILE = "OHID Mortality Profile (Fingertips), England, ESP2013; "
TARGETS = [
    Target(
        "deaths_per_1000_registered", "Deaths per 1,000 registered people, last 12 months",
        7.4, 0.8, "per 1,000",
        "ONS Monthly figures on deaths registered by area of usual residence: BLMK 7,742 deaths "
        "in 2022 (8,067 in 2021) [S]: 7.67 per 1,000 residents (ONS mid-2022 estimate, "
        "1,009,138) and ~7.05 per 1,000 registered (NHS Digital Patients Registered at a GP "
        "Practice: 1,047,296 in January 2021, 1,146,928 in April 2026, interpolated) "
        "[S-derived]; the aim lies between, as the generated list's inflation over residents "
        "varies",
        f"SELECT 1000.0 * (SELECT count(*) FROM ({_DEATHS_12M})) / "
        f"(SELECT count(*) FROM ({REGISTERED}))",
    ),
    Target(
        "under_75_mortality", "Under-75 mortality, all causes, per 100,000 a year (DSR), "
        "last 3 years", 349, 35, "per 100,000",
        _MORTALITY_PROFILE + "all causes under 75 2021-23: 349 per 100,000 (OHID "
        "'Mortality Profile commentary: November 2024', gov.uk) [S]",
        under_75_dsr_sql(), lookback_months=36,
    ),
    Target(
        "under_75_mortality_cvd", "Under-75 mortality from circulatory disease (I00-I99), per "
        "100,000 a year (DSR), last 3 years", 77, 12, "per 100,000",
        _MORTALITY_PROFILE + "CVD under 75 (Fingertips 40401) ~77 in 2021-23 [K]; 80 in "
        "2022, single year (BHF citing ONS) [S]",
        under_75_dsr_sql("I"), lookback_months=36,
    ),
    Target(
        "under_75_mortality_cancer", "Under-75 mortality from cancer (C00-C97), per 100,000 "
        "a year (DSR), last 3 years", 121, 15, "per 100,000",
        _MORTALITY_PROFILE + "cancer under 75 (Fingertips 40501) ~121 in 2021-23 [K]",
        under_75_dsr_sql("C"), lookback_months=36,
    ),
    Target(
        "under_75_mortality_respiratory", "Under-75 mortality from respiratory disease "
        "(J00-J99), per 100,000 a year (DSR), last 3 years", 31, 9, "per 100,000",
        _MORTALITY_PROFILE + "respiratory disease under 75 (Fingertips 40701) ~30-32 in "
        "2021-23 [K]; tolerance wide as a small lake has few such deaths",
        under_75_dsr_sql("J"), lookback_months=36,
    ),
    Target(
        "under_75_cvd_male_female", "Under-75 circulatory mortality, men vs women (ratio of "
        "standardised mortality ratios), last 3 years", 2.2, 0.5, "ratio",
        "OHID Mortality Profile: under-75 CVD mortality in men a little over twice women's, "
        "England 2021-23 [K] (all causes under 75: men 448, women 283 per 100,000 in 2021, "
        "OHID 'Mortality profile commentary: March 2023' [S])",
        under_75_ratio_sql("I", "r.sex = 'male'", "r.sex = 'female'"), lookback_months=36,
    ),
    Target(
        "premature_mortality_gradient",
        "Under-75 mortality, most (Q1) vs least (Q5) deprived quintile (ratio of "
        "standardised mortality ratios), last 3 years", 2.6, 0.6, "ratio",
        "The Health Foundation, 'Deprivation and excess deaths' (2020, ONS deaths 2018): under "
        "75 in the most deprived tenth of England about three times as likely to die in the "
        "next year as in the least deprived tenth [S]; ~2.6 between the fifths if the gradient "
        "is even across deciles [S-derived]",
        under_75_ratio_sql(None, "r.imd_quintile = 1", "r.imd_quintile = 5"), lookback_months=36,
    ),
    Target(
        "deaths_in_hospital", "Deaths in hospital, % of deaths in the last 12 months", 43.0,
        3.0, "%",
        "OHID Fingertips 93474 'Deaths in hospital': England 43.4% (2022), 42.8% (2023); OHID "
        "Palliative and end of life care profile December 2023 update [S]",
        "SELECT 100.0 * avg(CASE WHEN place_of_death = 'hospital' THEN 1 ELSE 0 END) "
        "FROM deaths WHERE date_of_death > {ref} - INTERVAL 12 MONTH "
        "AND date_of_death <= {ref}",
    ),
]
