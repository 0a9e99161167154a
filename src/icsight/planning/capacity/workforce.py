"""Whole-time equivalent staff by staff group: the sum over the group's drivers of the
measure (beds, sessions a year, or a point of delivery's activity a year) times the group's
WTE per unit, the ratios and their sources being data (`capacity.toml`, `StaffGroup`).

There is no GP group: the lake has no GP appointments, so there is no GP activity to apply a
ratio to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from icsight.planning.capacity.assumptions import StaffGroup

__all__ = ["whole_time_equivalents"]


def whole_time_equivalents(measures: Mapping[str, np.ndarray], groups: Sequence[StaffGroup]
                           ) -> dict[str, np.ndarray]:
    """WTE by staff group name, each of the measures' shape."""
    wte: dict[str, np.ndarray] = {}
    for group in groups:
        total = None
        for driver in group.drivers:
            if driver.measure not in measures:
                raise KeyError(f"staff group {group.name!r} has a ratio per "
                               f"{driver.measure!r}, which the projection does not have")
            part = np.asarray(measures[driver.measure], dtype=float) * driver.wte_per_unit
            total = part if total is None else total + part
        wte[group.name] = total
    return wte
