"""What services raise besides `AccessDeniedError` (from `icsight.governance.access`)."""

from __future__ import annotations

__all__ = ["NotFoundError"]


class NotFoundError(LookupError):
    """No such indicator, practice, patient or extract."""
