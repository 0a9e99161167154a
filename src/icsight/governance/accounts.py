"""Authentication: local accounts for the demo, NHS CIS2 / Entra ID by OIDC configuration.

**Local accounts** follow the rules of `AccountStore` (names, passwords, locks, session
versions); where they are kept is its subclass's business: the application database
(`icsight.appdb.accounts.Accounts`). Before it they lived in a JSON file (`ICSIGHT_ACCOUNTS`
or `~/.config/icsight/accounts.json`), which the database imports once and leaves untouched;
`default_accounts_file` still names it. Passwords are stored only as argon2id hashes
(`argon2-cffi`, RFC 9106 parameters), rehashed when the parameters change; an unknown user
costs the same hash verification as a known one, so timing does not reveal who has an account.

**OIDC** (authorisation code flow with PKCE, RFC 7636): configure the issuer, client id, the
environment variable holding the client secret, and how a claim maps to an icsight role and
scope; the provider's endpoints come from its discovery document at run time. NHS CIS2 and
Microsoft Entra ID both work this way; see docs/access-control.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from icsight.governance.access import Principal, Role
from icsight.settings import get as setting
from icsight.settings import positive

ENV_ACCOUNTS = "ICSIGHT_ACCOUNTS"
MIN_PASSWORD = 12
#: Names that would be confused with someone not signed in, in sessions and the audit log.
RESERVED = {"anonymous", "-", ""}
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults
_DUMMY = _hasher.hash("icsight-timing-equaliser")


def default_accounts_file() -> Path:
    return Path(setting(ENV_ACCOUNTS) or "~/.config/icsight/accounts.json").expanduser()


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the principal, or None and why (for the audit log only:
    the person signing in is told the same thing whatever the reason)."""

    principal: Principal | None
    reason: str = ""


class AccountStore(ABC):
    """The local accounts' rules, over a store a subclass provides (`_load`, `_account` and
    `_update`, the only methods that touch it; accounts are plain dicts, keyed by name, with
    the fields `hash`, `role`, `practice_code`, `pcn_code`, `disabled`, `version`,
    `failures` and `locked_until`).

    Each account carries a `version`, raised whenever its sessions must end (sign-out,
    disabling, a new password, a change of role or scope): a session records the version it
    began with and is honoured only while the account still has it (OWASP Session Management
    Cheat Sheet: invalidate sessions server-side on logout and privilege change). Failed
    sign-ins are counted in the account, so a restart does not forget a lock (OWASP
    Authentication Cheat Sheet, "Account lockout").
    """

    clock: Callable[[], float] = time.time  # a builtin: not bound as a method

    # --- the store ---------------------------------------------------------------------------

    @abstractmethod
    def _load(self) -> dict[str, dict]:
        """Every account, read without a lock."""

    def _account(self, user: str) -> dict | None:
        """One account, read without a lock (a store may read just that one)."""
        return self._load().get(user)

    @abstractmethod
    def _update(self) -> AbstractContextManager[dict[str, dict]]:
        """The accounts, to change in place (add, change or remove entries); written back
        under an exclusive lock held from the read to the write, so two writers (a sign-in
        and `icsight users disable`) cannot lose each other's change. Nothing is written if
        the block raises."""

    # --- administration ----------------------------------------------------------------------

    def add(self, user: str, password: str, role: Role | str, practice_code: str | None = None,
            pcn_code: str | None = None) -> None:
        """Create or replace an account (replacing one ends its sessions and clears a lock)."""
        if user.strip().lower() in RESERVED or user != user.strip():
            raise AccountError(f"{user!r} cannot be an account name")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"passwords need at least {MIN_PASSWORD} characters")
        Principal(user, Role(role), practice_code, pcn_code)  # checks a clinician's scope
        digest = _hasher.hash(password)
        with self._update() as users:
            twin = next((u for u in users if u != user and _same_name(u, user)), None)
            if twin is not None:  # "Alice" beside "alice" would confuse the audit and admins
                raise AccountError(f"{user!r} differs from the account {twin!r} only in case or "
                                   "form; use that account or another name")
            old = users.get(user)
            # A new account starts at a random version, not 1: a cookie of a deleted account
            # of the same name (its version 1) must not open the new one (OWASP Session
            # Management Cheat Sheet, "Session ID content").
            version = old["version"] + 1 if old else secrets.randbits(52)
            users[user] = {"hash": digest, "role": str(Role(role)),
                           "practice_code": practice_code, "pcn_code": pcn_code,
                           "disabled": False, "version": version,
                           "failures": 0, "locked_until": None}

    def disable(self, user: str) -> None:
        """Stop an account signing in, and end its sessions."""
        self._change(user, disabled=True)

    def enable(self, user: str) -> None:
        """Let a disabled account sign in again (sessions ended by disabling stay ended)."""
        self._change(user, disabled=False)

    def set_role(self, user: str, role: Role | str, practice_code: str | None = None,
                 pcn_code: str | None = None) -> None:
        """Change an account's role and scope, and end its sessions."""
        Principal(user, Role(role), practice_code, pcn_code)  # checks a clinician's scope
        self._change(user, role=str(Role(role)), practice_code=practice_code,
                     pcn_code=pcn_code)

    def end_sessions(self, user: str) -> None:
        """End every session of the account (signing out does this)."""
        self._change(user)

    def unlock(self, user: str) -> None:
        """Lift a lock from failed sign-ins."""
        with self._update() as users:
            self._existing(users, user).update(failures=0, locked_until=None)

    def delete(self, user: str) -> None:
        """Remove an account; its sessions end with it."""
        with self._update() as users:
            self._existing(users, user)
            del users[user]

    def _change(self, user: str, **fields) -> None:
        with self._update() as users:
            account = self._existing(users, user)
            account.update(fields)
            account["version"] = account.get("version", 0) + 1

    @staticmethod
    def _existing(users: dict, user: str) -> dict:
        if user not in users:
            raise AccountError(f"no account {user!r}")
        return users[user]

    def list(self) -> list[dict]:
        now = self.clock()
        return [{"user": u, **{k: v for k, v in a.items() if k != "hash"},
                 "locked": (a.get("locked_until") or 0) > now}
                for u, a in sorted(self._load().items())]

    # --- sessions and signing in -------------------------------------------------------------

    def version(self, user: str) -> int | None:
        """The account's session version (None: no such account)."""
        account = self._account(user)
        return None if account is None else account.get("version", 0)

    def session_principal(self, user: str, version: int) -> Principal | None:
        """Who a session of `user` begun at `version` acts as now: None once the account is
        deleted, disabled or changed, or has signed out, since the session began."""
        account = self._account(user)
        if not account or account.get("disabled") or account.get("version", 0) != version:
            return None
        return _principal(user, account)

    def authenticate(self, user: str, password: str) -> Principal | None:
        """The principal for a correct password of an enabled, unlocked account, else None."""
        return self.sign_in(user, password).principal

    def sign_in(self, user: str, password: str) -> SignIn:
        """Check a password, counting failures and locking the account after
        ICSIGHT_SIGNIN_LOCK_AFTER of them in a row for ICSIGHT_SIGNIN_LOCK_MINUTES.

        An unknown, disabled or locked account costs the same argon2 verification as a known
        one, so neither the answer nor its cost says which accounts exist or are locked."""
        now = self.clock()
        account, refusal = self._attempt(user, now)
        try:
            correct = _hasher.verify(account["hash"] if account else _DUMMY, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            correct = False
        if refusal or not correct:
            return SignIn(None, refusal or account["wrong"])
        if account.get("disabled"):
            return SignIn(None, "account disabled")
        self._succeeded(user, password)
        return SignIn(_principal(user, account))

    def _attempt(self, user: str, now: float) -> tuple[dict | None, str]:
        """(the account, why it is refused before its password is checked, or ''). The attempt
        is counted as a wrong password BEFORE the check, under the store's lock, and a right
        one resets the count: guesses raced in parallel each see those before them, so no
        more than ICSIGHT_SIGNIN_LOCK_AFTER are ever checked (a check-then-count let a burst
        of parallel guesses all be checked against an account read before the lock)."""
        lock_after = positive("ICSIGHT_SIGNIN_LOCK_AFTER")
        minutes = positive("ICSIGHT_SIGNIN_LOCK_MINUTES")
        with self._update() as users:
            account = users.get(user)
            if account is None:
                return None, "no such account"
            if (account.get("locked_until") or 0) > now:
                return dict(account), "account locked"
            account["failures"] = account.get("failures", 0) + 1
            wrong = f"wrong password ({account['failures']} in a row)"
            if account["failures"] >= lock_after:
                account.update(failures=0, locked_until=now + 60 * minutes)
                wrong = (f"wrong password {lock_after} times in a row: locked for {minutes} "
                         "minutes")
            return dict(account, wrong=wrong), ""

    def _succeeded(self, user: str, password: str) -> None:
        """Reset the failure count; rehash when the argon2 parameters have changed."""
        with self._update() as users:
            account = users.get(user)
            if account is None:
                return
            account.update(failures=0, locked_until=None)
            if _hasher.check_needs_rehash(account["hash"]):
                account["hash"] = _hasher.hash(password)


def _principal(user: str, account: dict) -> Principal:
    return Principal(user, Role(account["role"]), account.get("practice_code"),
                     account.get("pcn_code"))


# --- OIDC ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OIDCConfig:
    """An OpenID Connect provider (NHS CIS2, Entra ID) as configuration.

    `role_claim` names the claim carrying the user's role (e.g. a CIS2 RBAC code or an Entra
    app role), `role_map` maps its values to icsight roles, and `scope_claim` names the claim
    with the ODS code of the practice or PCN a clinician works for."""

    issuer: str
    client_id: str
    client_secret_env: str
    redirect_uri: str
    role_claim: str = "roles"
    role_map: dict[str, str] = field(default_factory=dict)
    scope_claim: str = "ods_code"
    scopes: tuple[str, ...] = ("openid", "profile", "email")

    @classmethod
    def from_file(cls, path: str | Path) -> OIDCConfig:
        data = json.loads(Path(path).read_text())
        data["scopes"] = tuple(data.get("scopes", cls.scopes))
        return cls(**data)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OIDCClient:
    """The authorisation code flow with PKCE against a configured provider."""

    def __init__(self, config: OIDCConfig, http: httpx.Client | None = None):
        self.config = config
        self.http = http or httpx.Client(timeout=10)
        self._discovery: dict | None = None

    def discovery(self) -> dict:
        if self._discovery is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            response = self.http.get(url)
            response.raise_for_status()
            self._discovery = response.json()
        return self._discovery

    def start(self) -> tuple[str, dict]:
        """(URL to send the browser to, values to keep in the session: state, verifier,
        nonce)."""
        pending = {"state": secrets.token_urlsafe(24), "verifier": secrets.token_urlsafe(48),
                   "nonce": secrets.token_urlsafe(24)}
        query = urlencode({
            "response_type": "code", "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_uri, "scope": " ".join(self.config.scopes),
            "state": pending["state"], "nonce": pending["nonce"],
            "code_challenge": _challenge(pending["verifier"]), "code_challenge_method": "S256",
        })
        return f"{self.discovery()['authorization_endpoint']}?{query}", pending

    def finish(self, code: str, state: str, pending: dict) -> Principal:
        """Exchange the code (checking state) and map the user's claims to a principal."""
        if not secrets.compare_digest(state, pending.get("state", "")):
            raise PermissionError("the sign-in response does not match this session (state)")
        secret = os.environ.get(self.config.client_secret_env)
        if not secret:
            raise PermissionError(f"set {self.config.client_secret_env} to the client secret")
        tokens = self.http.post(self.discovery()["token_endpoint"], data={
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": self.config.redirect_uri, "client_id": self.config.client_id,
            "client_secret": secret, "code_verifier": pending["verifier"]})
        tokens.raise_for_status()
        claims = self.http.get(self.discovery()["userinfo_endpoint"], headers={
            "Authorization": f"Bearer {tokens.json()['access_token']}"})
        claims.raise_for_status()
        return self._principal(claims.json())

    def _principal(self, claims: dict) -> Principal:
        values = claims.get(self.config.role_claim) or []
        values = [values] if isinstance(values, str) else values
        roles = [self.config.role_map[v] for v in values if v in self.config.role_map]
        if not roles:
            raise PermissionError("your account has no icsight role; ask an administrator")
        role = Role(roles[0])
        scope = claims.get(self.config.scope_claim)
        user = str(claims.get("email") or claims.get("sub"))
        if role == Role.CLINICIAN:
            is_pcn = isinstance(scope, str) and scope.startswith("U")
            return Principal(user, role, None if is_pcn else scope, scope if is_pcn else None)
        return Principal(user, role)


def _same_name(a: str, b: str) -> bool:
    """Whether two account names read the same to a person (case and Unicode form aside)."""
    return unicodedata.normalize("NFKC", a).casefold() == \
        unicodedata.normalize("NFKC", b).casefold()
