"""Mental health referrals: children and young people's services (CAMHS) and adult services.

Referrals arrive at each person's own rate while they are registered, as the Mental Health
Services Data Set records them: the referral, the first attended contact after a wait, and the
discharge. Rates per 1,000 a year [E, in line with MHSDS and NHS Talking Therapies activity for
a population like BLMK's]:

| service | who | rate per 1,000 | raised by |
| --- | --- | --- | --- |
| `camhs` | under 18 | 48 rising to 60 | teenage years, deprivation, learning disability |
| `talking_therapies` | 18+ | ~25 | depression, deprivation, women, young adults |
| `adult_community` | 18+ | ~15 | SMI, depression, deprivation |
| `crisis` | 18+ | ~5 | SMI, depression, deprivation, young adults |

CAMHS demand has grown since the pandemic (BLMK Health Services Strategy, 2024: "around 12,000
referrals to CAMHS in 2021/22 (up 200% since 2018/19)", about 50 per 1,000 under-18s) and
children and young people are "waiting too long" (the same strategy), so CAMHS waits are the
longest. Some referrals are never seen (declined, did not attend, signposted elsewhere) and are
closed after a few weeks.
Referrals still waiting or in treatment on the reference date have no first contact or no
discharge yet; a person who moves away or dies is discharged on that day. Rates are per head
of the registered population (as published), so the rate per person-year in the record is
raised a little for the people who joined during the year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    categorical,
    pick_days_for,
    to_table,
)

STREAM = "mental_health"
SERVICES = ("adult_community", "crisis", "talking_therapies", "camhs")


@dataclass(frozen=True)
class Service:
    """How referrals to one service arrive and proceed."""

    name: str
    rate: float  # referrals per person-year, averaged over the people it serves
    wait_days: float  # median days from referral to first contact (log-normal)
    wait_spread: float
    stay_days: float  # median days from first contact to discharge (log-normal)
    stay_spread: float
    never_seen: float  # share of referrals with no attended contact
    smi: float = 1.0  # rate ratios for people with SMI, depression (vs neither)
    depression: float = 1.0
    deprivation: float = 1.0  # rate ratio, most vs least deprived decile
    women: float = 1.0  # rate ratio, women vs men


#: Adult services [E]. Talking therapies: ~1.8 million referrals a year in England (~25 per
#: 1,000 adults), about two thirds women, most seen within 6 weeks (standard: 75%), a third
#: never start treatment, a course of ~8 sessions [K]. Community teams: a few weeks' wait,
#: months in care. Crisis teams: seen within 24 hours, a few weeks' care.
ADULT_SERVICES = (
    Service("talking_therapies", 0.025, 20, 0.9, 90, 0.6, 0.30, smi=1.0, depression=3.0,
            deprivation=1.3, women=1.6),
    Service("adult_community", 0.015, 35, 0.9, 180, 0.9, 0.15, smi=10.0, depression=2.5,
            deprivation=1.6),
    Service("crisis", 0.005, 0.5, 1.0, 21, 0.6, 0.05, smi=8.0, depression=2.0,
            deprivation=2.0),
)
#: CAMHS: median wait ~10 weeks with a long tail; about a fifth never seen [E].
CAMHS = Service("camhs", 0.060, 70, 0.9, 180, 0.8, 0.20, deprivation=1.5)
#: CAMHS referrals per under-18 a year at the window start; the rate rises linearly to
#: `CAMHS.rate` on the reference date [E, from the ~12,000 in 2021/22 in the
#: BLMK Health Services Strategy, 2024].
CAMHS_RATE_AT_START = 0.048
#: CAMHS referral rate by age (relative): few under 5, most in the mid-teens; girls more in
#: their teens, boys more in childhood [E, MHSDS pattern].
CAMHS_AGES, CAMHS_BY_AGE = (0, 5, 11, 13), (0.15, 0.7, 1.1, 1.7)
CAMHS_TEEN_GIRLS, CAMHS_CHILD_BOYS, CAMHS_LEARNING_DISABILITY = 1.3, 1.3, 2.5
#: Adult referral rate by age (18-24, 25-64, 65+), relative, per service: young adults are
#: referred more, older adults less (older adults' services are partly separate) [E].
ADULT_AGES = (18, 25, 65)
ADULT_BY_AGE = {"talking_therapies": (1.3, 1.0, 0.35), "adult_community": (1.0, 1.0, 0.6),
                "crisis": (1.4, 1.0, 0.5)}
#: Adult services from the 18th birthday (in days of age, as `Population.age_on` counts).
ADULT_FROM_DAYS = math.ceil(18 * DAYS_PER_YEAR)
#: Days after which a referral never seen is closed [E].
UNSEEN_CLOSED_DAYS = 42


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `mh_referrals` table: referrals with their first contact and discharge."""
    rng = ctx.rng(STREAM)
    parts = [(*_adult_referrals(ctx, rng, s), s) for s in ADULT_SERVICES]
    parts.append((*_camhs_referrals(ctx, rng), CAMHS))
    person, referred, service, contact, discharge = [], [], [], [], []
    for who, days, spec in parts:
        first, leave = _pathway(ctx, rng, spec, who, days)
        person.append(who)
        referred.append(days)
        service.append(np.full(len(who), SERVICES.index(spec.name), np.int8))
        contact.append(first)
        discharge.append(leave)
    person, referred, service, contact, discharge = (
        np.concatenate(x) for x in (person, referred, service, contact, discharge))
    order = np.lexsort((service, referred, person))
    return {"mh_referrals": to_table("mh_referrals", {
        "patient_id": ctx.pop.patient_id[person[order]],
        "referral_id": np.arange(1, len(order) + 1, dtype=np.int64),
        "service": categorical(SERVICES, service[order]),
        "referral_date": referred[order].astype(np.int32),
        "first_contact_date": contact[order].astype(np.int32),
        "discharge_date": discharge[order].astype(np.int32),
    })}


def _record_span(ctx: SynthContext) -> tuple[np.ndarray, np.ndarray]:
    """Per person, the first and last day they are in the window's record."""
    p = ctx.pop
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start)
    return start.astype(np.int64), ctx.active_end().astype(np.int64)


def _registered(ctx: SynthContext) -> np.ndarray:
    """People registered and alive on the reference date (the rates' denominators)."""
    p = ctx.pop
    ref = ctx.reference_date
    return (p.registration_start <= ref) & (p.registration_end > ref) & (p.death > ref)


def _mean_over(values: np.ndarray, who: np.ndarray) -> float:
    return float(values[who].mean()) if who.any() else 1.0


def _exposure(ctx: SynthContext, counted: np.ndarray, start: np.ndarray,
              end: np.ndarray) -> float:
    """The average share of the last year that the people counted were in the record.

    Rates are published per head of the registered population, but people who registered (or
    were born) during the year were only in the record for part of it; dividing the rate per
    person-year by this share makes the rate per head come out as published.
    """
    year_start = ctx.reference_date - 364
    days = np.clip(np.minimum(end, ctx.reference_date) - np.maximum(start, year_start) + 1,
                   0, 365)
    return max(_mean_over(days / 365.0, counted), 0.5)


def _ratio(has: np.ndarray, ratio: float) -> np.ndarray:
    return np.where(has, ratio, 1.0)


def _deprivation(ctx: SynthContext, ratio: float) -> np.ndarray:
    return ratio ** ((10 - ctx.pop.imd_decile) / 9.0)


def _adult_referrals(ctx: SynthContext, rng: np.random.Generator,
                     spec: Service) -> tuple[np.ndarray, np.ndarray]:
    """Referrals to an adult service, at each adult's own rate while registered."""
    p = ctx.pop
    c = p.conditions
    start, end = _record_span(ctx)
    start = np.maximum(start, p.dob.astype(np.int64) + ADULT_FROM_DAYS)
    adults = np.flatnonzero(end >= start)
    mid_age = p.age_on(((start + end) // 2).astype(np.int32))
    by_age = np.array(ADULT_BY_AGE[spec.name])[
        np.searchsorted(ADULT_AGES, mid_age, side="right") - 1]
    weight = (by_age * _deprivation(ctx, spec.deprivation) * _ratio(p.female, spec.women)
              * np.where(c["smi"].has, spec.smi, _ratio(c["depression"].has, spec.depression)))
    counted = _registered(ctx) & (p.age_on(ctx.reference_date) >= 18)
    weight = weight / _mean_over(weight, counted) / _exposure(ctx, counted, start, end)
    return pick_days_for(rng, adults, spec.rate * weight[adults], start[adults], end[adults])


def _camhs_referrals(ctx: SynthContext, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """CAMHS referrals for under-18s, rising over the window and peaking in the teens.

    Drawn at the highest rate each child could have, then thinned to the rate for their age
    on the day and for the day's point in the rising trend.
    """
    p = ctx.pop
    start, end = _record_span(ctx)
    end = np.minimum(end, p.dob.astype(np.int64) + ADULT_FROM_DAYS - 1)
    children = np.flatnonzero(end >= start)
    age_now = p.age_on(ctx.reference_date)
    counted = _registered(ctx) & (age_now < 18)  # the under-18s the rate is per head of
    weight = (_deprivation(ctx, CAMHS.deprivation)
              * _ratio(p.conditions["learning_disability"].has, CAMHS_LEARNING_DISABILITY))
    weight = weight / _mean_over(weight, counted) / _exposure(ctx, counted, start, end)
    mean_age_weight = _mean_over(_camhs_age_weight(age_now, p.sex), counted)
    top = max(CAMHS_BY_AGE) * max(CAMHS_TEEN_GIRLS, CAMHS_CHILD_BOYS)
    bound = CAMHS.rate * weight[children] * top / mean_age_weight
    who, days = pick_days_for(rng, children, bound, start[children], end[children])
    age = ((days - p.dob[who]) / DAYS_PER_YEAR).astype(np.int64)
    share = (days - ctx.window_start) / max(ctx.reference_date - ctx.window_start, 1)
    trend = CAMHS_RATE_AT_START + (CAMHS.rate - CAMHS_RATE_AT_START) * share
    keep = rng.random(len(who)) < _camhs_age_weight(age, p.sex[who]) * trend / (
        top * CAMHS.rate)
    return who[keep], days[keep]


def _camhs_age_weight(age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    weight = np.array(CAMHS_BY_AGE)[np.searchsorted(CAMHS_AGES, age, side="right") - 1]
    teen_girl = (age >= 13) & (sex == 0)
    child_boy = (age < 13) & (sex == 1)
    return weight * np.where(teen_girl, CAMHS_TEEN_GIRLS, np.where(child_boy,
                                                                     CAMHS_CHILD_BOYS, 1.0))


def _pathway(ctx: SynthContext, rng: np.random.Generator, spec: Service, person: np.ndarray,
             referred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First contact and discharge days (NO_DATE where not yet, or never, happened)."""
    p = ctx.pop
    n = len(person)
    ref = ctx.reference_date
    end = ctx.active_end()[person].astype(np.int64)
    gone = (p.registration_end[person] <= ref) | (p.death[person] <= ref)
    wait = np.round(rng.lognormal(np.log(spec.wait_days), spec.wait_spread, n))
    stay = np.round(rng.lognormal(np.log(spec.stay_days), spec.stay_spread, n))
    seen = rng.random(n) >= spec.never_seen
    first = referred + wait.astype(np.int64)
    contacted = seen & (first <= end)
    leave = np.where(contacted, first + stay.astype(np.int64) + 1,
                     np.where(seen, NO_DATE, referred + UNSEEN_CLOSED_DAYS))
    # still open (or still waiting) on the last day in the record: closed then if they left
    # or died
    leave = np.where(leave > end, np.where(gone, end, NO_DATE), leave)
    return np.where(contacted, first, NO_DATE), leave


def _per_1000(service: str, ages: str) -> str:
    return f"""
    WITH reg AS ({REGISTERED})
    SELECT 1000.0 * (SELECT count(*) FROM mh_referrals WHERE service = '{service}'
                     AND referral_date > {{ref}} - INTERVAL 12 MONTH AND referral_date <= {{ref}})
           / (SELECT count(*) FROM reg
              WHERE date_diff('month', month_of_birth, {{ref}}) // 12 {ages})
    """


TARGETS = [
    Target("camhs_referrals_per_1000", "CAMHS referrals per 1,000 registered under-18s, last "
           "12 months", 59.0, 8.0, "per 1,000",
           "BLMK Health Services Strategy (2024): ~12,000 CAMHS referrals in BLMK in "
           "2021/22, up 200% since 2018/19 (~50 per 1,000 under-18s), still rising [E]",
           _per_1000("camhs", "< 18"),
           trend="CAMHS referrals rising: up 200% from 2018/19 to 2021/22 in BLMK and still "
                 "rising (BLMK Health Services Strategy, 2024) [S]"),
    Target("talking_therapies_per_1000", "NHS Talking Therapies referrals per 1,000 adults, "
           "last 12 months", 25.0, 4.0, "per 1,000",
           "NHS Talking Therapies: ~1.8 million referrals a year in England, ~25-30 per 1,000 "
           "adults [K]", _per_1000("talking_therapies", ">= 18")),
    Target("adult_community_mh_per_1000", "Adult community mental health referrals per 1,000 "
           "adults, last 12 months", 15.0, 3.0, "per 1,000",
           "MHSDS adult community mental health referrals [E: ~15 per 1,000 adults]",
           _per_1000("adult_community", ">= 18")),
    Target("crisis_mh_per_1000", "Crisis team referrals per 1,000 adults, last 12 months",
           5.0, 1.5, "per 1,000", "MHSDS crisis resolution/home treatment referrals [E: ~5 per "
           "1,000 adults]", _per_1000("crisis", ">= 18")),
]
