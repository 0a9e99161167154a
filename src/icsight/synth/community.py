"""Community services: virtual wards and 2-hour urgent community response (UCR).

Virtual wards ("hospital at home") opened nationally from April 2022 and grew to a planned
40-50 "beds" per 100,000 people at about 80% occupancy (clinical-indicators.md 1.7 [K]); here
they ramp up over two years to 45 per 100,000 at 80%. Patients are mostly older people with
heart failure, COPD or frailty; stays average about a week. UCR teams see people at home within
2 hours of referral (national standard: 70% within 2 hours); about 1,100 referrals a month per
million people (NHS England community services statistics, 2024 [K]), mostly older, housebound
or care home residents.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    NO_DATE,
    SynthContext,
    categorical,
    day,
    seasonal_days,
    to_table,
)

STREAM = "community"
SERVICES_FROM = "2022-04-01"
RAMP_YEARS = 2.0
VIRTUAL_WARD_BEDS_PER_100K, OCCUPANCY = 45, 0.8
STAY_MEDIAN_DAYS, STAY_SIGMA = 5.0, 0.8  # mean ~6.9 days
UCR_PER_MILLION_PER_MONTH = 1100
UCR_WITHIN_2_HOURS = 0.82


def _ramp(days: np.ndarray) -> np.ndarray:
    years = (days - day(SERVICES_FROM)) / 365.25
    return np.clip(0.2 + 0.8 * years / RAMP_YEARS, 0, 1)


def _starts(ctx, rng, per_day_full: float) -> np.ndarray:
    """Start days from the service launch, ramping up, with a mild winter peak."""
    first = max(day(SERVICES_FROM), ctx.window_start)
    expected = rng.poisson(per_day_full * (ctx.reference_date - first + 1))
    days = seasonal_days(rng, expected, first, ctx.reference_date, 0.1)
    return days[rng.random(len(days)) < _ramp(days)]


def _patients_for(ctx, rng, days, weight) -> tuple[np.ndarray, np.ndarray]:
    """People for each start day, by weight, among those alive and registered that day."""
    prob = weight / weight.sum()
    person = rng.choice(ctx.pop.n, len(days), p=prob)
    for _ in range(8):  # redraw anyone who had died or left (or was not yet born) by then
        bad = ~ctx.in_record(person, days)
        if not bad.any():
            break
        person[bad] = rng.choice(ctx.pop.n, bad.sum(), p=prob)
    keep = ctx.in_record(person, days)
    return person[keep], days[keep]


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    rng = ctx.rng(STREAM)
    p = ctx.pop
    age = p.age_on(ctx.active_end())
    c = p.conditions
    frail = np.exp(0.5 * p.health) * np.where(age >= 65, 1.0, 0.08) * np.interp(
        age, [65, 75, 85], [1, 2, 3])
    # Virtual wards.
    mean_stay = STAY_MEDIAN_DAYS * np.exp(STAY_SIGMA**2 / 2)
    # ~10% of stays are cut short by death or leaving: admit that many more [E, calibrated].
    beds = 1.1 * VIRTUAL_WARD_BEDS_PER_100K / 100_000 * ctx.population_target * OCCUPANCY
    vw_weight = frail * np.where(c["heart_failure"].has | c["copd"].has, 4.0, 1.0)
    vw_person, vw_start = _patients_for(ctx, rng, _starts(ctx, rng, beds / mean_stay), vw_weight)
    stay = np.maximum(np.round(rng.lognormal(np.log(STAY_MEDIAN_DAYS), STAY_SIGMA,
                                             len(vw_person))), 1).astype(np.int32)
    left = ctx.active_end()[vw_person]
    vw_end = np.minimum(vw_start + stay, left)
    # Still on the ward on the reference date: no discharge yet.
    vw_end = np.where((vw_start + stay > ctx.reference_date) & (left == ctx.reference_date),
                      NO_DATE, vw_end)
    # Urgent community response.
    ucr_weight = frail * np.where(p.housebound | p.care_home, 4.0, 1.0)
    per_day = UCR_PER_MILLION_PER_MONTH * 12 / 365.25 * ctx.population_target / 1e6
    ucr_person, ucr_day = _patients_for(ctx, rng, _starts(ctx, rng, per_day), ucr_weight)
    n_vw, n_ucr = len(vw_person), len(ucr_person)
    person = np.concatenate([vw_person, ucr_person])
    within = np.concatenate([np.full(n_vw, None, object),
                             rng.random(n_ucr) < UCR_WITHIN_2_HOURS]).tolist()
    return {"community_contacts": to_table("community_contacts", {
        "patient_id": p.patient_id[person],
        "contact_id": np.arange(1, len(person) + 1),
        "service": categorical(("virtual_ward", "urgent_community_response"),
                               np.repeat([0, 1], [n_vw, n_ucr])),
        "start_date": np.concatenate([vw_start, ucr_day]).astype(np.int32),
        "end_date": np.concatenate([vw_end, ucr_day]).astype(np.int32),
        "within_2_hours": pa.array(within, pa.bool_()),
    })}


TARGETS = [
    Target("virtual_ward_occupied_per_100k", "Virtual ward patients per 100,000, average over "
           "the last 91 days", 36.0, 7.0, "per 100,000", "NHS England virtual wards: 40-50 beds "
           "per 100,000 at ~80% occupancy [K]",
           f"""SELECT 100000.0 * count(*) / 91 / (SELECT count(*) FROM ({REGISTERED}))
           FROM community_contacts c,
                range({{ref}} - INTERVAL 90 DAY, {{ref}} + INTERVAL 1 DAY, INTERVAL 1 DAY) d(t)
           WHERE c.service = 'virtual_ward' AND c.start_date <= d.t
             AND (c.end_date IS NULL OR c.end_date > d.t)"""),
    Target("ucr_within_2_hours", "Urgent community response within 2 hours, %", 82.0, 4.0, "%",
           "NHS England 2-hour UCR: standard 70%, most systems ~80-85% [K]",
           "SELECT 100.0 * avg(CASE WHEN within_2_hours THEN 1 ELSE 0 END) "
           "FROM community_contacts WHERE service = 'urgent_community_response'"),
]
