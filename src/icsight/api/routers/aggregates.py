"""The indicator catalogue and values (everyone; suppressed below analyst)."""

from __future__ import annotations

from fastapi import APIRouter

from icsight.api.deps import Services
from icsight.api.security import Who

router = APIRouter(prefix="/api/indicators")


@router.get("")
def indicators(who: Who, services: Services) -> list[dict]:
    """The indicator catalogue."""
    return services.aggregates.catalogue(who)


@router.get("/{indicator_id}/values")
def values(who: Who, services: Services, indicator_id: str,
           breakdown: str | None = None) -> list[dict]:
    """An indicator's latest values (small-number suppressed unless you are an analyst)."""
    return services.aggregates.indicator_values(who, indicator_id, breakdown)
