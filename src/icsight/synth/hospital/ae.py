"""A&E attendances (`ec_attendances`).

About three-quarters of emergency admissions arrive through a type 1 department (disposal
`admitted`); the other attendances make up the age rates, a quarter of all of them at urgent
treatment centres (type 3). Times from arrival put about 75% out within 4 hours and about 10%
of type 1 attendances over 12 hours.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.synth.context import to_table
from icsight.synth.hospital.common import (
    PROVIDERS,
    _age_rate_events,
    _ages,
    _choose,
    _choose_by_group,
    _Cohort,
    _lognormal,
    _normalise,
    _per_year_of_age,
    _strings,
)
from icsight.synth.hospital.emergency import EA_AGE_BANDS, EA_RATE_SCALE, EA_RATES_PER_1000

SECONDS_PER_DAY = 86_400

# --- rates -----------------------------------------------------------------------------------
# Age bands are given by their lower age. A&E attendances per 1,000 per year, all department
# types: infants 720 [S: HES birth-cohort study, BMC Health Serv Res 2022]; other ages [E]
# (project estimates).
EC_AGE_BANDS = (0, 1, 5, 15, 25, 65, 75, 85)
EC_RATES_PER_1000 = (720, 450, 250, 420, 320, 360, 600, 1000)
# The band rates are England-shaped; BLMK is younger, so they are scaled to give the all-ages
# ~430 per 1,000 (project estimate) [E].
EC_RATE_SCALE = 1.21
WINTER_PEAK_ATTENDANCES = 0.04  # A&E is busy all year; minor injuries peak in summer [E]

# --- departments -----------------------------------------------------------------------------
VIA_ED = 0.78  # emergency admissions arriving through a type 1 A&E (HES: ~70-80%) [K]
# Share of the remaining (not admitted) attendances seen at an urgent treatment centre, by age
# (under 16, 16-64, 65-74, 75+); overall about 25% of attendances are type 3 [E].
UTC_SHARE_BY_AGE = (0.36, 0.36, 0.24, 0.12)
# Acuity 1-5 (ECDS), by stream [E].
ACUITY = {"admitted": (0.04, 0.30, 0.55, 0.10, 0.01),
          "type1": (0.005, 0.12, 0.45, 0.35, 0.075),
          "type3": (0.0, 0.0, 0.15, 0.65, 0.20)}
# Minutes in the department: lognormal (median hours, sigma), older patients 25% longer, and a
# long-wait tail for type 1 patients not admitted (mental health, awaiting transport). Tuned
# so ~75% of all attendances leave within 4 hours (England 73-76% in 2024/25 [K]) and ~10%
# of type 1 attendances stay over 12 hours [K].
STAY_HOURS = {"admitted": (6.0, 0.9), "type1": (2.0, 0.55), "type3": (1.6, 0.55),
              "long": (12.0, 0.5)}
TYPE1_LONG_TAIL = (0.08, 0.15)  # share with a long wait: under 75, 75+ [E]
MAX_HOURS_IN_DEPARTMENT = 72
DISPOSAL = ("admitted", "discharged", "referred", "transferred", "died")
NOT_ADMITTED_DISPOSAL = {"type1": (0.0, 0.81, 0.14, 0.05), "type3": (0.0, 0.88, 0.07, 0.05)}
# Arrivals by hour of day: peaks late morning and early evening [E, NHS A&E arrival profiles].
ARRIVAL_HOURS_TYPE1 = (2.4, 2.0, 1.6, 1.3, 1.1, 1.1, 1.4, 2.2, 3.6, 5.0, 5.8, 6.0, 5.8, 5.5,
                       5.3, 5.2, 5.3, 5.5, 5.6, 5.3, 4.7, 4.0, 3.3, 2.8)
ARRIVAL_HOURS_TYPE3 = (0, 0, 0, 0, 0, 0, 0, 0, 4.0, 6.0, 6.5, 6.2, 5.8, 5.6, 5.5, 5.6, 5.9,
                       6.2, 6.0, 5.0, 3.5, 2.0, 0, 0)
# SNOMED CT chief complaints with weights for under 16, 16-64, 65+ [E].
CHIEF_COMPLAINTS = {
    "29857009": (0.5, 9, 10),  # chest pain
    "21522001": (6, 12, 7),  # abdominal pain
    "267036007": (6, 6, 14),  # dyspnoea
    "25064002": (3, 6, 2),  # headache
    "386661006": (16, 3, 3),  # fever
    "422587007": (5, 4, 3),  # nausea
    "404640003": (1, 4, 6),  # dizziness
    "271594007": (1, 3, 7),  # syncope
    "161891005": (0.5, 6, 3),  # backache
    "57676002": (3, 6, 5),  # joint pain
    "417163006": (22, 20, 14),  # injury
    "49727002": (14, 3, 5),  # cough
    "271807003": (8, 3, 2),  # rash
    "91175000": (3, 2, 2),  # seizure
    "125667009": (10, 6, 8),  # contusion
}


def _ec_attendances(ctx, rng, cohort: _Cohort, em: dict, died_in_ed: np.ndarray) -> pa.Table:
    """Attendances leading to the emergency spells, the rest by age rate, and deaths in A&E."""
    p = ctx.pop
    via = rng.random(len(em["person"])) < VIA_ED
    a_person, a_day = em["person"][via], em["adm"][via]
    ec_rate = _per_year_of_age(EC_AGE_BANDS, EC_RATES_PER_1000, EC_RATE_SCALE)
    ea_rate = _per_year_of_age(EA_AGE_BANDS, EA_RATES_PER_1000, EA_RATE_SCALE)
    rest = np.maximum(ec_rate - VIA_ED * ea_rate, 0.1 * ec_rate)
    risk = _normalise(ctx, cohort.risk ** 0.6, cohort.start, cohort.end)
    o_person, o_day = _age_rate_events(ctx, rng, cohort, rest, risk, WINTER_PEAK_ATTENDANCES)
    d_day = p.death[died_in_ed]
    person = np.concatenate([a_person, o_person, died_in_ed])
    days = np.concatenate([a_day, o_day, d_day]).astype(np.int64)
    stream = np.repeat([0, 1, 2], [len(a_person), len(o_person), len(died_in_ed)])
    age = _ages(ctx, person, days)
    utc = (stream == 1) & (rng.random(len(person)) < np.asarray(UTC_SHARE_BY_AGE)[
        np.searchsorted([16, 65, 75], age, side="right")])
    kind = np.where(stream == 0, 0, np.where(utc, 2, 1))  # admitted, type 1, type 3
    arrival, departure = _ec_times(ctx, rng, person, days, kind, age)
    disposal = _ec_disposal(rng, kind, stream == 2)
    order = np.argsort(arrival, kind="stable")
    return to_table("ec_attendances", {
        "patient_id": p.patient_id[person][order],
        "attendance_id": np.arange(1, len(person) + 1, dtype=np.int64),
        "provider_code": _strings(PROVIDERS, cohort.provider[person][order]),
        "department_type": _strings(("01", "03"), (kind == 2).astype(np.int8)[order]),
        "arrival": arrival[order], "departure": departure[order],
        "acuity": _acuity(rng, kind, stream == 2)[order],
        "disposal": _strings(DISPOSAL, disposal[order]),
        "chief_complaint": _strings(list(CHIEF_COMPLAINTS), _complaints(rng, age)[order]),
    })


def _ec_times(ctx, rng, person, days, kind, age) -> tuple[np.ndarray, np.ndarray]:
    """Arrival and departure (seconds since the epoch): hour-of-day pattern by department,
    time in department by stream, age and the long-wait tail; departures end by the last day
    of the person's record."""
    n = len(person)
    hours = np.where(kind == 2, _hour(rng, ARRIVAL_HOURS_TYPE3, n),
                     _hour(rng, ARRIVAL_HOURS_TYPE1, n))
    arrival = days * SECONDS_PER_DAY + hours * 3600 + rng.integers(0, 3540, n)
    median = np.select([kind == 0, kind == 1], [STAY_HOURS["admitted"][0],
                                                STAY_HOURS["type1"][0]], STAY_HOURS["type3"][0])
    sigma = np.select([kind == 0, kind == 1], [STAY_HOURS["admitted"][1],
                                               STAY_HOURS["type1"][1]], STAY_HOURS["type3"][1])
    median = median * np.where(age >= 75, 1.25, 1.0)
    tail = np.where(age >= 75, TYPE1_LONG_TAIL[1], TYPE1_LONG_TAIL[0])
    long = (kind == 1) & (rng.random(n) < tail)
    median = np.where(long, STAY_HOURS["long"][0], median)
    sigma = np.where(long, STAY_HOURS["long"][1], sigma)
    minutes = np.clip(_lognormal(rng, median * 60, sigma, n), 5, MAX_HOURS_IN_DEPARTMENT * 60)
    last = (ctx.active_end()[person].astype(np.int64) + 1) * SECONDS_PER_DAY - 1
    departure = np.minimum(arrival + (minutes * 60).astype(np.int64), last)
    return arrival, departure


def _hour(rng, weights, n: int) -> np.ndarray:
    return _choose(rng, weights, n).astype(np.int64)


def _ec_disposal(rng, kind: np.ndarray, died: np.ndarray) -> np.ndarray:
    """Index into DISPOSAL."""
    out = np.zeros(len(kind), np.int64)
    for k, name in ((1, "type1"), (2, "type3")):
        rows = np.flatnonzero(kind == k)
        out[rows] = _choose(rng, NOT_ADMITTED_DISPOSAL[name], len(rows))
    return np.where(died, DISPOSAL.index("died"), out)


def _acuity(rng, kind: np.ndarray, died: np.ndarray) -> np.ndarray:
    out = np.zeros(len(kind), np.int64)
    for k, name in enumerate(("admitted", "type1", "type3")):
        rows = np.flatnonzero(kind == k)
        out[rows] = 1 + _choose(rng, ACUITY[name], len(rows))
    return np.where(died, 1, out)


def _complaints(rng, age: np.ndarray) -> np.ndarray:
    weights = np.array(list(CHIEF_COMPLAINTS.values()), float).T
    return _choose_by_group(rng, weights, np.searchsorted([16, 65], age, side="right"))
