"""The indicator catalogue and values (everyone; suppressed below analyst)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from icsight.api.deps import Services
from icsight.api.security import Who
from icsight.api.tables import CSV_RESPONSE, Table, TablePage, respond

router = APIRouter(prefix="/indicators")


@router.get("", response_model=TablePage, responses=CSV_RESPONSE)
def indicators(who: Who, services: Services, table: Table) -> Response:
    """The indicator catalogue (paged; JSON or CSV)."""
    return respond(table, services.aggregates.catalogue(who), "indicators")


@router.get("/{indicator_id}/values", response_model=TablePage, responses=CSV_RESPONSE)
def values(who: Who, services: Services, indicator_id: str, table: Table,
           breakdown: str | None = None) -> Response:
    """An indicator's latest values (small-number suppressed unless you are an analyst;
    paged; JSON or CSV)."""
    rows = services.aggregates.indicator_values(who, indicator_id, breakdown)
    return respond(table, rows, f"{indicator_id}-values")
