"""Maternity: pregnancies booked with BLMK services and their births.

Fertility about 60 births per 1,000 women aged 15-44 a year (ONS births in England and Wales,
general fertility rate ~54-60 [K]; higher in Luton), peaking at 30-34. At birth ~7.5% are
preterm (<37 weeks, national ambition 6%), ~7% weigh under 2,500 g, and about 3.5-4 per 1,000
births are stillbirths (MBRRACE-UK [K]); all more common in deprived areas and for Black and
Asian mothers. About 10% smoke at booking and ~7.5% at delivery (SATOD, NHS Digital 2024/25
~7.4% [K]), more in deprived areas and rarely among Asian women [E].
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.model.schema import ETHNICITY_GROUPS, PLACES
from icsight.synth.calibration import Target
from icsight.synth.context import (
    NO_DATE,
    SynthContext,
    categorical,
    pick_days_for,
    to_table,
)

STREAM = "maternity"
FERTILITY_AGES = (15, 20, 25, 30, 35, 40, 45)
FERTILITY_RATES = (0.012, 0.055, 0.090, 0.110, 0.068, 0.016, 0.002)  # births per woman-year [K]
PLACE_FERTILITY = {"Luton": 1.15, "Milton Keynes": 1.05, "Bedford Borough": 1.0,
                   "Central Bedfordshire": 0.93}
SMOKING_AT_BOOKING = 0.10
QUIT_IN_PREGNANCY = 0.25
PRETERM, STILLBIRTH_PRETERM, STILLBIRTH_TERM = 0.075, 0.022, 0.0017


def _risk(ctx, mothers) -> np.ndarray:
    p = ctx.pop
    eth = p.ethnicity_group[mothers]
    r = np.interp(p.imd_decile[mothers], [1, 10], [1.3, 0.8])
    r = r * np.where(eth == ETHNICITY_GROUPS.index("Black"), 1.4,
                     np.where(eth == ETHNICITY_GROUPS.index("Asian"), 1.2, 1.0))
    return r / r.mean() if len(r) else r  # relative risk, averaging 1


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    rng = ctx.rng(STREAM)
    p = ctx.pop
    women = np.flatnonzero(p.female)
    age = p.age_on(ctx.reference_date)[women] - 2  # mid-window age
    place_factor = np.array([PLACE_FERTILITY[x] for x in PLACES])[p.place[women]]
    rate = np.interp(age, FERTILITY_AGES, FERTILITY_RATES, left=0, right=0) * place_factor
    # Deliveries run to 30 weeks past the reference date, so pregnancies in progress exist.
    start = np.full(len(women), ctx.window_start + 200, np.int32)
    end = np.full(len(women), ctx.reference_date + 210, np.int32)
    mother, delivery = pick_days_for(rng, women, rate, start, end)
    n = len(mother)
    risk = _risk(ctx, mother)
    preterm = rng.random(n) < PRETERM * risk
    gestation = np.where(preterm, rng.integers(24, 37, n),
                         np.clip(np.round(rng.normal(39.4, 1.2, n)), 37, 42)).astype(np.int64)
    at_booking = np.where(rng.random(n) < 0.9, rng.integers(8, 13, n), rng.integers(13, 21, n))
    booking = (delivery - (gestation - at_booking) * 7).astype(np.int32)
    end_of_record = ctx.active_end()[mother]
    keep = ((booking >= ctx.window_start) & (booking <= ctx.reference_date)
            & ctx.in_record(mother, np.minimum(booking, ctx.reference_date))
            & ((delivery <= end_of_record) | (delivery > ctx.reference_date)
               & (end_of_record == ctx.reference_date)))
    mother, delivery, booking = mother[keep], delivery[keep], booking[keep]
    gestation, at_booking, risk = gestation[keep], at_booking[keep], risk[keep]
    n = len(mother)
    eth = p.ethnicity_group[mother]
    smoke_p = SMOKING_AT_BOOKING * np.interp(p.imd_decile[mother], [1, 10], [1.9, 0.45]) * np.where(
        eth == ETHNICITY_GROUPS.index("Asian"), 0.2, np.where(
            eth == ETHNICITY_GROUPS.index("Black"), 0.4, 1.15))
    smokes = rng.random(n) < smoke_p
    delivered = delivery <= ctx.reference_date
    at_delivery = smokes & (rng.random(n) >= QUIT_IN_PREGNANCY)
    stillbirth = rng.random(n) < np.where(gestation < 37, STILLBIRTH_PRETERM,
                                          STILLBIRTH_TERM) * risk
    weight = 3600 - 170 * np.clip(40 - gestation, 0, None) - 25 * np.clip(
        37 - gestation, 0, None) ** 2 + rng.normal(0, 380, n)
    weight -= np.where(at_delivery, 200, 0) + np.where(eth == ETHNICITY_GROUPS.index("Asian"),
                                                       150, 0)
    weight = np.clip(np.round(weight), 350, 5600)
    return {"maternity": to_table("maternity", {
        "patient_id": p.patient_id[mother],
        "pregnancy_id": np.arange(1, n + 1),
        "booking_date": booking,
        "gestation_at_booking_weeks": at_booking.astype(np.int64),
        "smoking_at_booking": smokes,
        "smoking_at_delivery": pa.array(np.where(delivered, at_delivery, None).tolist(),
                                        pa.bool_()),
        "delivery_date": np.where(delivered, delivery, NO_DATE).astype(np.int32),
        "gestation_at_birth_weeks": pa.array(np.where(delivered, gestation, None).tolist(),
                                             pa.int64()),
        "birthweight_grams": pa.array(np.where(delivered, weight, None).tolist(), pa.int64()),
        "outcome": pa.array(np.where(delivered, np.where(stillbirth, "stillbirth", "live_birth"),
                                     None).tolist(), pa.string()),
    })}


_DELIVERED = "FROM maternity WHERE delivery_date IS NOT NULL"
TARGETS = [
    Target("smoking_at_delivery", "Smoking at time of delivery, %", 7.5, 1.5, "%",
           "NHS Digital SATOD 2024/25: England ~7.4% [K]",
           f"SELECT 100.0 * avg(CASE WHEN smoking_at_delivery THEN 1 ELSE 0 END) {_DELIVERED}"),
    Target("preterm_births", "Preterm births (<37 weeks), %", 7.8, 1.2, "%",
           "ONS/NHS: ~7.5-8% of births preterm; ambition 6% [K]",
           f"SELECT 100.0 * avg(CASE WHEN gestation_at_birth_weeks < 37 THEN 1 ELSE 0 END) "
           f"{_DELIVERED}"),
    Target("low_birthweight", "Low birthweight (<2,500 g), %", 7.0, 1.5, "%",
           "ONS birth characteristics: ~7% of live births under 2,500 g [K]",
           f"SELECT 100.0 * avg(CASE WHEN birthweight_grams < 2500 THEN 1 ELSE 0 END) "
           f"{_DELIVERED} AND outcome = 'live_birth'"),
    Target("stillbirths_per_1000", "Stillbirths per 1,000 total births", 3.8, 1.5, "per 1,000",
           "MBRRACE-UK: ~3.3-3.9 per 1,000 total births [K]",
           f"SELECT 1000.0 * avg(CASE WHEN outcome = 'stillbirth' THEN 1 ELSE 0 END) "
           f"{_DELIVERED}"),
    Target("births_per_1000_women", "Births per 1,000 women aged 15-44 a year", 60.0, 8.0,
           "per 1,000", "ONS general fertility rate, England ~54-60 [K]; Luton higher",
           """SELECT 1000.0 * (SELECT count(*) FROM maternity WHERE delivery_date > {ref} -
           INTERVAL 12 MONTH AND delivery_date <= {ref}) / (SELECT count(*) FROM patients WHERE
           sex = 'female' AND registration_end IS NULL AND date_of_death IS NULL AND
           date_diff('year', month_of_birth, {ref}) BETWEEN 15 AND 44)"""),
]

__all__ = ["TARGETS", "categorical", "generate"]
