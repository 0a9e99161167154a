"""Aggregates: the indicator catalogue and indicator values from the results store.

Values are small-number suppressed (`icsight.governance.disclosure.suppress`) for every role
below analyst; analysts see exact counts. Suppression runs over every breakdown of the
indicator at once (so a breakdown asked for alone is protected against the others), within the
practice -> PCN -> place parentage stored with the run, and values and intervals are recomputed
from the published counts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from icsight.governance.access import Principal, Role, authorise
from icsight.governance.disclosure import suppress
from icsight.services._json import records
from icsight.services.errors import NotFoundError

__all__ = ["AggregateService"]


class AggregateService:
    """Indicator catalogue and values, served to principals."""

    def __init__(self, results_dir: str | Path, audit_log: str | Path) -> None:
        self.results_dir = Path(results_dir)
        self.audit_log = Path(audit_log)

    def catalogue(self, who: Principal) -> list[dict]:
        """Every indicator's description and id."""
        authorise(who, "catalogue.read", self.audit_log)
        from icsight.indicators.catalogue import catalogue

        return [ind.describe() | {"id": ind.id} for ind in catalogue().values()]

    def indicator_values(self, who: Principal, indicator_id: str,
                         breakdown: str | None = None) -> list[dict]:
        """The latest build's values; small-number suppressed for everyone but analysts."""
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, indicator_id)
        values, hierarchy = self._latest_values()
        values = values[values.indicator_id == indicator_id.upper()]
        if values.empty:
            raise NotFoundError(f"no indicator {indicator_id!r} in the latest build")
        if not full:
            values = suppress(values, hierarchy=hierarchy, methods=_methods())
        if breakdown:
            values = values[values.breakdown == breakdown]
        return records(values)

    def _latest_values(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The newest run's values and its practice parentage (None for a run built before
        it was stored: practice and PCN rows are then withheld below analyst)."""
        from icsight.results import latest_run

        try:
            run = latest_run(self.results_dir)
        except FileNotFoundError:
            # Not the store's message: it names a server path (OWASP Error Handling).
            raise NotFoundError("no results yet: run `icsight build` first") from None
        values = pd.read_parquet(run / "indicator_values.parquet")
        parentage = run / "hierarchy.parquet"
        return values, pd.read_parquet(parentage) if parentage.is_file() else None


def _methods() -> dict[str, tuple[str, float]]:
    """Each indicator's method and multiplier, to recompute values from published counts."""
    from icsight.indicators.catalogue import catalogue

    return {i.id: (i.method, i.multiplier) for i in catalogue().values()}
