"""Short-term forecasts: monthly activity by place and point of delivery from the lake
(`series`, the demand baseline's counting rule month by month), forecast 24 months ahead with
statsforecast's AutoETS and AutoARIMA against a seasonal naive baseline, with rolling-origin
back-tests (MASE and interval coverage) that choose a model per series (`models`), handed over
to the long-term demand projection without a step (`handover`). Method:
docs/planning-forecast.md."""

from icsight.planning.forecast.handover import (
    BLEND_FROM,
    BLEND_TO,
    blend_weight,
    hand_over,
    monthly_projection,
    seasonal_index,
)
from icsight.planning.forecast.models import (
    LEVELS,
    MODELS,
    SEASON,
    backtest,
    backtest_summary,
    choose_models,
    coverage,
    forecast,
    mase,
    minimum_months,
)
from icsight.planning.forecast.plan import PlanningForecast, planning_forecast
from icsight.planning.forecast.series import SeriesError, monthly_activity, whole_months

__all__ = ["BLEND_FROM", "BLEND_TO", "LEVELS", "MODELS", "SEASON", "PlanningForecast",
           "SeriesError", "backtest", "backtest_summary", "blend_weight", "choose_models",
           "coverage", "forecast", "hand_over", "mase", "minimum_months", "monthly_activity",
           "monthly_projection", "planning_forecast", "seasonal_index", "whole_months"]
