"""Authentication: local accounts for the demo, NHS CIS2 / Entra ID by OIDC configuration.

**Local accounts** live in a JSON file outside the repository (`ICSIGHT_ACCOUNTS` or
`~/.config/icsight/accounts.json`, created 0600). Passwords are stored only as argon2id hashes
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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from icsight.governance.access import Principal, Role
from icsight.settings import get as setting

ENV_ACCOUNTS = "ICSIGHT_ACCOUNTS"
MIN_PASSWORD = 12
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults
_DUMMY = _hasher.hash("icsight-timing-equaliser")


def default_accounts_file() -> Path:
    return Path(setting(ENV_ACCOUNTS) or "~/.config/icsight/accounts.json").expanduser()


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


@dataclass
class Accounts:
    """The local account store."""

    path: Path = field(default_factory=default_accounts_file)

    def _load(self) -> dict:
        return json.loads(self.path.read_text()) if self.path.is_file() else {}

    def _save(self, users: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(users, indent=1) + "\n")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)

    def add(self, user: str, password: str, role: Role | str, practice_code: str | None = None,
            pcn_code: str | None = None) -> None:
        """Create or replace an account."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"passwords need at least {MIN_PASSWORD} characters")
        Principal(user, Role(role), practice_code, pcn_code)  # checks a clinician's scope
        users = self._load()
        users[user] = {"hash": _hasher.hash(password), "role": str(Role(role)),
                       "practice_code": practice_code, "pcn_code": pcn_code,
                       "disabled": False}
        self._save(users)

    def disable(self, user: str) -> None:
        users = self._load()
        if user not in users:
            raise AccountError(f"no account {user!r}")
        users[user]["disabled"] = True
        self._save(users)

    def list(self) -> list[dict]:
        return [{"user": u, **{k: v for k, v in a.items() if k != "hash"}}
                for u, a in sorted(self._load().items())]

    def authenticate(self, user: str, password: str) -> Principal | None:
        """The principal for a correct password of an enabled account, else None."""
        users = self._load()
        account = users.get(user)
        try:
            _hasher.verify(account["hash"] if account else _DUMMY, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if account is None or account.get("disabled"):
            return None
        if _hasher.check_needs_rehash(account["hash"]):
            account["hash"] = _hasher.hash(password)
            self._save(users)
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
