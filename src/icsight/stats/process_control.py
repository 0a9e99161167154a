"""Statistical process control as NHS England's Making Data Count (MDC) teaches it: XmR charts.

A port of the maths of NHSRplotthedots v0.2.2 (`ptd_spc`; MIT;
https://github.com/nhs-r-community/NHSRplotthedots @ 050b07d7eacc011767532732f69b8fd7d6a28fd3);
tests reproduce the package's test vectors.

* **Limits**, per rebase group: the centre line is the mean; moving ranges MR_i = |y_i - y_i-1|;
  with outlier screening (default, Nelson 1982) moving ranges of 3.267 x their mean or more are
  dropped and the mean moving range recomputed; process limits = mean -/+ 2.66 x mean MR (the
  constant is exactly 2.66); "near" limits at two thirds of that distance.
* **Special cause rules**, in this order of precedence: a point outside the limits; a run of 7
  points all increasing or all decreasing (a tie breaks it); 2 of 3 points beyond the near
  limits on the same side of the mean; 7 points in a row on one side of the mean (a point on
  the mean breaks the run).
* **Icons**: the variation icon is the point type of the latest point; the assurance icon
  compares the target with the latest limits (pass, fail, or hit and miss).

Switches for the documented differences from the MDC Excel tool: `screen_outliers=False`
(Excel does not screen), `run_length=6` (Excel offers 6), `two_sigma_includes_beyond_3sigma=True`
(the MDC tool since November 2023 counts points beyond 3 sigma in the 2-of-3 rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LIMIT, SCREEN = 2.66, 3.267
DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}
WARNING_THRESHOLD = 13  # groups with fewer points carry "trial limits" warnings


# --- rule helpers (vectors of -1/0/1 and 0/1, as in the R package) ---------------------------

def seven_point_one_side_mean(relative_to_mean, run_length: int = 7) -> np.ndarray:
    """1 where this point ends a run of `run_length` on the same (non-zero) side of the mean."""
    r = np.asarray(relative_to_mean, dtype=int)
    out = np.zeros(len(r), dtype=int)
    for i in range(run_length - 1, len(r)):
        window = r[i - run_length + 1: i + 1]
        out[i] = int(r[i] != 0 and np.all(window == r[i]))
    return out


def seven_point_trend(y, run_length: int = 7) -> np.ndarray:
    """+1/-1 where this point ends a run of `run_length` strictly increasing/decreasing points."""
    y = np.asarray(y, dtype=float)
    out = np.zeros(len(y), dtype=int)
    for i in range(run_length - 1, len(y)):
        d = np.diff(y[i - run_length + 1: i + 1])
        out[i] = 1 if np.all(d > 0) else (-1 if np.all(d < 0) else 0)
    return out


def part_of_seven_trend(v, run_length: int = 7) -> np.ndarray:
    """1 for every point in a run flagged at its end (the flag and the points before it)."""
    v = np.abs(np.asarray(v, dtype=int))
    out = np.zeros(len(v), dtype=int)
    for i in range(len(v)):
        out[i] = int(np.any(v[i: i + run_length] == 1))
    return out


def two_in_three(close_to_limits, relative_to_mean) -> np.ndarray:
    """1 where some 3-point window holding this point has 2+ points near the limits and all
    three on the same side of the mean."""
    c = np.asarray(close_to_limits, dtype=int)
    r = np.asarray(relative_to_mean, dtype=int)
    n = len(c)
    out = np.zeros(n, dtype=int)
    for start in range(n - 2):
        if c[start: start + 3].sum() >= 2 and abs(r[start: start + 3].sum()) == 3:
            out[start: start + 3] = 1
    return out


def part_of_two_in_three(two_in_three_flags, close_to_limits) -> np.ndarray:
    """Only the points near the limits are flagged by the 2-of-3 rule."""
    return (np.asarray(two_in_three_flags, int) == 1) & (np.asarray(close_to_limits, int) == 1)


# --- limits ---------------------------------------------------------------------------------

def xmr_limits(y, screen_outliers: bool = True, fix_after_n_points: int | None = None) -> dict:
    """Centre line, process limits and near limits for one group of values."""
    y = np.asarray(y, dtype=float)
    base = y if fix_after_n_points is None else y[:fix_after_n_points]
    centre = float(np.nanmean(base)) if (~np.isnan(base)).any() else np.nan
    mr = np.abs(np.diff(base))
    # no moving range with a value (one point, or all missing): no spread, and no warning
    amr = float(np.nanmean(mr)) if (~np.isnan(mr)).any() else np.nan
    if screen_outliers and len(mr):
        amr = float(np.nanmean(mr[mr < SCREEN * amr])) if np.any(mr < SCREEN * amr) else 0.0
    return {"mean": centre, "lpl": centre - LIMIT * amr, "upl": centre + LIMIT * amr,
            "nlpl": centre - 2 / 3 * LIMIT * amr, "nupl": centre + 2 / 3 * LIMIT * amr,
            "amr": amr}


# --- the chart ------------------------------------------------------------------------------

@dataclass
class SpcChart:
    """An XmR chart: one row per point, and the icons for its latest point."""

    points: pd.DataFrame
    improvement_direction: str
    target: float | None

    @property
    def variation_icon(self) -> str:
        """MDC variation icon for the latest point."""
        return icon_for(self.points["point_type"].iloc[-1], self.improvement_direction)

    @property
    def assurance_type(self) -> str | None:
        last = self.points.iloc[-1]
        return assurance_type(self.target, last["lpl"], last["upl"], self.improvement_direction)

    @property
    def assurance_icon(self) -> str | None:
        return {"consistent_pass": "pass", "consistent_fail": "fail",
                "inconsistent": "inconsistent", None: None}[self.assurance_type]

    @property
    def short_group_warning(self) -> bool:
        return bool(self.points["short_group_warning"].any())


def spc(values, dates=None, improvement_direction: str = "increase", target: float | None = None,
        rebase=(), fix_after_n_points: int | None = None, screen_outliers: bool = True,
        run_length: int = 7, two_sigma_includes_beyond_3sigma: bool = False,
        warning_threshold: int = WARNING_THRESHOLD) -> SpcChart:
    """An XmR chart of `values` (in date order), with MDC rules and icons.

    `rebase` lists the dates (or positions, when no dates are given) where a new set of limits
    starts, e.g. after a change was made. `fix_after_n_points` (12 or more) freezes the limits
    at the first N points of each group.
    """
    if improvement_direction not in DIRECTIONS:
        raise ValueError(f"improvement_direction must be one of {', '.join(DIRECTIONS)}")
    if fix_after_n_points is not None and fix_after_n_points < 12:
        raise ValueError("fix_after_n_points must be 12 or more")
    y = np.asarray(values, dtype=float)
    x = pd.Index(dates if dates is not None else range(len(y)))
    if x.has_duplicates:
        raise ValueError("duplicate dates: each date may appear once")
    order = np.argsort(x.to_numpy(), kind="stable")
    y, x = y[order], x[order]
    group = np.cumsum(np.isin(x, list(rebase))) if len(rebase) else np.zeros(len(y), int)
    frames = []
    for g in np.unique(group):
        sel = group == g
        frames.append(_classify(y[sel], x[sel], g, improvement_direction, screen_outliers,
                                fix_after_n_points, run_length,
                                two_sigma_includes_beyond_3sigma, warning_threshold))
    return SpcChart(pd.concat(frames, ignore_index=True), improvement_direction, target)


def _classify(y, x, group, direction, screen, fix_n, run_length, include_beyond,
              warning_threshold) -> pd.DataFrame:
    lim = xmr_limits(y, screen, fix_n)
    outside = (y > lim["upl"]) | (y < lim["lpl"])
    # a missing value is on neither side of the mean: it breaks a run rather than joining one
    # (cast to int, NaN became the most negative integer: "below", and all-missing groups
    # read as a shift of special-cause concern)
    rtm = np.nan_to_num(np.sign(y - lim["mean"]), nan=0.0).astype(int)
    near = (y < lim["nlpl"]) | (y > lim["nupl"])
    close = near if include_beyond else (~outside & near)
    trend = seven_point_trend(y, run_length)
    in_trend = part_of_seven_trend(trend, run_length).astype(bool)
    in_two = part_of_two_in_three(two_in_three(close, rtm), close)
    in_shift = part_of_seven_trend(seven_point_one_side_mean(rtm, run_length),
                                   run_length).astype(bool)
    trend_dir = _trend_direction(y, in_trend)
    side = np.select([outside, in_trend, in_two, in_shift], [rtm, trend_dir, rtm, rtm], 0)
    rule = np.select([outside, in_trend, in_two, in_shift],
                     ["outside_limits", "trend", "two_in_three", "shift"], "common_cause")
    d = DIRECTIONS[direction]
    point_type = [_point_type(r, s, d) for r, s in zip(rule, side, strict=True)]
    return pd.DataFrame({
        "x": x, "y": y, "rebase_group": group, "mean": lim["mean"], "lpl": lim["lpl"],
        "upl": lim["upl"], "nlpl": lim["nlpl"], "nupl": lim["nupl"],
        "outside_limits": outside, "relative_to_mean": rtm, "close_to_limits": close,
        "rule": rule, "point_type": point_type,
        "special_cause_flag": rule != "common_cause",
        "short_group_warning": len(y) < warning_threshold,
    })


def _trend_direction(y, in_trend) -> np.ndarray:
    """Sign of the next step when the next point is in the trend too, else of the last step."""
    out = np.zeros(len(y), dtype=int)
    for i in np.flatnonzero(in_trend):
        if i + 1 < len(y) and in_trend[i + 1]:
            out[i] = int(np.sign(y[i + 1] - y[i]))
        elif i > 0:
            out[i] = int(np.sign(y[i] - y[i - 1]))
    return out


def _point_type(rule: str, side: int, direction: int) -> str:
    if rule == "common_cause" or side == 0:
        return "common_cause"
    if direction == 0:
        return "special_cause_neutral_high" if side > 0 else "special_cause_neutral_low"
    return "special_cause_improvement" if side * direction > 0 else "special_cause_concern"


def icon_for(point_type: str, direction: str) -> str:
    """Variation icon for a point type. "high"/"low" follows the improvement direction: where
    higher is better, improvement is `improvement_high` and concern `concern_low`."""
    up = direction == "increase"
    if point_type == "special_cause_improvement":
        return "improvement_high" if up else "improvement_low"
    if point_type == "special_cause_concern":
        return "concern_low" if up else "concern_high"
    if point_type.startswith("special_cause_neutral"):
        return "neutral_" + point_type.rsplit("_", 1)[1]
    return "common_cause"


def assurance_type(target, lpl, upl, direction: str) -> str | None:
    """Will the process meet the target? consistent_pass, consistent_fail or inconsistent."""
    if target is None or direction == "neutral" or lpl is None or upl is None:
        return None
    if target > upl:
        return "consistent_fail" if direction == "increase" else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if direction == "increase" else "consistent_fail"
    return "inconsistent"
