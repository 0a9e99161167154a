"""Mental health inpatient placements for adults, and out of area placements (OAPs).

Adults are admitted to acute mental health beds (adult acute, older adult acute, psychiatric
intensive care) at their own rate while registered, far more often with severe mental illness,
depression or deprivation. Most go to their local provider (East London NHS Foundation Trust,
RWK, for Bedfordshire and Luton; Central and North West London NHS Foundation Trust, RV3, for
Milton Keynes); some are placed out of area. NHS England counts an out of area placement as
*inappropriate* when the person was sent away because no local bed was available, and has
aimed to eliminate them since 2016 (target zero; missed in 2021 and still in planning
guidance).

Levels [E, from the sources in `TARGETS`]:

- admissions: ~2.0 per 1,000 adults a year (x40 with SMI, x2 with depression, x2 in the most
  against the least deprived decile, x0.6 at 65+), from MHSDS: ~100,000 adult acute
  admissions a year in England;
- length of a placement: log-normal, median 28 days, spread 0.8 (mean ~38), in line with the
  OAP statistics (44% of inappropriate OAPs lasted 31 nights or more);
- inappropriate OAPs: 6% of placements (one in every ~17 in order of admission, see
  `_in_turn`), from England's ~58,700 inappropriate OAP bed days a quarter (October-December
  2021), ~44 per 100,000 resident adults a month, ~40 per 100,000 registered adults;
- appropriate OAPs: 0.8% of placements (safeguarding, offender pathway, patient choice, staff
  or family, other): ~90% of active OAPs are inappropriate.

Placements of people who move away or die end that day; placements still running on the
reference date have no discharge date.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from icsight.model.schema import MH_BED_TYPES, OAP_REASONS, PLACES
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    categorical,
    pick_days_for,
    to_table,
)

STREAM = "mh_inpatient"
# Admissions per adult-year, before the ratios below (normalised to keep it): with fewer at
# 65+ it gives ~2.0 per 1,000 registered adults (MHSDS ~100,000 a year over England's ~49
# million registered adults), and with it ~40 inappropriate OAP bed days a month per 100,000
# (0.0024 gave 2.2 and 44 on a full-size lake).
RATE = 0.0022
SMI, DEPRESSION, DEPRIVATION, OLDER = 40.0, 2.0, 2.0, 0.6
LOS_MEDIAN, LOS_SPREAD = 28.0, 0.8
PICU = 0.08  # share of working-age placements in psychiatric intensive care
INAPPROPRIATE_OAP = 0.06
APPROPRIATE_OAP = 0.008
ADULT_FROM_DAYS = math.ceil(18 * DAYS_PER_YEAR)
OLDER_FROM_DAYS = math.ceil(65 * DAYS_PER_YEAR)
#: Local providers by place (ODS codes): ELFT for Bedford Borough, Central Bedfordshire and
#: Luton; CNWL for Milton Keynes.
LOCAL_PROVIDER = {"Bedford Borough": "RWK", "Central Bedfordshire": "RWK", "Luton": "RWK",
                  "Milton Keynes": "RV3"}
#: Providers out of area placements go to [E]: neighbouring NHS mental health trusts
#: (Hertfordshire Partnership RWR, Northamptonshire Healthcare RP1, Cambridgeshire and
#: Peterborough RT1, Essex Partnership R1L).
OUT_OF_AREA_PROVIDERS = ("RWR", "RP1", "RT1", "R1L")


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `mh_admissions` table."""
    rng = ctx.rng(STREAM)
    p = ctx.pop
    c = p.conditions
    start = np.maximum(np.maximum(p.registration_start, ctx.window_start).astype(np.int64),
                       p.dob.astype(np.int64) + ADULT_FROM_DAYS)
    end = ctx.active_end().astype(np.int64)
    adults = np.flatnonzero(end >= start)
    weight = (np.where(c["smi"].has, SMI, np.where(c["depression"].has, DEPRESSION, 1.0))
              * DEPRIVATION ** ((10 - p.imd_decile) / 9.0))
    weight = weight / weight[adults].mean() if len(adults) else weight
    who, admitted = pick_days_for(rng, adults, RATE * weight[adults], start[adults],
                                  end[adults])
    admitted = admitted.astype(np.int64)
    older = admitted - p.dob[who] >= OLDER_FROM_DAYS
    keep = ~older | (rng.random(len(who)) < OLDER)
    who, admitted, older = who[keep], admitted[keep], older[keep]
    order = np.lexsort((admitted, who))
    who, admitted, older = who[order], admitted[order], older[order]
    n = len(who)
    los = np.round(rng.lognormal(np.log(LOS_MEDIAN), LOS_SPREAD, n)).astype(np.int64) + 1
    discharged = admitted + los
    keep = _one_at_a_time(who, admitted, discharged)
    who, admitted, older, discharged = (x[keep] for x in (who, admitted, older, discharged))
    n = len(who)
    last = end[who]
    gone = (p.registration_end[who] <= ctx.reference_date) | (p.death[who] <= ctx.reference_date)
    discharged = np.where(discharged > last, np.where(gone, last, NO_DATE), discharged)
    bed = np.where(older, MH_BED_TYPES.index("older_adult_acute"),
                   np.where(rng.random(n) < PICU, MH_BED_TYPES.index("picu"),
                            MH_BED_TYPES.index("adult_acute")))
    inappropriate = _in_turn(rng, admitted, INAPPROPRIATE_OAP)
    appropriate = ~inappropriate & (rng.random(n) < APPROPRIATE_OAP / (1 - INAPPROPRIATE_OAP))
    out_of_area = inappropriate | appropriate
    other_reasons = np.array(OAP_REASONS[1:], dtype=object)
    reason = np.where(inappropriate, OAP_REASONS[0],
                      other_reasons[rng.integers(0, len(other_reasons), n)])
    local = np.array([LOCAL_PROVIDER[place] for place in PLACES], dtype=object)[p.place[who]]
    away = np.array(OUT_OF_AREA_PROVIDERS, dtype=object)[
        rng.integers(0, len(OUT_OF_AREA_PROVIDERS), n)]
    return {"mh_admissions": to_table("mh_admissions", {
        "patient_id": p.patient_id[who],
        "admission_id": np.arange(1, n + 1, dtype=np.int64),
        "provider_code": pa.array(np.where(out_of_area, away, local), type=pa.string()),
        "admission_date": admitted.astype(np.int32),
        "discharge_date": discharged.astype(np.int32),
        "bed_type": categorical(MH_BED_TYPES, bed),
        "out_of_area": out_of_area,
        "oap_reason": pa.array(reason, type=pa.string(), mask=~out_of_area),
    })}


def _one_at_a_time(who: np.ndarray, admitted: np.ndarray, discharged: np.ndarray) -> np.ndarray:
    """Which admissions (sorted by person, then day) to keep so that a person has one
    placement at a time: an admission during the same person's previous kept placement is
    dropped. Dropping one can bring the placement before it next to the one after, so this
    repeats until no neighbours overlap."""
    keep = np.ones(len(who), bool)
    while True:
        rows = np.flatnonzero(keep)
        clash = ((who[rows[1:]] == who[rows[:-1]])
                 & (admitted[rows[1:]] <= discharged[rows[:-1]]))
        if not clash.any():
            return keep
        # drop only the first clash of each run, so a kept placement is never dropped for
        # overlapping one that is dropped itself
        first = clash & ~np.concatenate(([False], clash[:-1]))
        keep[rows[1:][first]] = False

def _in_turn(rng: np.random.Generator, admitted: np.ndarray, share: float) -> np.ndarray:
    """Which admissions are placed out of area for want of a local bed: one in every
    1 / `share` in order of admission (from a random starting point), as the local wards run
    full from time to time, rather than each by its own coin. So a population's placements
    are its admissions' share, not a matter of chance, and a small population's monthly
    figure varies only with its admissions and the lengths of the placements."""
    order = np.argsort(admitted, kind="stable")
    before = rng.random() + share * np.arange(len(order))
    out = np.zeros(len(order), bool)
    out[order] = np.floor(before + share) > np.floor(before)
    return out

#: Inappropriate OAP bed days a month, per 100,000 adults registered on the date measured at (a
#: bed day is a night: each day from admission up to the day before discharge). The published
#: figure is a quarter's count, a monthly mean; here the mean month of the 36 months to the
#: date measured at, as a 60,000-person lake has about six inappropriate placements a year:
#: its mean month over 12 months still varies by about +-12 between seeds, over 36 by +-5.
_OAP_BED_DAYS = f"""
WITH reg AS ({REGISTERED}),
days AS (
  SELECT greatest(0, date_diff('day',
           greatest(admission_date, ({{ref}} - INTERVAL 36 MONTH + INTERVAL 1 DAY)::DATE),
           least(coalesce(discharge_date, {{ref}} + 1), {{ref}} + 1))) AS n
  FROM mh_admissions WHERE out_of_area AND oap_reason = 'bed_unavailable'
)
SELECT 100000.0 * (SELECT sum(n) FROM days) / 36
       / (SELECT count(*) FROM reg WHERE date_diff('month', month_of_birth, {{ref}}) // 12 >= 18)
"""

TARGETS = [
    Target("mh_admissions_per_1000", "Adult mental health inpatient admissions per 1,000 adults, "
           "last 12 months", 2.0, 0.5, "per 1,000",
           "MHSDS: ~100,000 adult acute and PICU admissions a year in England, ~2 per 1,000 "
           "adults [E]",
           f"""WITH reg AS ({REGISTERED})
               SELECT 1000.0 * (SELECT count(*) FROM mh_admissions
                                WHERE admission_date > {{ref}} - INTERVAL 12 MONTH
                                  AND admission_date <= {{ref}})
                      / (SELECT count(*) FROM reg
                         WHERE date_diff('month', month_of_birth, {{ref}}) // 12 >= 18)"""),
    Target("inappropriate_oap_bed_days_per_100k", "Inappropriate out of area placement bed days "
           "a month (mean of the last 36 months), per 100,000 registered adults", 40.0, 20.0,
           "per 100,000",
           "NHS England Out of Area Placements in Mental Health Services: 58,735 inappropriate "
           "OAP days in England in October-December 2021 (~19,600 a month) [S]; over ~49 million "
           "registered adults (NHS Digital Patients Registered at a GP Practice, 2022: ~62 "
           "million, ~79% aged 18+ [K]) ~40 per 100,000 a month (~44 per 100,000 resident "
           "adults, ONS mid-2021 [K]); about 300-350 a month for an ICB of BLMK's size; "
           "~700-825 active inappropriate OAPs in 2023-24 [S]", _OAP_BED_DAYS,
           lookback_months=36),
]
