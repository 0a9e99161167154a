"""Planning extracts (analysts; national data opt-out applied)."""

from __future__ import annotations

from fastapi import APIRouter

from icsight.api.deps import Services
from icsight.api.security import SignedIn

router = APIRouter(prefix="/api/extracts")


@router.get("/planning/{table}")
def planning(who: SignedIn, services: Services, table: str) -> list[dict]:
    """Pseudonymised rows for planning, national data opt-out applied (analysts)."""
    return services.planning.planning_extract(who, table)
