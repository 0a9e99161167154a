"""The health-status adjustment: people living longer spend some of the extra years in good
health, so an older person's use of services in a later year is that of someone a little
younger today (the idea of the Strategy Unit's nhp_model `health_status_adjustment`,
reimplemented here on 5-year age bands).

From `from_age`, a band's rate in a year `t` years after the baseline is the baseline rate at
the band's middle age less `share x gain x t` (gain: years of life expectancy at 65 gained per
calendar year, by sex; share: the part of them spent in good health, drawn per run), read off
the baseline rates of all BLMK by age (straight lines between the bands' middle ages). The
factor is that rate over the band's own: below 1 where activity rises with age.
"""

from __future__ import annotations

import numpy as np

__all__ = ["band_middles", "health_status_factors"]


def band_middles(lowest_ages: np.ndarray) -> np.ndarray:
    """The middle age of each 5-year band from its youngest age (0-4 -> 2.5; 90+ -> 92.5)."""
    return np.asarray(lowest_ages, dtype=float) + 2.5


def health_status_factors(rates: np.ndarray, lowest_ages: np.ndarray, from_age: int,
                          shares: np.ndarray, gains: np.ndarray,
                          years_on: np.ndarray) -> np.ndarray:
    """Factors by run, year, point of delivery, sex and band (shape R, Y, K, S, B).

    `rates` (K, S, B): the baseline rate by point of delivery, sex and band; `lowest_ages`
    (B): each band's youngest age; `shares` (R): the share of the gain spent in good health in
    each run; `gains` (S): life expectancy at 65 gained per year, by sex; `years_on` (Y): years
    from the baseline to each projected year (negative before it). Bands younger than
    `from_age`, and bands with no activity, keep a factor of 1."""
    k_count, s_count, b_count = rates.shape
    middles = band_middles(lowest_ages)
    adjusted = middles[None, None, None, :] - (
        shares[:, None, None, None] * gains[None, None, :, None]
        * years_on[None, :, None, None])  # R, Y, S, B
    older = np.asarray(lowest_ages) >= from_age
    out = np.ones((len(shares), len(years_on), k_count, s_count, b_count))
    for k in range(k_count):
        for s in range(s_count):
            curve = rates[k, s]
            if not curve.any():
                continue
            read = np.interp(adjusted[:, :, s, :], middles, curve)  # R, Y, B
            own = np.where(curve > 0, curve, np.nan)
            factor = np.where(older & (curve > 0), read / own, 1.0)
            out[:, :, k, s, :] = factor
    return out
