"""Administration: the audit trail (administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from icsight.api.deps import Services
from icsight.api.security import SignedIn
from icsight.api.tables import CSV_RESPONSE, Table, TablePage, respond

router = APIRouter()


@router.get("/audit", response_model=TablePage, responses=CSV_RESPONSE)
def audit(who: SignedIn, services: Services, table: Table,
          last: Annotated[int, Query(ge=1, le=10_000,
                                     description="The latest entries to read, "
                                                 "1-10,000.")] = 100) -> Response:
    """The latest `last` audit entries, oldest first (administrators; paged; JSON or CSV)."""
    return respond(table, services.admin.audit_entries(who, last), "audit")
