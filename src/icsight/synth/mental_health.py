"""Mental health referrals: children and young people's services (CAMHS) and adult services.

The strategy notes referrals rising since the pandemic and children and young people "waiting
too long" (seeds 001, 002). Rates per 1,000 a year [E, in line with MHSDS/NHS Talking
Therapies activity for a population like BLMK's]:

| service | who | rate | raised by |
| --- | --- | --- | --- |
| `camhs` | under 18 | 45 rising to 60 over the window | deprivation, learning disability |
| `talking_therapies` | 18+ | ~25 | depression (x3), deprivation |
| `adult_community` | 18+ | ~15 | SMI (x8), depression (x2) |
| `crisis` | 18+ | ~5 | SMI (x6) |

Waits to a first contact are longest for CAMHS (median ~8 weeks); about 10% of referrals are
never seen; those still waiting or in treatment on the reference date have no first contact or
no discharge yet.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import NO_DATE, SynthContext, categorical, pick_days_for, to_table

STREAM = "mental_health"
SERVICES = ("adult_community", "crisis", "talking_therapies", "camhs")
# (rate per person-year, median weeks to first contact, median weeks in service)
ADULT = {"adult_community": (0.015, 4.0, 30.0), "crisis": (0.005, 0.1, 4.0),
         "talking_therapies": (0.025, 3.0, 12.0)}
CAMHS_RATE_START, CAMHS_RATE_END, CAMHS_WAIT, CAMHS_STAY = 0.045, 0.060, 8.0, 20.0
NEVER_SEEN = 0.10


def _multiplier(ctx, service: str) -> np.ndarray:
    c = ctx.pop.conditions
    m = np.interp(ctx.pop.imd_decile, [1, 10], [1.3, 0.8])
    if service == "talking_therapies":
        m = m * np.where(c["depression"].has, 3.0, 1.0)
    elif service == "adult_community":
        m = m * np.where(c["smi"].has, 8.0, np.where(c["depression"].has, 2.0, 1.0))
    elif service == "crisis":
        m = m * np.where(c["smi"].has, 6.0, 1.0)
    else:
        m = m * np.where(c["learning_disability"].has, 2.0, 1.0)
    return m / m.mean()


def _referrals(ctx, rng):
    p = ctx.pop
    end = ctx.active_end()
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start)
    out = []
    adult_from = (p.dob + 18 * 365.25).astype(np.int32)
    for service, (rate, wait, stay) in ADULT.items():
        who = np.arange(p.n)
        s = np.maximum(start, adult_from)
        person, days = pick_days_for(rng, who, rate * _multiplier(ctx, service), s, end)
        out.append((person, days, SERVICES.index(service), wait, stay))
    # CAMHS: under 18, with a rate rising across the window; drawn at the peak rate and thinned.
    s = start
    e = np.minimum(end, adult_from - 1)
    person, days = pick_days_for(rng, np.arange(p.n), CAMHS_RATE_END * _multiplier(ctx, "camhs"),
                                 s, e)
    share = (days - ctx.window_start) / max(ctx.reference_date - ctx.window_start, 1)
    rate_then = CAMHS_RATE_START + (CAMHS_RATE_END - CAMHS_RATE_START) * share
    keep = rng.random(len(days)) < rate_then / CAMHS_RATE_END
    out.append((person[keep], days[keep], SERVICES.index("camhs"), CAMHS_WAIT, CAMHS_STAY))
    return out


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    rng = ctx.rng(STREAM)
    p = ctx.pop
    ref = ctx.reference_date
    people, referred, services, contacts, discharges = [], [], [], [], []
    for person, days, service, wait, stay in _referrals(ctx, rng):
        n = len(person)
        seen = rng.random(n) >= NEVER_SEEN
        first = days + np.round(rng.lognormal(np.log(max(wait, 0.1) * 7), 0.8, n)).astype(
            np.int32)
        leave = first + np.round(rng.lognormal(np.log(stay * 7), 0.7, n)).astype(np.int32)
        end = ctx.active_end()[person]
        first = np.where(seen & (first <= np.minimum(end, ref)), first, NO_DATE)
        closed_unseen = (first == NO_DATE) & (days + 56 <= np.minimum(end, ref))
        leave = np.where(first != NO_DATE, np.minimum(leave, end), NO_DATE)
        leave = np.where(closed_unseen, days + 56, leave)
        leave = np.where(leave > ref, NO_DATE, leave)
        people.append(person)
        referred.append(days)
        services.append(np.full(n, service, np.int8))
        contacts.append(first)
        discharges.append(leave)
    person = np.concatenate(people)
    return {"mh_referrals": to_table("mh_referrals", {
        "patient_id": p.patient_id[person],
        "referral_id": np.arange(1, len(person) + 1),
        "service": categorical(SERVICES, np.concatenate(services)),
        "referral_date": np.concatenate(referred).astype(np.int32),
        "first_contact_date": np.concatenate(contacts).astype(np.int32),
        "discharge_date": np.concatenate(discharges).astype(np.int32),
    })}


def _per_1000(service: str, ages: str) -> str:
    return f"""
    WITH reg AS ({REGISTERED})
    SELECT 1000.0 * (SELECT count(*) FROM mh_referrals WHERE service = '{service}'
                     AND referral_date > {{ref}} - INTERVAL 12 MONTH AND referral_date <= {{ref}})
           / (SELECT count(*) FROM reg WHERE {ages})
    """


TARGETS = [
    Target("camhs_referrals_per_1000", "CAMHS referrals per 1,000 under-18s, last 12 months",
           58.0, 10.0, "per 1,000", "MHSDS CYP referrals, ~50-60 per 1,000 a year and rising "
           "since the pandemic (seeds 001/002) [E]",
           _per_1000("camhs", "date_diff('month', month_of_birth, {ref}) < 216")),
    Target("talking_therapies_per_1000", "Talking therapies referrals per 1,000 adults, last "
           "12 months", 25.0, 5.0, "per 1,000", "NHS Talking Therapies: ~1.8m referrals a year "
           "in England, ~25-30 per 1,000 adults [K]",
           _per_1000("talking_therapies", "date_diff('month', month_of_birth, {ref}) >= 216")),
]
