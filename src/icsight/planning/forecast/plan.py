"""The whole short-term forecast in one call: back-test every series, forecast it with every
model, keep the model the back-test chose and hand it over to the demand projection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from icsight.planning.forecast.handover import hand_over, monthly_projection, seasonal_index
from icsight.planning.forecast.models import LEVELS, MODELS, backtest, backtest_summary, forecast

__all__ = ["PlanningForecast", "planning_forecast"]


@dataclass
class PlanningForecast:
    """What `planning_forecast` made: the back-test's every forecast (`checked`), its scores per
    series and model (`scores`, with `chosen`), every model's forecasts (`forecasts`) and the
    planning path of the chosen models handed over to the projection (`path`)."""

    checked: pd.DataFrame
    scores: pd.DataFrame
    forecasts: pd.DataFrame
    path: pd.DataFrame


def planning_forecast(series: pd.DataFrame, projection_summary: pd.DataFrame,
                      horizon: int = 24, origins: int = 6, backtest_horizon: int = 12,
                      models: Sequence[str] = MODELS, levels: Sequence[int] = LEVELS,
                      n_jobs: int = 1, step: Callable[[str], None] | None = None
                      ) -> PlanningForecast:
    """Back-test, forecast and hand over every series in `series` (place, pod, month,
    activity) to `projection_summary` (`Projection.summary()`). `step(name)` is called as
    each stage finishes (a progress bar)."""
    tell = step or (lambda name: None)
    checked = backtest(series, origins, backtest_horizon, models, levels, n_jobs)
    scores = backtest_summary(checked, levels)
    tell("back-test")
    forecasts = forecast(series, horizon, models, levels, n_jobs)
    tell("forecast")
    chosen = scores.loc[scores.chosen, ["place", "pod", "model"]]
    best = forecasts.merge(chosen, "inner", ["place", "pod", "model"])
    months = pd.DatetimeIndex(sorted(best.month.unique()))
    projected = monthly_projection(projection_summary, months, seasonal_index(series))
    path = hand_over(best, projected)
    tell("hand-over")
    return PlanningForecast(checked=checked, scores=scores, forecasts=forecasts, path=path)
