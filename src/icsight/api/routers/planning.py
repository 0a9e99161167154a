"""Planning extracts (analysts; national data opt-out applied)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from icsight.api.deps import Services
from icsight.api.security import SignedIn
from icsight.api.tables import CSV_RESPONSE, Page, Table, TablePage, respond_page

router = APIRouter(prefix="/extracts")


@router.get("/planning/{table_name}", response_model=TablePage, responses=CSV_RESPONSE)
def planning(who: SignedIn, services: Services, table_name: str, table: Table) -> Response:
    """Pseudonymised rows for planning, national data opt-out applied (analysts; paged in
    the order of the table's key; JSON or CSV)."""
    rows, total, columns = services.planning.planning_page(who, table_name, table.offset,
                                                           table.limit)
    return respond_page(table, Page(rows, total, columns), f"planning-{table_name}")
