"""Hospital activity: A&E, emergency and elective admissions, outpatients and the waiting list.

What an analyst will find in the generated tables, and where the figures come from:

* **Who goes where.** Bedfordshire Hospitals (RC9: Bedford and Luton & Dunstable) serves Luton,
  Bedford Borough and most of Central Bedfordshire; Milton Keynes University Hospital (RD8)
  serves Milton Keynes. One in three Central Bedfordshire residents travels to a hospital
  outside BLMK (seed 002), here East and North Hertfordshire (RWH) or Cambridge (RGT). Each
  person uses one trust for all their care.
* **Emergency admissions** (`apc_spells`, method `emergency`) follow age-specific rates
  (clinical-indicators.md 4.6), raised by long-term conditions, deprivation and ill-health and
  peaking in winter. People who die have extra admissions in their final year, and about 44%
  die in hospital: their last spell ends on the day of death with destination `died`.
  Diagnoses are ICD-10 codes by age and condition, with chronic ambulatory-care-sensitive
  conditions (asthma, COPD, heart failure, angina, diabetes, epilepsy, hypertension) about 17%.
* **A&E** (`ec_attendances`): about three-quarters of emergency admissions arrive through a
  type 1 department (disposal `admitted`); the other attendances make up the age rates, a
  quarter of all of them at urgent treatment centres (type 3). Times from arrival put about 75%
  out within 4 hours and about 10% of type 1 attendances over 12 hours.
* **The waiting list** (`rtt_pathways`) is a queue. Clock starts arrive at a slowly rising
  daily rate from four years before the window; each pathway lasts a time drawn from
  S(w) = p exp(-w/a) + (1 - p) exp(-(w/lambda)^k) weeks: quick pathways (discharged at first
  appointment) and pathways that need treatment. The list open on any day then holds waits in
  proportion to S, which puts 45% over 18 weeks and 6.7% over 52 weeks on the reference date,
  about 150,000 people scaled to the population (seed 001). Pathways of people who die or leave
  are validated off the list that day.
* **Elective admissions** are the admitted clock stops (with an OPCS-4 procedure for the
  treatment function) plus planned care outside RTT (endoscopy surveillance, chemotherapy,
  transfusion); about 78% are day cases.
* **Outpatients** come as courses: a first appointment and, on average, two follow-ups in the
  same specialty; about 7% are not attended, more in deprived areas and among young adults.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from icsight.model.schema import PLACES
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    pick_days_for,
    to_table,
)

STREAM = "hospital"
MAX_AGE = 110
SECONDS_PER_DAY = 86_400

# --- providers -------------------------------------------------------------------------------
PROVIDERS = ("RC9", "RD8", "RWH", "RGT")
# Central Bedfordshire residents using hospitals outside BLMK: "one-in-three" (seed 002) [S],
# split between Lister (RWH) and Cambridge (RGT) [E].
CENTRAL_BEDS_OUTSIDE = {"RWH": 0.22, "RGT": 0.11}

# --- rates -----------------------------------------------------------------------------------
# Age bands are given by their lower age. A&E attendances per 1,000 per year, all department
# types: infants 720 [S: HES birth-cohort study, BMC Health Serv Res 2022]; other ages [E]
# (clinical-indicators.md 4.6).
EC_AGE_BANDS = (0, 1, 5, 15, 25, 65, 75, 85)
EC_RATES_PER_1000 = (720, 450, 250, 420, 320, 360, 600, 1000)
# The band rates are England-shaped; BLMK is younger, so they are scaled to give the all-ages
# ~430 per 1,000 of clinical-indicators.md 4.6 [E].
EC_RATE_SCALE = 1.21
# Emergency admissions per 1,000 per year: infants 338 [S: same study]; other ages [E] (4.6),
# scaled to give the all-ages ~110 per 1,000 for BLMK's age structure [E].
EA_AGE_BANDS = (0, 1, 5, 15, 45, 65, 75, 85)
EA_RATES_PER_1000 = (338, 120, 35, 60, 85, 160, 290, 520)
EA_RATE_SCALE = 1.13
# Extra emergency admissions in the final 12 months of life, on top of the age rate [E]:
# about 1.6 in all, with the final spell of those who die in hospital.
LAST_YEAR_EXTRA_ADMISSIONS = 1.2
# The published age rates already contain those admissions, so the baseline rate at each age
# is lowered by this many admissions x that age's mortality [E, calibrated so the 75+ rates
# measured over 12 months, deaths included, come back to the published ones].
LAST_YEAR_OFFSET = 1.0
# Deaths in hospital: 44% of deaths in England (ONS place of death 2023) [K]. The final spell
# is drawn for this share (fewer for care home residents); spells that happen to run into the
# day of death add a little more.
DIE_IN_HOSPITAL = {"community": 0.42, "care_home": 0.18}
DIE_IN_DEPARTMENT = 0.05  # of hospital deaths, in A&E rather than on a ward [E]
# Annual mortality by age for the adjustment above: Gompertz fit to ONS National Life Tables
# England 2020-22 (about 0.7% at 60, 4% at 80) [E].
MORTALITY_A, MORTALITY_B, MORTALITY_INFANT = 3.6e-5, 0.09, 0.004
WINTER_PEAK_ADMISSIONS = 0.09  # Dec-Feb about 15% above Jun-Aug [E]
WINTER_PEAK_ATTENDANCES = 0.04  # A&E is busy all year; minor injuries peak in summer [E]

# Relative risk of an emergency admission with each condition (before renormalising within
# age groups, so age rates hold) [E]; deprivation gradient most:least deprived decile ~1.9 [E,
# in line with the ~2x gap in age-standardised emergency admissions, OHID].
CONDITION_RISK = {"asthma": 1.4, "copd": 2.6, "heart_failure": 3.0, "diabetes": 1.5,
                  "dementia": 2.2, "ckd": 1.4, "smi": 1.6, "learning_disability": 1.8}
DEPRIVATION_RISK = (1.45, 0.75)  # decile 1, decile 10
HEALTH_RISK = 0.35  # exp(0.35 * z) for the latent ill-health z
CONDITION_RISK_CAP = 5.0  # multimorbidity compounds less than multiplicatively [E]

# --- A&E -------------------------------------------------------------------------------------
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

# --- emergency spells ------------------------------------------------------------------------
# Primary diagnoses (ICD-10, no dot, X-filled) with weights for infants, 1-15, 16-64, 65+ [E].
# Chronic ambulatory-care-sensitive codes (NHS Outcomes Framework 2.3.i) also arrive through
# each person's conditions below.
EMERGENCY_DIAGNOSES = {
    "J210": (30, 0, 0, 0), "J069": (12, 12, 2, 0.5), "R509": (12, 9, 2, 1),
    "A099": (6, 9, 3, 2), "R104": (1, 8, 10, 4), "R074": (0, 0.5, 9, 5),
    "J189": (3, 4, 4, 10), "N390": (3, 2, 3, 8), "L039": (1, 2, 3, 3), "E86X": (4, 1, 1, 3),
    "I214": (0, 0, 2, 3), "I639": (0, 0, 1, 4), "I489": (0, 0, 1.5, 3), "S720": (0, 0, 0.3, 4),
    "S099": (3, 4, 2, 2), "S525": (0, 2, 1, 1), "K358": (0, 3, 2, 0.3), "K802": (0, 0, 2, 1.5),
    "K859": (0, 0, 1, 0.8), "R55X": (0, 0.5, 2, 3), "R060": (2, 2, 1.5, 2.5),
    "T391": (0, 1.5, 2, 0.2), "F100": (0, 0.2, 1.5, 0.3), "U071": (0.5, 0.5, 1, 2.5),
    "R51X": (0, 1, 2, 0.5), "D649": (0, 0, 0.5, 1.5), "N179": (0, 0, 0.5, 2),
    "A419": (1, 0.5, 1, 3), "R296": (0, 0, 0.3, 3), "P599": (8, 0, 0, 0),
    # chronic ACSC background (people not on a register, or first presentations)
    "I209": (0, 0, 2.5, 3.5), "G409": (1, 2.5, 2, 1), "I10X": (0, 0, 0.4, 0.6),
    "J459": (0.3, 0.4, 0.4, 0.1), "E119": (0, 0.2, 0.8, 1), "J441": (0, 0, 0.5, 2.5),
    "I500": (0, 0, 0.3, 2),
}
# Per condition: codes, their weights, and the share of that person's emergency admissions
# coded to the condition under 16, 16-64 and 65+ [E].
CONDITION_DIAGNOSES = {
    "asthma": (("J459", "J46X"), (0.85, 0.15), (0.24, 0.10, 0.04)),
    "copd": (("J441", "J440"), (0.7, 0.3), (0.0, 0.30, 0.28)),
    "heart_failure": (("I500", "I509"), (0.6, 0.4), (0.1, 0.25, 0.25)),
    "diabetes": (("E119", "E116", "E115", "E149"), (0.4, 0.3, 0.2, 0.1), (0.15, 0.06, 0.05)),
    "type1_diabetes": (("E101", "E109"), (0.7, 0.3), (0.2, 0.15, 0.1)),
    "learning_disability": (("G409",), (1.0,), (0.15, 0.15, 0.1)),
    "dementia": (("F03X",), (1.0,), (0.0, 0.05, 0.05)),
    "ckd": (("N179",), (1.0,), (0.0, 0.04, 0.04)),
}
CHRONIC_ACSC_PREFIXES = ("J45", "J46", "J44", "I50", "I20", "E10", "E11", "E12", "E13", "E14",
                         "G40", "G41", "I10", "I11")  # as in indicators.uec (NHS OF 2.3.i)
EMERGENCY_SPECIALTY = {  # admitting treatment function by diagnosis; 300 otherwise
    "R104": "100", "K358": "100", "K802": "100", "K859": "100", "S099": "100",
    "S720": "110", "S525": "110", "I214": "320", "I209": "320", "I500": "320", "I509": "320",
    "I489": "320", "R074": "320", "I639": "328", "J441": "340", "J440": "340", "J459": "340",
    "J46X": "340", "J189": "340",
}
# Length of stay in days: lognormal median by age, sigma; tuned for a mean of ~4.5 days and
# ~2.5% of emergency spells over 21 days, more at 75+ (NHS England long-stay metric) [E].
LOS_AGES, LOS_MEDIAN_DAYS, LOS_SIGMA = (0, 16, 45, 65, 75, 85), (0.6, 1.3, 2.0, 3.1, 4.2, 5.0), 1.0
DISCHARGE_DESTINATIONS = ("usual_residence", "care_home", "other_provider", "died")
TO_OTHER_PROVIDER, TO_NEW_CARE_HOME_85 = 0.04, 0.03  # [E]

# --- waiting list ----------------------------------------------------------------------------
WAITING_LIST = 150_000  # BLMK, summer 2024 (seed 001) [S]; held on the reference date
# Pathway durations (weeks): S(w) = p exp(-w/a) + (1-p) exp(-(w/lam)^k), fitted numerically so
# the open list has 45% over 18 weeks and 10,000/150,000 = 6.7% over 52 weeks (seed 001) with
# referrals growing 4% a year; mean pathway ~20 weeks (England: list / monthly clock starts
# ~ 4.6 months [K]).
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

# --- elective spells -------------------------------------------------------------------------
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

# --- outpatients -----------------------------------------------------------------------------
# Courses of outpatient care (a first appointment and follow-ups) per person a year by age,
# with on average FOLLOW_UPS follow-ups each: ~0.8 appointments per person a year overall
# (brief), first:follow-up ~1:2 [E].
COURSE_AGES, COURSES_PER_YEAR = (0, 18, 40, 65, 80), (0.15, 0.16, 0.25, 0.42, 0.5)
FOLLOW_UPS = 2.3  # a little over 2, as follow-ups after the reference date are not seen
FOLLOW_UP_GAP_WEEKS = (4, 20)
DNA_BY_DECILE = (0.09, 0.045)  # did not attend, decile 1 and decile 10; x1.4 at 16-30 [E]
CANCELLED = 0.05


@dataclass
class _Cohort:
    """What every hospital table needs to know about each person."""

    start: np.ndarray  # first day in the record inside the window
    end: np.ndarray  # last day in the record (leaving, death or the reference date)
    risk: np.ndarray  # relative risk of an emergency admission, mean 1 within age groups
    provider: np.ndarray  # index into PROVIDERS


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """A&E attendances, admissions, outpatient appointments and RTT pathways.

    Also sets `ctx.died_in_hospital` (who died on a ward or in A&E) for the deaths module.
    """
    rng = ctx.rng(STREAM)
    cohort = _cohort(ctx, rng)
    emergency, died_in_ed = _emergency_spells(ctx, rng, cohort)
    rtt, rtt_stops = _rtt_pathways(ctx, rng, cohort)
    elective = _elective_spells(ctx, rng, rtt_stops)
    apc = _apc_table(ctx, cohort, emergency, elective)
    ec = _ec_attendances(ctx, rng, cohort, emergency, died_in_ed)
    died = np.zeros(ctx.pop.n, bool)
    for spells in (emergency, elective):
        died[spells["person"][spells["dest"] == DISCHARGE_DESTINATIONS.index("died")]] = True
    died[died_in_ed] = True
    ctx.died_in_hospital = died
    return {"apc_spells": apc, "ec_attendances": ec,
            "op_appointments": _outpatients(ctx, rng, cohort), "rtt_pathways": rtt}


# --- shared helpers --------------------------------------------------------------------------

def _cohort(ctx: SynthContext, rng: np.random.Generator) -> _Cohort:
    p = ctx.pop
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start).astype(np.int32)
    end = ctx.active_end().astype(np.int32)
    conditions = np.ones(p.n)
    for name, ratio in CONDITION_RISK.items():
        conditions = conditions * np.where(p.conditions[name].has, ratio, 1.0)
    m = (np.exp(HEALTH_RISK * p.health) * np.interp(p.imd_decile, [1, 10], DEPRIVATION_RISK)
         * np.minimum(conditions, CONDITION_RISK_CAP))
    return _Cohort(start, end, _normalise(ctx, m, start, end), _home_provider(ctx, rng))


def _normalise(ctx: SynthContext, m: np.ndarray, start, end) -> np.ndarray:
    """Scale `m` to mean 1 within five-year age groups over the person-time of people who do
    not die in the window (the excess of those who do is their last year of life, added
    separately), so the age rates hold for the living population."""
    years = np.maximum(end - start + 1, 0) * (ctx.pop.death == NO_DATE)
    group = np.minimum(ctx.pop.age_on(end) // 5, 20).astype(np.int64)
    mean = np.bincount(group, m * years, 21) / np.maximum(np.bincount(group, years, 21), 1e-9)
    return m / np.where(mean[group] > 0, mean[group], 1.0)


def _home_provider(ctx: SynthContext, rng: np.random.Generator) -> np.ndarray:
    place = ctx.pop.place
    out = np.where(place == PLACES.index("Milton Keynes"), 1, 0).astype(np.int8)
    u = rng.random(len(place))
    central = place == PLACES.index("Central Bedfordshire")
    rwh, rgt = CENTRAL_BEDS_OUTSIDE["RWH"], CENTRAL_BEDS_OUTSIDE["RGT"]
    out[central & (u < rwh)] = PROVIDERS.index("RWH")
    out[central & (u >= rwh) & (u < rwh + rgt)] = PROVIDERS.index("RGT")
    return out


def _per_year_of_age(bands, rates_per_1000, scale: float = 1.0) -> np.ndarray:
    """Rate per person per year for each single year of age 0..MAX_AGE (step bands)."""
    ages = np.arange(MAX_AGE + 1)
    index = np.searchsorted(np.asarray(bands), ages, side="right") - 1
    return scale * np.asarray(rates_per_1000, float)[index] / 1000


def _annual_mortality(ages: np.ndarray) -> np.ndarray:
    return np.where(ages == 0, MORTALITY_INFANT,
                    np.minimum(MORTALITY_A * np.exp(MORTALITY_B * ages), 0.5))


def _ages(ctx: SynthContext, person: np.ndarray, days: np.ndarray) -> np.ndarray:
    age = (days - ctx.pop.dob[person]) // DAYS_PER_YEAR
    return np.clip(age, 0, MAX_AGE).astype(np.int64)


def _age_rate_events(ctx, rng, cohort: _Cohort, per_year: np.ndarray, risk: np.ndarray,
                     winter_peak: float) -> tuple[np.ndarray, np.ndarray]:
    """Events at an age-specific rate x personal risk, following each person through the
    ages they pass in the window (drawn at each person's highest rate, then thinned)."""
    p = ctx.pop
    a0 = np.clip(p.age_on(cohort.start), 0, MAX_AGE)
    a1 = np.clip(p.age_on(cohort.end), 0, MAX_AGE)
    top = per_year[a0]
    for k in range(1, 7):
        top = np.maximum(top, per_year[np.minimum(a0 + k, a1)])
    person, days = pick_days_for(rng, np.arange(p.n), top * risk, cohort.start, cohort.end,
                                 winter_peak)
    keep = rng.random(len(person)) * top[person] < per_year[_ages(ctx, person, days)]
    return person[keep], days[keep]


def _choose(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    w = np.asarray(weights, float)
    return rng.choice(len(w), n, p=w / w.sum())


def _choose_by_group(rng, weights: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For each row, an index drawn with the weights (rows of `weights`) of its group."""
    out = np.zeros(len(group), np.int64)
    for g in range(weights.shape[0]):
        rows = np.flatnonzero(group == g)
        if len(rows) and weights[g].sum() > 0:
            out[rows] = _choose(rng, weights[g], len(rows))
    return out


def _strings(codes, index: np.ndarray) -> pa.Array:
    """A string column from indices into `codes`; negative indices become null."""
    index = np.asarray(index)
    dictionary = pa.array(list(codes), type=pa.string())
    indices = pa.array(np.maximum(index, 0).astype(np.int32), mask=index < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def _lognormal(rng, median, sigma, n: int) -> np.ndarray:
    return np.exp(np.log(median) + sigma * rng.standard_normal(n))


# --- emergency admissions --------------------------------------------------------------------

def _emergency_spells(ctx, rng, cohort: _Cohort) -> tuple[dict, np.ndarray]:
    """Emergency spells as column arrays, and the people who died in A&E."""
    p = ctx.pop
    person, adm = _age_rate_events(ctx, rng, cohort, _baseline_admission_rates(), cohort.risk,
                                   WINTER_PEAK_ADMISSIONS)
    ly_person, ly_adm = _last_year_of_life(ctx, rng)
    final, died_in_ed = _dying_in_hospital(ctx, rng)
    final_adm = _final_admission(ctx, rng, final)
    person = np.concatenate([person, ly_person, final])
    adm = np.concatenate([adm, ly_adm, final_adm]).astype(np.int32)
    is_final = np.arange(len(adm)) >= len(adm) - len(final)
    los = _emergency_stay(rng, _ages(ctx, person, adm))
    dis = np.where(is_final, p.death[person], adm + los).astype(np.int64)
    spells = _tidy_spells(ctx, person, adm, dis, is_final, died_in_ed)
    spells["diag"] = _emergency_diagnoses(ctx, rng, spells["person"], spells["adm"])
    spells["tf"] = _emergency_specialty(_ages(ctx, spells["person"], spells["adm"]),
                                        spells["diag"])
    spells["dest"] = _destinations(ctx, rng, spells)
    return spells, died_in_ed


def _baseline_admission_rates() -> np.ndarray:
    """Age rates less the expected last-year-of-life admissions added separately."""
    rate = _per_year_of_age(EA_AGE_BANDS, EA_RATES_PER_1000, EA_RATE_SCALE)
    extra = LAST_YEAR_OFFSET * _annual_mortality(np.arange(MAX_AGE + 1))
    return np.maximum(rate - extra, 0.3 * rate)


def _last_year_of_life(ctx, rng) -> tuple[np.ndarray, np.ndarray]:
    """Extra admissions in the final year, bunched towards the death."""
    p = ctx.pop
    dead = np.flatnonzero(p.death <= ctx.reference_date)
    person = np.repeat(dead, rng.poisson(LAST_YEAR_EXTRA_ADMISSIONS, len(dead)))
    before = np.floor(365 * rng.random(len(person)) ** 1.6).astype(np.int32)
    days = (p.death[person] - before).astype(np.int32)
    keep = ctx.in_record(person, days)
    return person[keep], days[keep]


def _dying_in_hospital(ctx, rng) -> tuple[np.ndarray, np.ndarray]:
    """People whose death is in hospital: (died on a ward, died in A&E)."""
    p = ctx.pop
    dead = np.flatnonzero((p.death <= ctx.reference_date) & (p.death >= ctx.window_start))
    chance = np.where(p.care_home[dead], DIE_IN_HOSPITAL["care_home"],
                      DIE_IN_HOSPITAL["community"])
    dying = dead[rng.random(len(dead)) < chance]
    in_ed = rng.random(len(dying)) < DIE_IN_DEPARTMENT
    return dying[~in_ed], dying[in_ed]


def _final_admission(ctx, rng, person: np.ndarray) -> np.ndarray:
    p = ctx.pop
    stay = np.minimum(_lognormal(rng, 5.0, 1.0, len(person)), 60).astype(np.int32)
    first = np.maximum(np.maximum(p.registration_start[person], p.dob[person]), ctx.window_start)
    return np.maximum(p.death[person] - stay, first).astype(np.int32)


def _emergency_stay(rng, age: np.ndarray) -> np.ndarray:
    median = np.interp(age, LOS_AGES, LOS_MEDIAN_DAYS)
    days = np.round(_lognormal(rng, median, LOS_SIGMA, len(age)))
    return np.minimum(days, 365).astype(np.int32)


def _tidy_spells(ctx, person, adm, dis, is_final, died_in_ed) -> dict[str, np.ndarray]:
    """One spell a day per person, no overlaps, ended at death, leaving or the reference date.

    A spell running into the next admission ends that day; a person's last spell running into
    their death ends in death (unless they died in A&E: then it ends the day before, or on
    the day of admission); spells still open on the reference date have no discharge.
    """
    p = ctx.pop
    order = np.lexsort((~is_final, adm, person))
    person, adm, dis, is_final = person[order], adm[order], dis[order], is_final[order]
    first = np.ones(len(person), bool)
    first[1:] = (person[1:] != person[:-1]) | (adm[1:] != adm[:-1])
    person, adm, dis = person[first], adm[first], dis[first]
    last = np.ones(len(person), bool)
    last[:-1] = person[1:] != person[:-1]
    dis[:-1] = np.where(last[:-1], dis[:-1], np.minimum(dis[:-1], adm[1:]))
    end = ctx.active_end()[person]
    death = p.death[person]
    in_ed = np.isin(person, died_in_ed)
    dis = np.where(in_ed & (dis >= death), np.maximum(death - 1, adm), dis)
    died = last & (death != NO_DATE) & (dis >= death) & ~in_ed
    ongoing = (dis > end) & (end == ctx.reference_date) & ~died
    dis = np.where(ongoing, NO_DATE, np.minimum(dis, end))
    return {"person": person, "adm": adm, "dis": dis.astype(np.int32), "died": died,
            "ongoing": ongoing}


def _emergency_diagnoses(ctx, rng, person: np.ndarray, adm: np.ndarray) -> np.ndarray:
    """Index into DIAGNOSIS_CODES: by age group, then each person's own conditions."""
    age = _ages(ctx, person, adm)
    group = np.searchsorted([1, 16, 65], age, side="right")
    weights = np.array(list(EMERGENCY_DIAGNOSES.values()), float).T
    out = _choose_by_group(rng, weights, group)
    band = np.minimum(np.searchsorted([16, 65], age, side="right"), 2)
    for name, (codes, code_weights, shares) in CONDITION_DIAGNOSES.items():
        if name not in ctx.pop.conditions:
            continue
        has = ctx.pop.conditions[name].has[person]
        hit = np.flatnonzero(has & (rng.random(len(person)) < np.asarray(shares)[band]))
        pick = _choose(rng, code_weights, len(hit))
        out[hit] = np.array([DIAGNOSIS_CODES.index(c) for c in codes])[pick]
    return out


DIAGNOSIS_CODES = list(dict.fromkeys(
    [*EMERGENCY_DIAGNOSES, *(c for codes, _, _ in CONDITION_DIAGNOSES.values() for c in codes),
     *(case[1] for cases in ELECTIVE_CASES.values() for case in cases)]))


def _emergency_specialty(age: np.ndarray, diag: np.ndarray) -> np.ndarray:
    """Index into FUNCTION_CODES: paediatrics under 16, geriatric medicine for medical
    admissions at 80+, surgical and medical specialties by diagnosis otherwise."""
    by_code = np.array([FUNCTION_CODES.index(EMERGENCY_SPECIALTY.get(c, "300"))
                        for c in DIAGNOSIS_CODES])
    tf = by_code[diag]
    medical = np.isin(tf, [FUNCTION_CODES.index(c) for c in ("300", "320", "340")])
    tf = np.where((age >= 80) & medical, FUNCTION_CODES.index("430"), tf)
    return np.where(age < 16, FUNCTION_CODES.index("420"), tf)


FUNCTION_CODES = list(dict.fromkeys(
    [*TREATMENT_FUNCTIONS, *ELECTIVE_CASES, *EMERGENCY_SPECIALTY.values(), "300", "420", "430"]))


def _destinations(ctx, rng, spells: dict) -> np.ndarray:
    """Index into DISCHARGE_DESTINATIONS (-1 while still in hospital)."""
    p = ctx.pop
    person = spells["person"]
    n = len(person)
    age = _ages(ctx, person, spells["adm"])
    dest = np.where(p.care_home[person], 1, 0)
    dest = np.where((age >= 85) & (rng.random(n) < TO_NEW_CARE_HOME_85), 1, dest)
    dest = np.where(rng.random(n) < TO_OTHER_PROVIDER * np.where(age >= 75, 2, 1), 2, dest)
    dest = np.where(spells["died"], 3, dest)
    return np.where(spells["ongoing"], -1, dest)


# --- elective admissions ---------------------------------------------------------------------

def _elective_spells(ctx, rng, rtt_stops) -> dict[str, np.ndarray]:
    """Admitted clock stops plus planned care outside RTT, with procedure and diagnosis."""
    p = ctx.pop
    person, adm, tf = rtt_stops
    planned_person, planned_adm = _planned_care(ctx, rng)
    planned_tf = np.array([FUNCTION_CODES.index(c) for c in PLANNED_FUNCTIONS])[
        _choose(rng, list(PLANNED_FUNCTIONS.values()), len(planned_person))]
    person = np.concatenate([person, planned_person])
    adm = np.concatenate([adm, planned_adm]).astype(np.int32)
    tf = np.concatenate([tf, planned_tf])
    proc, diag, day_case = _elective_cases(rng, tf)
    stay = np.maximum(np.ceil(_lognormal(rng, ELECTIVE_STAY_MEDIAN_DAYS, ELECTIVE_STAY_SIGMA,
                                         len(person))), 1).astype(np.int32)
    dis = adm + np.where(day_case, 0, stay)
    end = ctx.active_end()[person]
    died = (dis >= p.death[person]) & (p.death[person] != NO_DATE)
    ongoing = (dis > end) & (end == ctx.reference_date) & ~died
    dis = np.where(ongoing, NO_DATE, np.minimum(dis, end)).astype(np.int32)
    dest = np.where(died, 3, np.where(ongoing, -1, np.where(p.care_home[person], 1, 0)))
    return {"person": person, "adm": adm, "dis": dis, "day_case": day_case, "diag": diag,
            "proc": proc, "tf": tf, "dest": dest}


def _planned_care(ctx, rng) -> tuple[np.ndarray, np.ndarray]:
    p = ctx.pop
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start)
    end = ctx.active_end()
    rate = np.interp(p.age_on(end), PLANNED_AGES, PLANNED_PER_1000) / 1000
    return pick_days_for(rng, np.arange(p.n), rate, start, end)


PROCEDURE_CODES = list(dict.fromkeys(c[0] for cases in ELECTIVE_CASES.values() for c in cases))


def _elective_cases(rng, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(procedure index, diagnosis index, day case) for each elective spell's function."""
    n = len(tf)
    proc, diag, day_case = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, bool)
    for code, cases in ELECTIVE_CASES.items():
        rows = np.flatnonzero(tf == FUNCTION_CODES.index(code))
        pick = _choose(rng, [c[3] for c in cases], len(rows))
        proc[rows] = np.array([PROCEDURE_CODES.index(c[0]) for c in cases])[pick]
        diag[rows] = np.array([DIAGNOSIS_CODES.index(c[1]) for c in cases])[pick]
        day_case[rows] = rng.random(len(rows)) < np.array([c[2] for c in cases])[pick]
    return proc, diag, day_case


def _apc_table(ctx, cohort: _Cohort, em: dict, el: dict) -> pa.Table:
    """Emergency and elective spells together, numbered in order of admission."""
    n_em = len(em["person"])
    em = {**em, "day_case": np.zeros(n_em, bool), "proc": np.full(n_em, -1)}
    cols = {k: np.concatenate([em[k], el[k]]) for k in
            ("person", "adm", "dis", "day_case", "diag", "proc", "tf", "dest")}
    method = np.repeat([1, 0], [n_em, len(el["person"])])  # emergency, elective
    order = np.lexsort((cols["person"], cols["adm"]))
    cols = {k: v[order] for k, v in cols.items()}
    person = cols["person"]
    return to_table("apc_spells", {
        "patient_id": ctx.pop.patient_id[person],
        "spell_id": np.arange(1, len(person) + 1, dtype=np.int64),
        "provider_code": _strings(PROVIDERS, cohort.provider[person]),
        "admission_date": cols["adm"],
        "discharge_date": cols["dis"],
        "admission_method": _strings(("elective", "emergency"), method[order]),
        "patient_classification": _strings(("ordinary", "day_case"),
                                           cols["day_case"].astype(np.int8)),
        "primary_diagnosis": _strings(DIAGNOSIS_CODES, cols["diag"]),
        "primary_procedure": _strings(PROCEDURE_CODES, cols["proc"]),
        "treatment_function": _strings(FUNCTION_CODES, cols["tf"]),
        "discharge_destination": _strings(DISCHARGE_DESTINATIONS, cols["dest"]),
    })


# --- A&E -------------------------------------------------------------------------------------

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


# --- outpatients -----------------------------------------------------------------------------

def _outpatients(ctx, rng, cohort: _Cohort) -> pa.Table:
    """Courses of outpatient care: a first appointment and follow-ups in one specialty."""
    p = ctx.pop
    rate = np.interp(p.age_on(cohort.end), COURSE_AGES, COURSES_PER_YEAR) * np.sqrt(cohort.risk)
    person, first = pick_days_for(rng, np.arange(p.n), rate, cohort.start, cohort.end)
    tf = _treatment_functions(ctx, rng, person, first)
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
        "treatment_function": _strings(FUNCTION_CODES, tf_k),
        "first_attendance": step == 0,
        "attended": _strings(("attended", "dna", "cancelled"), _attendance(ctx, rng, who, days)),
    })


def _attendance(ctx, rng, who: np.ndarray, days: np.ndarray) -> np.ndarray:
    age = _ages(ctx, who, days)
    dna = np.interp(ctx.pop.imd_decile[who], [1, 10], DNA_BY_DECILE)
    dna = dna * np.where((age >= 16) & (age <= 30), 1.4, 1.0)
    u = rng.random(len(who))
    return np.where(u < dna, 1, np.where(u < dna + CANCELLED, 2, 0))


def _treatment_functions(ctx, rng, person: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Index into FUNCTION_CODES, by the age group and sex of each person."""
    codes = list(TREATMENT_FUNCTIONS)
    share = np.array([v[0] for v in TREATMENT_FUNCTIONS.values()])
    by_age = np.array([v[1] for v in TREATMENT_FUNCTIONS.values()], float)
    by_sex = np.array([v[2] for v in TREATMENT_FUNCTIONS.values()], float)
    weights = np.array([share * by_age[:, a] * by_sex[:, s] for a in range(3) for s in range(2)])
    age_group = np.searchsorted([16, 65], _ages(ctx, person, days), side="right")
    pick = _choose_by_group(rng, weights, age_group * 2 + ctx.pop.sex[person].astype(np.int64))
    return np.array([FUNCTION_CODES.index(c) for c in codes])[pick]


# --- RTT pathways ----------------------------------------------------------------------------

def _rtt_pathways(ctx, rng, cohort: _Cohort):
    """The RTT table, and (person, admission day, function) of pathways stopped by admission
    inside the window, for the elective spells."""
    starts, weeks, treat = _clock_starts(ctx, rng)
    stop = starts + np.round(weeks * 7).astype(np.int64)
    keep = stop >= ctx.window_start
    starts, stop, treat = starts[keep], stop[keep], treat[keep]
    person = _referred_people(ctx, rng, cohort, starts)
    starts, stop, treat, person = _drop(person < 0, starts, stop, treat, person)
    end = ctx.active_end()[person].astype(np.int64)
    waiting = (stop > ctx.reference_date) & (end == ctx.reference_date)
    validated = (stop > end) & ~waiting
    stop = np.where(waiting, NO_DATE, np.minimum(stop, end))
    admitted = ~waiting & ~validated & (rng.random(len(person)) < np.asarray(ADMITTED)[treat])
    status = np.where(waiting, 0, np.where(admitted, 1, 2))
    tf = _treatment_functions(ctx, rng, person, starts)
    d_start, d_test = _diagnostics(ctx, rng, starts, stop)
    order = np.lexsort((person, starts))
    table = to_table("rtt_pathways", {
        "patient_id": ctx.pop.patient_id[person][order],
        "pathway_id": np.arange(1, len(person) + 1, dtype=np.int64),
        "provider_code": _strings(PROVIDERS, cohort.provider[person][order]),
        "treatment_function": _strings(FUNCTION_CODES, tf[order]),
        "clock_start": starts[order].astype(np.int32),
        "clock_stop": stop[order].astype(np.int32),
        "status": _strings(("waiting", "admitted", "non_admitted"), status[order]),
        "diagnostic_wait_start": d_start[order], "diagnostic_test_date": d_test[order],
    })
    inside = admitted & (stop >= ctx.window_start)
    return table, (person[inside], stop[inside], tf[inside])


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


# --- calibration targets ---------------------------------------------------------------------

_LAST_12M = "{ref} - INTERVAL 12 MONTH"
_POP = f"(SELECT count(*) FROM ({REGISTERED}))"
_EMERGENCY_12M = (f"FROM apc_spells WHERE admission_method = 'emergency' "
                  f"AND admission_date > {_LAST_12M} AND admission_date <= {{ref}}")
_ACSC = " OR ".join(f"primary_diagnosis LIKE '{c}%'" for c in CHRONIC_ACSC_PREFIXES)
_AGE = "date_diff('year', month_of_birth, {ref})"

TARGETS = [
    Target("ae_attendances_per_1000", "A&E attendances (all types) per 1,000, last 12 months",
           430, 40, "per 1,000", "clinical-indicators.md 4.6: ~430 per 1,000 a year, all "
           "department types [E]",
           f"SELECT 1000.0 * count(*) / {_POP} FROM ec_attendances "
           f"WHERE arrival >= {_LAST_12M} + INTERVAL 1 DAY AND arrival < {{ref}} + INTERVAL 1 DAY"),
    Target("ae_4_hours", "A&E: % left within 4 hours of arrival, last 12 months", 75.0, 2.5,
           "%", "NHS England A&E 4-hour performance ~73-76% in 2024/25, all types [K]; "
           "target 78% by March 2026 [S] (clinical-indicators.md 1.7)",
           "SELECT 100.0 * avg(CASE WHEN departure - arrival <= INTERVAL 4 HOUR THEN 1 ELSE 0 "
           f"END) FROM ec_attendances WHERE arrival >= {_LAST_12M}"),
    Target("ae_12_hours_type1", "Type 1 A&E: % over 12 hours from arrival, last 12 months",
           10.0, 3.0, "%", "NHS England: ~10% of type 1 attendances spend 12+ hours in A&E "
           "(2024/25) [K]",
           "SELECT 100.0 * avg(CASE WHEN departure - arrival > INTERVAL 12 HOUR THEN 1 ELSE 0 "
           f"END) FROM ec_attendances WHERE department_type = '01' AND arrival >= {_LAST_12M}"),
    Target("ae_type3_share", "A&E attendances at urgent treatment centres (type 3), %", 25.0,
           5.0, "%", "NHS England A&E attendances: type 3 about a quarter to a third of all "
           "attendances [K]",
           "SELECT 100.0 * avg(CASE WHEN department_type = '03' THEN 1 ELSE 0 END) "
           "FROM ec_attendances"),
    Target("ae_type1_admitted", "Type 1 A&E attendances admitted, %", 27.5, 4.0, "%",
           "NHS England A&E statistics: ~25-30% of type 1 attendances admitted [K]",
           "SELECT 100.0 * avg(CASE WHEN disposal = 'admitted' THEN 1 ELSE 0 END) "
           "FROM ec_attendances WHERE department_type = '01'"),
    Target("emergency_admissions_per_1000", "Emergency admissions per 1,000, last 12 months",
           110, 12, "per 1,000", "clinical-indicators.md 4.6: ~110-115 per 1,000 a year [E]",
           f"SELECT 1000.0 * count(*) / {_POP} {_EMERGENCY_12M}"),
    Target("emergency_admissions_85plus_per_1000", "Emergency admissions per 1,000 aged 85+, "
           "last 12 months", round(520 * EA_RATE_SCALE), 90, "per 1,000",
           f"clinical-indicators.md 4.6: ~520 per 1,000 at 85+ [E], x{EA_RATE_SCALE} as for all "
           "ages",
           f"SELECT 1000.0 * count(*) / (SELECT count(*) FROM ({REGISTERED}) WHERE {_AGE} >= 85)"
           f" FROM apc_spells s JOIN patients USING (patient_id) WHERE s.admission_method = "
           f"'emergency' AND s.admission_date > {_LAST_12M} AND s.admission_date <= {{ref}} "
           f"AND date_diff('year', month_of_birth, s.admission_date) >= 85"),
    Target("emergency_winter_ratio", "Emergency admissions, Dec-Feb vs Jun-Aug (daily rate)",
           1.15, 0.08, "ratio", "NHS winter pressures: emergency admissions ~10-15% higher in "
           "winter [E]",
           "SELECT (count(*) FILTER (WHERE month(admission_date) IN (12, 1, 2)) / 90.25) / "
           "(count(*) FILTER (WHERE month(admission_date) IN (6, 7, 8)) / 92.0) FROM apc_spells "
           "WHERE admission_method = 'emergency'"),
    Target("chronic_acsc_share", "Emergency admissions for chronic ambulatory-care-sensitive "
           "conditions, %", 17.0, 4.0, "%", "~15-20% of emergency admissions are for ACSCs "
           "(clinical-indicators.md 4.6) [K]; codes as NHS OF 2.3.i",
           f"SELECT 100.0 * avg(CASE WHEN {_ACSC} THEN 1 ELSE 0 END) FROM apc_spells "
           "WHERE admission_method = 'emergency'"),
    Target("asthma_admissions_under_19", "Emergency admissions for asthma under 19 per 100,000 "
           "aged 0-18, a year", 170, 80, "per 100,000", "OHID Fingertips (CYP asthma "
           "admissions under 19): England ~150-200 per 100,000 before 2020 [K]",
           "SELECT 100000.0 * count(*) / 5 / (SELECT count(*) FROM (" + REGISTERED + ") WHERE "
           + _AGE + " < 19) FROM apc_spells s JOIN patients USING (patient_id) "
           "WHERE s.admission_method = 'emergency' AND (s.primary_diagnosis LIKE 'J45%' OR "
           "s.primary_diagnosis LIKE 'J46%') "
           "AND date_diff('year', month_of_birth, s.admission_date) < 19"),
    Target("emergency_mean_stay", "Emergency spells: mean length of stay, days", 4.5, 1.0,
           "days", "HES: mean length of stay ~4.5-5 days for emergency admissions [K]",
           "SELECT avg(discharge_date - admission_date) FROM apc_spells "
           "WHERE admission_method = 'emergency' AND discharge_date IS NOT NULL"),
    Target("stays_over_21_days", "Emergency spells of 21+ days, %", 2.5, 1.5, "%",
           "NHS England long-stay patients: ~2-3% of emergency spells stay 21+ days [K]",
           "SELECT 100.0 * avg(CASE WHEN discharge_date - admission_date >= 21 THEN 1 ELSE 0 END)"
           " FROM apc_spells WHERE admission_method = 'emergency' AND discharge_date IS NOT NULL"),
    Target("elective_admissions_per_1000", "Elective admissions per 1,000, last 12 months", 120,
           15, "per 1,000", "HES: ordinary and day case elective admissions ~120-140 per 1,000 "
           "a year [K]",
           f"SELECT 1000.0 * count(*) / {_POP} FROM apc_spells WHERE admission_method = "
           f"'elective' AND admission_date > {_LAST_12M} AND admission_date <= {{ref}}"),
    Target("elective_day_case_share", "Elective admissions as day cases, %", 78.0, 4.0, "%",
           "HES: ~75-80% of elective admissions are day cases [K]",
           "SELECT 100.0 * avg(CASE WHEN patient_classification = 'day_case' THEN 1 ELSE 0 END)"
           " FROM apc_spells WHERE admission_method = 'elective'"),
    Target("outpatients_per_person", "Outpatient appointments per person, last 12 months", 0.8,
           0.12, "per person", "Engineering calibration for BLMK residents [E]",
           f"SELECT count(*) / {_POP} FROM op_appointments "
           f"WHERE appointment_date > {_LAST_12M} AND appointment_date <= {{ref}}"),
    Target("outpatient_follow_up_ratio", "Outpatient follow-up to first appointments", 2.0, 0.3,
           "ratio", "NHS England outpatient transformation: ~2 follow-ups per first [K]",
           "SELECT count(*) FILTER (WHERE NOT first_attendance) / "
           "count(*) FILTER (WHERE first_attendance) FROM op_appointments"),
    Target("outpatient_dna", "Outpatient appointments not attended (DNA), %", 7.0, 1.5, "%",
           "NHS England / HES outpatients: DNA rate ~7-8% [K]",
           "SELECT 100.0 * avg(CASE WHEN attended = 'dna' THEN 1 ELSE 0 END) "
           "FROM op_appointments"),
    Target("rtt_waiting_per_100k", "RTT waiting list per 100,000 registered", 14286, 1200,
           "per 100,000", "Seed 001: over 150,000 waiting in BLMK in summer 2024, for ~1.05m "
           "people [S]",
           f"SELECT 100000.0 * count(*) / {_POP} FROM rtt_pathways WHERE status = 'waiting'"),
    Target("rtt_over_18_weeks", "RTT waiting list: % waiting over 18 weeks", 45.0, 3.0, "%",
           "Seed 001: 45% waiting over 18 weeks (summer 2024) [S]",
           "SELECT 100.0 * avg(CASE WHEN {ref} - clock_start > 126 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE status = 'waiting'"),
    Target("rtt_over_52_weeks", "RTT waiting list: % waiting over 52 weeks", 6.7, 1.5, "%",
           "Seed 001: 10,000 of 150,000 waiting over a year [S]",
           "SELECT 100.0 * avg(CASE WHEN {ref} - clock_start > 364 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE status = 'waiting'"),
    Target("rtt_admitted_share", "RTT clock stops by admission, last 12 months, %", 25.0, 4.0,
           "%", "NHS England RTT completed pathways: ~25% admitted [K]",
           "SELECT 100.0 * avg(CASE WHEN status = 'admitted' THEN 1 ELSE 0 END) FROM "
           f"rtt_pathways WHERE clock_stop > {_LAST_12M} AND clock_stop <= {{ref}}"),
    Target("diagnostic_over_6_weeks", "Waiting for a diagnostic test: % over 6 weeks", 22.0,
           5.0, "%", "NHS England DM01: ~20-25% waiting 6+ weeks (2024/25) [K]",
           "SELECT 100.0 * avg(CASE WHEN {ref} - diagnostic_wait_start > 42 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE diagnostic_wait_start IS NOT NULL "
           "AND diagnostic_test_date IS NULL AND clock_stop IS NULL"),
]
