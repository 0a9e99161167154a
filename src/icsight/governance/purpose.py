"""Purposes of use: why data is being looked at, which decides who is left out.

One vocabulary for the lake, the results store, access control, the command line and the audit
log. The national data opt-out applies to planning and research, never to the direct care of the
patient (NHS England, National Data Opt-out Operational Policy Guidance, section 5).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Purpose"]


class Purpose(StrEnum):
    """What the data will be used for."""

    #: Checking the lake itself (data quality, reconciliation): nobody left out.
    ALL = "all"
    #: Caring for the patient: the opt-out does not apply.
    DIRECT_CARE = "direct_care"
    #: Planning services: people with a national data opt-out are left out.
    PLANNING = "planning"
    #: Research: people with a national data opt-out are left out.
    RESEARCH = "research"

    @property
    def opt_out_applies(self) -> bool:
        """Whether people who registered a national data opt-out must be left out."""
        return self in (Purpose.PLANNING, Purpose.RESEARCH)

    @property
    def label(self) -> str:
        """As a person would write it (`direct care`)."""
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, text: str | Purpose) -> Purpose:
        """A purpose from its name, however it is written (`direct care`, `Direct-Care`)."""
        if isinstance(text, Purpose):
            return text
        key = str(text).strip().lower().replace(" ", "_").replace("-", "_")
        try:
            return cls(key)
        except ValueError:
            names = ", ".join(p.value for p in cls)
            raise ValueError(f"unknown purpose {text!r}; one of {names}") from None
