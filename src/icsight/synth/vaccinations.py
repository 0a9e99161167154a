"""Vaccinations: HPV in school Year 8, seasonal influenza, and pneumococcal (PPV23) at 65.

* **HPV**: offered in school Year 8 (age 12-13) to girls and boys. UKHSA reports England Year 8
  coverage in 2024/25 of 71.7% (girls) and 67.0% (boys) by 31 August, rising with catch-up to
  75.3% / 70.5% in Year 9 (UKHSA, 29 Jan 2026 [S]). BLMK is "significantly lower than England"
  in every place (BLMK Health Services Strategy, 2024), and uptake is lower in deprived areas.
  The course was two doses until 31 August 2023 (the second in Year 9) and one dose since.
* **Influenza**: each autumn (September, October from 2024/25, to January) for people aged 65
  or over on 31 March and for adults under 65 in a clinical risk group. The same people tend
  to come back year after year.
* **Pneumococcal** (PPV23): once, from the 65th birthday, most within a year or two.

Each person's readiness to be vaccinated is one latent score shared by influenza and
pneumococcal (people who have one tend to have the other), lower with deprivation and in some
ethnic groups [E]. The record only holds vaccinations given while a person is registered with
a BLMK practice, in the five-year window, so levels are solved on what the record will show:
influenza uptake among people registered at the end of the season, and HPV coverage of each
Year 8 cohort (by sex) exactly, counted as UKHSA counts it. Children who register in Years
8-10 with no HPV dose on their record are offered one soon after they arrive. Not modelled:
the children's nasal influenza programme, pregnant women and carers, COVID-19 vaccination.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa

from icsight.model.schema import ETHNICITY_GROUPS
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    categorical,
    date_of,
    day,
    to_table,
)

STREAM = "vaccinations"
VACCINES = ("hpv", "influenza", "pneumococcal")
#: SNOMED CT administration codes: HPV vaccination; seasonal influenza vaccination;
#: pneumococcal vaccination.
CODES = ("428570002", "822851000000102", "12866006")

#: HPV Year 8 coverage by 31 August, by sex (0 female, 1 male): England 2024/25 71.7% / 67.0%
#: (UKHSA, 29 Jan 2026 [S]); BLMK about 4 points lower (BLMK Health Services Strategy, 2024:
#: "significantly lower") [E].
HPV_YEAR8 = (0.68, 0.63)
#: Share of those unvaccinated after Year 8 who catch up in Year 9 and in Year 10: England
#: Year 9 is ~3.6 points above Year 8, Year 10 a little more (UKHSA 2024/25 [S]) [E].
HPV_CATCH_UP = (0.12, 0.03)
#: Until 31 August 2023 the course was two doses; ~90% of those with a first dose had the
#: second in Year 9 [K]. One dose since 1 September 2023 (JCVI) [S].
HPV_SINGLE_DOSE_FROM = "2023-09-01"
HPV_SECOND_DOSE = 0.90
#: Children who register with a BLMK practice in Years 8-10 with no dose on their record are
#: offered one by the school-aged immunisation service this many days after arriving [E].
HPV_ON_ARRIVAL_DAYS = (30, 180)
#: HPV log-odds gap between the least and most deprived deciles, and by ethnic group [E].
HPV_DEPRIVATION = 0.7
HPV_ETHNICITY = {"Asian": -0.3, "Black": -0.4, "Other": -0.3, "Not stated": -0.2}

#: Influenza uptake: 65+ ~75-80% (UKHSA seasonal influenza 2023/24 77.8%, 2024/25 74.9% [K]);
#: under-65s in clinical risk groups ~40-45% (2023/24 41.4% [K]). BLMK a little below [E].
FLU_65_PLUS, FLU_AT_RISK = 0.75, 0.41
#: Clinical risk groups from the conditions modelled (Green Book chapter 19: chronic
#: respiratory, heart, kidney disease, diabetes, learning disability) [K].
AT_RISK = ("asthma", "copd", "diabetes", "heart_failure", "ckd", "learning_disability")
#: The season opened in September until 2023/24 and in October from 2024/25 [K]; it runs to
#: the end of January. Days from opening to vaccination ~ gamma(shape, scale) [E].
FLU_OCTOBER_FROM, FLU_SEASON_END = 2024, (1, 31)
FLU_DELAY_SHAPE, FLU_DELAY_SCALE = 2.0, 16.0
#: Pneumococcal (PPV23) ever given to ~70% of people aged 65+ (UKHSA PPV coverage [K]);
#: years from the 65th birthday ~ exponential [E].
PNEUMO_EVER, PNEUMO_MEAN_YEARS = 0.70, 1.2

#: Spread of the personal readiness score (log-odds) [E]; flu is strongly habitual.
READINESS_SPREAD = 1.8
#: Readiness log-odds gap between least and most deprived deciles, and by ethnic group [E]
#: (UKHSA flu uptake is lowest in Black Caribbean and African groups and in deprived areas).
DEPRIVATION = 0.6
ETHNICITY = {"Black": -1.2, "Mixed": -0.4, "Asian": -0.3, "Other": -0.4, "Not stated": -0.3}

Doses = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # person, day, vaccine, dose


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `vaccinations` table: HPV, influenza and pneumococcal doses in the record."""
    rng = ctx.rng(STREAM)
    readiness = _readiness(ctx, rng, DEPRIVATION, ETHNICITY, READINESS_SPREAD)
    parts = [_hpv(ctx, rng), _flu(ctx, rng, readiness), _pneumococcal(ctx, rng, readiness)]
    person, days, kind, dose = (np.concatenate(x) for x in zip(*parts, strict=True))
    keep = ctx.in_record(person, days)
    person, days, kind, dose = person[keep], days[keep], kind[keep], dose[keep]
    order = np.lexsort((kind, days, person))
    person, days, kind, dose = person[order], days[order], kind[order], dose[order]
    return {"vaccinations": to_table("vaccinations", {
        "patient_id": ctx.pop.patient_id[person],
        "date": days,
        "vaccine": categorical(VACCINES, kind),
        "snomed_code": categorical(CODES, kind),
        "dose_number": dose.astype(np.int64),
    })}


def _readiness(ctx: SynthContext, rng: np.random.Generator, deprivation: float,
               ethnicity: dict[str, float], spread: float) -> np.ndarray:
    """Per person, a latent log-odds of being vaccinated when offered."""
    p = ctx.pop
    eth = np.zeros(len(ETHNICITY_GROUPS))
    for group, effect in ethnicity.items():
        eth[ETHNICITY_GROUPS.index(group)] = effect
    score = deprivation * (p.imd_decile - 5.5) / 9.0 + eth[p.ethnicity_group]
    return score + rng.normal(0, spread, p.n)


def _solve_level(score: np.ndarray, shows: np.ndarray, aim: float) -> float:
    """The log-odds level a with mean(sigmoid(a + score) * shows) equal to `aim`.

    `score` and `shows` are over the people counted; `shows` says whether a vaccination would
    be in the record (given while registered), so the level makes the uptake measured from
    the record meet the aim.
    """
    if len(score) == 0:
        return 0.0
    lo, hi = -15.0, 15.0
    for _ in range(50):
        mid = (lo + hi) / 2
        mean = np.mean(_sigmoid(mid + score) * shows)
        lo, hi = (mid, hi) if mean < aim else (lo, mid)
    return (lo + hi) / 2


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# --- HPV -----------------------------------------------------------------------------------


def _september_first(year: np.ndarray) -> np.ndarray:
    return ((year - 1970) * 12 + 8).astype("datetime64[M]").astype("datetime64[D]").astype(
        np.int64)


def year8_start(dob: np.ndarray) -> np.ndarray:
    """Day number of 1 September of the school year in which a child born on `dob` is in
    Year 8 (the year they turn 13; children born September-December start it aged 12)."""
    month = dob.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)  # since 1970
    year, month_of_year = 1970 + month // 12, month % 12  # month_of_year 0 = January
    return _september_first(year + 12 + (month_of_year >= 8)).astype(np.int32)


def _hpv(ctx: SynthContext, rng: np.random.Generator) -> Doses:
    p = ctx.pop
    start8 = year8_start(p.dob).astype(np.int64)
    # cohorts with any dose (Year 8, 9 or 10) in the window
    child = np.flatnonzero((start8 + 3 * 366 >= ctx.window_start)
                           & (start8 <= ctx.reference_date))
    start8 = start8[child]
    score = _readiness(ctx, rng, HPV_DEPRIVATION, HPV_ETHNICITY, 1.0)[child]
    school_day = start8 + rng.integers(30, 300, len(child))  # October to June
    arrival = p.registration_start[child] + rng.integers(*HPV_ON_ARRIVAL_DAYS, len(child))
    u = np.clip(rng.random(len(child)), 1e-12, 1 - 1e-12)
    draw = np.log(u / (1 - u))
    first = _on_arrival(school_day, arrival, p.registration_start[child], start8)
    year8 = draw < _year8_levels(ctx, child, start8, first, score, draw) + score
    catch9 = ~year8 & (rng.random(len(child)) < HPV_CATCH_UP[0])
    catch10 = ~year8 & ~catch9 & (rng.random(len(child)) < HPV_CATCH_UP[1])
    later = school_day + np.where(catch9, 365, 730)
    first = np.where(year8, first, _on_arrival(later, arrival, p.registration_start[child],
                                               start8))
    got = year8 | catch9 | catch10
    # the second dose, in Year 9, while the course was two doses
    second = first + 365 + rng.integers(-60, 60, len(child))
    two = year8 & (first == school_day) & (second < day(HPV_SINGLE_DOSE_FROM)) & (
        rng.random(len(child)) < HPV_SECOND_DOSE)
    person = np.concatenate([child[got], child[two]])
    days = np.concatenate([first[got], second[two]]).astype(np.int32)
    dose = np.repeat(np.array([1, 2], np.int8), [got.sum(), two.sum()])
    return person, days, np.zeros(len(person), np.int8), dose


def _on_arrival(when: np.ndarray, arrival: np.ndarray, registered: np.ndarray,
                start8: np.ndarray) -> np.ndarray:
    """A dose due before the child registered is given soon after they arrive, if that is
    before Year 11 (the record holds nothing from before registration)."""
    moved = (registered > when) & (arrival < start8 + 3 * 365)
    return np.where(moved, arrival, when)


def _year8_levels(ctx: SynthContext, child: np.ndarray, start8: np.ndarray, first: np.ndarray,
                  score: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Per child, the log-odds level that makes their Year 8 cohort's coverage (by sex) meet
    the aim, counting the cohort as the national figure does: children registered at the end
    of Year 8, vaccinated (in the record) by then.

    A child is vaccinated when draw < level + score, so the level for coverage c is the
    c-quantile of draw - score over the cohort (infinite where the dose would not show).
    Solving each cohort exactly keeps a small population's cohorts on the aim.
    """
    year_end = _september_first(1970 + start8.astype("datetime64[D]").astype(
        "datetime64[Y]").astype(np.int64) + 1) - 1
    counted = ctx.in_record(child, year_end) & (year_end <= ctx.reference_date)
    shows = ctx.in_record(child, first) & (first <= year_end)
    threshold = np.where(shows, draw - score, np.inf)
    sex = ctx.pop.sex[child]
    level = np.zeros(len(child))
    for s, aim in enumerate(HPV_YEAR8):
        fallback = _quantile(threshold[counted & (sex == s)], aim)
        for cohort in np.unique(start8):
            group = (sex == s) & (start8 == cohort)
            solved = _quantile(threshold[group & counted], aim)
            level[group] = fallback if solved is None else solved
    return level


def _quantile(threshold: np.ndarray, share: float) -> float | None:
    """The level below which a `share` of the thresholds fall (None if there are none)."""
    if len(threshold) == 0:
        return None
    ordered = np.sort(threshold)
    k = min(max(int(np.ceil(share * len(ordered))) - 1, 0), len(ordered) - 1)
    return float(ordered[k] + 1e-9) if np.isfinite(ordered[k]) else 15.0


# --- influenza -----------------------------------------------------------------------------


def _season_open(year: int) -> int:
    return day(dt.date(year, 10 if year >= FLU_OCTOBER_FROM else 9, 1))


def _at_risk_on(ctx: SynthContext, on: int) -> np.ndarray:
    """People in a clinical risk group (as modelled) on a day."""
    out = np.zeros(ctx.pop.n, bool)
    for name in AT_RISK:
        c = ctx.pop.conditions[name]
        out |= (c.diagnosed <= on) & ((c.resolved == NO_DATE) | (c.resolved > on) | c.has)
    return out


def _flu(ctx: SynthContext, rng: np.random.Generator, readiness: np.ndarray) -> Doses:
    p = ctx.pop
    people, days = [], []
    levels = None
    for year in range(date_of(ctx.window_start).year - 1, date_of(ctx.reference_date).year + 1):
        opens = _season_open(year)
        season_end = day(dt.date(year + 1, *FLU_SEASON_END))
        if opens > ctx.reference_date or season_end < ctx.window_start:
            continue
        age = p.age_on(day(dt.date(year + 1, 3, 31)))
        old = age >= 65
        risk = ~old & (age >= 18) & _at_risk_on(ctx, opens)
        delay = rng.gamma(FLU_DELAY_SHAPE, FLU_DELAY_SCALE, p.n).astype(np.int32)
        when = np.minimum(opens + delay, season_end)
        if levels is None:  # one level per group, solved on the first full season
            levels = _flu_levels(ctx, readiness, old, risk, season_end, opens)
        chance = np.where(old, _sigmoid(levels[0] + readiness),
                          np.where(risk, _sigmoid(levels[1] + readiness), 0.0))
        who = np.flatnonzero(rng.random(p.n) < chance)
        people.append(who)
        days.append(when[who])
    person = np.concatenate(people)
    ones = np.ones(len(person), np.int8)
    return person, np.concatenate(days).astype(np.int32), ones, ones


def _flu_levels(ctx: SynthContext, readiness: np.ndarray, old: np.ndarray, risk: np.ndarray,
                season_end: int, opens: int) -> tuple[float, float]:
    """Levels for 65+ and at-risk under-65s, counting people registered at the season's end
    as UKHSA does; a vaccination shows if they were registered at the typical date of one."""
    everyone = np.arange(ctx.pop.n)
    counted = ctx.in_record(everyone, np.full(ctx.pop.n, season_end))
    typical = opens + int(FLU_DELAY_SHAPE * FLU_DELAY_SCALE)
    shows = ctx.in_record(everyone, np.full(ctx.pop.n, typical)).astype(np.float64)
    return (_solve_level(readiness[old & counted], shows[old & counted], FLU_65_PLUS),
            _solve_level(readiness[risk & counted], shows[risk & counted], FLU_AT_RISK))


# --- pneumococcal --------------------------------------------------------------------------


def _pneumococcal(ctx: SynthContext, rng: np.random.Generator, readiness: np.ndarray) -> Doses:
    p = ctx.pop
    turns65 = p.dob.astype(np.int64) + math.ceil(65 * DAYS_PER_YEAR)
    candidates = np.flatnonzero(turns65 <= ctx.reference_date)
    level = _solve_level(readiness[candidates], np.ones(len(candidates)), PNEUMO_EVER)
    ever = rng.random(len(candidates)) < _sigmoid(level + readiness[candidates])
    who = candidates[ever]
    when = turns65[who] + (rng.exponential(PNEUMO_MEAN_YEARS, len(who)) * DAYS_PER_YEAR)
    when = np.minimum(when, np.iinfo(np.int32).max - 1).astype(np.int32)
    ones = np.ones(len(who), np.int8)
    return who, when, np.full(len(who), 2, np.int8), ones


# --- calibration targets -------------------------------------------------------------------

def _registered_on(when: str) -> str:
    """People alive and registered on a day (an SQL date expression)."""
    return f"""SELECT * FROM patients WHERE registration_start <= {when}
               AND coalesce(registration_end, DATE '9999-12-31') > {when}
               AND coalesce(date_of_death, DATE '9999-12-31') > {when}"""


# The last academic year (ending 31 August) on or before the reference date.
_YEAR_ENDING = "year({ref} + INTERVAL 1 DAY - INTERVAL 8 MONTH)"


def _hpv_year8_sql(sex: str) -> str:
    return f"""
    WITH reg AS ({_registered_on(f"make_date({_YEAR_ENDING}, 8, 31)")}),
    cohort AS (SELECT patient_id FROM reg WHERE sex = '{sex}'
               AND month_of_birth BETWEEN make_date({_YEAR_ENDING} - 14, 9, 1)
                                      AND make_date({_YEAR_ENDING} - 13, 8, 1)),
    vaccinated AS (SELECT DISTINCT patient_id FROM vaccinations WHERE vaccine = 'hpv'
                   AND date <= make_date({_YEAR_ENDING}, 8, 31))
    SELECT 100.0 * avg(CASE WHEN v.patient_id IS NULL THEN 0 ELSE 1 END)
    FROM cohort LEFT JOIN vaccinated v USING (patient_id)
    """


# The last complete influenza season (it ends in January).
_SEASON = "year({ref} - INTERVAL 13 MONTH)"

_FLU_65_SQL = f"""
    WITH reg AS ({_registered_on(f"make_date({_SEASON} + 1, 1, 31)")}),
    old AS (SELECT patient_id FROM reg
            WHERE date_diff('month', month_of_birth, make_date({_SEASON} + 1, 3, 31)) >= 65 * 12),
    vaccinated AS (SELECT DISTINCT patient_id FROM vaccinations WHERE vaccine = 'influenza'
                   AND date BETWEEN make_date({_SEASON}, 9, 1)
                            AND make_date({_SEASON} + 1, 3, 31))
    SELECT 100.0 * avg(CASE WHEN v.patient_id IS NULL THEN 0 ELSE 1 END)
    FROM old LEFT JOIN vaccinated v USING (patient_id)
"""

_PNEUMO_SQL = f"""
    WITH reg AS ({REGISTERED}),
    cohort AS (SELECT patient_id FROM reg
               WHERE date_diff('month', month_of_birth, {{ref}}) BETWEEN 66 * 12 AND 70 * 12 - 1),
    vaccinated AS (SELECT DISTINCT patient_id FROM vaccinations WHERE vaccine = 'pneumococcal')
    SELECT 100.0 * avg(CASE WHEN v.patient_id IS NULL THEN 0 ELSE 1 END)
    FROM cohort LEFT JOIN vaccinated v USING (patient_id)
"""

TARGETS = [
    Target("hpv_year8_girls", "HPV: girls in the latest Year 8 cohort vaccinated by 31 August",
           68.0, 4.0, "%", "UKHSA 2024/25 England Year 8 girls 71.7% (29 Jan 2026); BLMK "
           "significantly lower (BLMK Health Services Strategy, 2024) [E]",
           _hpv_year8_sql("female")),
    Target("hpv_year8_boys", "HPV: boys in the latest Year 8 cohort vaccinated by 31 August",
           63.0, 4.0, "%", "UKHSA 2024/25 England Year 8 boys 67.0% (29 Jan 2026); BLMK "
           "significantly lower (BLMK Health Services Strategy, 2024) [E]",
           _hpv_year8_sql("male")),
    Target("flu_65_plus", "Influenza: people 65+ (on 31 March) vaccinated in the latest "
           "complete season", 75.0, 4.0, "%",
           "UKHSA seasonal influenza uptake, 65+: 77.8% 2023/24, 74.9% 2024/25 [K]; BLMK a "
           "little lower [E]", _FLU_65_SQL, lookback_months=24),  # the season before last
    Target("pneumococcal_66_69", "Pneumococcal (PPV23): people aged 66-69 ever vaccinated "
           "(in the record)", 56.0, 6.0, "%",
           "UKHSA PPV23: ~70% of people 65+ ever vaccinated [K]; here 70% eventually, a mean "
           "1.2 years after turning 65 (~61% at 66-69), and only doses given while registered: "
           "a few of the 66-69s joined their practice after 65 [E]",
           _PNEUMO_SQL, once=True),  # ever vaccinated: the longer the record, the more
]
