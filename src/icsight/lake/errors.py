"""What can go wrong with a lake, as exceptions every room of `icsight.lake` raises (kept apart
so the layout, the lock and the swap need not import one another for them)."""

from __future__ import annotations

__all__ = ["LakeBusyError", "LakeError", "LakeFullError"]


class LakeError(RuntimeError):
    """The lake folder is missing, incomplete, or not a lake."""


class LakeBusyError(LakeError):
    """Another writer holds the lake's lock and did not let go in time."""


class LakeFullError(LakeError):
    """The disk filled up while a new version of the lake was being written."""
