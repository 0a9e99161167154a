"""Role-based access: who may do what, enforced the same way in the Python API and over HTTP.

Roles (least privilege; the matrix below is the whole policy, as data):

- `public`: the catalogue and published, small-number-suppressed aggregates;
- `analyst`: ICB-wide aggregates without suppression, pseudonymised records, and planning
  extracts (which leave out the national data opt-out);
- `clinician`: scoped to one practice or PCN; identifiable records and worklists only of
  patients registered there, for their direct care (every view and export audited, and every
  follow-up recorded on a worklist); aggregates suppressed as for the public;
- `admin`: accounts and the audit trail; no patient data.

Every denial is written to the audit log with who asked for what, and so is every view or
export of identifiable data (`icsight.governance.audit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from icsight.governance.audit import record
from icsight.governance.purpose import Purpose


class Role(StrEnum):
    PUBLIC = "public"
    ANALYST = "analyst"
    CLINICIAN = "clinician"
    ADMIN = "admin"


#: action -> roles allowed. `scoped` actions also need the patient or practice to be in the
#: clinician's practice or PCN.
MATRIX: dict[str, frozenset[Role]] = {
    "catalogue.read": frozenset(Role),
    "aggregates.suppressed": frozenset(Role),
    "aggregates.unsuppressed": frozenset({Role.ANALYST}),
    "records.pseudonymised": frozenset({Role.ANALYST}),
    "extract.planning": frozenset({Role.ANALYST}),
    "records.identifiable.list": frozenset({Role.CLINICIAN}),
    "records.identifiable.view": frozenset({Role.CLINICIAN}),
    "records.identifiable.export": frozenset({Role.CLINICIAN}),
    "worklists.follow_up": frozenset({Role.CLINICIAN}),
    "audit.read": frozenset({Role.ADMIN}),
    "accounts.manage": frozenset({Role.ADMIN}),
}
SCOPED = {"records.identifiable.list", "records.identifiable.view",
          "records.identifiable.export", "worklists.follow_up"}
IDENTIFIABLE_ACTIONS = SCOPED
#: Why each audited action is done: the purpose recorded with it in the audit log.
PURPOSE = {"records.identifiable.list": Purpose.DIRECT_CARE,
           "records.identifiable.view": Purpose.DIRECT_CARE,
           "records.identifiable.export": Purpose.DIRECT_CARE,
           "worklists.follow_up": Purpose.DIRECT_CARE,
           "extract.planning": Purpose.PLANNING}


@dataclass(frozen=True)
class Principal:
    """Someone signed in: who, in which role, and for a clinician the practice or PCN they
    care for."""

    user: str
    role: Role
    practice_code: str | None = None
    pcn_code: str | None = None

    def __post_init__(self):
        if self.role == Role.CLINICIAN and not (self.practice_code or self.pcn_code):
            raise ValueError("a clinician must be scoped to a practice or a PCN")


ANONYMOUS = Principal("anonymous", Role.PUBLIC)


class AccessDeniedError(PermissionError):
    """The principal may not do this; the message says why (and it has been audited)."""


def allowed(principal: Principal, action: str) -> bool:
    if action not in MATRIX:
        raise KeyError(f"unknown action {action!r}")
    return principal.role in MATRIX[action]


def in_scope(principal: Principal, practice_code: str | None, pcn_code: str | None) -> bool:
    """Whether a patient registered at `practice_code` (in `pcn_code`) is the clinician's."""
    if principal.practice_code:
        return practice_code == principal.practice_code
    return pcn_code is not None and pcn_code == principal.pcn_code


def record_denial(principal: Principal, action: str, audit_log: str | Path, resource: str,
                  reason: str) -> None:
    """Write a refusal to the audit log: who (`anonymous` when not signed in), what, why.

    Also used by the HTTP layer for what it refuses before a service is asked (not signed
    in, no CSRF token): OWASP Logging Cheat Sheet, "access control failures"."""
    record(audit_log, principal.user, str(principal.role), f"DENIED {action}", resource[:300],
           reason)


def authorise(principal: Principal, action: str, audit_log: str | Path, resource: str = "",
              practice_code: str | None = None, pcn_code: str | None = None) -> None:
    """Allow `action` on `resource`, or raise AccessDeniedError. Denials and identifiable access are
    recorded in the audit log (hash-chained, append-only)."""
    reason = None
    if not allowed(principal, action):
        reason = f"role {principal.role} may not {action}"
    elif action in SCOPED and not in_scope(principal, practice_code, pcn_code):
        scope = principal.practice_code or principal.pcn_code
        reason = f"not registered with {scope}: identifiable data is for direct care of " \
                 "your own patients"
    if reason:
        record_denial(principal, action, audit_log, resource, reason)
        raise AccessDeniedError(reason)
    if action in IDENTIFIABLE_ACTIONS or action == "extract.planning":
        record(audit_log, principal.user, str(principal.role), action, resource,
               f"purpose: {PURPOSE[action].value}")
