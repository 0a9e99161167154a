"""Aggregates: the indicator catalogue and indicator values from the results store.

Values are small-number suppressed (`icsight.governance.disclosure.suppress`) for every role
below analyst; analysts see exact counts.
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
        values = self._latest_values()
        values = values[values.indicator_id == indicator_id.upper()]
        if values.empty:
            raise NotFoundError(f"no indicator {indicator_id!r} in the latest build")
        if not full:
            values = suppress(values)
        if breakdown:
            values = values[values.breakdown == breakdown]
        return records(values)

    def _latest_values(self) -> pd.DataFrame:
        from icsight.results import read_latest

        try:
            return read_latest(self.results_dir, "indicator_values")
        except FileNotFoundError:
            # Not the store's message: it names a server path (OWASP Error Handling).
            raise NotFoundError("no results yet: run `icsight build` first") from None
