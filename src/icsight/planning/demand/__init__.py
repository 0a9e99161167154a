"""Demand to 2043 with honest uncertainty: baseline activity rates from the lake by place, age
band, sex and point of delivery (`baseline`), projected with a population variant, a
health-status adjustment, non-demographic growth and mitigators as a Monte Carlo
(`projection`), under a versioned scenario file (`scenario`). The points of delivery are
`pods`. Method, sources and parameters: docs/planning-demand.md.

The approach follows the Strategy Unit's New Hospital Programme demand model
(The-Strategy-Unit/nhp_model, MIT): the same change factors and the p10-p90 convention, but by
place and year by year, from the lake's registered population rather than HES by provider."""

from icsight.planning.demand.baseline import BANDS, baseline_rates, baseline_window
from icsight.planning.demand.pods import POD_IDS, POINTS_OF_DELIVERY, point_of_delivery
from icsight.planning.demand.projection import Projection, percentiles, project
from icsight.planning.demand.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    packaged_scenario,
    scenario_from_dict,
)

__all__ = ["BANDS", "POD_IDS", "POINTS_OF_DELIVERY", "Projection", "Scenario", "ScenarioError",
           "baseline_rates", "baseline_window", "load_scenario", "packaged_scenario",
           "percentiles", "point_of_delivery", "project", "scenario_from_dict"]
