"""Hospital activity: what every setting shares.

* **Who goes where.** Bedfordshire Hospitals (RC9: Bedford and Luton & Dunstable) serves Luton,
  Bedford Borough and most of Central Bedfordshire; Milton Keynes University Hospital (RD8)
  serves Milton Keynes. One in three Central Bedfordshire residents travels to a hospital
  outside BLMK (BLMK Health and Care Strategy, 2023), here East and North Hertfordshire (RWH) or
  Cambridge (RGT). Each person uses one trust for all their care.
* **Who is at risk.** Each person's relative risk of an emergency admission, raised by
  long-term conditions, deprivation and ill-health, averages 1 within age groups so the age
  rates hold. A&E, outpatients and referrals use it, more weakly, as one figure over the whole
  record (`_Cohort.risk`); emergency admissions read it on the day, each condition from its
  diagnosis (`emergency._admission_risk`, with `_personal_factor` and `_condition_ratio`).
* **Shared code lists.** `CodeLists`, the diagnosis and treatment function lists that spells,
  RTT pathways and outpatients index into; `codes.code_lists()` builds them and the
  orchestrator (`hospital.generate`) passes them to the settings that need them.
* Helpers for single-year-of-age rates, events at an age rate and coded string columns.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from icsight.model.schema import PLACES
from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, SynthContext, pick_days_for

MAX_AGE = 110

# --- providers -------------------------------------------------------------------------------
PROVIDERS = ("RC9", "RD8", "RWH", "RGT")
# Central Bedfordshire residents using hospitals outside BLMK: "one-in-three"
# (BLMK Health and Care Strategy, 2023) [S],
# split between Lister (RWH) and Cambridge (RGT) [E].
CENTRAL_BEDS_OUTSIDE = {"RWH": 0.22, "RGT": 0.11}

# --- emergency admission risk ----------------------------------------------------------------
# Relative risk of an emergency admission with each condition (before renormalising within
# age groups, so age rates hold) [E]; deprivation gradient most:least deprived decile ~1.9 [E,
# in line with the ~2x gap in age-standardised emergency admissions, OHID].
CONDITION_RISK = {"asthma": 1.4, "copd": 2.6, "heart_failure": 3.0, "diabetes": 1.5,
                  "dementia": 2.2, "ckd": 1.4, "smi": 1.6, "learning_disability": 1.8}
DEPRIVATION_RISK = (1.45, 0.75)  # decile 1, decile 10
HEALTH_RISK = 0.35  # exp(0.35 * z) for the latent ill-health z
CONDITION_RISK_CAP = 5.0  # multimorbidity compounds less than multiplicatively [E]


@dataclass
class _Cohort:
    """What every hospital table needs to know about each person."""

    start: np.ndarray  # first day in the record inside the window
    end: np.ndarray  # last day in the record (leaving, death or the reference date)
    risk: np.ndarray  # relative risk of an emergency admission, mean 1 within age groups
    provider: np.ndarray  # index into PROVIDERS


def _cohort(ctx: SynthContext, rng: np.random.Generator) -> _Cohort:
    p = ctx.pop
    start = np.maximum(np.maximum(p.registration_start, p.dob), ctx.window_start).astype(np.int32)
    end = ctx.active_end().astype(np.int32)
    conditions = np.ones(p.n)
    for name, ratio in CONDITION_RISK.items():
        conditions = conditions * np.where(p.conditions[name].has, ratio, 1.0)
    m = _personal_factor(ctx) * np.minimum(conditions, CONDITION_RISK_CAP)
    return _Cohort(start, end, _normalise(ctx, m, start, end), _home_provider(ctx, rng))


def _personal_factor(ctx: SynthContext) -> np.ndarray:
    """The part of each person's relative risk that holds over their whole record:
    ill-health and deprivation (not normalised)."""
    p = ctx.pop
    return np.exp(HEALTH_RISK * p.health) * np.interp(p.imd_decile, [1, 10], DEPRIVATION_RISK)


def _condition_ratio(ctx: SynthContext, person: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The capped product of the ratios (`CONDITION_RISK`) of each person's conditions that are
    in their record on the day: diagnosed by then, of those on their register at its end."""
    out = np.ones(len(person))
    for name, ratio in CONDITION_RISK.items():
        c = ctx.pop.conditions[name]
        out = out * np.where(c.has[person] & (c.diagnosed[person] <= days), ratio, 1.0)
    return np.minimum(out, CONDITION_RISK_CAP)


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


@dataclass(frozen=True)
class CodeLists:
    """The diagnosis (ICD-10) and treatment function codes coded columns index into."""

    diagnoses: list[str]
    functions: list[str]

    def diagnosis(self, code: str) -> int:
        """The index of an ICD-10 code in `diagnoses`."""
        return self.diagnoses.index(code)

    def function(self, code: str) -> int:
        """The index of a treatment function code in `functions`."""
        return self.functions.index(code)


def _strings(codes, index: np.ndarray) -> pa.Array:
    """A string column from indices into `codes`; negative indices become null."""
    index = np.asarray(index)
    dictionary = pa.array(list(codes), type=pa.string())
    indices = pa.array(np.maximum(index, 0).astype(np.int32), mask=index < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def _lognormal(rng, median, sigma, n: int) -> np.ndarray:
    return np.exp(np.log(median) + sigma * rng.standard_normal(n))


def _clear_of(person: np.ndarray, adm: np.ndarray, stay: np.ndarray, busy: dict,
              gap: int, rounds: int = 8) -> np.ndarray:
    """Admission days moved, where needed, so that each stay [adm, adm + stay) of a person
    overlaps none of that person's `busy` spells (columns person, adm, dis; dis NO_DATE while
    still in hospital, so nothing can follow it): a planned admission that would meet an
    emergency spell is rebooked `gap` days after the discharge. A day case (stay 0) may fall on
    an emergency admission's day, before it."""
    order = np.lexsort((busy["adm"], busy["person"]))
    b_person = np.asarray(busy["person"])[order].astype(np.int64)
    b_adm = np.asarray(busy["adm"])[order].astype(np.int64)
    # the latest discharge among the person's spells admitted so far (spells may overlap)
    b_until = _running_max_by(b_person, np.asarray(busy["dis"])[order].astype(np.int64))
    b_key = b_person * _DAY_KEY + b_adm
    adm = np.asarray(adm, np.int64).copy()
    for _ in range(rounds):
        # the person's spells admitted before this stay ends: the latest discharge among them
        last = np.searchsorted(b_key, person * _DAY_KEY + np.minimum(adm + stay, _DAY_KEY - 1)) - 1
        ok = last >= 0
        last = np.maximum(last, 0)
        clash = ok & (b_person[last] == person) & (b_until[last] > adm)
        if not clash.any():
            break
        adm[clash] = np.minimum(b_until[last[clash]], NO_DATE - gap) + gap
    return adm


def _running_max_by(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running maximum of `values` within each run of equal `group` (rows sorted by group)."""
    if not len(values):
        return values
    start = np.r_[True, group[1:] != group[:-1]]
    # offset each group above all earlier ones so one global running max stays within groups
    offset = np.cumsum(start) * (int(values.max()) - int(values.min()) + 1)
    return np.maximum.accumulate(values + offset) - offset


_DAY_KEY = 1 << 20  # day numbers stay below this (year 4840), so person x _DAY_KEY + day is unique
