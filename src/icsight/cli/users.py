"""`icsight users add | list | disable | delete | set-role | unlock`: the local accounts for the
demo. Disabling, deleting or changing an account ends its sessions at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from icsight.cli._console import console, fail, out, table
from icsight.cli._options import ACCOUNT_NAME, ODS_CODE, PASSWORD

if TYPE_CHECKING:
    from icsight.appdb import Accounts

__all__ = ["open_accounts", "users"]

ROLES = ["public", "analyst", "clinician", "admin"]


def open_accounts() -> Accounts:
    """The accounts in the application database, migrated first; a database that cannot be
    opened or migrated ends the command with why, never a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from icsight.appdb import Accounts

    try:
        return Accounts()
    except (ValueError, RuntimeError, OSError, SQLAlchemyError) as e:
        fail(f"cannot open the application database (ICSIGHT_DATABASE_URL): {e}")


@click.group()
def users() -> None:
    """Local accounts for the demo (argon2id hashes, in the application database)."""


@users.command("add")
@click.argument("user", type=ACCOUNT_NAME)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--practice", default=None, type=ODS_CODE,
              help="Clinicians: the practice ODS code.")
@click.option("--pcn", default=None, type=ODS_CODE, help="Clinicians: the PCN ODS code.")
@click.password_option(type=PASSWORD)
def users_add(user: str, role: str, practice: str | None, pcn: str | None,
              password: str) -> None:
    """Create or replace an account."""
    from icsight.governance.accounts import AccountError

    try:
        open_accounts().add(user, password, role, practice, pcn)
    except (AccountError, ValueError) as e:
        fail(e)
    console.print(f"[green]Account {user} ({role}) saved[/green]")


@users.command("list")
def users_list() -> None:
    """Accounts, their roles and scopes (never the hashes)."""

    shown = table("icsight accounts", ("user", "role", "practice_code", "pcn_code", "disabled",
                                       "locked"))
    for a in open_accounts().list():
        shown.add_row(a["user"], a["role"], a.get("practice_code") or "-",
                      a.get("pcn_code") or "-", "yes" if a.get("disabled") else "no",
                      "yes" if a["locked"] else "no")
    out.print(shown)


@users.command("disable")
@click.argument("user", type=ACCOUNT_NAME)
def users_disable(user: str) -> None:
    """Stop an account signing in, and end its sessions."""
    from icsight.governance.accounts import AccountError

    try:
        open_accounts().disable(user)
    except AccountError as e:
        fail(e)
    console.print(f"{user} disabled; their sessions have ended")


@users.command("delete")
@click.argument("user", type=ACCOUNT_NAME)
def users_delete(user: str) -> None:
    """Remove an account, ending its sessions."""
    _change(user, "delete", f"{user} deleted; their sessions have ended")


@users.command("set-role")
@click.argument("user", type=ACCOUNT_NAME)
@click.argument("role", type=click.Choice(ROLES), metavar="ROLE")
@click.option("--practice", default=None, type=ODS_CODE,
              help="Clinicians: the practice ODS code.")
@click.option("--pcn", default=None, type=ODS_CODE, help="Clinicians: the PCN ODS code.")
def users_set_role(user: str, role: str, practice: str | None, pcn: str | None) -> None:
    """Change an account's role and scope, ending its sessions."""
    _change(user, "set_role", f"{user} is now {role}; their sessions have ended",
            role, practice, pcn)


@users.command("unlock")
@click.argument("user", type=ACCOUNT_NAME)
def users_unlock(user: str) -> None:
    """Lift the lock that failed sign-ins put on an account."""
    _change(user, "unlock", f"{user} unlocked")


def _change(user: str, method: str, done: str, *args: str | None) -> None:
    from icsight.governance.accounts import AccountError

    try:
        getattr(open_accounts(), method)(user, *args)
    except (AccountError, ValueError) as e:
        fail(e)
    console.print(done)
