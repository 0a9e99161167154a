"""Community services: virtual wards and 2-hour urgent community response (UCR).

What an analyst will find in `community_contacts`, and where the figures come from:

* **Virtual wards** ("hospital at home") opened nationally from April 2022 with a planned
  capacity of 40-50 "beds" per 100,000 people at about 80% occupancy (NHS England
  virtual ward guidance [K]); BLMK's schemes are for frailty and severe respiratory illness
  (BLMK Health and Care Strategy, 2023). Here
  capacity ramps up over two years to 45 per 100,000 at 80% occupancy, so on a day in 2025 about
  36 people per 100,000 are on a virtual ward. Every stay steps down from an emergency discharge of
  the same person (that day or up to two days later; step-up referrals from the community are
  not modelled), mostly people 65+ with heart failure, COPD or frailty (ill-health, dementia);
  stays are lognormal with a mean of about a week, and end if the person is readmitted. A stay
  still open on the reference date has no end date; one cut short by death or moving away ends
  that day.
* **2-hour urgent community response**: teams see people at home within 2 hours of referral
  (national standard 70%; BLMK ~80%, a little lower in rural Central Bedfordshire). About 1,100
  referrals a month per million people, mostly older, housebound or care home residents, more
  in winter. Each contact is one row with the same start and end date.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.model.schema import PLACES
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    categorical,
    day,
    seasonal_days,
    to_table,
)

STREAM = "community"
SERVICES = ("virtual_ward", "urgent_community_response")

# Virtual wards: national programme from April 2022, 40-50 beds per 100,000 at ~80% occupancy
# (NHS England virtual ward guidance) [K]. Capacity here starts at
# 15% and reaches 45 per 100,000 after two years [E].
VIRTUAL_WARDS_FROM, VIRTUAL_WARD_RAMP = "2022-04-01", (0.15, 2.0)
VIRTUAL_WARD_BEDS_PER_100K, OCCUPANCY = 45, 0.80
# Length of stay: lognormal, median 5 days, sigma 0.8, mean ~6.9 days (NHS England: average
# stays of about a week) [K/E].
STAY_MEDIAN_DAYS, STAY_SIGMA = 5.0, 0.8
# Stays cut short by death, moving away or readmission (common among the frail people stepping
# down from hospital), and overlapping stays of one person, leave beds empty: admit this many
# more so occupancy holds [E, calibrated].
STAYS_CUT_SHORT_UPLIFT = 1.15
# Relative chance of a virtual ward stay [E]: heart failure and COPD (respiratory and
# heart-failure wards), dementia (frailty wards).
VIRTUAL_WARD_CONDITIONS = {"heart_failure": 4.0, "copd": 4.0, "dementia": 1.5}
# Step-down: a stay starts on the day of an emergency discharge or up to this many days after
# (NHS England virtual ward guidance: step-down from hospital, as well as step-up from the
# community, which is not modelled here) [K].
STEP_DOWN_DAYS = 2
STEP_DOWN_BLOCK_DAYS = 28  # stays are matched to discharges four weeks at a time

# UCR: the 2-hour standard applied everywhere from April 2022 [K]; volumes ~1,100 referrals a
# month per million people (NHS England community health services SitRep 2024) [K], rising
# from 60% of that over the first year [E].
UCR_FROM, UCR_RAMP = "2022-04-01", (0.6, 1.0)
UCR_PER_MILLION_PER_MONTH = 1100
# Share seen within 2 hours: national standard 70%, most systems 80-85% [K]; lower where
# journeys are longer [E].
UCR_WITHIN_2_HOURS = {"Bedford Borough": 0.82, "Central Bedfordshire": 0.76, "Luton": 0.86,
                      "Milton Keynes": 0.83}
UCR_AT_HOME = 4.0  # housebound and care home residents, relative chance of a referral [E]
WINTER_PEAK = 0.10  # community urgent care demand peaks in winter [E]

# Frailty by age: the relative chance of needing either service [E], rising steeply after 65
# (moderate or severe frailty ~6% at 65-69 to ~40% at 85+: a project estimate [E]).
FRAILTY_AGES, FRAILTY_WEIGHTS = (0, 50, 64, 65, 75, 85, 95), (0.02, 0.04, 0.08, 1, 2, 3.5, 4)


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `community_contacts` table: virtual ward stays, then UCR contacts."""
    rng = ctx.rng(STREAM)
    frailty = _frailty(ctx)
    vw_person, vw_start, vw_end = _virtual_wards(ctx, rng, frailty)
    ucr_person, ucr_day, within = _urgent_response(ctx, rng, frailty)
    n_vw, n_ucr = len(vw_person), len(ucr_person)
    person = np.concatenate([vw_person, ucr_person])
    return {"community_contacts": to_table("community_contacts", {
        "patient_id": ctx.pop.patient_id[person],
        "contact_id": np.arange(1, n_vw + n_ucr + 1, dtype=np.int64),
        "service": categorical(SERVICES, np.repeat([0, 1], [n_vw, n_ucr])),
        "start_date": np.concatenate([vw_start, ucr_day]).astype(np.int32),
        "end_date": np.concatenate([vw_end, ucr_day]).astype(np.int32),
        "within_2_hours": pa.array(np.concatenate([np.zeros(n_vw, bool), within]),
                                   mask=np.arange(n_vw + n_ucr) < n_vw),
    })}


def _frailty(ctx: SynthContext) -> np.ndarray:
    p = ctx.pop
    age = p.age_on(ctx.active_end())
    return np.exp(0.5 * p.health) * np.interp(age, FRAILTY_AGES, FRAILTY_WEIGHTS)


def _virtual_wards(ctx, rng, frailty) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, admission day, discharge day or NO_DATE while still on the ward).

    Each stay steps down from an emergency discharge home (or to a care home) of the same
    person, starting that day or within STEP_DOWN_DAYS, and ends early if they are admitted
    again."""
    p = ctx.pop
    weight = frailty.copy()
    for name, ratio in VIRTUAL_WARD_CONDITIONS.items():
        weight *= np.where(p.conditions[name].has, ratio, 1.0)
    mean_stay = STAY_MEDIAN_DAYS * np.exp(STAY_SIGMA**2 / 2)
    occupied = VIRTUAL_WARD_BEDS_PER_100K / 100_000 * OCCUPANCY * ctx.population_target
    per_day = STAYS_CUT_SHORT_UPLIFT * occupied / mean_stay
    days = _start_days(ctx, rng, per_day, VIRTUAL_WARDS_FROM, VIRTUAL_WARD_RAMP)
    person, start = _stepping_down(ctx, rng, weight, days)
    stay = np.maximum(np.round(rng.lognormal(np.log(STAY_MEDIAN_DAYS), STAY_SIGMA,
                                             len(person))), 1).astype(np.int64)
    readmitted = _next_admission(ctx, person, start)
    left = np.minimum(ctx.active_end()[person].astype(np.int64), readmitted)
    end = start + stay
    open_now = (end > ctx.reference_date) & (left == ctx.reference_date)
    open_now &= readmitted > ctx.reference_date
    end = np.where(open_now, NO_DATE, np.minimum(end, left))
    return person, start, _no_overlaps(person, start, end)


def _stepping_down(ctx, rng, weight: np.ndarray, days: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """A stay for each of `days` (the service's capacity, day by day), stepping down from an
    emergency discharge in the same four weeks, drawn by the person's weight; the stay starts
    0-STEP_DOWN_DAYS days after the discharge, while the person is still in the record."""
    d = ctx.discharges
    dis = d["dis"].astype(np.int64)
    w = weight[d["person"]] * (dis <= ctx.reference_date) * (dis >= day(VIRTUAL_WARDS_FROM))
    block, wanted = np.unique((days - ctx.window_start) // STEP_DOWN_BLOCK_DAYS,
                              return_counts=True)
    dis_block = (dis - ctx.window_start) // STEP_DOWN_BLOCK_DAYS
    picked = []
    for b, n in zip(block, wanted, strict=True):
        rows = np.flatnonzero((dis_block == b) & (w > 0))
        n = min(n, len(rows))
        if n:
            picked.append(rng.choice(rows, size=n, replace=False, p=w[rows] / w[rows].sum()))
    pick = np.concatenate(picked) if picked else np.empty(0, np.int64)
    person = d["person"][pick].astype(np.int64)
    start = dis[pick] + rng.integers(0, STEP_DOWN_DAYS + 1, len(pick))
    keep = ctx.in_record(person, start)
    return person[keep], start[keep]


def _next_admission(ctx, person: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The day of each person's next emergency admission after `start` (NO_DATE if none)."""
    d = ctx.discharges
    key = d["all_person"].astype(np.int64) * _DAY_KEY + d["all_adm"].astype(np.int64)
    order = np.argsort(key)
    key = key[order]
    nxt = np.searchsorted(key, person * _DAY_KEY + start, side="right")
    found = nxt < len(key)
    nxt = np.minimum(nxt, len(key) - 1)
    same = found & (key[nxt] // _DAY_KEY == person) if len(key) else np.zeros(len(person), bool)
    return np.where(same, key[nxt] % _DAY_KEY, NO_DATE)


_DAY_KEY = 1 << 20  # day numbers stay below this, so person x _DAY_KEY + day is unique


def _no_overlaps(person: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """End each stay no later than the same person's next one starts (rows are in day order)."""
    order = np.lexsort((start, person))
    p, s, e = person[order], start[order], end[order]
    same = p[1:] == p[:-1]
    e[:-1] = np.where(same, np.minimum(e[:-1], s[1:]), e[:-1])
    out = np.empty_like(end)
    out[order] = e
    return out


def _urgent_response(ctx, rng, frailty) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, contact day, seen within 2 hours)."""
    p = ctx.pop
    weight = frailty * np.where(p.housebound | p.care_home, UCR_AT_HOME, 1.0)
    weight *= np.where(p.conditions["dementia"].has, 1.5, 1.0)
    per_day = UCR_PER_MILLION_PER_MONTH * 12 / DAYS_PER_YEAR * ctx.population_target / 1e6
    days = _start_days(ctx, rng, per_day, UCR_FROM, UCR_RAMP)
    person, when = _people_for(ctx, rng, days, weight)
    chance = np.array([UCR_WITHIN_2_HOURS[place] for place in PLACES])[p.place[person]]
    return person, when, rng.random(len(person)) < chance


def _ramp(days: np.ndarray, launch: str, ramp: tuple[float, float]) -> np.ndarray:
    """Share of full capacity on each day: `ramp[0]` at launch, rising to 1 over `ramp[1]`
    years, nothing before launch."""
    years = (days - day(launch)) / DAYS_PER_YEAR
    share = np.clip(ramp[0] + (1 - ramp[0]) * years / ramp[1], 0, 1)
    return np.where(years < 0, 0.0, share)


def _start_days(ctx, rng, per_day_full: float, launch: str, ramp) -> np.ndarray:
    """Start days at `per_day_full` once fully running, ramping up, with a winter peak."""
    first = max(day(launch), ctx.window_start)
    n = rng.poisson(per_day_full * (ctx.reference_date - first + 1))
    days = seasonal_days(rng, n, first, ctx.reference_date, WINTER_PEAK)
    return np.sort(days[rng.random(len(days)) < _ramp(days, launch, ramp)])


def _people_for(ctx, rng, days, weight) -> tuple[np.ndarray, np.ndarray]:
    """A person for each day, by weight, among those alive and registered that day (redrawn
    until they are; days with nobody found are dropped)."""
    cdf = np.cumsum(weight / weight.sum())
    person = np.zeros(len(days), np.int64)
    todo = np.arange(len(days))
    for _ in range(12):
        person[todo] = np.minimum(np.searchsorted(cdf, rng.random(len(todo))), ctx.pop.n - 1)
        todo = todo[~ctx.in_record(person[todo], days[todo])]
        if not len(todo):
            break
    keep = ctx.in_record(person, days)
    return person[keep], days[keep].astype(np.int64)


_POP = f"(SELECT count(*) FROM ({REGISTERED}))"
TARGETS = [
    Target("virtual_ward_occupied_per_100k", "Virtual ward patients per 100,000, average over "
           "the last 91 days", 36.0, 7.0, "per 100,000", "NHS England virtual wards: 40-50 "
           "beds per 100,000 at ~80% occupancy (virtual ward guidance) [K]",
           f"""SELECT 100000.0 * count(*) / 91 / {_POP}
           FROM community_contacts c,
                range({{ref}} - INTERVAL 90 DAY, {{ref}} + INTERVAL 1 DAY, INTERVAL 1 DAY) d(t)
           WHERE c.service = 'virtual_ward' AND c.start_date <= d.t
             AND (c.end_date IS NULL OR c.end_date > d.t)""", lookback_months=3,
           trend="national virtual ward programme from April 2022 (NHS England virtual ward "
                 "guidance) [K]; capacity ramps up over two years [E]"),
    Target("virtual_ward_mean_stay", "Virtual ward stays: mean length, days", 7.0, 1.5, "days",
           "NHS England virtual wards: stays of about a week on average [K]",
           "SELECT avg(end_date - start_date) FROM community_contacts "
           "WHERE service = 'virtual_ward' AND end_date IS NOT NULL"),
    Target("ucr_per_100k_month", "2-hour urgent community response referrals per 100,000 a "
           "month, last 12 months", 110.0, 20.0, "per 100,000",
           "NHS England community health services SitRep: ~1,100 UCR referrals a month per "
           "million people (2024) [K]",
           f"SELECT 100000.0 * count(*) / 12 / {_POP} FROM community_contacts "
           "WHERE service = 'urgent_community_response' "
           "AND start_date > {ref} - INTERVAL 12 MONTH AND start_date <= {ref}",
           trend="2-hour UCR standard everywhere from April 2022 [K]; volumes rise from 60% "
                 "over the first year [E]"),
    Target("ucr_within_2_hours", "Urgent community response within 2 hours, %", 81.0, 4.0, "%",
           "NHS England 2-hour UCR: standard 70%, most systems ~80-85% [K]",
           "SELECT 100.0 * avg(CASE WHEN within_2_hours THEN 1 ELSE 0 END) "
           "FROM community_contacts WHERE service = 'urgent_community_response'"),
]
