"""The waiting list (`rtt_pathways`) and the treatment functions RTT and outpatients share.

The waiting list is a queue. Clock starts arrive at a slowly rising daily rate from four years
before the window; each pathway lasts a time drawn from
S(w) = p exp(-w/a) + (1 - p) exp(-(w/lambda)^k) weeks: quick pathways (discharged at first
appointment) and pathways that need treatment. The list open on any day then holds waits in
proportion to S, which puts 45% over 18 weeks and 6.7% over 52 weeks on the reference date,
about 150,000 people scaled to the population (BLMK Health Services Strategy, 2024). Pathways
of people who die or leave are validated off the list that day. Pathways stopped by admission
become elective spells. Treatment functions are indices into the shared code lists
(`common.CodeLists`), which the orchestrator passes in.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

import numpy as np

from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, to_table
from icsight.synth.hospital.common import (
    PROVIDERS,
    CodeLists,
    _ages,
    _choose_by_group,
    _Cohort,
    _strings,
)

# BLMK, summer 2024 (BLMK Health Services Strategy, 2024) [S]; held on the reference date
WAITING_LIST = 150_000
# Pathway durations (weeks): S(w) = p exp(-w/a) + (1-p) exp(-(w/lam)^k), fitted numerically so
# the open list has 45% over 18 weeks and 10,000/150,000 = 6.7% over 52 weeks (the same
# strategy) with referrals growing 4% a year; mean pathway ~20 weeks (England: list / monthly
# clock starts ~ 4.6 months [K]).
QUICK_SHARE, QUICK_MEAN_WEEKS = 0.40, 4.0
TREAT_SCALE_WEEKS, TREAT_SHAPE = 35.5, 1.56
REFERRAL_GROWTH = 0.04  # a year [E]
# Pathways lost to deaths and leavers, and to referrals of people not in the record: arrivals
# are raised by this so the open list holds its size [E, calibrated].
REFERRAL_UPLIFT = 1.01
ADMITTED = (0.08, 0.38)  # clock stops by admission: quick, treatment pathways; ~25% [E]
# Diagnostic waits within pathways (DM01): half of pathways are referred for a test, on
# average 6 weeks after the clock start (after a first appointment), and wait ~4.8 weeks for
# it, so ~22% of those waiting have waited 6+ weeks (England 2024/25 ~20-25% [K]).
DIAGNOSTIC_SHARE, DIAGNOSTIC_AFTER_WEEKS, DIAGNOSTIC_MEAN_WEEKS = 0.50, 6.0, 4.8
# RTT treatment functions: share of pathways and relative use under 16 / 16-64 / 65+, and by
# sex (female, male) [E, shaped like the national RTT incomplete-pathway mix].
TREATMENT_FUNCTIONS = {
    "110": (0.13, (0.3, 1, 1.4), (1, 1)),  # trauma and orthopaedics
    "130": (0.10, (0.3, 0.6, 2.5), (1, 1)),  # ophthalmology
    "120": (0.08, (1.5, 1, 0.7), (1, 1)),  # ENT
    "502": (0.14, (0, 1, 0.5), (1, 0)),  # gynaecology (women only, so ~7% of pathways)
    "100": (0.07, (0.3, 1, 1), (1, 1)),  # general surgery
    "101": (0.05, (0.1, 0.7, 1.8), (0.6, 2)),  # urology
    "301": (0.06, (0.1, 1, 1), (1, 1)),  # gastroenterology
    "320": (0.05, (0.05, 0.7, 1.8), (1, 1)),  # cardiology
    "330": (0.05, (0.5, 1, 1.2), (1, 1)),  # dermatology
    "340": (0.03, (0.1, 1, 1.5), (1, 1)),  # respiratory medicine
    "400": (0.03, (0.2, 1, 0.9), (1, 1)),  # neurology
    "410": (0.02, (0.05, 1, 1), (1.5, 0.7)),  # rheumatology
    "300": (0.02, (0.1, 1, 1.2), (1, 1)),  # general internal medicine
    "140": (0.04, (0.5, 1, 0.7), (1, 1)),  # oral surgery
    "420": (0.05, (6, 0, 0), (1, 1)),  # paediatrics
}
REFERRAL_AGES, REFERRAL_WEIGHTS = (0, 16, 30, 50, 65, 75, 85), (0.3, 0.3, 0.5, 0.8, 1.3, 1.6, 1.4)


def _rtt_pathways(ctx, rng, cohort: _Cohort, lists: CodeLists) -> tuple[dict, tuple]:
    """The RTT pathways as columns (in no particular order), and (row, person, admission day,
    function) of pathways stopped by admission inside the window, for the elective spells."""
    starts, weeks, treat = _clock_starts(ctx, rng)
    stop = starts + np.round(weeks * 7).astype(np.int64)
    keep = stop >= ctx.window_start
    starts, stop, treat = starts[keep], stop[keep], treat[keep]
    person = _referred_people(ctx, rng, cohort, starts)
    starts, stop, treat, person = _drop(person < 0, starts, stop, treat, person)
    planned_stop = stop.copy()
    end = ctx.active_end()[person].astype(np.int64)
    waiting = (stop > ctx.reference_date) & (end == ctx.reference_date)
    validated = (stop > end) & ~waiting
    stop = np.where(waiting, NO_DATE, np.minimum(stop, end))
    admitted = ~waiting & ~validated & (rng.random(len(person)) < np.asarray(ADMITTED)[treat])
    status = np.where(waiting, 0, np.where(admitted, 1, 2))
    tf = _treatment_functions(ctx, rng, person, starts, lists)
    d_start, d_test = _diagnostics(ctx, rng, starts, stop)
    columns = {"person": person, "start": starts, "stop": stop, "status": status, "tf": tf,
               "d_start": d_start, "d_test": d_test, "treat": treat.astype(bool),
               "planned_stop": planned_stop}
    inside = np.flatnonzero(admitted & (stop >= ctx.window_start))
    return columns, (inside, person[inside], stop[inside], tf[inside])


def _rescheduled(ctx, columns: dict, rows: np.ndarray, admitted_on: np.ndarray) -> dict:
    """Pathways whose admission moved (an emergency spell was in the way) stop on the new day;
    if that falls after the person's last day in the record, the pathway is still waiting on
    the reference date, or was validated off the list when they died or left."""
    out = {k: v.copy() for k, v in columns.items()}
    end = ctx.active_end()[out["person"][rows]].astype(np.int64)
    in_time = admitted_on <= end
    still_waiting = ~in_time & (end == ctx.reference_date)
    out["stop"][rows] = np.where(in_time, admitted_on, np.where(still_waiting, NO_DATE, end))
    out["status"][rows] = np.where(in_time, 1, np.where(still_waiting, 0, 2))
    return out


def _rtt_table(ctx, cohort: _Cohort, lists: CodeLists, c: dict):
    """The `rtt_pathways` table, in order of clock start."""
    order = np.lexsort((c["person"], c["start"]))
    person = c["person"][order]
    return to_table("rtt_pathways", {
        "patient_id": ctx.pop.patient_id[person],
        "pathway_id": np.arange(1, len(person) + 1, dtype=np.int64),
        "provider_code": _strings(PROVIDERS, cohort.provider[person]),
        "treatment_function": _strings(lists.functions, c["tf"][order]),
        "clock_start": c["start"][order].astype(np.int32),
        "clock_stop": c["stop"][order].astype(np.int32),
        "status": _strings(("waiting", "admitted", "non_admitted"), c["status"][order]),
        "diagnostic_wait_start": c["d_start"][order], "diagnostic_test_date": c["d_test"][order],
    })


def _drop(mask, *arrays):
    return tuple(a[~mask] for a in arrays)


def _survival(weeks: np.ndarray) -> np.ndarray:
    quick = QUICK_SHARE * np.exp(-weeks / QUICK_MEAN_WEEKS)
    treat = (1 - QUICK_SHARE) * np.exp(-(weeks / TREAT_SCALE_WEEKS) ** TREAT_SHAPE)
    return quick + treat


def _clock_starts(ctx, rng):
    """Clock start days from four years before the window, rising REFERRAL_GROWTH a year, at
    the rate that makes the list on the reference date WAITING_LIST x scale (Little's law with
    growth: list = arrivals today x integral of S(w) exp(-growth w)). Returns start days,
    durations in weeks and whether each is a treatment (not quick) pathway."""
    growth = np.log1p(REFERRAL_GROWTH) / (DAYS_PER_YEAR / 7)  # per week
    grid = np.linspace(0, 520, 52_001)
    held = np.sum(_survival(grid) * np.exp(-growth * grid)) * (grid[1] - grid[0])
    per_day = REFERRAL_UPLIFT * WAITING_LIST * ctx.scale / held / 7
    days = np.arange(ctx.window_start - int(4 * DAYS_PER_YEAR), ctx.reference_date + 1)
    daily = per_day * np.exp(growth * (days - ctx.reference_date) / 7)
    starts = np.repeat(days, rng.poisson(daily)).astype(np.int64)
    treat = rng.random(len(starts)) >= QUICK_SHARE
    weeks = np.where(treat, TREAT_SCALE_WEEKS * rng.exponential(1, len(starts))
                     ** (1 / TREAT_SHAPE), rng.exponential(QUICK_MEAN_WEEKS, len(starts)))
    return starts, weeks, treat.astype(np.int64)


def _referred_people(ctx, rng, cohort: _Cohort, starts: np.ndarray) -> np.ndarray:
    """A person for each clock start, weighted by age and risk, among people registered and
    alive that day (redrawn until they are; -1 if none is found)."""
    p = ctx.pop
    weight = np.interp(p.age_on(cohort.end), REFERRAL_AGES, REFERRAL_WEIGHTS)
    weight = weight * np.sqrt(cohort.risk)
    cdf = np.cumsum(weight / weight.sum())
    person = np.full(len(starts), -1, np.int64)
    todo = np.arange(len(starts))
    for _ in range(12):
        draw = np.minimum(np.searchsorted(cdf, rng.random(len(todo))), p.n - 1)
        day_ = starts[todo]
        ok = ((day_ >= p.registration_start[draw]) & (day_ >= p.dob[draw])
              & (day_ <= ctx.active_end()[draw]))
        person[todo[ok]] = draw[ok]
        todo = todo[~ok]
        if not len(todo):
            break
    return person


def _diagnostics(ctx, rng, starts, stop) -> tuple[np.ndarray, np.ndarray]:
    """Diagnostic waits in the first weeks of some pathways; the test happens before the clock
    stops (or on the day it stops), and is still awaited on the reference date if later."""
    n = len(starts)
    d_start = starts + np.round(rng.exponential(DIAGNOSTIC_AFTER_WEEKS * 7, n)).astype(np.int64)
    d_test = d_start + np.round(rng.exponential(DIAGNOSTIC_MEAN_WEEKS * 7, n)).astype(np.int64)
    last = np.minimum(stop, ctx.reference_date)
    has = (rng.random(n) < DIAGNOSTIC_SHARE) & (d_start <= last)
    d_test = np.minimum(d_test, stop)
    d_test = np.where(has & (d_test <= ctx.reference_date), d_test, NO_DATE)
    return np.where(has, d_start, NO_DATE).astype(np.int32), d_test.astype(np.int32)


def _treatment_functions(ctx, rng, person: np.ndarray, days: np.ndarray,
                         lists: CodeLists) -> np.ndarray:
    """Index into `lists.functions`, by the age group and sex of each person."""
    codes = list(TREATMENT_FUNCTIONS)
    share = np.array([v[0] for v in TREATMENT_FUNCTIONS.values()])
    by_age = np.array([v[1] for v in TREATMENT_FUNCTIONS.values()], float)
    by_sex = np.array([v[2] for v in TREATMENT_FUNCTIONS.values()], float)
    weights = np.array([share * by_age[:, a] * by_sex[:, s] for a in range(3) for s in range(2)])
    age_group = np.searchsorted([16, 65], _ages(ctx, person, days), side="right")
    pick = _choose_by_group(rng, weights, age_group * 2 + ctx.pop.sex[person].astype(np.int64))
    return np.array([lists.function(c) for c in codes])[pick]
