"""People: who lives in BLMK, where, and with which practice.

The population is built from real figures, LSOA by LSOA:

* **How many, and how old.** The people registered on the reference date (by default as many as
  BLMK's published GP list then, extrapolated from NHS Digital's counts) are split between the
  four places as the published lists are. Each local authority has as many people in each of
  six age bands as ONS projects for the year (2022-based projections), spread over its LSOAs
  as the ONS mid-2019 small-area estimates are, and ages within a band follow the projected
  single-year-of-age profile, weighted by the registered-to-resident ratio at each age (list
  inflation peaks at 30-34), so Milton Keynes is young and Central Bedfordshire older, as
  they are.
* **Deprivation** comes from the LSOA (IMD 2019), so Luton holds most of the CORE20 population.
* **Ethnicity** follows Census 2021 (5 groups) for the LSOA, split into the 16+1 NHS categories
  by place (White British / Other White shares from the BLMK Health and Care Strategy, 2023;
  engineering estimates elsewhere).
* **Practice**: each LSOA looks to up to three practices in its place, so practices differ in
  size, deprivation and ethnicity mix as real lists do.
* **Five years of comings and goings**: people who died (at age-specific rates with a
  premature-mortality gradient by deprivation) and people who left the list (moves out,
  emigration, list cleansing; young adults most, older people least) are added, and babies and
  movers-in join, so that each place's list follows the published one over the whole window
  (BLMK +1.75% a year, Luton fastest): `registered_lists.py` holds those figures.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from icsight.governance.pseudonymise import pseudonyms
from icsight.model import reference
from icsight.model.schema import ETHNICITY_CATEGORIES, ETHNICITY_GROUPS, PLACES
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    Population,
    SynthContext,
    categorical,
    date_of,
    seasonal_days,
    to_table,
)
from icsight.synth.deaths import (
    OLDEST_BAND_FROM,
    death_rate,
    even_gradient,
    oldest_survivors,
)
from icsight.synth.registered_lists import (
    growth_per_year,
    leaving_rate,
    list_inflation,
    place_shares,
    population_targets,
    published_list,
)

STREAM = "people"
BANDS = (("pop_0_4", 0, 4), ("pop_5_17", 5, 17), ("pop_18_39", 18, 39),
         ("pop_40_64", 40, 64), ("pop_65_79", 65, 79), ("pop_80_plus", 80, 100))

# All-cause mortality: England's death rates by age (`deaths.death_rate`, reproducing the deaths
# of England residents by broad age band in 2023, OHID Fingertips / ONS [S-derived]).
# Under-75 mortality is about three times as high in England's most deprived tenth of areas as
# in the least deprived (The Health Foundation, "Deprivation and excess deaths", 2020, ONS
# deaths 2018) [S]; at 75+ the gap is smaller (all ages, women: +86% in the same source [S];
# 1.6 at 75+ [E]). The gradient is even across deciles and averages 1 over England's deciles, so
# BLMK's mix of deprivation decides whether it is above or below England.
MORTALITY_RATIO_D1_D10_UNDER75, MORTALITY_RATIO_D1_D10_75PLUS = 3.0, 1.6
# BLMK's under-75 mortality is ~0.97 x England's 349 per 100,000 (2021-23, OHID Mortality
# Profile [S]): the four places' preventable CVD mortality under 75 (OHID Fingertips 93722,
# 2022-24: Bedford 29.4, Central Bedfordshire 25.9, Luton 35.8, Milton Keynes 27.5) weighted by
# their populations is 29.2 against England's 30.2 [S-derived]. England's rates and BLMK's
# deprivation mix alone give ~300, as more than deprivation (ethnicity, for one) raises Luton's
# rates; this lifts them to ~345 as the targets measure them at the start, middle and end of
# the window (recalibrated in 2026 once the list's flow and death dates following its growth
# were in: 341-351 on a 200,000-person lake) [E, calibrated].
MORTALITY_LEVEL_UNDER75 = 1.12
# At 75 and over BLMK dies less than England: 7,742 deaths of BLMK residents in 2022 (ONS
# monthly deaths registered by area of usual residence [S]) against ~8,300 from England's 2023
# rates by age applied to BLMK's mid-2022 residents [S-derived], ~0.93 of England's. With the
# under-75 level above, 0.92 of England's rates at 75+ gives ~7.0 deaths per 1,000 registered
# at the start, middle and end of the window (6.7-7.3 on 250,000-person lakes, seeds 1-3)
# [E, calibrated]. It was 0.82 while each survivor stood for m / (1 - m) deaths a year
# (`deaths_per_person_year`), which had inflated the deaths at old ages by 10-30%.
MORTALITY_LEVEL_75PLUS = 0.92
# Spread of personal risk by the latent ill-health z: exp(0.45 z), averaging 1 [E].
MORTALITY_HEALTH_SPREAD = 0.45
MORTALITY_CAP = 0.6
# The people who died in the window are copies of people alive at the end drawn in proportion
# to their risk of dying, which already makes them iller than average (mean ill-health z about
# +0.45). No further shift: the people alive at the end who will die soon after it are just as
# ill, so the population at any date of the window has the same mix of the soon-to-die, and
# its admission rates do not drift as the window's deaths fall behind [E].
DECEDENT_HEALTH_SHIFT = 0.0
# Ill-health values on which the survivors' distribution at each age is followed
# (`survivors_health`): a fine grid over +-6 standard deviations.
HEALTH_GRID = np.linspace(-6.0, 6.0, 601)
OLDEST = 110
# Deaths fall in winter more than in summer: ~12% above the yearly average in mid-January
# (ONS monthly deaths registered, England, pre-pandemic years) [E].
DEATHS_WINTER_PEAK = 0.12
# Points of the window at which the people of each age are counted to time deaths, and how
# many times the deaths are timed again as those people are (`_retime_deaths`).
DEATH_TIMING_STEPS, DEATH_TIMING_ROUNDS = 61, 2
# Babies are registered with a practice about two weeks after birth [E].
BIRTH_TO_REGISTRATION_DAYS = 14
# Children born elsewhere in the window who moved in join at least this long after birth, so
# that a registration within 60 days of the month of birth still reads as a birth [E].
CHILD_MOVED_IN_AFTER_DAYS = 90
# How much more than leavers the people who move in are young adults: the power the leaving
# rate by age is raised to when choosing them [E], set so that the list's share aged 25-39
# follows ONS's projected residents (21.6% in mid-2022 to 22.1% in mid-2026, 2022-based SNPP)
# instead of falling over the window.
MOVERS_IN_AGE_FOCUS = 1.3
# Share of GP records with ethnicity not stated or not recorded (~6% in GP data) [E].
ETHNICITY_NOT_STATED = 0.06

# Split of each Census 5-group into NHS categories, by place. White British / Other White from
# the BLMK Health and Care Strategy (January 2023, "Our places"); the rest are engineering
# estimates [E] informed by Census 2021 local authority profiles (Luton's Asian population is
# mostly Pakistani and Bangladeshi; Milton Keynes' and Bedford's mostly Indian).
_SPLIT_BY_PLACE = {
    "White": {
        "Bedford Borough": {"A": 0.845, "B": 0.02, "C": 0.135},
        "Central Bedfordshire": {"A": 0.89, "B": 0.01, "C": 0.10},
        "Luton": {"A": 0.71, "B": 0.04, "C": 0.25},
        "Milton Keynes": {"A": 0.86, "B": 0.01, "C": 0.13},
    },
    "Asian": {
        "Bedford Borough": {"H": 0.45, "J": 0.25, "K": 0.12, "L": 0.18},
        "Central Bedfordshire": {"H": 0.42, "J": 0.20, "K": 0.10, "L": 0.28},
        "Luton": {"H": 0.13, "J": 0.58, "K": 0.21, "L": 0.08},
        "Milton Keynes": {"H": 0.40, "J": 0.20, "K": 0.10, "L": 0.30},
    },
    "Black": {
        "Bedford Borough": {"M": 0.35, "N": 0.55, "P": 0.10},
        "Central Bedfordshire": {"M": 0.35, "N": 0.55, "P": 0.10},
        "Luton": {"M": 0.25, "N": 0.65, "P": 0.10},
        "Milton Keynes": {"M": 0.12, "N": 0.80, "P": 0.08},
    },
    "Mixed": {p: {"D": 0.30, "E": 0.15, "F": 0.30, "G": 0.25} for p in PLACES},
    "Other": {p: {"R": 0.15, "S": 0.85} for p in PLACES},
}
_GROUP_COLUMNS = {"White": "eth_white", "Mixed": "eth_mixed", "Asian": "eth_asian",
                  "Black": "eth_black", "Other": "eth_other"}


def build_population(ctx: SynthContext, key: bytes) -> Population:
    """Generate everyone ever registered in the window and attach them to `ctx.pop`."""
    rng = ctx.rng(STREAM)
    lsoas = reference.lsoas()
    core_lsoa, core_age = _core_ages(rng, ctx.population_target, date_of(ctx.reference_date))
    health_core = _survivor_health(rng.random(len(core_lsoa)), core_age)
    lsoa_decile = lsoas["imd_decile"].to_numpy()

    # People who died in the window: drawn from the same places and ages, weighted by their
    # risk of dying, then given a death date.
    hazard = deaths_per_person_year(core_age, lsoa_decile[core_lsoa], health_core)
    expected_deaths = hazard.sum() * _window_years(ctx)
    n_dead = rng.poisson(expected_deaths)
    dead_from = rng.choice(len(core_age), size=n_dead, p=hazard / hazard.sum())
    # Leavers (moves out, emigration, list cleansing): young adults move most.
    mobility = leaving_rate(core_age)
    n_left = rng.poisson(mobility.sum() * _window_years(ctx))
    left_from = rng.choice(len(core_age), size=n_left, p=mobility / mobility.sum())

    lsoa = np.concatenate([core_lsoa, core_lsoa[dead_from], core_lsoa[left_from]])
    age = np.concatenate([core_age, core_age[dead_from], core_age[left_from]])
    n_core = len(core_lsoa)
    kind = np.concatenate([np.zeros(n_core, np.int8), np.ones(n_dead, np.int8),
                           np.full(n_left, 2, np.int8)])
    health = np.concatenate([health_core, health_core[dead_from] + DECEDENT_HEALTH_SHIFT,
                             # leavers, as ill as the people alive at the age they leave
                             _survivor_health(rng.random(n_left), core_age[left_from])])
    n = len(lsoa)

    death = np.full(n, NO_DATE, np.int32)
    death[kind == 1] = _days_following_the_list(rng, ctx, _place_index(core_lsoa[dead_from]),
                                                DEATHS_WINTER_PEAK)
    reg_end = np.full(n, NO_DATE, np.int32)
    reg_end[kind == 1] = death[kind == 1]
    # leavers too in proportion to their place's list on the day: spread evenly over the
    # window, they fell from 6.9 to 6.6 per 100 registered as the list grew
    reg_end[kind == 2] = _leaving_days(rng, ctx, _place_index(core_lsoa[left_from]))
    # Age is the age on the day a person leaves the record (the reference date for residents).
    last_day = np.where(kind == 0, ctx.reference_date, reg_end)
    dob = (last_day - (age + rng.random(n)) * DAYS_PER_YEAR).astype(np.int32)
    dob = np.minimum(dob, last_day)

    place = _place_index(lsoa)
    reg_start = _registration_start(rng, ctx, kind, dob, last_day, age, place)
    _retime_deaths(rng, ctx, kind == 1, place, dob, reg_start, reg_end, death)
    # the movers-in join on days that keep the list on the published line, which the deaths'
    # new days change
    last_day = np.where(kind == 0, ctx.reference_date, reg_end)
    reg_start = _registration_start(rng, ctx, kind, dob, last_day, age, place)

    sex = _sex(rng, age)
    group, category = _ethnicity(rng, lsoa)
    practice = _practice(rng, lsoa, place)
    care_home, housebound = _living_situation(rng, age, health)

    nhs = _nhs_numbers(rng, n)
    patient_id = pseudonyms(key, nhs)
    ctx.identifiers = _identifiers(rng, nhs, patient_id, sex, dob, practice)
    pop = Population(
        patient_id=patient_id,
        sex=sex,
        dob=dob,
        lsoa=lsoa.astype(np.int32),
        imd_decile=lsoa_decile[lsoa].astype(np.int8),
        imd_quintile=lsoas["imd_quintile"].to_numpy()[lsoa].astype(np.int8),
        place=place,
        practice=practice,
        ethnicity_group=group,
        ethnicity_category=category,
        registration_start=reg_start,
        registration_end=reg_end,
        death=death,
        health=health,
        care_home=care_home,
        housebound=housebound,
    )
    ctx.pop = pop
    return pop


def _days_following_the_list(rng: np.random.Generator, ctx: SynthContext, place: np.ndarray,
                             winter_peak: float) -> np.ndarray:
    """A day in the window for each person who died or left (of place index `place`), more
    of them in winter by `winter_peak` and in proportion to their place's list on the day: the
    list grows (BLMK ~1.75% a year), so deaths and leavers at a steady rate per person do too."""
    growth = np.array([growth_per_year(name) for name in PLACES])[place]
    days = np.empty(len(place), np.int32)
    todo = np.arange(len(place))
    while len(todo):
        day = seasonal_days(rng, len(todo), ctx.window_start, ctx.reference_date, winter_peak)
        years_before_end = (ctx.reference_date - day) / DAYS_PER_YEAR
        kept = rng.random(len(todo)) < np.exp(-growth[todo] * years_before_end)
        days[todo[kept]] = day[kept]
        todo = todo[~kept]
    return days


def _leaving_days(rng: np.random.Generator, ctx: SynthContext, place: np.ndarray) -> np.ndarray:
    """A day in the window for each person who left (of place index `place`), in proportion to
    their place's list on the day, as `_days_following_the_list` but spread evenly: each
    place's leavers take the days at evenly spaced points of that density (one random point
    in each of n equal slices of it), handed out in random order.

    Drawn one by one, each leaver a coin toss for each day, a year's leavers varied by about
    their square root, and with it the leavers per 100 registered: from the start of the window
    to its end they moved by -0.29 to +0.27 on four 100,000-person lakes (seeds 1-4) where the
    population-flow test allows 0.25. Spread evenly, any 12 months hold their share of the
    leavers to within two people, so the rate holds steady (within 0.01 on the same seeds) and
    only the people who leave are random."""
    days = np.empty(len(place), np.int32)
    window = np.arange(ctx.window_start, ctx.reference_date + 1)
    years_before_end = (ctx.reference_date - window) / DAYS_PER_YEAR
    for p in np.unique(place):
        who = np.flatnonzero(place == p)
        density = np.exp(-growth_per_year(PLACES[p]) * years_before_end)
        cumulative = np.cumsum(density) / density.sum()
        points = (np.arange(len(who)) + rng.random(len(who))) / len(who)
        at = np.minimum(np.searchsorted(cumulative, points), len(window) - 1)
        days[who] = rng.permutation(window[at])
    return days


def _retime_deaths(rng: np.random.Generator, ctx: SynthContext, dead: np.ndarray,
                   place: np.ndarray, dob: np.ndarray, reg_start: np.ndarray,
                   reg_end: np.ndarray, death: np.ndarray) -> None:
    """Move each death (in place, with the person's birth and registration days alike, so
    their age at death and their spell on the list are kept) to a day drawn, at their age at
    death, in proportion to the people of that age registered in their place on the day.

    Spread only as the whole list grows (`_days_following_the_list`), deaths at 75 and over,
    where the people registered grow about twice as fast as the list, fell from 40 to 35 a
    year per 1,000 of them over the window, and at 90 and over from 290 to 250: a trend no
    published figure shows. The people registered include those who die, so the days are drawn again
    `DEATH_TIMING_ROUNDS` times. Counted place by place, each keeps its own list's growth
    (Luton's fastest)."""
    who = np.flatnonzero(dead)
    steps = np.linspace(0.0, _window_years(ctx), DEATH_TIMING_STEPS)  # years before the end
    for _ in range(DEATH_TIMING_ROUNDS):
        at_age = _registered_by_age(ctx, place, dob, reg_start, reg_end, death, steps)
        age_at_death = np.clip((death[who] - dob[who]) // DAYS_PER_YEAR, 0, OLDEST)
        weight = at_age[place[who], age_at_death.astype(np.int64)]
        new = _days_weighted(rng, ctx, weight / weight.max(axis=1, keepdims=True), steps)
        shift = new - death[who]
        death[who] = new
        reg_end[who] = new
        dob[who] += shift
        reg_start[who] = np.minimum(reg_start[who] + shift, new)


def _registered_by_age(ctx: SynthContext, place, dob, reg_start, reg_end, death,
                       steps: np.ndarray) -> np.ndarray:
    """People registered and alive in each place (first axis) at each age 0..OLDEST (second)
    on each day `steps` years before the end (third), smoothed over three years of age so
    that a small population's single years do not jitter."""
    ages = OLDEST + 1
    out = np.zeros((len(PLACES) * ages, len(steps)))
    last = np.minimum(reg_end, death)
    for k, before_end in enumerate(steps):
        on = int(ctx.reference_date - round(before_end * DAYS_PER_YEAR))
        here = (reg_start <= on) & (last > on)
        age = np.clip((on - dob[here]) // DAYS_PER_YEAR, 0, OLDEST).astype(np.int64)
        out[:, k] = np.bincount(place[here].astype(np.int64) * ages + age,
                                minlength=len(PLACES) * ages)
    out = out.reshape(len(PLACES), ages, len(steps))
    padded = np.pad(out, ((0, 0), (1, 1), (0, 0)), mode="edge")
    out = (padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]) / 3
    return np.maximum(out, 1e-9)


def _days_weighted(rng, ctx: SynthContext, weight: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """A day in the window for each row of `weight` (rows x steps, at most 1), more of them in
    winter and otherwise in proportion to the row's weight at the step nearest the day."""
    days = np.empty(len(weight), np.int32)
    todo = np.arange(len(weight))
    while len(todo):
        day = seasonal_days(rng, len(todo), ctx.window_start, ctx.reference_date,
                            DEATHS_WINTER_PEAK)
        years_before_end = (ctx.reference_date - day) / DAYS_PER_YEAR
        step = np.clip(np.round(years_before_end / steps[-1] * (len(steps) - 1)), 0,
                       len(steps) - 1).astype(np.int64)
        kept = rng.random(len(todo)) < weight[todo, step]
        days[todo[kept]] = day[kept]
        todo = todo[~kept]
    return days


def _window_years(ctx: SynthContext) -> float:
    return (ctx.reference_date - ctx.window_start + 1) / DAYS_PER_YEAR


def _registration_start(rng: np.random.Generator, ctx: SynthContext, kind: np.ndarray,
                        dob: np.ndarray, last_day: np.ndarray, age: np.ndarray,
                        place: np.ndarray) -> np.ndarray:
    """When each person joined their practice.

    Babies join a fortnight after birth. People who left or died had been registered for a
    spell as long as their age's leaving rate implies (short for young adults, so some of them
    joined within the window too). People still registered at the end joined before the window,
    except the movers-in: in each place, just enough of them (the mobile ages most likely) join
    on days spread so that the list follows the published one day by day, and some of the
    children born in the window, so that births keep step with the list (`_children_moved_in`).
    """
    ws, ref = ctx.window_start, ctx.reference_date
    at_birth = dob + BIRTH_TO_REGISTRATION_DAYS
    spell = rng.exponential(1.0 / leaving_rate(age)) * DAYS_PER_YEAR
    start = np.where(kind == 0, ws - 1 - spell, last_day - spell).astype(np.int64)
    start = np.minimum(np.maximum(start, at_birth), last_day)
    end = np.where(kind == 0, ref + 1, last_day)  # first day off the list
    for p in range(len(PLACES)):
        in_place = place == p
        could_move = np.flatnonzero(in_place & (kind == 0) & (start <= ws))
        start[_movers(rng, ctx, p, start, end, in_place, could_move, age)] = NO_DATE
        start[_children_moved_in(rng, ctx, p, kind, dob, start, age, in_place)] = NO_DATE
        movers = np.flatnonzero(start == NO_DATE)
        earliest = np.maximum(dob[movers] + CHILD_MOVED_IN_AFTER_DAYS, ws)
        start[movers] = _join_days(rng, ctx, p, start, end, in_place, earliest)
    return start.astype(np.int32)


def _children_moved_in(rng, ctx: SynthContext, p: int, kind, dob, start, age,
                       in_place) -> np.ndarray:
    """The children of place `p` born in the window and still registered at its end who were
    born elsewhere and moved in, chosen so that the babies registered at birth each year keep
    step with the place's list.

    The people registered at the end include every child under five, as ONS projects them, and
    the people who left or died in the window include the children who moved away, more of
    them the longer ago they were born. Were every one of them registered at birth, a year's
    births would be the children of that age still here plus those who left since: births
    fell from 1.5 to 1.1 per 100 registered over the window (-29%), and the moves in counted
    without them rose from 0.9 to 1.4. Instead, in each year of birth only as many of the
    children still here were born here as make that year's births the same share of the list,
    at the lowest share any year of birth allows (a straight line fitted over the five years,
    so one year's noise does not set it); the rest moved in after birth [E].
    """
    ws, ref = ctx.window_start, ctx.reference_date
    years = round(_window_years(ctx))  # years of birth in the window (five)
    # years before the end each person was born in (0 = the last year of the window)
    born_years_ago = np.floor((ref - dob) / DAYS_PER_YEAR).astype(np.int64)
    born_here = in_place & (start <= dob + BIRTH_TO_REGISTRATION_DAYS) & (dob > ws)
    stayed = born_here & (kind == 0)
    left_or_died = born_here & (kind != 0)
    bins = np.arange(years)
    still_here = np.bincount(born_years_ago[stayed], minlength=years)[:years].astype(float)
    gone = np.bincount(np.clip(born_years_ago[left_or_died], 0, years),
                       minlength=years + 1)[:years].astype(float)
    line = np.array([_list_growth(ctx, p, int(ref - (k + 0.5) * DAYS_PER_YEAR)) for k in bins])
    share = (still_here + gone) / line
    if len(bins) < 2 or still_here.min() <= 0:
        return np.empty(0, np.int64)
    fitted = np.polyval(np.polyfit(bins, share, 1), bins)
    born_here_wanted = fitted.min() * line - gone
    moved = np.round(np.clip(still_here - born_here_wanted, 0, None)).astype(np.int64)
    chosen = []
    for k in bins:
        # old enough to have moved in at least CHILD_MOVED_IN_AFTER_DAYS after birth
        could = np.flatnonzero(stayed & (born_years_ago == k)
                               & (dob + CHILD_MOVED_IN_AFTER_DAYS < ref))
        chosen.append(rng.choice(could, size=min(moved[k], len(could)), replace=False))
    return np.concatenate(chosen)


def _movers(rng, ctx: SynthContext, p: int, start, end, in_place, could_move, age) -> np.ndarray:
    """The people of place `p` still registered at the end who moved in during the window: as
    many as were registered at its start beyond the published list then."""
    ws = ctx.window_start
    registered_at_start = int((in_place & (start <= ws) & (end > ws)).sum())
    at_end = int((in_place & (end > ctx.reference_date)).sum())
    wanted = at_end * _list_growth(ctx, p, ws)
    n = int(np.clip(round(registered_at_start - wanted), 0, len(could_move)))
    # mobile at the age they joined (up to five years younger than at the reference date), and
    # more concentrated in young adulthood than leavers are (international migrants to Luton
    # and Milton Keynes are mostly young adults)
    weight = np.mean([leaving_rate(np.maximum(age[could_move] - k, 0)) ** MOVERS_IN_AGE_FOCUS
                      for k in range(6)], 0)
    return rng.choice(could_move, size=n, replace=False, p=weight / weight.sum())


def _join_days(rng, ctx: SynthContext, p: int, start, end, in_place,
               earliest: np.ndarray) -> np.ndarray:
    """Days for the movers-in, none before its `earliest` day, so that the place's list tracks
    the published line: cumulative joins fill the gap between the line and everyone else
    registered each day."""
    ws, ref = ctx.window_start, ctx.reference_date
    n = len(earliest)
    days = np.arange(ws, ref + 1)
    others = in_place & (start != NO_DATE)
    joined = np.bincount(np.clip(start[others], ws, ref + 1) - ws, minlength=len(days) + 1)
    left = np.bincount(np.clip(end[others], ws, ref + 1) - ws, minlength=len(days) + 1)
    on_list = np.cumsum(joined - left)[: len(days)]
    at_end = on_list[-1] + n
    line = at_end * np.array([_list_growth(ctx, p, d) for d in days])
    gap = np.maximum.accumulate(np.clip(line - on_list, 0, n))
    join = days[np.minimum(np.searchsorted(gap, np.arange(n) + 0.5), len(days) - 1)]
    return _match_days(rng, join, earliest)


def _match_days(rng, days: np.ndarray, earliest: np.ndarray) -> np.ndarray:
    """Give each mover one of `days` (ascending), at random but none before its `earliest`.

    Movers with a late earliest day (children born in the window) choose first, each among the
    days still free from its earliest on; the rest take the days left in random order. Were
    no day free that late, the latest free one is taken, moved to the earliest day allowed.
    """
    out = np.empty(len(days), days.dtype)
    free = np.ones(len(days), bool)
    bound = np.flatnonzero(earliest > days[0])
    for i in bound[np.argsort(-earliest[bound], kind="stable")]:
        could = np.flatnonzero(free[np.searchsorted(days, earliest[i]):])
        could += np.searchsorted(days, earliest[i])
        j = rng.choice(could) if len(could) else np.flatnonzero(free)[-1]
        out[i] = max(days[j], earliest[i])
        free[j] = False
    rest = np.setdiff1d(np.arange(len(days)), bound)
    out[rest] = rng.permutation(days[free])
    return out


def _list_growth(ctx: SynthContext, p: int, on: int) -> float:
    """The published list of place `p` on day `on` relative to the reference date."""
    place = PLACES[p]
    return published_list(date_of(on), place) / published_list(date_of(ctx.reference_date),
                                                                  place)


def _core_ages(rng: np.random.Generator, target: int,
               on: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """LSOA index and age of each person alive and registered on the reference date.

    Each place holds its share of the published registered list on that date. Within a place,
    each local authority's people in each age band are as many as ONS projects for the
    nearest mid-year (2022-based projections), spread over its LSOAs as the mid-2019 LSOA
    estimates are, with single years of age as projected; each age weighted by how many
    registered patients there are per resident at that age (list inflation, England 2023).
    """
    bands = reference.lsoa_population_bands()
    sya = reference.la_projected_population(_projection_year(on))
    mid2019 = reference.la_single_year_population()
    la_of_lsoa = bands["lad19_code"].to_pylist()
    place_of_lsoa = _place_index(np.arange(bands.num_rows))
    inflated = {column: bands[column].to_numpy()
                * _band_ratio(sya, mid2019, la_of_lsoa, lo, hi)
                * _band_inflation(sya, la_of_lsoa, lo, hi)
                for column, lo, hi in BANDS}
    per_place = sum(np.bincount(place_of_lsoa, weights=v, minlength=len(PLACES))
                    for v in inflated.values())
    scale = (target * place_shares(on) / per_place)[place_of_lsoa]
    lsoa_parts, age_parts = [], []
    for column, lo, hi in BANDS:
        expected = inflated[column] * scale
        counts = np.floor(expected + rng.random(len(expected))).astype(np.int64)
        lsoa_idx = np.repeat(np.arange(len(expected)), counts)
        ages = np.empty(len(lsoa_idx), np.int16)
        for la in sorted(set(la_of_lsoa)):
            in_la = np.isin(lsoa_idx, [i for i, c in enumerate(la_of_lsoa) if c == la])
            ages[in_la] = _ages_in_band(rng, sya, la, lo, hi, int(in_la.sum()),
                                        _projection_year(on))
        lsoa_parts.append(lsoa_idx)
        age_parts.append(ages)
    return np.concatenate(lsoa_parts), np.concatenate(age_parts)


def _projection_year(on: dt.date) -> int:
    """The ONS projection year (mid-year, 30 June) nearest to a date, within 2022-2047."""
    years_on = round((on - dt.date(2022, 6, 30)).days / 365.25)
    return int(np.clip(2022 + years_on, 2022, 2047))


def _band_people(sya: pa.Table, la: str, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    rows = sya.filter(pc.equal(sya["ltla19_code"], la))
    ages = rows["age"].to_numpy()
    keep = (ages >= lo) & (ages <= min(hi, 90))
    return ages[keep], rows["population"].to_numpy().astype(float)[keep]


def _band_ratio(sya: pa.Table, mid2019: pa.Table, la_of_lsoa: list[str], lo: int,
                hi: int) -> np.ndarray:
    """Per LSOA, its authority's projected people aged lo-hi over the mid-2019 count."""
    ratio = {la: _band_people(sya, la, lo, hi)[1].sum() / _band_people(mid2019, la, lo, hi)[1]
             .sum() for la in set(la_of_lsoa)}
    return np.array([ratio[la] for la in la_of_lsoa])


def _band_inflation(sya: pa.Table, la_of_lsoa: list[str], lo: int, hi: int) -> np.ndarray:
    """Per LSOA, registered patients per resident across ages lo-hi of its authority."""
    ratio = {}
    for la in set(la_of_lsoa):
        ages, people = _band_people(sya, la, lo, hi)
        ratio[la] = np.average(list_inflation(ages), weights=people)
    return np.array([ratio[la] for la in la_of_lsoa])


def _ages_in_band(rng, sya: pa.Table, la: str, lo: int, hi: int, n: int,
                  year: int) -> np.ndarray:
    rows = sya.filter(pc.equal(sya["ltla19_code"], la))
    ages = rows["age"].to_numpy()
    weights = rows["population"].to_numpy().astype(float)
    keep = (ages >= lo) & (ages <= min(hi, 90))
    ages, weights = ages[keep], weights[keep] * list_inflation(ages[keep])
    out = rng.choice(ages, size=n, p=weights / weights.sum()).astype(np.int16)
    ninety = np.flatnonzero(out == OLDEST_BAND_FROM)
    mix = _oldest_mix(year, la)
    out[ninety] += rng.choice(len(mix), size=len(ninety), p=mix)
    return out


@functools.cache
def _oldest_mix(year: int, la: str) -> np.ndarray:
    """How authority `la`'s published 90+ row at mid-`year` is spread over ages 90, 91, ...
    110: each age as many as reached 90 in its year of birth (ONS, `_reaching_90`) times the
    share of them the model's own death rates at BLMK's level leave alive
    (`deaths.oldest_survivors`): about a fifth of them 95 and over and 2% 100 and over, near
    ONS's estimates of the very old.

    A geometric spread (28% fewer at each year of age, 19% of them 95+) implied a steeper fall
    than the flat 90+ death rate then used could produce: the people reaching 90 outnumbered
    the deaths after it, and the over-90s grew from 0.55% to 0.70% of the list over the window
    (ONS projects 0.686% to 0.733% of residents for mid-2022 to mid-2026).

    With survival alone (as if as many reached 90 every year), the list's 90+ share over ONS's
    came to 0.948 at the start, 0.967 at the middle and 0.917 at the end of the window (ten
    250,000-person lakes) against 0.929: too flat. ONS's figures for BLMK have more people
    reaching 90 lately (1,799 and 1,838 aged 89 in mid-2022 and mid-2023, 2,007 and 2,074 in
    mid-2024 and mid-2025), so fewer of the over-90s at the end are old enough to have been
    over 90 at the start or middle, and ONS's 90+ share rises from 0.685% in mid-2024 to 0.733%
    in mid-2026. Weighted by the cohorts, the same lakes give 0.927, 0.940 and 0.917."""
    rates = death_rate(np.arange(OLDEST_BAND_FROM, OLDEST + 1)) * MORTALITY_LEVEL_75PLUS
    alive = oldest_survivors(np.minimum(rates, MORTALITY_CAP))
    alive = alive * np.array([_reaching_90(year - k - 1, la) for k in range(len(alive))])
    return alive / alive.sum()


@functools.cache
def _reaching_90(year: int, la: str) -> float:
    """People of authority `la` aged 89 at mid-`year`, who reach 90 within the year after it:
    ONS's 2022-based projection from mid-2022; for 2019-2021 the mid-2019 estimate of the same
    year of birth (aged 87-89 then) taken on to 89 at BLMK's death rates; before 2019, as in
    2019 (the published single years stop at 89)."""
    if year >= 2022:
        sya, age = reference.la_projected_population(year), 89
    else:
        sya, age = reference.la_single_year_population(), 89 - (max(year, 2019) - 2019)
    rows = sya.filter(pc.equal(sya["ltla19_code"], la))
    people = float(rows["population"].to_numpy()[rows["age"].to_numpy() == age].sum())
    for a in range(age, 89):
        people *= 1 - float(death_rate(np.array([a]))[0]) * MORTALITY_LEVEL_75PLUS
    return people


def mortality_risk(age: np.ndarray, decile: np.ndarray, health: np.ndarray,
                   sex: np.ndarray | None = None) -> np.ndarray:
    """Annual chance of death: England's rate for the age (and sex, if known), by deprivation
    decile and personal ill-health, each averaging 1 among the people alive at that age, at
    BLMK's level."""
    ratio = np.where(age < 75, MORTALITY_RATIO_D1_D10_UNDER75, MORTALITY_RATIO_D1_D10_75PLUS)
    gradient = even_gradient(ratio, decile)
    _, mean_spread = survivors_health()
    spread = (_health_spread(health)
              / mean_spread[np.clip(np.asarray(age), 0, OLDEST).astype(np.int64)])
    level = np.where(age < 75, MORTALITY_LEVEL_UNDER75, MORTALITY_LEVEL_75PLUS)
    return np.minimum(death_rate(age, sex) * level * gradient * spread, MORTALITY_CAP)


def _health_spread(health: np.ndarray) -> np.ndarray:
    """exp(s z - s^2 / 2): relative risk of death by ill-health z, averaging 1 at birth."""
    return np.exp(MORTALITY_HEALTH_SPREAD * np.asarray(health, float)
                  - MORTALITY_HEALTH_SPREAD**2 / 2)


@functools.cache
def survivors_health() -> tuple[np.ndarray, np.ndarray]:
    """How ill-health is spread among the people alive at each age 0..OLDEST: its cumulative
    distribution on HEALTH_GRID (ages x grid) and the mean risk of death by ill-health
    (`_health_spread`) among them.

    Everyone starts with the same standard normal ill-health; the iller die sooner, so the
    survivors at each age are healthier than those at the age before. Drawing the people alive
    at the end of the window from a standard normal at every age instead made the old
    population of the window's start, which still holds everyone who died in it, iller than
    that of its end: at 85+ its mean ill-health fell from +0.28 to +0.03 over the window, and
    with it the recorded prevalence of heart failure and dementia and the emergency admission
    rate, which no published trend moves. With each age's survivors following their own
    distribution, the survivors of those alive at the start, together with those who die, are
    as ill as those alive at the end (a stationary population) [E].
    """
    density = np.exp(-HEALTH_GRID**2 / 2)
    spread = _health_spread(HEALTH_GRID)
    cdf, mean_spread = [], []
    for age in range(OLDEST + 1):
        density = density / density.sum()
        cdf.append(np.cumsum(density))
        mean_spread.append(float((density * spread).sum()))
        # a year at BLMK's average level for the age, each value of ill-health at its own
        # share of it
        level = MORTALITY_LEVEL_UNDER75 if age < 75 else MORTALITY_LEVEL_75PLUS
        chance = np.minimum(death_rate(np.array([age]))[0] * level * spread / mean_spread[-1],
                            MORTALITY_CAP)
        density = density * (1 - chance)
    return np.array(cdf), np.array(mean_spread)


def _survivor_health(u: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Ill-health of people alive at `age`, from uniform draws `u` (inverse distribution)."""
    cdf, _ = survivors_health()
    age = np.clip(np.asarray(age), 0, OLDEST).astype(np.int64)
    out = np.empty(len(u), np.float32)
    for a in np.unique(age):
        mine = age == a
        out[mine] = np.interp(u[mine], cdf[a], HEALTH_GRID)
    return out


def deaths_per_person_year(age: np.ndarray, decile: np.ndarray,
                           health: np.ndarray) -> np.ndarray:
    """Deaths a year per person alive at that age (see `mortality_risk`).

    The people alive at the end of the window stand for the people of their age at any date of
    it, and a published death rate is deaths over the people of that age (a central rate), so
    each stands for the rate itself. Counting m / (1 - m) instead, as if each were the survivor
    of a closed group that lost m of its members in the year, drew 11% too many deaths at 85-89
    and 25-60% too many at 90 and over: with death rates that rise past 90, the over-90s at the
    window's start (those alive at its end aged 95 and over, and those who died) then
    outnumbered those at its end.
    """
    return mortality_risk(age, decile, health)


def _sex(rng, age: np.ndarray) -> np.ndarray:
    # Slightly more boys at birth; women outlive men (ONS mid-year estimates) [K].
    p_male = np.interp(age, [0, 40, 70, 85, 95], [0.512, 0.50, 0.48, 0.42, 0.30])
    return (rng.random(len(age)) < p_male).astype(np.int8)


def _ethnicity(rng, lsoa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ethnic group from Census 2021 for the LSOA (LA totals where the LSOA was redrawn)."""
    lsoas = reference.lsoas()
    eth = reference.lsoa21_ethnicity()
    groups = list(_GROUP_COLUMNS)
    shares21 = {code: np.array([eth[_GROUP_COLUMNS[g]][i].as_py() for g in groups], float)
                for i, code in enumerate(eth["lsoa21_code"].to_pylist())}
    la_totals: dict[str, np.ndarray] = {}
    for i, la in enumerate(eth["lad24_code"].to_pylist()):
        row = np.array([eth[_GROUP_COLUMNS[g]][i].as_py() for g in groups], float)
        la_totals[la] = la_totals.get(la, 0) + row
    probs = np.array([
        shares21.get(code, la_totals[la])
        for code, la in zip(lsoas["lsoa_code"].to_pylist(), lsoas["la_code"].to_pylist(),
                            strict=True)
    ])
    probs /= probs.sum(axis=1, keepdims=True)
    cum = probs.cumsum(axis=1)[lsoa]
    group_in5 = (rng.random(len(lsoa))[:, None] > cum).sum(axis=1)
    group_idx = np.array([ETHNICITY_GROUPS.index(g) for g in groups])[group_in5]

    codes = list(ETHNICITY_CATEGORIES)
    category = np.empty(len(lsoa), np.int8)
    place = _place_index(lsoa)
    u = rng.random(len(lsoa))
    for g in groups:
        for p_i, p in enumerate(PLACES):
            sel = (group_idx == ETHNICITY_GROUPS.index(g)) & (place == p_i)
            split = _SPLIT_BY_PLACE[g][p]
            cats, w = list(split), np.array(list(split.values()))
            pick = np.searchsorted(np.cumsum(w / w.sum()), u[sel], side="right")
            picked = np.array(cats)[np.minimum(pick, len(cats) - 1)]
            category[sel] = [codes.index(c) for c in picked]
    not_stated = rng.random(len(lsoa)) < ETHNICITY_NOT_STATED
    group_idx[not_stated] = ETHNICITY_GROUPS.index("Not stated")
    category[not_stated] = codes.index("Z")
    return group_idx.astype(np.int8), category


def _place_index(lsoa: np.ndarray) -> np.ndarray:
    places = reference.lsoas()["place"].to_pylist()
    lookup = np.array([PLACES.index(p) for p in places], np.int8)
    return lookup[lsoa]


def _practice(rng, lsoa: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Each LSOA looks to three practices of its place (70/20/10); practices vary in pull."""
    practices = reference.practices()
    prac_place = np.array([PLACES.index(p) for p in practices["place"].to_pylist()])
    pull = rng.lognormal(0.0, 0.5, len(prac_place))
    lsoa_place = _place_index(np.arange(reference.lsoas().num_rows))
    choices = np.empty((len(lsoa_place), 3), np.int16)
    for i, p in enumerate(lsoa_place):
        candidates = np.flatnonzero(prac_place == p)
        w = pull[candidates] / pull[candidates].sum()
        choices[i] = rng.choice(candidates, size=3, replace=len(candidates) < 3, p=w)
    _every_practice_looked_to(choices, lsoa_place, prac_place)
    which = np.searchsorted([0.7, 0.9], rng.random(len(lsoa)), side="right")
    return choices[lsoa, which]


def _every_practice_looked_to(choices: np.ndarray, lsoa_place: np.ndarray,
                              prac_place: np.ndarray) -> None:
    """Make every practice one of the three that some LSOA of its place looks to (in place).

    Every practice in the reference data has a list; drawn by pull alone, one with little pull
    in a place of many practices could be chosen by no LSOA and have no patients at all (seed
    11 at 60,000 people, once the births' draws had moved the stream on). Such a practice takes
    the third place (10%) of the LSOA of its place whose third practice is the most looked-to.
    No random draw, so every other practice's list is as drawn."""
    counts = np.bincount(choices.ravel(), minlength=len(prac_place))
    for k in np.flatnonzero(counts == 0):
        here = np.flatnonzero(lsoa_place == prac_place[k])
        if not len(here):
            continue
        i = here[np.argmax(counts[choices[here, 2]])]
        counts[choices[i, 2]] -= 1
        choices[i, 2] = k
        counts[k] += 1


def _living_situation(rng, age, health) -> tuple[np.ndarray, np.ndarray]:
    # Care home residents: 2.5% of the 65+, 56.4% of them 85+ (ONS, Older people living in care
    # homes in 2021, Census 2021) [S], so about 9.5% of the 85+ [S-derived]; housebound about
    # one in five of the 85+ (SAPC 2023 abstract) [S], fewer younger [E]. Both rise with
    # ill-health. Measured by `neighbourhood.TARGETS` from the codes these flags give.
    boost = np.exp(0.6 * health - 0.18)
    p_home = np.interp(age, [64, 65, 75, 85, 95], [0, 0.0012, 0.008, 0.07, 0.28]) * boost
    p_house = np.interp(age, [64, 65, 75, 85, 95], [0, 0.01, 0.05, 0.25, 0.45]) * boost
    care_home = rng.random(len(age)) < p_home
    housebound = ~care_home & (rng.random(len(age)) < p_house)
    return care_home, housebound


def _nhs_numbers(rng, n: int) -> np.ndarray:
    """Unique modulus-11 valid NHS numbers from 9000000000-9999999999, a range NHS England
    never issues to real people."""
    stems = np.unique(rng.integers(900_000_000, 1_000_000_000, int(n * 1.2) + 100))
    stems = rng.permutation(stems)
    digits = (stems[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    remainder = (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check = (11 - remainder) % 11
    ok = check != 10
    numbers = stems[ok][:n] * 10 + check[ok][:n]
    if len(numbers) < n:
        raise RuntimeError("ran out of synthetic NHS numbers; population too large")
    return numbers.astype(str)


_GIVEN = {
    0: ("Olivia Amelia Isla Ava Mia Sophia Grace Lily Freya Emily Aisha Fatima Zara Maryam Priya "
        "Anika Chloe Ella Ruby Evie Hannah Sarah Margaret Susan Patricia Joan Amina Chioma Grace "
        "Abigail").split(),
    1: ("Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas James "
        "William Ibrahim Yusuf Arjun Rohan Kwame Daniel David Peter John Michael Robert Ali Omar "
        "Hassan Samuel Joseph").split(),
}
_FAMILY = ("Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Khan Hussain Ahmed Ali "
           "Begum Shah Evans Thomas Roberts Walker Wright Thompson White Hughes Edwards Green Hall "
           "Wood Harris Okafor Mensah Nowak Kowalski Singh Kaur Clarke Lewis Jackson").split()
_STREETS = ("High Street|Church Road|Station Road|Park Avenue|London Road|Victoria Road|Manor Way|"
            "Bedford Road|Mill Lane|The Green|Chapel Street|Kingsway|Queens Drive|Grange Close|"
            "Midsummer Boulevard|Dunstable Road|Ampthill Road|Castle Street").split("|")


def _identifiers(rng, nhs: np.ndarray, patient_id: np.ndarray, sex: np.ndarray,
                 dob: np.ndarray, practice: np.ndarray) -> pa.Table:
    """The identifiable zone: names, addresses and dates of birth that belong to nobody."""
    n = len(nhs)
    male = sex == 1
    given = np.where(male, np.array(_GIVEN[1])[rng.integers(0, len(_GIVEN[1]), n)],
                     np.array(_GIVEN[0])[rng.integers(0, len(_GIVEN[0]), n)])
    family = np.array(_FAMILY)[rng.integers(0, len(_FAMILY), n)]
    house = rng.integers(1, 180, n).astype(str)
    street = np.array(_STREETS)[rng.integers(0, len(_STREETS), n)]
    outward = np.array([pc_.split()[0] for pc_ in reference.practices()["postcode"].to_pylist()])
    inward = (rng.integers(1, 10, n).astype(str) + np.array(list("ABDEFGHJLNPQRSTUWXYZ"))[
        rng.integers(0, 20, n)] + np.array(list("ABDEFGHJLNPQRSTUWXYZ"))[rng.integers(0, 20, n)])
    return to_table("person_identifiers", {
        "patient_id": patient_id,
        "nhs_number": nhs,
        "local_id_system": pa.nulls(n, pa.string()),
        "local_id_value": pa.nulls(n, pa.string()),
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "address_line": np.char.add(np.char.add(house, " "), street),
        "postcode": np.char.add(np.char.add(outward[practice], " "), inward),
    })


def patients_table(ctx: SynthContext) -> pa.Table:
    """The `patients` table of the canonical model."""
    p = ctx.pop
    month_start = _month_start(p.dob)
    practices = reference.practices()["practice_code"].to_pylist()
    return to_table("patients", {
        "patient_id": p.patient_id,
        "sex": categorical(("female", "male"), p.sex),
        "month_of_birth": month_start,
        "ethnicity_group": categorical(ETHNICITY_GROUPS, p.ethnicity_group),
        "ethnicity_category": categorical(tuple(ETHNICITY_CATEGORIES), p.ethnicity_category),
        "lsoa_code": categorical(tuple(reference.lsoas()["lsoa_code"].to_pylist()), p.lsoa),
        "practice_code": categorical(tuple(practices), p.practice),
        "registration_start": p.registration_start,
        "registration_end": p.registration_end,
        "date_of_death": p.death,
        "care_home": p.care_home,
        "housebound": p.housebound,
        "data_opt_out": _opted_out(p.patient_id),
        "nhs_number_verified": np.ones(p.n, dtype=bool),
    })


#: National data opt-out: about 5.4% of registered patients in England (NHS England, National
#: Data Opt-out statistics, 2024) [K]. Taken from the pseudonym itself (uniform, being an HMAC)
#: so it needs no random draw and leaves every other stream of the generator unchanged.
OPT_OUT_RATE = 0.054


def _opted_out(patient_id: np.ndarray) -> np.ndarray:
    return (patient_id % 10_000) < OPT_OUT_RATE * 10_000


def _month_start(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int32)


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The tables this module owns: `patients` and the identifiable zone's identifiers."""
    return {"patients": patients_table(ctx), "person_identifiers": ctx.identifiers}


#: The registered list over the window (size, growth by place, list inflation, flows).
TARGETS = population_targets()

__all__ = ["TARGETS", "build_population", "deaths_per_person_year", "generate", "mortality_risk",
           "patients_table"]
