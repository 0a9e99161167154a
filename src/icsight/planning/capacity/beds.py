"""Beds from bed days: the mean number of beds occupied is the year's bed days over the days
in the year; the beds needed at a target occupancy are that over the occupancy. And the
occupancy-to-delay trade-off at a given load (`delay_table`), from Erlang's delay formula.

The bed days are the demand projection's nights in hospital of non-elective and elective
(overnight) admissions: general and acute beds. Maternity, mental health, critical care and
day case beds or trolleys are not in them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from icsight.planning.capacity.erlang import erlang_c, servers_for_occupancy

__all__ = ["BED_DAY_PODS", "beds_at_occupancy", "check_occupancy", "delay_table",
           "occupied_beds"]

#: the points of delivery whose nights fill general and acute beds
BED_DAY_PODS = ("non_elective_bed_days", "elective_bed_days")


def check_occupancy(occupancy: float) -> float:
    """`occupancy` if it is a share strictly between 0 and 1, or a ValueError saying why: at 0
    no number of beds is enough, and at 1 or above every arrival waits (Erlang's formula)."""
    if not 0 < occupancy < 1:
        raise ValueError(f"a target occupancy must lie strictly between 0 and 1 (0.92 is "
                         f"92%), not {occupancy:g}")
    return occupancy


def occupied_beds(bed_days, days_per_year: float = 365.0) -> np.ndarray:
    """The mean number of beds occupied over a year of `bed_days` (nights in hospital)."""
    if days_per_year <= 0:
        raise ValueError("a year must have some days")
    return np.asarray(bed_days, dtype=float) / days_per_year


def beds_at_occupancy(bed_days, occupancy: float, days_per_year: float = 365.0
                      ) -> np.ndarray:
    """The beds that `bed_days` a year need to run at `occupancy` on average (not rounded:
    rounding each run or place up would make totals disagree)."""
    return occupied_beds(bed_days, days_per_year) / check_occupancy(occupancy)


def delay_table(loads: Mapping[str, float], occupancies: Sequence[float], ward_beds: int
                ) -> pd.DataFrame:
    """For each area's offered load (the mean beds occupied, e.g. the horizon's p50) and each
    target occupancy: the whole beds that occupancy needs, and the chance that an arriving
    patient finds them all full and waits, with the area's beds as one pool
    (`p_wait_pooled`) and for a single ward of `ward_beds` beds at the same occupancy
    (`p_wait_one_ward`). Real beds are split into wards and sites, so the truth lies between
    the two, nearer the ward for specialties that cannot borrow each other's beds."""
    for occupancy in occupancies:
        check_occupancy(occupancy)
    areas = list(loads)
    load = np.array([loads[a] for a in areas], dtype=float)[:, None]
    target = np.asarray(occupancies, dtype=float)[None, :]
    beds = servers_for_occupancy(load, target)
    pooled = erlang_c(beds, np.broadcast_to(load, beds.shape))
    ward = erlang_c(ward_beds, ward_beds * target)[0]
    rows = [(area, occ, load[i, 0], beds[i, j], pooled[i, j], ward[j])
            for i, area in enumerate(areas) for j, occ in enumerate(occupancies)]
    return pd.DataFrame(rows, columns=["place", "occupancy", "beds_occupied", "beds",
                                       "p_wait_pooled", "p_wait_one_ward"])
