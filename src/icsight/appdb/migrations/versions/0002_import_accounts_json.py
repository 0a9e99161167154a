"""A data migration: the accounts of the JSON file icsight used before the database.

Runs once, when a database is first migrated: if its accounts table is empty and the accounts
file (`ICSIGHT_ACCOUNTS`, default ~/.config/icsight/accounts.json) exists, every account in it
is copied across as it is (hash, role, scope, disabled, session version, failures, lock), so
sessions and locks carry over. The file is only read: delete it once the import is checked.
A file that cannot be read as accounts stops the migration with a message naming it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

from icsight.governance.access import Principal, Role

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

accounts = sa.table(
    "accounts", sa.column("name", sa.String), sa.column("password_hash", sa.Text),
    sa.column("role", sa.String), sa.column("practice_code", sa.String),
    sa.column("pcn_code", sa.String), sa.column("disabled", sa.Boolean),
    sa.column("session_version", sa.BigInteger), sa.column("failed_sign_ins", sa.Integer),
    sa.column("locked_until", sa.Double))


def rows(path: Path) -> list[dict]:
    """The accounts of the JSON file as rows of the accounts table."""
    try:
        users = json.loads(path.read_text())
        if not isinstance(users, dict):
            raise ValueError("not an object of accounts by name")
        found = []
        for name, account in users.items():
            role = Role(account["role"])
            Principal(name, role, account.get("practice_code"), account.get("pcn_code"))
            found.append({
                "name": name, "password_hash": str(account["hash"]), "role": str(role),
                "practice_code": account.get("practice_code"),
                "pcn_code": account.get("pcn_code"),
                "disabled": bool(account.get("disabled", False)),
                "session_version": int(account.get("version", 0)),
                "failed_sign_ins": int(account.get("failures", 0)),
                "locked_until": account.get("locked_until")})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise RuntimeError(f"cannot import the accounts file {path}: {e}; fix or move it, "
                           "then start again") from None
    return found


def upgrade() -> None:
    path = Path(context.config.attributes["accounts_file"])
    bind = op.get_bind()
    if not path.is_file() or bind.execute(sa.select(sa.func.count()).select_from(
            accounts)).scalar_one():
        return
    found = rows(path)
    if found:
        op.bulk_insert(accounts, found)


def downgrade() -> None:
    pass  # the accounts stay: the JSON file they came from was never changed
