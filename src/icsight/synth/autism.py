"""Autism assessment: referrals for suspected autism, the long wait for a first appointment, and
the assessment's outcome.

NHS England's Autism Waiting Time Statistics (from the Mental Health Services Data Set) show
waits far beyond NICE's standard (CG128/CG142: the assessment should start within 3 months of
referral): only about one in twenty referrals has its first appointment within 13 weeks, and
most people wait more than a year for a diagnosis; the open list has grown every year since
2019. This module writes `autism_referrals` at those levels.

Referrals arrive at each person's own rate while they are registered [E, from ~2.5 referrals
per 1,000 people a year in England's Autism Statistics (a list of ~200,000 open referrals
turning over in about 18 months)]: children (2-17) about 8 per 1,000 a year, boys twice as
often as girls; adults (18-64) about 1.7 per 1,000, fewer after 65. The waiting list is built
up from three years before the record's window, so waits on the reference date are those of a
list that has been long; a referral from before the window is in the record only if it was still
open when the window opened (as RTT pathways are).

The pathway, per referral [E, matched to the published shares in `TARGETS`]:

| step | how long | |
| --- | --- | --- |
| referral to first appointment | log-normal, median 470 days, spread 0.9 | ~4.5% within 13 weeks |
| first appointment to outcome | log-normal, median 60 days, spread 0.8 | |
| outcome | 70% `autism`, 30% `not_autism` | |
| never assessed | 5% closed (declined, signposted) after a median of 200 days | |

A person who moves away or dies while waiting has the referral closed that day
(`closed_without_assessment`); referrals still waiting or being assessed on the reference date
have no outcome yet.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from icsight.model.schema import AUTISM_OUTCOMES
from icsight.synth.calibration import Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    pick_days_for,
    to_table,
)

STREAM = "autism"
#: Referrals per person-year [E]: children 2-17, adults 18-64, 65+.
RATE_CHILD, RATE_ADULT, RATE_OLDER = 0.0080, 0.0017, 0.0004
#: Rate ratio for boys against girls (children) [E: about 2:1 in the Autism Statistics' sex
#: breakdown of referrals of under-18s].
BOYS = 2.0
CHILD_FROM_DAYS = math.ceil(2 * DAYS_PER_YEAR)
ADULT_FROM_DAYS = math.ceil(18 * DAYS_PER_YEAR)
OLDER_FROM_DAYS = math.ceil(65 * DAYS_PER_YEAR)
#: Days before the record's window from which referrals are drawn, so the list is in a steady
#: state (waits of up to several years) when the window opens.
LIST_HISTORY_DAYS = 3 * 365
WAIT_MEDIAN, WAIT_SPREAD = 470.0, 0.9  # referral -> first appointment (days, log-normal)
ASSESS_MEDIAN, ASSESS_SPREAD = 60.0, 0.8  # first appointment -> outcome
CLOSED_MEDIAN, CLOSED_SPREAD = 200.0, 0.8  # referral -> closed, for those never assessed
NEVER_ASSESSED = 0.05
DIAGNOSED = 0.70  # of completed assessments


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `autism_referrals` table."""
    rng = ctx.rng(STREAM)
    p = ctx.pop
    end = ctx.active_end().astype(np.int64)
    start = np.maximum(p.registration_start.astype(np.int64),
                       ctx.window_start - LIST_HISTORY_DAYS)
    dob = p.dob.astype(np.int64)
    whos, days = [], []
    for lo, hi, rate in ((CHILD_FROM_DAYS, ADULT_FROM_DAYS - 1, RATE_CHILD),
                         (ADULT_FROM_DAYS, OLDER_FROM_DAYS - 1, RATE_ADULT),
                         (OLDER_FROM_DAYS, None, RATE_OLDER)):
        s = np.maximum(start, dob + lo)
        e = end if hi is None else np.minimum(end, dob + hi)
        people = np.flatnonzero(e >= s)
        weight = np.full(len(people), rate)
        if rate == RATE_CHILD:  # boys twice girls, keeping the mean rate
            weight = weight * np.where(p.sex[people] == 1, 2 * BOYS / (1 + BOYS),
                                       2 / (1 + BOYS))
        who, day = pick_days_for(rng, people, weight, s[people], e[people])
        whos.append(who)
        days.append(day.astype(np.int64))
    who, referred = np.concatenate(whos), np.concatenate(days)
    first, outcome_day, outcome = _pathway(ctx, rng, who, referred)
    # referrals from before the window are in the record only if still open when it opens
    # (as the RTT pathways are)
    kept = outcome_day >= ctx.window_start  # NO_DATE (still open) is the largest day
    who, referred, first, outcome_day, outcome = (x[kept] for x in (
        who, referred, first, outcome_day, outcome))
    order = np.lexsort((referred, who))
    return {"autism_referrals": to_table("autism_referrals", {
        "patient_id": p.patient_id[who[order]],
        "referral_id": np.arange(1, len(order) + 1, dtype=np.int64),
        "referral_date": referred[order].astype(np.int32),
        "first_appointment_date": first[order].astype(np.int32),
        "outcome_date": outcome_day[order].astype(np.int32),
        "outcome": _outcomes(outcome[order]),
    })}


def _pathway(ctx: SynthContext, rng: np.random.Generator, who: np.ndarray,
             referred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First appointment day, outcome day (NO_DATE where not yet) and outcome index (-1 while
    open) of each referral."""
    n = len(who)
    p = ctx.pop
    ref = ctx.reference_date
    end = ctx.active_end()[who].astype(np.int64)
    gone = (p.registration_end[who] <= ref) | (p.death[who] <= ref)
    wait = np.round(rng.lognormal(np.log(WAIT_MEDIAN), WAIT_SPREAD, n)).astype(np.int64)
    assess = np.round(rng.lognormal(np.log(ASSESS_MEDIAN), ASSESS_SPREAD, n)).astype(np.int64)
    closed_after = np.round(rng.lognormal(np.log(CLOSED_MEDIAN), CLOSED_SPREAD, n)
                            ).astype(np.int64)
    never = rng.random(n) < NEVER_ASSESSED
    diagnosed = rng.random(n) < DIAGNOSED
    first = referred + wait
    concluded = first + 1 + assess
    closed = referred + closed_after
    autism, not_autism, closed_code = (AUTISM_OUTCOMES.index(o) for o in (
        "autism", "not_autism", "closed_without_assessment"))
    # never assessed: closed after a while (or on leaving); otherwise seen, then concluded
    outcome_day = np.where(never, closed, concluded)
    outcome = np.where(never, closed_code, np.where(diagnosed, autism, not_autism))
    first = np.where(never | (first > end), NO_DATE, first)
    # not concluded by the last day in the record: closed that day if they left or died,
    # otherwise still open on the reference date
    late = outcome_day > end
    outcome = np.where(late, np.where(gone, closed_code, -1), outcome)
    outcome_day = np.where(late, np.where(gone, end, NO_DATE), outcome_day)
    return first, outcome_day, outcome


def _outcomes(index: np.ndarray) -> pa.Array:
    """Outcome names, null while open (index -1)."""
    names = np.array(AUTISM_OUTCOMES, dtype=object)[np.maximum(index, 0)]
    return pa.array(names, type=pa.string(), mask=index < 0)


TARGETS = [
    Target("autism_first_appointment_13wk", "Autism referrals with a first appointment in the "
           "last 12 months: % seen within 13 weeks of referral", 4.5, 3.0, "%",
           "NHS England Autism Waiting Time Statistics (MHSDS): about 5% of patients with a "
           "suspected autism referral have their first appointment within 13 weeks (NICE "
           "CG128/CG142 standard: 3 months) [S]",
           """SELECT 100.0 * avg(CASE WHEN first_appointment_date - referral_date <= 91
                                      THEN 1 ELSE 0 END)
              FROM autism_referrals WHERE first_appointment_date > {ref} - INTERVAL 12 MONTH
                AND first_appointment_date <= {ref}"""),
    Target("autism_open_13wk_plus", "Autism referrals open on the reference date without a "
           "first appointment: % referred more than 13 weeks earlier", 82.0, 7.0, "%",
           "NHS England Autism Statistics: in March 2022, 84,625 of 103,215 patients with an "
           "open suspected autism referral (82%) had waited at least 13 weeks; the share has "
           "grown since [S]",
           """SELECT 100.0 * avg(CASE WHEN {ref} - referral_date > 91 THEN 1 ELSE 0 END)
              FROM autism_referrals WHERE referral_date <= {ref}
                AND coalesce(first_appointment_date, DATE '9999-12-31') > {ref}
                AND coalesce(outcome_date, DATE '9999-12-31') > {ref}"""),
    Target("autism_median_wait_to_outcome", "Median days from referral to the assessment's "
           "outcome (autism or not), outcomes in the last 12 months", 480.0, 120.0, "days",
           "NHS England Autism Statistics and the National Autistic Society: most people wait "
           "more than a year from referral to diagnosis [S: median over 365 days]",
           """SELECT median(outcome_date - referral_date) FROM autism_referrals
              WHERE outcome IN ('autism', 'not_autism')
                AND outcome_date > {ref} - INTERVAL 12 MONTH AND outcome_date <= {ref}"""),
]
