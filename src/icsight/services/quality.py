"""Data quality: each load's reconciliation and the ingestion quarantine, for analysts and
admins.

Ingestion records every load in the lake's ledger (`icsight.ingest.ledger`): per source file
and table, rows received, loaded, replaced and quarantined, where received = loaded +
quarantined. Rejected rows go to the quarantine (`icsight.ingest.commit.quarantine_path`),
in the lake's identifiable zone, because a rejected row's payload can hold identifiers.

So this service never hands out a payload, nor a source's server path (only its file name),
and masks the values a reason repeats, keeping only the file, row, table, field and what is
wrong: enough to fix the record at source (NHS England, "Confidentiality and disclosure of
information": no identifiers where they are not needed). The same masking as the ingest
command's console.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath

import pyarrow.parquet as pq

from icsight.governance.access import Principal, Role, record_denial
from icsight.ingest.commit import quarantine_path
from icsight.ingest.ledger import read_ledger
from icsight.model.schema import TABLES
from icsight.services.errors import NotFoundError

__all__ = ["READERS", "QualityService", "masked_reason"]

#: Who may see data quality (issue 12: "Data quality (analyst and admin)").
READERS = frozenset({Role.ANALYST, Role.ADMIN})
COLUMNS = ["load_id", "time", "source", "locator", "table", "field", "reason"]

# A quoted value in a reason, and long digit runs (an NHS number in a free-text column).
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DIGITS = re.compile(r"\d{6,}")
# The one value a reason may repeat: a short code offered for a closed list ("'Purple' is
# not one of ..."), which tells the supplier what to fix and names nobody.
_CODE_OFFERED = re.compile(r"'[A-Za-z0-9 ._-]{1,20}' is not one of ")


def masked_reason(field: str, reason: str) -> str:
    """A quarantine reason without values that could identify someone: an identifying
    field's reason is withheld, quoted values and long digit runs are masked."""
    if field and field in TABLES["person_identifiers"].column_names:
        return "not valid (the reason is kept in the quarantine)"
    if _CODE_OFFERED.match(reason):
        head, tail = reason.split(" is not one of ", 1)
        return _DIGITS.sub("#", head) + " is not one of " + masked_reason("", tail)
    return _DIGITS.sub("#", _QUOTED.sub("'...'", reason))


def _file_name(source: str) -> str:
    """A source as its file name (a server path would say where the drop folders are)."""
    return PurePath(source.replace("\\", "/")).name or source


class QualityService:
    """The lake's ingestion records, served to analysts and admins."""

    def __init__(self, lake_dir: str | Path, audit_log: str | Path) -> None:
        self.lake_dir = Path(lake_dir)
        self.audit_log = Path(audit_log)

    def _allow(self, who: Principal, resource: str) -> None:
        if who.role not in READERS:
            reason = f"role {who.role} may not see data quality"
            record_denial(who, "quality.read", self.audit_log, resource, reason)
            raise PermissionError(reason)

    def reconciliation(self, who: Principal) -> list[dict]:
        """Every load's rows, newest load first: load, when, file, table, received, loaded,
        replaced, quarantined, and whether received = loaded + quarantined."""
        self._allow(who, "reconciliation")
        ledger = read_ledger(self.lake_dir)
        out = []
        for load in reversed(ledger.get("loads", [])):
            for row in load.get("rows", []):
                out.append({"load_id": load.get("load_id", ""),
                            "started": load.get("started", ""),
                            "source": _file_name(str(row.get("source", ""))),
                            "table": row.get("table", ""),
                            "received": int(row.get("received", 0)),
                            "loaded": int(row.get("loaded", 0)),
                            "replaced": int(row.get("replaced", 0)),
                            "quarantined": int(row.get("quarantined", 0))})
        for row in out:
            row["balanced"] = row["received"] == row["loaded"] + row["quarantined"]
        return out

    def quarantine(self, who: Principal, offset: int = 0,
                   limit: int = 50) -> tuple[list[dict], int]:
        """One page of the quarantine, newest first (file, row, table, field, masked
        reason; never the payload), and how many entries there are in all."""
        self._allow(who, "quarantine")
        if offset < 0 or not 1 <= limit <= 1_000:
            raise ValueError("offset must be 0 or more and limit 1 to 1,000")
        path = quarantine_path(self.lake_dir)
        if not path.is_file():
            return [], 0
        try:
            table = pq.read_table(path, columns=COLUMNS)
        except (OSError, ValueError) as e:  # a damaged file is a fault to report, not a 500
            raise NotFoundError("the quarantine file cannot be read; tell the data team") \
                from e
        total = table.num_rows
        # newest first: entries are appended load by load
        start = max(total - offset - limit, 0)
        stop = max(total - offset, 0)
        rows = table.slice(start, stop - start).to_pylist()[::-1]
        return [{"load_id": r["load_id"], "time": r["time"],
                 "source": _file_name(r["source"] or ""), "locator": r["locator"] or "",
                 "table": r["table"] or "", "field": r["field"] or "",
                 "reason": masked_reason(r["field"] or "", r["reason"] or "")}
                for r in rows], total
