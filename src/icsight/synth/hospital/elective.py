"""Elective admissions (`apc_spells`, method `elective`).

Elective admissions are the admitted clock stops (with an OPCS-4 procedure for the treatment
function) plus planned care outside RTT (endoscopy surveillance, chemotherapy, transfusion);
about 78% are day cases. Treatment functions and diagnoses are indices into the shared
code lists (`common.CodeLists`), which the orchestrator passes in.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

import numpy as np

from icsight.synth.context import NO_DATE, pick_days_for
from icsight.synth.hospital.common import CodeLists, _choose, _clear_of, _lognormal

# Per treatment function: (OPCS-4 procedure, ICD-10 diagnosis, day-case share, weight) [E].
ELECTIVE_CASES = {
    "110": (("W371", "M161", 0.0, 2), ("W401", "M171", 0.0, 2), ("A651", "G560", 0.95, 3),
            ("T521", "M720", 0.9, 1), ("W822", "M232", 0.7, 2)),
    "130": (("C751", "H259", 0.98, 8), ("C893", "H353", 1.0, 2)),
    "120": (("F341", "J350", 0.3, 3), ("D151", "H652", 0.95, 2), ("E036", "J342", 0.5, 1)),
    "502": (("Q181", "N939", 0.9, 4), ("Q074", "N920", 0.0, 1.5)),
    "100": (("T201", "K409", 0.6, 3), ("J183", "K802", 0.45, 3), ("H511", "K649", 0.85, 1)),
    "101": (("M459", "R31X", 1.0, 3), ("M421", "C679", 0.3, 2)),
    "301": (("H229", "K635", 1.0, 3), ("G459", "K219", 1.0, 3)),
    "320": (("K634", "I209", 0.75, 3), ("K751", "I251", 0.4, 2), ("K571", "I489", 0.6, 1)),
    "330": (("S069", "D229", 1.0, 3), ("S069", "C449", 1.0, 2)),
    "340": (("E499", "R91X", 0.9, 1),),
    "400": (("A521", "M545", 0.9, 1),),
    "410": (("W903", "M069", 1.0, 1),),
    "300": (("X339", "D509", 1.0, 1),),
    "140": (("F091", "K011", 0.9, 1),),
    "420": (("F341", "J350", 0.3, 1), ("D151", "H652", 0.95, 1)),
    # planned care outside RTT
    "370": (("X352", "C509", 1.0, 2), ("X352", "C189", 1.0, 1), ("X352", "C349", 1.0, 1)),
    "303": (("X339", "D649", 1.0, 1),),
}
# Planned admissions outside RTT per 1,000 a year by age [E]: surveillance endoscopy,
# chemotherapy and transfusions; with the admitted clock stops, ~120 elective admissions per
# 1,000 a year (England HES ~ 8m ordinary + day case elective, about 140 per 1,000 [K]).
PLANNED_AGES, PLANNED_PER_1000 = (0, 18, 40, 60, 75, 90), (4, 10, 24, 54, 72, 48)
PLANNED_FUNCTIONS = {"301": 0.45, "370": 0.25, "303": 0.15, "101": 0.15}
ELECTIVE_STAY_MEDIAN_DAYS, ELECTIVE_STAY_SIGMA = 2.0, 0.7
# A planned admission that would meet an emergency spell is cancelled and rebooked about a
# fortnight after the emergency discharge [E].
RESCHEDULED_AFTER_DAYS = 14


def _elective_spells(ctx, rng, rtt_stops, lists: CodeLists, emergency: dict
                     ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Admitted clock stops plus planned care outside RTT, with procedure and diagnosis, none
    overlapping the person's emergency spells; and the admission day of each RTT stop (NO_DATE
    where rescheduling took it past the person's last day in the record)."""
    p = ctx.pop
    _rows, person, adm, tf = rtt_stops
    n_rtt = len(person)
    planned_person, planned_adm = _planned_care(ctx, rng)
    planned_tf = np.array([lists.function(c) for c in PLANNED_FUNCTIONS])[
        _choose(rng, list(PLANNED_FUNCTIONS.values()), len(planned_person))]
    person = np.concatenate([person, planned_person])
    adm = np.concatenate([adm, planned_adm]).astype(np.int64)
    tf = np.concatenate([tf, planned_tf])
    proc, diag, day_case = _elective_cases(rng, tf, lists)
    stay = np.maximum(np.ceil(_lognormal(rng, ELECTIVE_STAY_MEDIAN_DAYS, ELECTIVE_STAY_SIGMA,
                                         len(person))), 1).astype(np.int64)
    stay = np.where(day_case, 0, stay)
    adm = _clear_of(person, adm, stay, emergency, RESCHEDULED_AFTER_DAYS)
    end = ctx.active_end()[person]
    happens = adm <= end
    rtt_adm = np.where(happens[:n_rtt], adm[:n_rtt], NO_DATE)
    person, adm, stay, tf, proc, diag, day_case, end = (
        a[happens] for a in (person, adm, stay, tf, proc, diag, day_case, end))
    dis = adm + stay
    died = (dis >= p.death[person]) & (p.death[person] != NO_DATE)
    ongoing = (dis > end) & (end == ctx.reference_date) & ~died
    dis = np.where(ongoing, NO_DATE, np.minimum(dis, end)).astype(np.int32)
    dest = np.where(died, 3, np.where(ongoing, -1, np.where(p.care_home[person], 1, 0)))
    return ({"person": person, "adm": adm.astype(np.int32), "dis": dis, "day_case": day_case,
             "diag": diag, "proc": proc, "tf": tf, "dest": dest}, rtt_adm)


def _planned_care(ctx, rng) -> tuple[np.ndarray, np.ndarray]:
    p = ctx.pop
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start)
    end = ctx.active_end()
    rate = np.interp(p.age_on(end), PLANNED_AGES, PLANNED_PER_1000) / 1000
    return pick_days_for(rng, np.arange(p.n), rate, start, end)


PROCEDURE_CODES = list(dict.fromkeys(c[0] for cases in ELECTIVE_CASES.values() for c in cases))


def _elective_cases(rng, tf: np.ndarray, lists: CodeLists
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(procedure index, diagnosis index, day case) for each elective spell's function."""
    n = len(tf)
    proc, diag, day_case = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, bool)
    for code, cases in ELECTIVE_CASES.items():
        rows = np.flatnonzero(tf == lists.function(code))
        pick = _choose(rng, [c[3] for c in cases], len(rows))
        proc[rows] = np.array([PROCEDURE_CODES.index(c[0]) for c in cases])[pick]
        diag[rows] = np.array([lists.diagnosis(c[1]) for c in cases])[pick]
        day_case[rows] = rng.random(len(rows)) < np.array([c[2] for c in cases])[pick]
    return proc, diag, day_case
