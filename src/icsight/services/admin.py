"""Administration: the audit trail (administrators only; no patient data)."""

from __future__ import annotations

import json
from pathlib import Path

from icsight.governance.access import Principal, authorise

__all__ = ["AdminService"]


class AdminService:
    """What administrators see."""

    def __init__(self, audit_log: str | Path) -> None:
        self.audit_log = Path(audit_log)

    def audit_entries(self, who: Principal, last: int = 100) -> list[dict]:
        """The latest `last` audit entries, oldest first."""
        authorise(who, "audit.read", self.audit_log)
        if not self.audit_log.is_file():
            return []
        lines = self.audit_log.read_text().splitlines()[-last:]
        return [json.loads(line) for line in lines]
