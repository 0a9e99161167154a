"""Statistical methods NHS analysts know, ported (maths, not code) from the R packages they use.

Names follow what analysts call them:

- from PHEindicatormethods: `proportion`, `rate`, `dsr`, `isr_ratio`, `isr_rate`, `mean`,
  `sii`, `life_expectancy` (and `life_expectancy_many`, many groups at once), `funnel_limits`
  (proportions), `funnel_limits_ratio` and `funnel_limits_rate`, with their
  `funnel_significance*` companions;
- from FunnelPlotR: `sr_limits`, `tau_squared`, `adjusted_sr_limits` (overdispersion);
- from NHSRplotthedots: `spc` (Making Data Count XmR charts with icons).

Each cites its source in its module's docstring; the `tests/test_stats_*.py` modules reproduce
the packages' published test values.
"""

from icsight.stats.funnels import (
    funnel_limits,
    funnel_limits_rate,
    funnel_limits_ratio,
    funnel_points_rate,
    funnel_significance,
    funnel_significance_rate,
    funnel_significance_ratio,
)
from icsight.stats.inequality import sii
from icsight.stats.life_expectancy import life_expectancy, life_expectancy_many
from icsight.stats.means import mean
from icsight.stats.overdispersion import adjusted_sr_limits, outliers, sr_limits, tau_squared
from icsight.stats.poisson import byars, exact, poisson_limits
from icsight.stats.process_control import SpcChart, assurance_type, spc, xmr_limits
from icsight.stats.proportions import proportion, wilson
from icsight.stats.rates import dsr, dsr_non_independent, esp2013, isr_rate, isr_ratio, rate

__all__ = [
    "SpcChart",
    "adjusted_sr_limits",
    "assurance_type",
    "byars",
    "dsr",
    "dsr_non_independent",
    "esp2013",
    "exact",
    "funnel_limits",
    "funnel_limits_rate",
    "funnel_limits_ratio",
    "funnel_points_rate",
    "funnel_significance",
    "funnel_significance_rate",
    "funnel_significance_ratio",
    "isr_rate",
    "isr_ratio",
    "life_expectancy",
    "life_expectancy_many",
    "mean",
    "outliers",
    "poisson_limits",
    "proportion",
    "rate",
    "sii",
    "spc",
    "sr_limits",
    "tau_squared",
    "wilson",
    "xmr_limits",
]
