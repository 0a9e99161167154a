"""Outpatient appointments (`op_appointments`), as the RTT pathways they belong to.

Consultant-led outpatient care starts with a referral, so every first appointment here opens an
RTT pathway (`waiting_list`) in its treatment function, seen by the same provider:

* a pathway that ends at the first appointment (the patient is discharged or treated there)
  has that appointment on its clock-stop day;
* a pathway that needs treatment has its first appointment a few weeks after the clock start
  (before any diagnostic test or admission), follow-ups while it runs, and review appointments
  in the months after the clock stops (after the operation, or the treatment in clinic);
* a pathway still waiting on the reference date may already have had its first appointment.

About 7% of appointments are not attended, more in deprived areas and among young adults.
Treatment functions are indices into the shared code lists (`common.CodeLists`).

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.synth.context import NO_DATE, to_table
from icsight.synth.hospital.common import PROVIDERS, CodeLists, _ages, _Cohort, _strings

# Weeks from the clock start to the first appointment of a pathway that needs treatment
# (exponential, capped at the pathway's end) [E].
FIRST_APPOINTMENT_WEEKS = 5.0
# Follow-ups of a pathway that needs treatment: while it runs, and after the clock stops
# (Poisson means), tuned for ~2 follow-ups per first appointment (NHS England outpatient
# transformation: about two follow-ups per first [K]) [E].
FOLLOW_UPS_IN_PATHWAY, FOLLOW_UPS_AFTER = 1.3, 2.5
FOLLOW_UP_GAP_WEEKS = (4, 20)
DNA_BY_DECILE = (0.09, 0.045)  # did not attend, decile 1 and decile 10; x1.4 at 16-30 [E]
CANCELLED = 0.05


def _outpatients(ctx, rng, cohort: _Cohort, lists: CodeLists, rtt: dict) -> pa.Table:
    """First appointments and follow-ups of the RTT pathways, while people are in the record."""
    p = ctx.pop
    who, days, tf, first = _pathway_appointments(rng, rtt)
    keep = ctx.in_record(who, days)
    who, days, tf, first = who[keep], days[keep].astype(np.int32), tf[keep], first[keep]
    order = np.lexsort((who, days))
    who, days, tf, first = who[order], days[order], tf[order], first[order]
    return to_table("op_appointments", {
        "patient_id": p.patient_id[who],
        "appointment_id": np.arange(1, len(who) + 1, dtype=np.int64),
        "provider_code": _strings(PROVIDERS, cohort.provider[who]),
        "appointment_date": days,
        "treatment_function": _strings(lists.functions, tf),
        "first_attendance": first,
        "attended": _strings(("attended", "dna", "cancelled"), _attendance(ctx, rng, who, days)),
    })


def _pathway_appointments(rng, rtt: dict) -> tuple[np.ndarray, ...]:
    """(person, day, function, first?) for each appointment the pathways plan."""
    start, treat = rtt["start"].astype(np.int64), rtt["treat"]
    # the pathway's end: its admission day if admitted (perhaps rebooked), else as planned
    end = np.where(rtt["status"] == 1, rtt["stop"], rtt["planned_stop"]).astype(np.int64)
    wait = np.round(rng.exponential(FIRST_APPOINTMENT_WEEKS * 7, len(start))).astype(np.int64)
    first = np.where(treat, np.minimum(start + wait, end), end)
    n_during = np.where(treat, rng.poisson(FOLLOW_UPS_IN_PATHWAY, len(start)), 0)
    n_after = np.where(treat, rng.poisson(FOLLOW_UPS_AFTER, len(start)), 0)
    during = np.repeat(np.arange(len(start)), n_during)
    during_day = first[during] + (rng.random(len(during)) * (end - first)[during]).astype(np.int64)
    after = np.repeat(np.arange(len(start)), n_after)
    after_day = end[after] + _cumulative_gaps(rng, n_after)
    rows = np.concatenate([np.arange(len(start)), during, after])
    days = np.concatenate([first, during_day, after_day])
    is_first = np.arange(len(rows)) < len(start)
    days = np.where(days >= NO_DATE, NO_DATE, days)
    return rtt["person"][rows].astype(np.int64), days, rtt["tf"][rows], is_first


def _cumulative_gaps(rng, counts: np.ndarray) -> np.ndarray:
    """For each of sum(counts) follow-ups, days since the group's start: gaps of 4-20 weeks
    added one after another within each group."""
    gaps = rng.integers(FOLLOW_UP_GAP_WEEKS[0] * 7, FOLLOW_UP_GAP_WEEKS[1] * 7, counts.sum())
    total = np.cumsum(gaps)
    before = np.repeat(np.cumsum(counts) - counts, counts)  # index of each group's first gap
    return total - np.concatenate([[0], total])[before]


def _attendance(ctx, rng, who: np.ndarray, days: np.ndarray) -> np.ndarray:
    age = _ages(ctx, who, days)
    dna = np.interp(ctx.pop.imd_decile[who], [1, 10], DNA_BY_DECILE)
    dna = dna * np.where((age >= 16) & (age <= 30), 1.4, 1.0)
    u = rng.random(len(who))
    return np.where(u < dna, 1, np.where(u < dna + CANCELLED, 2, 0))
