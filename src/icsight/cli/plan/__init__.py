"""`icsight plan`: planning to 2043 from the command line: the population projections by place
(`population`), registered lists against ONS residents (`list-inflation`), activity by point of
delivery with its uncertainty (`demand`), the beds, sessions and staff it implies
(`capacity`), monthly forecasts handed over to the projection (`forecast`), each treatment
function's waiting list at each provider as a queue and simulated week by week
(`waiting-lists`), and the providers compared (`providers`).

The figures are exact counts for planners holding the lake (like `icsight indicators`); what
is published more widely goes through the results store and its disclosure control.

Each command is a module of this package; importing them registers them with the group.
"""

from __future__ import annotations

from icsight.cli.plan import (  # noqa: F401 - registers the commands
    capacity,
    demand,
    forecast,
    population,
    providers,
    waiting_lists,
)
from icsight.cli.plan._group import plan

__all__ = ["plan"]
