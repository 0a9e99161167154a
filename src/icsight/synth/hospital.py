"""Hospital activity: A&E, admissions, outpatients and the elective waiting list.

Rates by age come from `clinical-indicators.md` 4.6 (infant A&E and admission rates from a HES
birth-cohort study [S]; other ages engineering estimates [E]) and are raised by long-term
conditions, deprivation and ill-health, then renormalised within each age group so the age
rates hold. Winter brings more attendances and admissions. People who die have more emergency
admissions in their last year, and about 44% die in hospital (their last spell ends in death).

Providers follow where BLMK residents go: Bedfordshire Hospitals (RC9, Bedford and Luton &
Dunstable) for Luton, Bedford and most of Central Bedfordshire; Milton Keynes University
Hospital (RD8) for Milton Keynes; about a third of Central Bedfordshire residents use hospitals
outside BLMK (seed 002), here East and North Hertfordshire (RWH) and Cambridge (RGT).

The waiting list is a queue: pathways start at a steady, slowly rising rate, and each waits a
time drawn from a survival curve S(w) = exp(-w/36 - (w/66)^2) (weeks). The open list on any
day then holds waits distributed in proportion to S, which puts about 45% over 18 weeks and 7%
over 52 weeks, as in seed 001 ("over 150,000 people ... 45% ... over 18 weeks, with 10,000 people
waiting for over a year"), scaled to the population.
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
    pick_days_for,
    to_table,
)

STREAM = "hospital"
WINTER_PEAK = 0.07  # emergency activity ~14% higher in Dec-Feb than Jun-Aug [E]

# A&E attendances per 1,000 per year (clinical-indicators.md 4.6), all department types; the
# shape by age is the note's, scaled by 1.2 so the all-ages rate is ~400-430 [E].
EC_AGES = (0, 1, 4, 5, 14, 15, 24, 25, 64, 65, 74, 75, 84, 85, 100)
EC_RATES = tuple(1.2 * r for r in (720, 450, 450, 250, 250, 420, 420, 320, 320, 360, 360, 600,
                                   600, 1000, 1000))
# Emergency admissions per 1,000 per year (4.6), scaled by 1.1 so the all-ages rate, with the
# last year of life added, is ~110 [E].
EA_AGES = (0, 1, 4, 5, 14, 15, 44, 45, 64, 65, 74, 75, 84, 85, 100)
EA_RATES = tuple(1.1 * r for r in (338, 120, 120, 35, 35, 60, 60, 85, 85, 160, 160, 290, 290, 520,
                                   520))
LAST_YEAR_OF_LIFE_ADMISSIONS = 1.7  # extra emergency admissions in the final 12 months [E]
DIED_IN_HOSPITAL = 0.44  # ONS place of death, England [K]
ELECTIVE_NON_RTT_AGES, ELECTIVE_NON_RTT_RATES = (0, 18, 40, 60, 75, 90), (8, 15, 30, 45, 50, 30)
OUTPATIENT_AGES, OUTPATIENT_RATES = (0, 18, 40, 65, 80, 100), (0.4, 0.5, 0.9, 1.6, 1.8, 1.5)
CONDITION_RISK = {"asthma": 1.3, "copd": 2.5, "heart_failure": 2.5, "diabetes": 1.4,
                  "dementia": 2.0, "ckd": 1.3, "smi": 1.5}

# Waiting list (seed 001, summer 2024, scaled to the population).
WAITING_LIST = 150_000
WAIT_TAU, WAIT_KAPPA = 36.0, 66.0  # weeks; see the module docstring (calibrated)
REFERRAL_GROWTH = 0.0  # a year: national lists were broadly flat over 2022-2025 [K]
# Pathways lost to people not yet registered, moving away or dying: arrivals are raised by this
# so the open list matches the target [E, calibrated].
REFERRAL_UPLIFT = 1.25
ADMITTED_SHARE = 0.25  # of clock stops [E]
DIAGNOSTIC_SHARE, DIAGNOSTIC_MEAN_WEEKS = 0.4, 4.5  # ~22% of those waiting wait 6+ weeks

TREATMENT_FUNCTIONS = {  # RTT treatment function: share of pathways [E]
    "130": 0.14, "110": 0.14, "120": 0.08, "502": 0.09, "100": 0.09, "101": 0.06, "301": 0.06,
    "320": 0.06, "330": 0.07, "340": 0.03, "400": 0.04, "300": 0.05, "410": 0.04, "420": 0.05,
}
# Elective procedures by treatment function: (OPCS-4 procedure, ICD-10 diagnosis).
ELECTIVE_CASES = {
    "130": ("C751", "H259"), "110": ("W371", "M161"), "120": ("F341", "J350"),
    "502": ("Q181", "N939"), "100": ("T201", "K409"), "101": ("M459", "R31X"),
    "301": ("H229", "K635"), "320": ("K634", "I209"), "330": ("S069", "D229"),
    "340": ("E481", "R918"), "400": ("A521", "G439"), "300": ("X352", "D509"),
    "410": ("W903", "M069"), "420": ("F341", "J350"),
}
# Emergency admission diagnoses (ICD-10, no dot) with weights [E]; the first group are chronic
# ambulatory-care-sensitive conditions (NHS Outcomes Framework 2.3.i).
CHRONIC_ACSC = ("J459", "J441", "I500", "I209", "E119", "G409", "I10X")
EMERGENCY_MIX = {
    "I209": 0.02, "G409": 0.02, "I10X": 0.005, "E119": 0.01, "J441": 0.015, "J459": 0.005,
    "I500": 0.01,
    "R074": 0.07, "R104": 0.08, "J189": 0.07, "N390": 0.05, "L039": 0.03, "E86X": 0.02,
    "A099": 0.03, "I214": 0.03, "I639": 0.03, "S720": 0.025, "R55X": 0.03, "K359": 0.02,
    "R509": 0.04, "J069": 0.05, "F10X": 0.02, "T391": 0.02, "S099": 0.04, "R060": 0.04,
    "K802": 0.02, "U071": 0.01, "O200": 0.02, "R51X": 0.03, "Z038": 0.05,
}
CONDITION_DIAGNOSES = {"asthma": ("J459", 0.25), "copd": ("J441", 0.35),
                       "heart_failure": ("I500", 0.30), "diabetes": ("E119", 0.06),
                       "dementia": ("F03X", 0.10)}
CHIEF_COMPLAINTS = ("29857009", "21522001", "267036007", "25064002", "386661006")


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """A&E attendances, admissions, outpatient appointments and RTT pathways."""
    rng = ctx.rng(STREAM)
    risk = _risk(ctx)
    rtt, admitted = _rtt_pathways(ctx, rng)
    return {
        "ec_attendances": _ec_attendances(ctx, rng, risk),
        "apc_spells": _apc_spells(ctx, rng, risk, admitted),
        "op_appointments": _outpatients(ctx, rng, risk),
        "rtt_pathways": rtt,
    }


def _risk(ctx: SynthContext) -> np.ndarray:
    """Relative use of urgent care, normalised to mean 1 within ten-year age groups."""
    p = ctx.pop
    m = np.exp(0.3 * p.health) * np.interp(p.imd_decile, [1, 10], [1.5, 0.8])
    for cond, ratio in CONDITION_RISK.items():
        m = m * np.where(p.conditions[cond].has, ratio, 1.0)
    group = np.minimum(p.age_on(ctx.active_end()) // 10, 9).astype(np.int64)
    mean = np.bincount(group, m, 10) / np.maximum(np.bincount(group, minlength=10), 1)
    return m / mean[group]


def _span(ctx):
    p = ctx.pop
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start)
    return start.astype(np.int32), ctx.active_end().astype(np.int32)


def _provider(ctx, rng, person) -> pa.Array:
    place = ctx.pop.place[person]
    codes = ("RC9", "RD8", "RWH", "RGT")
    out = np.where(place == PLACES.index("Milton Keynes"), 1, 0)
    cb = place == PLACES.index("Central Bedfordshire")
    u = rng.random(len(person))
    out = np.where(cb & (u < 0.20), 2, np.where(cb & (u >= 0.20) & (u < 0.33), 3, out))
    return categorical(codes, out)


def _urgent_events(ctx, rng, risk, ages, rates_per_1000):
    """Days of urgent care use per person: age rates x personal risk, with a winter peak.
    Returns (person, day, age of each person)."""
    start, end = _span(ctx)
    age = ctx.pop.age_on(end)
    rate = np.interp(age, ages, rates_per_1000) / 1000 * risk
    person, days = pick_days_for(rng, np.arange(ctx.pop.n), rate, start, end, WINTER_PEAK)
    return person, days, age


def _ec_attendances(ctx, rng, risk) -> pa.Table:
    p = ctx.pop
    person, days, age = _urgent_events(ctx, rng, risk, EC_AGES, EC_RATES)
    n = len(person)
    a = age[person]
    utc = rng.random(n) < np.where(a >= 75, 0.12, 0.32)
    acuity = 1 + np.searchsorted(np.cumsum([0.02, 0.15, 0.45, 0.30]), rng.random(n))
    acuity = np.where(utc, np.maximum(acuity, 3), acuity)
    p_admit = np.clip(np.interp(a, [0, 16, 50, 75, 90], [0.10, 0.15, 0.22, 0.45, 0.55])
                      * np.where(acuity <= 2, 1.8, 1.0), 0, 0.9)
    admitted = ~utc & (rng.random(n) < p_admit)
    died = ~utc & (acuity == 1) & (rng.random(n) < 0.02)
    other = np.searchsorted([0.88, 0.96], rng.random(n))  # discharged, referred, transferred
    disposal = np.where(died, 4, np.where(admitted, 0, 1 + other))
    median = np.where(utc, 100, np.where(admitted, 380, 150))
    sigma = np.where(utc, 0.5, np.where(admitted, 0.85, 0.55))
    minutes = np.maximum(rng.lognormal(np.log(median), sigma), 5)
    hour = rng.choice(24, n, p=_ARRIVAL_HOURS)
    arrival = days.astype(np.int64) * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    departure = arrival + (minutes * 60).astype(np.int64)
    return to_table("ec_attendances", {
        "patient_id": p.patient_id[person],
        "attendance_id": np.arange(1, n + 1),
        "provider_code": _provider(ctx, rng, person),
        "department_type": categorical(("01", "03"), utc.astype(np.int8)),
        "arrival": arrival, "departure": departure,
        "acuity": acuity,
        "disposal": categorical(("admitted", "discharged", "referred", "transferred", "died"),
                                disposal),
        "chief_complaint": categorical(CHIEF_COMPLAINTS, rng.integers(0, len(CHIEF_COMPLAINTS),
                                                                      n)),
    })


_hours = np.interp(np.arange(24), [0, 4, 8, 11, 14, 18, 21, 23], [2, 1, 3, 7, 6, 7, 5, 3])
_ARRIVAL_HOURS = _hours / _hours.sum()


def _apc_spells(ctx, rng, risk, admitted_rtt) -> pa.Table:
    p = ctx.pop
    person, adm, age = _urgent_events(ctx, rng, risk, EA_AGES, EA_RATES)
    # The last year of life.
    dead = np.flatnonzero(p.death != NO_DATE)
    extra = rng.poisson(LAST_YEAR_OF_LIFE_ADMISSIONS, len(dead))
    d_person = np.repeat(dead, extra)
    d_adm = (p.death[d_person] - rng.integers(0, 365, len(d_person))).astype(np.int32)
    keep = ctx.in_record(d_person, d_adm)
    person = np.concatenate([person, d_person[keep]])
    adm = np.concatenate([adm, d_adm[keep]])
    los = _length_of_stay(rng, age[person])
    dis = np.minimum(adm + los, NO_DATE - 1).astype(np.int32)
    diagnosis = _emergency_diagnoses(ctx, rng, person)
    destination = np.where(p.care_home[person], 1, 0)
    # Deaths in hospital: a final admission that ends on the day of death.
    dying = dead[rng.random(len(dead)) < DIED_IN_HOSPITAL]
    dying = dying[p.death[dying] >= ctx.window_start]
    f_adm = (p.death[dying] - np.minimum(_length_of_stay(rng, age[dying]), 30)).astype(np.int32)
    f_adm = np.maximum(f_adm, np.maximum(p.registration_start[dying], ctx.window_start))
    ctx.died_in_hospital = np.zeros(p.n, bool)
    ctx.died_in_hospital[dying] = True
    person = np.concatenate([person, dying])
    adm = np.concatenate([adm, f_adm])
    dis = np.concatenate([dis, p.death[dying]])
    diagnosis = np.concatenate([diagnosis, _emergency_diagnoses(ctx, rng, dying)])
    destination = np.concatenate([destination, np.full(len(dying), 3)])
    # Discharges after death (a spell that would run past it) end on the day of death.
    died = dis >= p.death[person]
    dis = np.where(died, p.death[person], dis)
    destination = np.where(died, 3, destination)
    still_in = dis > ctx.reference_date
    n_em = len(person)
    em = {
        "person": person, "adm": adm, "dis": np.where(still_in, NO_DATE, dis),
        "method": np.full(n_em, 1), "cls": np.zeros(n_em, np.int8), "diag": diagnosis,
        "proc": np.full(n_em, None, object), "tf": _emergency_specialty(age[person], diagnosis),
        "dest": np.where(still_in, -1, destination),
    }
    el = _elective_spells(ctx, rng, admitted_rtt)
    cols = {k: np.concatenate([em[k], el[k]]) for k in em}
    n = len(cols["person"])
    dest = cols["dest"]
    return to_table("apc_spells", {
        "patient_id": p.patient_id[cols["person"]],
        "spell_id": np.arange(1, n + 1),
        "provider_code": _provider(ctx, rng, cols["person"]),
        "admission_date": cols["adm"],
        "discharge_date": cols["dis"],
        "admission_method": categorical(("elective", "emergency"), cols["method"]),
        "patient_classification": categorical(("ordinary", "day_case"), cols["cls"]),
        "primary_diagnosis": cols["diag"],
        "primary_procedure": cols["proc"],
        "treatment_function": cols["tf"],
        "discharge_destination": pa.array(
            np.array(["usual_residence", "care_home", "other_provider", "died", None],
                     object)[np.where(dest < 0, 4, dest)], pa.string()),
    })


def _length_of_stay(rng, age) -> np.ndarray:
    median = np.where(age >= 75, 4.0, 2.0)
    sigma = np.where(age >= 75, 1.1, 1.2)
    return np.floor(rng.lognormal(np.log(median), sigma) - 0.5).clip(0, 365).astype(np.int32)


def _emergency_diagnoses(ctx, rng, person) -> np.ndarray:
    codes = np.array(list(EMERGENCY_MIX), object)
    w = np.array(list(EMERGENCY_MIX.values()))
    out = codes[rng.choice(len(codes), len(person), p=w / w.sum())]
    for cond, (code, share) in CONDITION_DIAGNOSES.items():
        hit = ctx.pop.conditions[cond].has[person] & (rng.random(len(person)) < share)
        out[hit] = code
    return out


def _emergency_specialty(age, diagnosis) -> np.ndarray:
    tf = np.where(age < 16, "420", np.where(age >= 80, "430", "300")).astype(object)
    surgical = np.isin(diagnosis, ["R104", "K359", "K802"])
    tf[surgical & (age >= 16)] = "100"
    tf[np.isin(diagnosis, ["S720", "S099"]) & (age >= 16)] = "110"
    tf[np.isin(diagnosis, ["I214", "I209", "I500"]) & (age >= 16) & (age < 80)] = "320"
    tf[diagnosis == "O200"] = "501"
    return tf


def _elective_spells(ctx, rng, admitted) -> dict[str, np.ndarray]:
    """Elective spells: RTT pathways stopped by admission, plus planned care outside RTT."""
    p = ctx.pop
    person, when, tf = admitted
    start, end = _span(ctx)
    age = p.age_on(end)
    rate = np.interp(age, ELECTIVE_NON_RTT_AGES, ELECTIVE_NON_RTT_RATES) / 1000
    extra, extra_day = pick_days_for(rng, np.arange(p.n), rate, start, end)
    extra_tf = np.array(list(TREATMENT_FUNCTIONS), object)[
        rng.choice(len(TREATMENT_FUNCTIONS), len(extra), p=_tf_weights())]
    person = np.concatenate([person, extra])
    adm = np.concatenate([when, extra_day]).astype(np.int32)
    tf = np.concatenate([tf, extra_tf])
    n = len(person)
    day_case = rng.random(n) < 0.78
    los = np.where(day_case, 0, np.ceil(rng.lognormal(np.log(2), 0.8, n))).astype(np.int32)
    dis = np.minimum(adm + los, p.death[person]).astype(np.int32)
    dis = np.where(dis > ctx.reference_date, NO_DATE, dis)
    cases = np.array([ELECTIVE_CASES[t] for t in tf], object).reshape(n, 2)
    return {"person": person, "adm": adm, "dis": dis, "method": np.zeros(n, np.int64),
            "cls": day_case.astype(np.int8), "diag": cases[:, 1], "proc": cases[:, 0],
            "tf": tf, "dest": np.where(dis == NO_DATE, -1, 0)}


def _tf_weights() -> np.ndarray:
    w = np.array(list(TREATMENT_FUNCTIONS.values()))
    return w / w.sum()


def _outpatients(ctx, rng, risk) -> pa.Table:
    p = ctx.pop
    start, end = _span(ctx)
    age = p.age_on(end)
    rate = np.interp(age, OUTPATIENT_AGES, OUTPATIENT_RATES) * np.sqrt(risk)
    person, days = pick_days_for(rng, np.arange(p.n), rate, start, end)
    n = len(person)
    dna = np.interp(p.imd_decile[person], [1, 10], [0.10, 0.05]) * np.where(
        age[person] < 30, 1.4, 1.0)
    u = rng.random(n)
    attended = np.where(u < dna, 1, np.where(u < dna + 0.06, 2, 0))
    tf = np.array(list(TREATMENT_FUNCTIONS), object)[rng.choice(len(TREATMENT_FUNCTIONS), n,
                                                                p=_tf_weights())]
    return to_table("op_appointments", {
        "patient_id": p.patient_id[person], "appointment_id": np.arange(1, n + 1),
        "provider_code": _provider(ctx, rng, person), "appointment_date": days,
        "treatment_function": tf, "first_attendance": rng.random(n) < 0.33,
        "attended": categorical(("attended", "dna", "cancelled"), attended),
    })


def _waiting_weeks(rng, n) -> np.ndarray:
    """Waits drawn from the survival curve S(w) by inverting it on a fine grid."""
    grid = np.linspace(0, 260, 26001)
    survival = np.exp(-grid / WAIT_TAU - (grid / WAIT_KAPPA) ** 2)
    return np.interp(rng.random(n), survival[::-1], grid[::-1])


def _rtt_pathways(ctx, rng):
    """RTT pathways; returns the table and (person, admission day, treatment function) of the
    pathways stopped by an admission, for the elective spells."""
    p = ctx.pop
    ref = ctx.reference_date
    first = ctx.window_start - int(3 * DAYS_PER_YEAR)
    mean_weeks = (np.exp(-np.linspace(0, 260, 26001) / WAIT_TAU
                         - (np.linspace(0, 260, 26001) / WAIT_KAPPA) ** 2).sum() * 0.01)
    per_day = REFERRAL_UPLIFT * WAITING_LIST * ctx.scale / (mean_weeks * 7)
    days = np.arange(first, ref + 1)
    daily = per_day * (1 + REFERRAL_GROWTH) ** ((days - ref) / DAYS_PER_YEAR)
    starts = np.repeat(days, rng.poisson(daily)).astype(np.int32)
    wait = (_waiting_weeks(rng, len(starts)) * 7).astype(np.int32)
    stop = starts + wait
    starts, stop = starts[stop >= ctx.window_start], stop[stop >= ctx.window_start]
    # Who is referred: older people and people with long-term conditions, more often.
    age = p.age_on(ref)
    weight = np.interp(age, [0, 18, 40, 60, 75, 90], [0.3, 0.5, 0.8, 1.3, 1.6, 1.2])
    weight = weight * np.sqrt(_risk(ctx))
    person = rng.choice(p.n, len(starts), p=weight / weight.sum())
    ok = (starts >= p.registration_start[person]) & (starts >= p.dob[person]) & (
        starts <= ctx.active_end()[person])
    person, starts, stop = person[ok], starts[ok], stop[ok]
    # Pathways of people who die or leave are closed then (validated off the list).
    gone = ctx.active_end()[person]
    closed_early = (stop > gone) & (gone < ref)
    stop = np.where(closed_early, gone, stop)
    waiting = stop > ref
    admitted = ~waiting & ~closed_early & (rng.random(len(person)) < ADMITTED_SHARE)
    status = np.where(waiting, 0, np.where(admitted, 1, 2))
    n = len(person)
    tf = np.array(list(TREATMENT_FUNCTIONS), object)[rng.choice(len(TREATMENT_FUNCTIONS), n,
                                                                p=_tf_weights())]
    has_test = rng.random(n) < DIAGNOSTIC_SHARE
    d_start = starts + rng.integers(0, 15, n)
    d_test = d_start + (rng.exponential(DIAGNOSTIC_MEAN_WEEKS, n) * 7).astype(np.int32)
    d_start = np.where(has_test & (d_start <= np.minimum(stop, ref)), d_start, NO_DATE)
    d_test = np.where((d_start != NO_DATE) & (d_test <= ref), np.minimum(d_test, stop), NO_DATE)
    table = to_table("rtt_pathways", {
        "patient_id": p.patient_id[person], "pathway_id": np.arange(1, n + 1),
        "provider_code": _provider(ctx, rng, person), "treatment_function": tf,
        "clock_start": starts, "clock_stop": np.where(waiting, NO_DATE, stop),
        "status": categorical(("waiting", "admitted", "non_admitted"), status),
        "diagnostic_wait_start": d_start.astype(np.int32),
        "diagnostic_test_date": d_test.astype(np.int32),
    })
    in_window = admitted & (stop >= ctx.window_start)
    return table, (person[in_window], stop[in_window], tf[in_window])


_LAST_12M = "{ref} - INTERVAL 12 MONTH"
_POP = f"(SELECT count(*) FROM ({REGISTERED}))"
TARGETS = [
    Target("ae_attendances_per_1000", "A&E attendances per 1,000 population, last 12 months",
           430, 45, "per 1,000", "clinical-indicators.md 4.6: ~430 per 1,000 a year, all types "
           "[E]", f"SELECT 1000.0 * count(*) / {_POP} FROM ec_attendances "
           f"WHERE arrival > {_LAST_12M} AND arrival <= {{ref}} + INTERVAL 1 DAY"),
    Target("ae_4_hours", "A&E: % left within 4 hours of arrival, last 12 months", 75.0, 3.0,
           "%", "NHS England A&E 4-hour performance ~73-76% in 2024/25 (all types) [K]; "
           "target 78%",
           "SELECT 100.0 * avg(CASE WHEN departure - arrival <= INTERVAL 4 HOUR THEN 1 ELSE 0 "
           f"END) FROM ec_attendances WHERE arrival > {_LAST_12M}"),
    Target("ae_12_hours_type1", "Type 1 A&E: % over 12 hours from arrival", 8.0, 4.0, "%",
           "NHS England: ~10% of type 1 attendances spend 12+ hours in A&E (2024/25) [K]",
           "SELECT 100.0 * avg(CASE WHEN departure - arrival > INTERVAL 12 HOUR THEN 1 ELSE 0 "
           f"END) FROM ec_attendances WHERE department_type = '01' AND arrival > {_LAST_12M}"),
    Target("emergency_admissions_per_1000", "Emergency admissions per 1,000, last 12 months",
           110, 15, "per 1,000", "clinical-indicators.md 4.6: ~110-115 per 1,000 a year [E]",
           f"SELECT 1000.0 * count(*) / {_POP} FROM apc_spells WHERE admission_method = "
           f"'emergency' AND admission_date > {_LAST_12M} AND admission_date <= {{ref}}"),
    Target("emergency_winter_ratio", "Emergency admissions, Dec-Feb vs Jun-Aug (daily rate)",
           1.14, 0.08, "ratio", "NHS winter pressures: emergency admissions ~10-15% higher in "
           "winter [E]",
           "SELECT (count(*) FILTER (WHERE month(admission_date) IN (12, 1, 2)) / 90.25) / "
           "(count(*) FILTER (WHERE month(admission_date) IN (6, 7, 8)) / 92.0) FROM apc_spells "
           "WHERE admission_method = 'emergency'"),
    Target("chronic_acsc_share", "Emergency admissions for chronic ambulatory-care-sensitive "
           "conditions, %", 17.0, 5.0, "%", "~15-20% of emergency admissions are ACSCs "
           "(clinical-indicators.md 4.6) [K]",
           "SELECT 100.0 * avg(CASE WHEN primary_diagnosis IN ("
           + ",".join(f"'{c}'" for c in CHRONIC_ACSC)
           + ") THEN 1 ELSE 0 END) FROM apc_spells WHERE admission_method = 'emergency'"),
    Target("stays_over_21_days", "Emergency spells of 21+ days, %", 3.5, 2.0, "%",
           "NHS England long-stay patients: ~3-4% of emergency spells stay 21+ days [K]",
           "SELECT 100.0 * avg(CASE WHEN discharge_date - admission_date >= 21 THEN 1 ELSE 0 END)"
           " FROM apc_spells WHERE admission_method = 'emergency' AND discharge_date IS NOT NULL"),
    Target("rtt_waiting_per_100k", "RTT waiting list per 100,000 registered", 14286, 1500,
           "per 100,000", "Seed 001: over 150,000 waiting in BLMK in summer 2024 (~1.05m people)",
           f"SELECT 100000.0 * count(*) / {_POP} FROM rtt_pathways WHERE status = 'waiting'"),
    Target("rtt_over_18_weeks", "RTT waiting list: % waiting over 18 weeks", 45.0, 3.0, "%",
           "Seed 001: 45% waiting over 18 weeks (summer 2024)",
           "SELECT 100.0 * avg(CASE WHEN {ref} - clock_start > 126 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE status = 'waiting'"),
    Target("rtt_over_52_weeks", "RTT waiting list: % waiting over 52 weeks", 6.7, 1.5, "%",
           "Seed 001: 10,000 of 150,000 waiting over a year",
           "SELECT 100.0 * avg(CASE WHEN {ref} - clock_start > 364 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE status = 'waiting'"),
    Target("diagnostic_over_6_weeks", "Waiting for a diagnostic test: % over 6 weeks", 22.0,
           5.0, "%", "NHS England DM01: ~20-25% waiting 6+ weeks (2024/25) [K]",
           "SELECT 100.0 * avg(CASE WHEN {ref} - diagnostic_wait_start > 42 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE diagnostic_wait_start IS NOT NULL "
           "AND diagnostic_test_date IS NULL AND clock_stop IS NULL"),
]

__all__ = ["TARGETS", "day", "generate"]
