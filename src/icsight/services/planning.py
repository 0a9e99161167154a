"""Planning extracts: pseudonymised rows for analysts, national data opt-out applied.

The allow-list of tables lives here, not in the HTTP layer, so every caller (API, pages, CLI)
gets the same extracts and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from icsight.governance.access import Principal, authorise
from icsight.governance.purpose import Purpose
from icsight.model import TABLES
from icsight.services._json import records
from icsight.services.engines import Engines
from icsight.services.errors import NotFoundError

__all__ = ["PLANNING_TABLES", "PlanningService"]

#: The tables an analyst may extract for planning.
PLANNING_TABLES = ("patients", "apc_spells", "ec_attendances", "rtt_pathways")


class PlanningService:
    """Planning extracts from the lake opened for planning (opt-outs left out)."""

    def __init__(self, engines: Engines, audit_log: str | Path) -> None:
        self.engines = engines
        self.audit_log = Path(audit_log)

    def planning_extract(self, who: Principal, table: str = "patients") -> list[dict]:
        """Pseudonymised rows of `table` for planning: people with a national data opt-out
        left out. An unknown table is not found whoever asks (checked before access, as the
        HTTP layer always did, so it is neither a denial nor audited)."""
        if table not in PLANNING_TABLES:
            raise NotFoundError(f"no planning extract {table!r}")
        authorise(who, "extract.planning", self.audit_log, table)
        # raw_table: the stored columns with the opt-out applied, without the indicator-only
        # `cell` numbering that Lake.table would compute and keep for the engine's lifetime.
        with self.engines.use(Purpose.PLANNING) as lake:
            frame = lake.raw_table(table).to_pandas()
        return records(frame)

    def planning_page(self, who: Principal, table: str, offset: int,
                      limit: int) -> tuple[list[dict], int, list[str]]:
        """Rows `offset` to `offset + limit` of `planning_extract(who, table)`, in the order
        of the table's key (so pages neither overlap nor miss a row), with the extract's
        total and columns: a page of a million-row table reads one page, not the table.
        Checked, authorised and audited as `planning_extract`."""
        if table not in PLANNING_TABLES:
            raise NotFoundError(f"no planning extract {table!r}")
        authorise(who, "extract.planning", self.audit_log, table)
        with self.engines.use(Purpose.PLANNING) as lake:
            rows = lake.raw_table(table)
            total = int(rows.count().execute())
            page = rows.order_by(list(TABLES[table].key)).limit(limit, offset=offset)
            frame = page.to_pandas()
        return records(frame), total, list(rows.columns)
