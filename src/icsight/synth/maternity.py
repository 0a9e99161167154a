"""Maternity: pregnancies booked with BLMK maternity services, and their births.

One row per booked pregnancy, as the Maternity Services Data Set has it:

* **How many.** Births follow age-specific fertility rates like England's (peaking at 30-34,
  few after 40), higher in Luton and Milton Keynes, for a general fertility rate of about 60
  births per 1,000 women aged 15-44 a year.
* **Booking** mostly at 8-12 weeks; about one in ten books late (13 weeks or more), more often
  young and deprived women.
* **Smoking.** About 10% smoke at booking, falling a little over the window; about a quarter
  quit by delivery, so ~7.5% smoke at the time of delivery (SATOD). Smoking is more common in
  deprived areas and in young women, and rare among Asian women [E].
* **Birth.** ~7.5% of births are preterm (under 37 weeks), and ~7% of live-born babies weigh
  under 2,500 g (birthweight follows gestation). About 3.7 per 1,000 births are stillbirths,
  most of them preterm. All are more common in the most deprived areas and for Black and Asian
  mothers (BLMK Health Services Strategy, 2024: "higher risks of still birth ... in 20% most
  deprived"; "poorer outcomes for BAME communities").

Pregnancies still in progress on the reference date have no delivery date, gestation,
birthweight, outcome or smoking at delivery. A pregnancy is only recorded while the woman is
registered with a BLMK practice: one whose birth would come after she died or moved away is
left out, as its outcome is not in the record.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.model.schema import ETHNICITY_GROUPS, PLACES
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, SynthContext, pick_days_for, to_table

STREAM = "maternity"

#: Births per woman a year by age (band mid-points): the shape of England and Wales 2022-23
#: (ONS Births in England and Wales: ~10 per 1,000 under 20, ~100 at 30-34, ~15 at 40-44)
#: [K], scaled up ~12% so that the fertility rate measured from the record, which misses
#: births to women who moved in after booking elsewhere, comes to ~60 [E].
FERTILITY_AGES = (15.5, 17.5, 22.5, 27.5, 32.5, 37.5, 42.5, 47.5, 50.0)
FERTILITY_RATES = (0.0, 0.012, 0.054, 0.095, 0.118, 0.074, 0.019, 0.0016, 0.0)
#: Fertility by place relative to England: Luton's is among the highest in England, Milton
#: Keynes' and Bedford's above average, Central Bedfordshire's about average (ONS local
#: authority TFRs) [K/E].
PLACE_FERTILITY = {"Bedford Borough": 1.05, "Central Bedfordshire": 0.97, "Luton": 1.25,
                   "Milton Keynes": 1.08}
#: Shortest time from one birth to the next pregnancy's first day (days) [E].
MIN_DAYS_BETWEEN = 60

#: Completed weeks at booking for women booking on time (8-12 weeks), and the share booking
#: late (13+ weeks, NICE: book by 10 weeks) [E].
BOOKING_WEEKS, BOOKING_SHARES = (8, 9, 10, 11, 12), (0.10, 0.20, 0.30, 0.25, 0.15)
LATE_BOOKING, LATE_WEEKS = 0.10, (13, 24)
#: Late booking is more common in the most deprived decile (x2 vs the least) and under 20
#: (x2) [E].
LATE_BOOKING_DEPRIVATION, LATE_BOOKING_UNDER_20 = 2.0, 2.0

#: Smoking at booking: ~11% at the window start falling to ~9.5% (MSDS; the strategy's
#: smoking cessation aim) [E]; ~28% stop before delivery, so SATOD ~7.5% (NHS Digital SATOD
#: 2024/25 England ~7.4% [K]).
SMOKING_AT_BOOKING_START, SMOKING_AT_BOOKING_END, QUIT_BY_DELIVERY = 0.115, 0.095, 0.28
#: Relative chance of smoking by ethnic group and by age (under 20, 20-24, 25-34, 35+) [E].
SMOKING_ETHNICITY = {"White": 1.25, "Mixed": 1.1, "Asian": 0.15, "Black": 0.35, "Other": 0.5,
                     "Not stated": 1.0}
SMOKING_AGES, SMOKING_BY_AGE = (0, 20, 25, 35), (2.5, 1.6, 0.9, 0.7)
#: SATOD is several times higher in the most deprived decile than the least [K/E].
SMOKING_DEPRIVATION = 4.0

#: Preterm births (<37 weeks) ~7.5% (ONS/NHS ~7.5-8%; national ambition 6%) [K]; by
#: gestation group (24-27, 28-31, 32-33, 34-36 weeks): 6/10/14/70% of preterm births [K].
PRETERM = 0.075
PRETERM_GROUPS = ((24, 27), (28, 31), (32, 33), (34, 36))
PRETERM_SHARES = (0.06, 0.10, 0.14, 0.70)
#: Completed weeks of term births (37-42) [E].
TERM_WEEKS, TERM_SHARES = (37, 38, 39, 40, 41, 42), (0.10, 0.20, 0.30, 0.27, 0.12, 0.01)
#: Chance of stillbirth by gestation (weeks from, chance), before the mother's relative risk:
#: together ~3.7 per 1,000 total births (MBRRACE-UK / ONS ~3.3-3.9 [K]) [E].
STILLBIRTH_FROM, STILLBIRTH_CHANCE = (24, 28, 32, 37), (0.17, 0.058, 0.015, 0.0015)
#: Relative risks of preterm birth and stillbirth, most vs least deprived decile and by
#: ethnic group (MBRRACE-UK: stillbirth ~2x for Black, ~1.5x for Asian mothers and ~1.7-2x
#: in the most deprived areas) [K/E]; smoking and age 40+ add risk [K].
PRETERM_DEPRIVATION, STILLBIRTH_DEPRIVATION = 1.35, 1.8
PRETERM_ETHNICITY = {"Black": 1.3, "Asian": 1.15, "Mixed": 1.1}
STILLBIRTH_ETHNICITY = {"Black": 2.0, "Asian": 1.5, "Mixed": 1.2}
SMOKING_RISK, AGE_40_RISK = 1.3, 1.3

#: Median birthweight (g) by completed weeks of gestation (UK-WHO/Fenton-like) [K], with a
#: log-normal spread; lighter for South Asian and Black mothers, for smokers and for
#: stillborn babies (growth restriction) [K/E].
WEIGHT_WEEKS = (22, 24, 26, 28, 30, 32, 34, 36, 37, 38, 39, 40, 41, 42)
WEIGHT_MEDIAN = (500, 650, 880, 1150, 1480, 1850, 2350, 2800, 3000, 3180, 3340, 3460, 3570, 3620)
WEIGHT_SPREAD = 0.125
WEIGHT_ETHNICITY = {"Asian": 0.94, "Black": 0.97}
WEIGHT_SMOKING, WEIGHT_STILLBIRTH = 0.94, 0.85


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `maternity` table: booked pregnancies and, once delivered, their births."""
    rng = ctx.rng(STREAM)
    mother, lmp = _conceptions(ctx, rng)
    n = len(mother)
    age = _mother_age(ctx, mother, lmp)
    gestation = _gestation(ctx, rng, mother, age)
    delivery = lmp + gestation * 7 + rng.integers(0, 7, n)
    booking_weeks = np.minimum(_booking_weeks(ctx, rng, mother, age), gestation - 2)
    booking = lmp + booking_weeks * 7 + rng.integers(0, 7, n)
    keep = _recorded(ctx, mother, booking, delivery)
    mother, age, gestation = mother[keep], age[keep], gestation[keep]
    delivery, booking, booking_weeks = delivery[keep], booking[keep], booking_weeks[keep]
    smokes_booking, smokes_delivery = _smoking(ctx, rng, mother, age, booking)
    stillbirth = _stillbirth(ctx, rng, mother, age, gestation, smokes_delivery)
    weight = _birthweight(ctx, rng, mother, gestation, smokes_delivery, stillbirth)
    order = np.lexsort((booking, mother))
    delivered = (delivery <= ctx.reference_date)[order]
    pending = ~delivered
    return {"maternity": to_table("maternity", {
        "patient_id": ctx.pop.patient_id[mother[order]],
        "pregnancy_id": np.arange(1, len(order) + 1, dtype=np.int64),
        "booking_date": booking[order].astype(np.int32),
        "gestation_at_booking_weeks": booking_weeks[order].astype(np.int64),
        "smoking_at_booking": smokes_booking[order],
        "smoking_at_delivery": pa.array(smokes_delivery[order], mask=pending),
        "delivery_date": np.where(delivered, delivery[order], NO_DATE).astype(np.int32),
        "gestation_at_birth_weeks": pa.array(gestation[order].astype(np.int64), mask=pending),
        "birthweight_grams": pa.array(weight[order].astype(np.int64), mask=pending),
        "outcome": pa.DictionaryArray.from_arrays(
            pa.array(stillbirth[order].astype(np.int32), mask=pending),
            pa.array(["live_birth", "stillbirth"])).cast(pa.string()),
    })}


def _conceptions(ctx: SynthContext, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(mother, first day of the last period) of every pregnancy that could be booked in the
    window, at each woman's age-specific fertility rate."""
    p = ctx.pop
    first = ctx.window_start - 300  # pregnancies booked in the window began up to ~40 weeks
    start = np.maximum(first, p.dob + int(FERTILITY_AGES[0] * DAYS_PER_YEAR))
    end = np.minimum(ctx.reference_date, p.dob + int(FERTILITY_AGES[-1] * DAYS_PER_YEAR))
    women = np.flatnonzero(p.female & (end >= start) & (ctx.active_end() >= ctx.window_start))
    place = np.array([PLACE_FERTILITY[name] for name in PLACES])[p.place[women]]
    bound = max(FERTILITY_RATES) * place
    mother, lmp = pick_days_for(rng, women, bound, start[women], end[women])
    # thin to the rate at her age at the birth (about 0.75 years after the period)
    age = (lmp - p.dob[mother]) / DAYS_PER_YEAR + 0.75
    rate = np.interp(age, FERTILITY_AGES, FERTILITY_RATES) / max(FERTILITY_RATES)
    keep = rng.random(len(mother)) < rate
    mother, lmp = mother[keep], lmp[keep]
    order = np.lexsort((lmp, mother))
    mother, lmp = mother[order], lmp[order]
    # a woman cannot start a pregnancy before her last one ended
    too_soon = np.zeros(len(mother), bool)
    too_soon[1:] = (mother[1:] == mother[:-1]) & (
        lmp[1:] < lmp[:-1] + 42 * 7 + MIN_DAYS_BETWEEN)
    return mother[~too_soon], lmp[~too_soon].astype(np.int64)


def _by_group(ctx: SynthContext, mother: np.ndarray, ratios: dict[str, float],
              default: float = 1.0) -> np.ndarray:
    table = np.full(len(ETHNICITY_GROUPS), default)
    for group, ratio in ratios.items():
        table[ETHNICITY_GROUPS.index(group)] = ratio
    return table[ctx.pop.ethnicity_group[mother]]


def _deprivation(ctx: SynthContext, mother: np.ndarray, ratio: float) -> np.ndarray:
    """Relative risk rising from 1 in the least deprived decile to `ratio` in the most."""
    return ratio ** ((10 - ctx.pop.imd_decile[mother]) / 9.0)


def _normalised(risk: np.ndarray) -> np.ndarray:
    return risk / risk.mean() if len(risk) else risk


def _mother_age(ctx: SynthContext, mother: np.ndarray, on: np.ndarray) -> np.ndarray:
    return (on - ctx.pop.dob[mother]) / DAYS_PER_YEAR


def _gestation(ctx: SynthContext, rng: np.random.Generator, mother: np.ndarray,
               age: np.ndarray) -> np.ndarray:
    """Completed weeks of gestation at birth."""
    n = len(mother)
    risk = _deprivation(ctx, mother, PRETERM_DEPRIVATION) * _by_group(
        ctx, mother, PRETERM_ETHNICITY)
    risk *= np.where(age >= 40, AGE_40_RISK, 1.0)
    preterm = rng.random(n) < np.minimum(PRETERM * _normalised(risk), 0.9)
    group = rng.choice(len(PRETERM_GROUPS), n, p=PRETERM_SHARES)
    lo = np.array([g[0] for g in PRETERM_GROUPS])[group]
    hi = np.array([g[1] for g in PRETERM_GROUPS])[group]
    early = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    term = np.array(TERM_WEEKS)[rng.choice(len(TERM_WEEKS), n, p=TERM_SHARES)]
    return np.where(preterm, early, term).astype(np.int64)


def _booking_weeks(ctx: SynthContext, rng: np.random.Generator, mother: np.ndarray,
                   age: np.ndarray) -> np.ndarray:
    """Completed weeks of gestation at the booking appointment."""
    n = len(mother)
    risk = _normalised(_deprivation(ctx, mother, LATE_BOOKING_DEPRIVATION)
                       * np.where(age < 20, LATE_BOOKING_UNDER_20, 1.0))
    late = rng.random(n) < np.minimum(LATE_BOOKING * risk, 0.8)
    on_time = np.array(BOOKING_WEEKS)[rng.choice(len(BOOKING_WEEKS), n, p=BOOKING_SHARES)]
    late_weeks = LATE_WEEKS[0] + np.minimum(rng.geometric(0.25, n) - 1,
                                            LATE_WEEKS[1] - LATE_WEEKS[0])
    return np.where(late, late_weeks, on_time).astype(np.int64)


def _recorded(ctx: SynthContext, mother: np.ndarray, booking: np.ndarray,
              delivery: np.ndarray) -> np.ndarray:
    """Pregnancies booked in the window while registered whose birth (if it has happened)
    falls while the woman is still registered and alive."""
    ref = ctx.reference_date
    end = ctx.active_end()[mother]
    p = ctx.pop
    still_here = (p.registration_end[mother] > ref) & (p.death[mother] > ref)
    booked = (booking <= ref) & ctx.in_record(mother, np.minimum(booking, ref))
    return booked & np.where(delivery <= ref, delivery <= end, still_here)


def _smoking(ctx: SynthContext, rng: np.random.Generator, mother: np.ndarray,
             age: np.ndarray, booking: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smoking at booking and at delivery."""
    n = len(mother)
    share = (booking - ctx.window_start) / max(ctx.reference_date - ctx.window_start, 1)
    base = SMOKING_AT_BOOKING_START + (SMOKING_AT_BOOKING_END - SMOKING_AT_BOOKING_START) * share
    by_age = np.array(SMOKING_BY_AGE)[np.searchsorted(SMOKING_AGES, age, side="right") - 1]
    risk = (_deprivation(ctx, mother, SMOKING_DEPRIVATION)
            * _by_group(ctx, mother, SMOKING_ETHNICITY) * by_age)
    at_booking = rng.random(n) < np.minimum(base * _normalised(risk), 0.9)
    at_delivery = at_booking & (rng.random(n) >= QUIT_BY_DELIVERY)
    return at_booking, at_delivery


def _stillbirth(ctx: SynthContext, rng: np.random.Generator, mother: np.ndarray,
                age: np.ndarray, gestation: np.ndarray, smokes: np.ndarray) -> np.ndarray:
    chance = np.array(STILLBIRTH_CHANCE)[np.searchsorted(STILLBIRTH_FROM, gestation,
                                                         side="right") - 1]
    risk = _deprivation(ctx, mother, STILLBIRTH_DEPRIVATION) * _by_group(
        ctx, mother, STILLBIRTH_ETHNICITY) * np.where(smokes, SMOKING_RISK, 1.0)
    risk *= np.where(age >= 40, AGE_40_RISK, 1.0)
    return rng.random(len(mother)) < np.minimum(chance * _normalised(risk), 0.9)


def _birthweight(ctx: SynthContext, rng: np.random.Generator, mother: np.ndarray,
                 gestation: np.ndarray, smokes: np.ndarray, stillbirth: np.ndarray
                 ) -> np.ndarray:
    median = np.interp(gestation, WEIGHT_WEEKS, WEIGHT_MEDIAN)
    median *= _by_group(ctx, mother, WEIGHT_ETHNICITY)
    median *= np.where(smokes, WEIGHT_SMOKING, 1.0) * np.where(stillbirth, WEIGHT_STILLBIRTH, 1)
    weight = median * np.exp(rng.normal(0, WEIGHT_SPREAD, len(mother)))
    return np.clip(np.round(weight / 5) * 5, 300, 6000).astype(np.int64)


_DELIVERED = "FROM maternity WHERE delivery_date IS NOT NULL"
TARGETS = [
    Target("births_per_1000_women", "General fertility rate: births in the last 12 months "
           "per 1,000 registered women aged 15-44", 60.0, 8.0, "per 1,000",
           "ONS Births in England and Wales: general fertility rate ~52-56 [K]; BLMK higher "
           "(Luton, Milton Keynes) [E: ~60]",
           f"""WITH reg AS ({REGISTERED})
           SELECT 1000.0 * (SELECT count(*) FROM maternity
                            WHERE delivery_date > {{ref}} - INTERVAL 12 MONTH
                              AND delivery_date <= {{ref}})
                  / (SELECT count(*) FROM reg WHERE sex = 'female'
                     AND date_diff('month', month_of_birth, {{ref}}) // 12 BETWEEN 15 AND 44)""",
           # pregnancies are recorded from booking in the window: a year of births needs the
           # nine months before it too
           lookback_months=21),
    Target("smoking_at_booking", "Smoking at booking, % of pregnancies booked", 10.5, 2.0, "%",
           "MSDS smoking at booking ~10% [K/E]",
           "SELECT 100.0 * avg(CASE WHEN smoking_at_booking THEN 1 ELSE 0 END) FROM maternity"),
    Target("smoking_at_delivery", "Smoking at time of delivery (SATOD), % of deliveries", 7.5,
           1.5, "%", "NHS Digital SATOD 2024/25: England ~7.4% [K]",
           f"SELECT 100.0 * avg(CASE WHEN smoking_at_delivery THEN 1 ELSE 0 END) {_DELIVERED}"),
    Target("preterm_births", "Preterm births (under 37 weeks), % of births", 7.5, 1.2, "%",
           "ONS/NHS England: ~7.5-8% of births preterm; national ambition 6% [K]",
           f"SELECT 100.0 * avg(CASE WHEN gestation_at_birth_weeks < 37 THEN 1 ELSE 0 END) "
           f"{_DELIVERED}"),
    Target("low_birthweight", "Low birthweight (under 2,500 g), % of live births", 7.0, 1.5,
           "%", "ONS Birth characteristics: ~7% of live births under 2,500 g [K]",
           f"SELECT 100.0 * avg(CASE WHEN birthweight_grams < 2500 THEN 1 ELSE 0 END) "
           f"{_DELIVERED} AND outcome = 'live_birth'"),
    Target("stillbirths_per_1000", "Stillbirths per 1,000 total births", 3.7, 2.0, "per 1,000",
           "MBRRACE-UK / ONS: ~3.3-3.9 per 1,000 total births [K]; tolerance wide because a "
           "small lake has few stillbirths",
           f"SELECT 1000.0 * avg(CASE WHEN outcome = 'stillbirth' THEN 1 ELSE 0 END) "
           f"{_DELIVERED}"),
]
