"""Administration of accounts and the audit log, for the admin pages: who may sign in and
as what, the latest audit entries, and whether the log's hash chain holds.

Every change is authorised (`accounts.manage`, admins only) and written to the audit log
with who made it; the account store's own rules apply (a disabled account's sessions end,
a change of role ends them too: `icsight.governance.accounts.AccountStore`). Reading the
log needs `audit.read`; its check is `icsight.governance.audit.verify`, the same as
`icsight audit verify`.
"""

from __future__ import annotations

import json
from pathlib import Path

from icsight.governance.access import Principal, Role, authorise
from icsight.governance.accounts import AccountStore
from icsight.governance.audit import Verdict, record, verify

__all__ = ["AccountAdminService"]


class AccountAdminService:
    """Accounts and the audit trail, served to administrators."""

    def __init__(self, accounts: AccountStore, audit_log: str | Path) -> None:
        self.accounts = accounts
        self.audit_log = Path(audit_log)

    def list(self, who: Principal) -> list[dict]:
        """Every account: name, role, scope, disabled, locked (never a hash)."""
        authorise(who, "accounts.manage", self.audit_log, "accounts")
        return self.accounts.list()

    def add(self, who: Principal, user: str, password: str, role: str,
            practice_code: str | None = None, pcn_code: str | None = None) -> None:
        """Create an account (AccountError or ValueError say what is wrong with it)."""
        authorise(who, "accounts.manage", self.audit_log, f"account {user}"[:300])
        if any(a["user"] == user for a in self.accounts.list()):
            # replacing would silently reset someone's password from an "add" form
            from icsight.governance.accounts import AccountError

            raise AccountError(f"there is already an account {user!r}")
        self.accounts.add(user, password, role, practice_code, pcn_code)
        self._audit(who, "accounts.add", user, f"role {Role(role)}")

    def disable(self, who: Principal, user: str) -> None:
        """Stop an account signing in and end its sessions."""
        authorise(who, "accounts.manage", self.audit_log, f"account {user}"[:300])
        self.accounts.disable(user)
        self._audit(who, "accounts.disable", user, "sessions ended")

    def enable(self, who: Principal, user: str) -> None:
        """Let a disabled account sign in again."""
        authorise(who, "accounts.manage", self.audit_log, f"account {user}"[:300])
        self.accounts.enable(user)
        self._audit(who, "accounts.enable", user)

    def set_role(self, who: Principal, user: str, role: str,
                 practice_code: str | None = None, pcn_code: str | None = None) -> None:
        """Change an account's role and scope (its sessions end)."""
        authorise(who, "accounts.manage", self.audit_log, f"account {user}"[:300])
        self.accounts.set_role(user, role, practice_code, pcn_code)
        self._audit(who, "accounts.set_role", user, f"role {Role(role)}")

    def audit_page(self, who: Principal, offset: int = 0,
                   limit: int = 50) -> tuple[list[dict], int]:
        """One page of the audit log, newest first, and how many entries it has."""
        authorise(who, "audit.read", self.audit_log, "audit log")
        if offset < 0 or not 1 <= limit <= 1_000:
            raise ValueError("offset must be 0 or more and limit 1 to 1,000")
        if not self.audit_log.is_file():
            return [], 0
        lines = self.audit_log.read_bytes().splitlines()
        total = len(lines)
        chosen = lines[max(total - offset - limit, 0):max(total - offset, 0)][::-1]
        entries = []
        for line in chosen:
            try:
                entry = json.loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError):
                entry = {"action": "(an unreadable line: see the check above)"}
            entries.append(entry if isinstance(entry, dict) else {"action": "(not an entry)"})
        return entries, total

    def verify(self, who: Principal) -> Verdict:
        """The audit log checked as `icsight audit verify` checks it."""
        authorise(who, "audit.read", self.audit_log, "audit verify")
        return verify(self.audit_log)

    def _audit(self, who: Principal, action: str, user: str, detail: str = "") -> None:
        record(self.audit_log, who.user, str(who.role), action, f"account {user}"[:300],
               detail)
