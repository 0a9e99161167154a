"""Confidence levels and the output column names analysts know from PHEindicatormethods.

A confidence level may be given as 0.95 or 95; values from 90 up are read as percentages. One
level gives columns `lowercl`/`uppercl`; the pair (0.95, 0.998) gives `lower95_0cl`,
`upper95_0cl`, `lower99_8cl`, `upper99_8cl`, as `PHEindicatormethods` names them.
"""

from __future__ import annotations

from collections.abc import Sequence

from scipy.special import ndtri


def levels(confidence: float | Sequence[float]) -> list[float]:
    """Confidence levels as fractions, validated as PHEindicatormethods does."""
    values = [confidence] if isinstance(confidence, int | float) else list(confidence)
    out = [v / 100 if v >= 90 else v for v in values]
    if len(out) > 2 or any(not 0.9 <= v <= 1 for v in out):
        raise ValueError("confidence must be between 0.9 and 1 (or 90 and 100), "
                         "one level or the pair 0.95 and 0.998")
    if len(out) == 2 and sorted(out) != [0.95, 0.998]:
        raise ValueError("two confidence levels must be 0.95 and 0.998")
    return sorted(out)


def z(level: float) -> float:
    """Two-sided standard normal critical value: 1.959964 at 95%, 3.090232 at 99.8%."""
    return float(ndtri(level + (1 - level) / 2))


def column_names(all_levels: list[float]) -> list[tuple[float, str, str]]:
    """(level, lower column, upper column) for each level."""
    if len(all_levels) == 1:
        return [(all_levels[0], "lowercl", "uppercl")]
    return [(lv, f"lower{_tag(lv)}cl", f"upper{_tag(lv)}cl") for lv in all_levels]


def label(all_levels: list[float]) -> str:
    """The `confidence` column: "95%" or "95%, 99.8%"."""
    return ", ".join(f"{lv * 100:g}%" for lv in all_levels)


def _tag(level: float) -> str:
    """95_0 for 0.95, 99_8 for 0.998: the suffix PHEindicatormethods puts in column names."""
    whole, frac = f"{level * 100:.1f}".split(".")
    return f"{whole}_{frac}"
