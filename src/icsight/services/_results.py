"""What the services that read a build's tables share: the latest run, its provenance, and
whether someone sees exact or published figures."""

from __future__ import annotations

import json
from pathlib import Path

from icsight.governance.access import Principal, Role, authorise
from icsight.results.store import latest_run
from icsight.services.errors import NotFoundError

__all__ = ["BuildTables"]


class BuildTables:
    """Tables of the latest build in a results store, served to principals: analysts see
    exact figures, everyone else (and analysts who ask) the published ones."""

    def __init__(self, results_dir: str | Path, audit_log: str | Path) -> None:
        self.results_dir = Path(results_dir)
        self.audit_log = Path(audit_log)

    def _exact(self, who: Principal, resource: str, published: bool = False) -> bool:
        """Whether `who` sees exact figures (analysts, unless they ask for the `published`
        ones); authorised and audited either way."""
        full = who.role == Role.ANALYST and not published
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, resource)
        return full

    def _run(self) -> Path:
        try:
            return latest_run(self.results_dir).resolve()
        except FileNotFoundError as e:
            raise NotFoundError(f"no results yet: {e}") from None

    def _provenance(self, part: str) -> dict:
        """What the latest build's provenance says of `part` ({} if nothing)."""
        try:
            provenance = json.loads((self._run() / "provenance.json").read_text())
        except (OSError, ValueError):
            return {}
        return provenance.get(part) or {}
