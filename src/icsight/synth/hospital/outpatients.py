"""Outpatient appointments (`op_appointments`).

Outpatients come as courses: a first appointment and, on average, two follow-ups in the same
specialty (drawn like RTT pathways' treatment functions); about 7% are not attended, more in
deprived areas and among young adults. Treatment functions are indices into the shared code
lists (`common.CodeLists`), which the orchestrator passes in.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.synth.context import pick_days_for, to_table
from icsight.synth.hospital.common import PROVIDERS, CodeLists, _ages, _Cohort, _strings
from icsight.synth.hospital.waiting_list import _treatment_functions

# Courses of outpatient care (a first appointment and follow-ups) per person a year by age,
# with on average FOLLOW_UPS follow-ups each: ~0.8 appointments per person a year overall
# (brief), first:follow-up ~1:2 [E].
COURSE_AGES, COURSES_PER_YEAR = (0, 18, 40, 65, 80), (0.15, 0.16, 0.25, 0.42, 0.5)
FOLLOW_UPS = 2.3  # a little over 2, as follow-ups after the reference date are not seen
FOLLOW_UP_GAP_WEEKS = (4, 20)
DNA_BY_DECILE = (0.09, 0.045)  # did not attend, decile 1 and decile 10; x1.4 at 16-30 [E]
CANCELLED = 0.05


def _outpatients(ctx, rng, cohort: _Cohort, lists: CodeLists) -> pa.Table:
    """Courses of outpatient care: a first appointment and follow-ups in one specialty."""
    p = ctx.pop
    rate = np.interp(p.age_on(cohort.end), COURSE_AGES, COURSES_PER_YEAR) * np.sqrt(cohort.risk)
    person, first = pick_days_for(rng, np.arange(p.n), rate, cohort.start, cohort.end)
    tf = _treatment_functions(ctx, rng, person, first, lists)
    size = 1 + rng.poisson(FOLLOW_UPS, len(person))
    course = np.repeat(np.arange(len(person)), size)
    step = np.arange(len(course)) - np.repeat(np.cumsum(size) - size, size)
    gaps = rng.integers(FOLLOW_UP_GAP_WEEKS[0] * 7, FOLLOW_UP_GAP_WEEKS[1] * 7, len(course))
    total = np.cumsum(np.where(step == 0, 0, gaps))
    offset = total - total[np.flatnonzero(step == 0)][course]  # days since the first
    who, days = person[course], (first[course] + offset).astype(np.int32)
    keep = ctx.in_record(who, days)
    who, days, tf_k, step = who[keep], days[keep], tf[course][keep], step[keep]
    order = np.lexsort((who, days))
    who, days, tf_k, step = who[order], days[order], tf_k[order], step[order]
    return to_table("op_appointments", {
        "patient_id": p.patient_id[who],
        "appointment_id": np.arange(1, len(who) + 1, dtype=np.int64),
        "provider_code": _strings(PROVIDERS, cohort.provider[who]),
        "appointment_date": days,
        "treatment_function": _strings(lists.functions, tf_k),
        "first_attendance": step == 0,
        "attended": _strings(("attended", "dna", "cancelled"), _attendance(ctx, rng, who, days)),
    })


def _attendance(ctx, rng, who: np.ndarray, days: np.ndarray) -> np.ndarray:
    age = _ages(ctx, who, days)
    dna = np.interp(ctx.pop.imd_decile[who], [1, 10], DNA_BY_DECILE)
    dna = dna * np.where((age >= 16) & (age <= 30), 1.4, 1.0)
    u = rng.random(len(who))
    return np.where(u < dna, 1, np.where(u < dna + CANCELLED, 2, 0))
