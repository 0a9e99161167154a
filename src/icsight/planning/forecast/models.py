"""Forecasts of the monthly series with statsforecast (Nixtla, Apache-2.0), and rolling-origin
back-tests that say which model to trust for each series.

Three models per series: AutoETS and AutoARIMA (each picks its own form by AICc), against the
seasonal naive baseline (each month is the same month a year before; season 12). Every model
gives 80% and 95% prediction intervals.

The back-test repeats what a planner would have seen: from each of several origins (by default
the last 6 months that leave 12 months to check), each model is fitted to the months up to the
origin only and forecasts 1 to 12 months ahead; the forecasts are set against what happened.

- MASE (mean absolute scaled error; Hyndman R J, Koehler A B. Another look at measures of
  forecast accuracy. International Journal of Forecasting 2006;22(4):679-688,
  doi:10.1016/j.ijforecast.2006.03.001): each error divided by the mean absolute error of the
  seasonal naive forecast within the months the model was fitted to (at that origin), then the
  mean of the absolute scaled errors over origins and horizons. Below 1: better than the
  seasonal naive method did in-sample; 0: exact. A series whose in-sample seasonal differences
  are all 0 cannot be scaled: its MASE is left empty (NaN).
- Interval coverage: the share of the months checked whose actual activity fell inside the
  80% (95%) interval, ends included. Near 80% (95%) means the intervals can be believed.

Each series uses the model with the lowest back-test MASE; on a tie (or when no MASE can be
worked out) the simpler model wins, in the order seasonal naive, ETS, ARIMA.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from icsight.planning.forecast.series import SeriesError

__all__ = ["LEVELS", "MODELS", "SEASON", "backtest", "backtest_summary", "choose_models",
           "coverage", "forecast", "mase", "minimum_months"]

SEASON = 12
#: the models in the order a tie is broken in (simplest first)
MODELS = ("SeasonalNaive", "AutoETS", "AutoARIMA")
LEVELS = (80, 95)
#: months a model is fitted to at the least: two whole years, so each calendar month is seen
#: twice (fewer and the seasonal models cannot tell a season from noise)
MIN_FIT_MONTHS = 2 * SEASON
_KEYS = ["place", "pod"]
_SEP = " | "


def mase(actual: Sequence[float], predicted: Sequence[float], insample: Sequence[float],
         season: int = SEASON) -> float:
    """The mean absolute scaled error of `predicted` against `actual`, scaled by the mean
    absolute error of the seasonal naive forecast within `insample` (the months the model was
    fitted to): mean |actual - predicted| / mean |y[t] - y[t - season]|. NaN when the scale is 0
    (a series that repeats exactly) or `insample` is shorter than a season and a month."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    insample = np.asarray(insample, float)
    if len(insample) <= season:
        return float("nan")
    scale = np.mean(np.abs(insample[season:] - insample[:-season]))
    if scale == 0:
        return float("nan")
    return float(np.mean(np.abs(actual - predicted)) / scale)


def coverage(actual: Sequence[float], lo: Sequence[float], hi: Sequence[float]) -> float:
    """The share of `actual` inside [lo, hi] (ends included)."""
    actual, lo, hi = (np.asarray(x, float) for x in (actual, lo, hi))
    return float(np.mean((actual >= lo) & (actual <= hi)))


def minimum_months(origins: int = 0, horizon: int = 0) -> int:
    """Months a series needs: two whole years to fit a model, plus, for a back-test, the
    horizon after the last origin and a month for each earlier origin."""
    if not origins:
        return MIN_FIT_MONTHS
    return MIN_FIT_MONTHS + horizon + origins - 1


def _models(names: Sequence[str]):
    # numba's compiled functions are kept on disk between runs (a first run compiles for a
    # while); statsforecast reads this when it is first imported
    os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")
    # imported here: statsforecast loads numba, which takes seconds; only forecasting needs it
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive

    made = {"SeasonalNaive": lambda: SeasonalNaive(season_length=SEASON),
            "AutoETS": lambda: AutoETS(season_length=SEASON),
            "AutoARIMA": lambda: AutoARIMA(season_length=SEASON)}
    unknown = [n for n in names if n not in made]
    if unknown:
        raise ValueError(f"unknown model {unknown[0]!r}: the models are {', '.join(MODELS)}")
    return [made[n]() for n in names]


def _nixtla(series: pd.DataFrame, need: int, what: str) -> pd.DataFrame:
    """`series` (place, pod, month, activity) as statsforecast reads it, after checking each
    series is long enough and has no missing months."""
    if series.empty:
        raise SeriesError("there are no series to " + what)
    for (place, pod), one in series.groupby(_KEYS, sort=False):
        months = pd.DatetimeIndex(one.month).sort_values()
        if len(months) < need:
            raise SeriesError(
                f"the series {place}, {pod} has {len(months)} months: to {what} needs at "
                f"least {need} (two whole years to fit a model"
                + (", the months checked and one for each origin)" if need > MIN_FIT_MONTHS
                   else ")"))
        expected = pd.date_range(months[0], periods=len(months), freq="MS")
        if not months.equals(expected):
            raise SeriesError(f"the series {place}, {pod} has missing or repeated months, or "
                              f"months that do not start on the 1st")
        if not np.isfinite(one.activity.to_numpy(float)).all():
            raise SeriesError(f"the series {place}, {pod} has a missing activity figure")
    return pd.DataFrame({"unique_id": series.place + _SEP + series.pod,
                         "ds": pd.to_datetime(series.month), "y": series.activity.astype(float)})


def _placed(frame: pd.DataFrame) -> pd.DataFrame:
    keys = frame.pop("unique_id").str.split(_SEP, n=1, expand=True, regex=False)
    frame.insert(0, "pod", keys[1])
    frame.insert(0, "place", keys[0])
    return frame


def _engine(names: Sequence[str], n_jobs: int):
    models = _models(names)
    from statsforecast import StatsForecast

    return StatsForecast(models=models, freq="MS", n_jobs=n_jobs)


def _long(frame: pd.DataFrame, names: Sequence[str], levels: Sequence[int],
          keep: list[str]) -> pd.DataFrame:
    """statsforecast's wide columns (AutoETS, AutoETS-lo-80, ...) as one row per model."""
    parts = []
    for name in names:
        part = frame[keep].copy()
        part["model"] = name
        part["mean"] = frame[name].to_numpy(float)
        for level in levels:
            part[f"lo_{level}"] = frame[f"{name}-lo-{level}"].to_numpy(float)
            part[f"hi_{level}"] = frame[f"{name}-hi-{level}"].to_numpy(float)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def forecast(series: pd.DataFrame, horizon: int = 24, models: Sequence[str] = MODELS,
             levels: Sequence[int] = LEVELS, n_jobs: int = 1) -> pd.DataFrame:
    """Each series (place, pod, month, activity) forecast `horizon` months on from its last
    month by each model: columns place, pod, month, h (months ahead, 1 first), model, mean and
    lo_/hi_ for each level. A forecast of activity below 0 is shown as 0."""
    if horizon < 1:
        raise ValueError("the horizon is at least one month")
    data = _nixtla(series, minimum_months(), "forecast")
    made = _engine(models, n_jobs).forecast(df=data, h=horizon, level=list(levels))
    made = made.reset_index() if "unique_id" not in made.columns else made
    made["h"] = made.groupby("unique_id").cumcount() + 1
    out = _placed(_long(made.rename(columns={"ds": "month"}), models, levels,
                        ["unique_id", "month", "h"]))
    value = [c for c in out.columns if c == "mean" or c[:3] in ("lo_", "hi_")]
    out[value] = out[value].clip(lower=0)
    return out


def backtest(series: pd.DataFrame, origins: int = 6, horizon: int = 12,
             models: Sequence[str] = MODELS, levels: Sequence[int] = LEVELS,
             n_jobs: int = 1) -> pd.DataFrame:
    """Rolling-origin back-test: from each of the last `origins` months that leave `horizon`
    months after them, each model fitted to the months up to the origin forecasts 1 to
    `horizon` months ahead. One row per series, model, origin and month ahead: place, pod,
    model, origin (the last month fitted), h, month, actual, mean, lo_/hi_ per level, and scale
    (the in-sample mean absolute seasonal difference at that origin, for MASE)."""
    if origins < 1 or horizon < 1:
        raise ValueError("a back-test needs at least one origin and one month ahead")
    data = _nixtla(series, minimum_months(origins, horizon), "back-test")
    checked = _engine(models, n_jobs).cross_validation(
        df=data, h=horizon, n_windows=origins, step_size=1, level=list(levels))
    checked = checked.reset_index() if "unique_id" not in checked.columns else checked
    checked = checked.sort_values(["unique_id", "cutoff", "ds"])
    checked["h"] = checked.groupby(["unique_id", "cutoff"]).cumcount() + 1
    out = _long(checked.rename(columns={"ds": "month", "cutoff": "origin", "y": "actual"}),
                models, levels, ["unique_id", "origin", "h", "month", "actual"])
    value = [c for c in out.columns if c == "mean" or c[:3] in ("lo_", "hi_")]
    out[value] = out[value].clip(lower=0)
    scales = _scales(data, out[["unique_id", "origin"]].drop_duplicates())
    out = out.merge(scales, "left", ["unique_id", "origin"])
    return _placed(out)


def _scales(data: pd.DataFrame, origins: pd.DataFrame) -> pd.DataFrame:
    """The MASE scale at each origin: the mean absolute seasonal difference of the months up to
    and including the origin."""
    rows = []
    for uid, cutoffs in origins.groupby("unique_id").origin:
        one = data[data.unique_id == uid].sort_values("ds")
        for cutoff in cutoffs:
            fitted = one.y[one.ds <= cutoff].to_numpy(float)
            scale = np.mean(np.abs(fitted[SEASON:] - fitted[:-SEASON]))
            rows.append((uid, cutoff, float(scale)))
    return pd.DataFrame(rows, columns=["unique_id", "origin", "scale"])


def backtest_summary(checked: pd.DataFrame, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
    """Per series and model: MASE over every origin and month ahead (each error scaled by its
    origin's scale), the coverage of each interval, how many forecasts were checked, and
    whether the model is the one chosen for the series (`chosen`)."""
    frame = checked.copy()
    frame["scaled"] = (frame.actual - frame["mean"]).abs() / frame.scale.where(frame.scale > 0)
    for level in levels:
        frame[f"in_{level}"] = ((frame.actual >= frame[f"lo_{level}"])
                                & (frame.actual <= frame[f"hi_{level}"])).astype(float)
    grouped = frame.groupby([*_KEYS, "model"], sort=False)
    summary = grouped.agg(
        mase=("scaled", lambda s: s.mean() if s.notna().all() else np.nan),
        **{f"coverage_{level}": (f"in_{level}", "mean") for level in levels},
        forecasts=("actual", "size")).reset_index()
    order = {name: i for i, name in enumerate(MODELS)}
    summary["_order"] = summary.model.map(order)
    summary = summary.sort_values([*_KEYS, "_order"]).drop(columns="_order")
    chosen = choose_models(summary)
    summary["chosen"] = [chosen[(p, k)] == m for p, k, m in
                         zip(summary.place, summary.pod, summary.model, strict=True)]
    return summary.reset_index(drop=True)


def choose_models(summary: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The model with the lowest MASE for each (place, pod); on a tie, or with no MASE at all,
    the simplest (the order of MODELS)."""
    order = {name: i for i, name in enumerate(MODELS)}
    chosen = {}
    for key, one in summary.groupby(_KEYS, sort=False):
        one = one.assign(_order=one.model.map(order).fillna(len(order)))
        scored = one[one.mase.notna()]
        if scored.empty:
            chosen[key] = one.sort_values("_order").model.iloc[0]
        else:
            chosen[key] = scored.sort_values(["mase", "_order"]).model.iloc[0]
    return chosen
