"""Administration: the audit trail (administrators)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from icsight.api.deps import Services
from icsight.api.security import SignedIn

router = APIRouter(prefix="/api")


@router.get("/audit")
def audit(who: SignedIn, services: Services, last: int = 100) -> list[dict]:
    """The latest audit entries (administrators)."""
    if not 1 <= last <= 10_000:
        raise HTTPException(status_code=422, detail="last must be 1-10,000")
    return services.admin.audit_entries(who, last)
