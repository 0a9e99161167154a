"""Waiting lists compared between providers for the fragile services: exact for analysts,
published (small counts withheld, others rounded) for everyone else, as the page shows them."""

from __future__ import annotations

from fastapi import APIRouter

from icsight.api.deps import Services
from icsight.api.security import Who

router = APIRouter()


@router.get("/provider-benchmarks")
def provider_benchmarks(who: Who, services: Services) -> dict:
    """Every fragile service's providers on the lake's last day: list size, median and 92nd
    percentile waits, the share within the standard with its funnel position and SPC
    variation, clock stops a month per 100 waiting, 12-month growth; the monthly series with
    SPC limits; each service's funnel limits."""
    return services.provider_benchmarks.benchmarks(who)


@router.get("/provider-benchmarks/{service}")
def provider_benchmarks_of(who: Who, services: Services, service: str) -> dict:
    """One fragile service's benchmarks (130, 330, 400, 310, 120, 107 or DIAG); an unknown
    code is 404."""
    return services.provider_benchmarks.benchmarks(who, service)
