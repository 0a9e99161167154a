"""`icsight users add | list | disable | delete | set-role | unlock`: the local accounts for the
demo. Disabling, deleting or changing an account ends its sessions at once."""

from __future__ import annotations

import click

from icsight.cli._console import console, fail, out, table

__all__ = ["users"]

ROLES = ["public", "analyst", "clinician", "admin"]


@click.group()
def users() -> None:
    """Local accounts for the demo (argon2id hashes, kept outside the repository)."""


@users.command("add")
@click.argument("user")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--practice", default=None, help="Clinicians: the practice ODS code.")
@click.option("--pcn", default=None, help="Clinicians: the PCN ODS code.")
@click.password_option()
def users_add(user: str, role: str, practice: str | None, pcn: str | None,
              password: str) -> None:
    """Create or replace an account."""
    from icsight.governance.accounts import AccountError, Accounts

    try:
        Accounts().add(user, password, role, practice, pcn)
    except (AccountError, ValueError) as e:
        fail(e)
    console.print(f"[green]Account {user} ({role}) saved[/green]")


@users.command("list")
def users_list() -> None:
    """Accounts, their roles and scopes (never the hashes)."""
    from icsight.governance.accounts import Accounts

    shown = table("icsight accounts", ("user", "role", "practice_code", "pcn_code", "disabled",
                                       "locked"))
    for a in Accounts().list():
        shown.add_row(a["user"], a["role"], a.get("practice_code") or "-",
                      a.get("pcn_code") or "-", "yes" if a.get("disabled") else "no",
                      "yes" if a["locked"] else "no")
    out.print(shown)


@users.command("disable")
@click.argument("user")
def users_disable(user: str) -> None:
    """Stop an account signing in, and end its sessions."""
    from icsight.governance.accounts import AccountError, Accounts

    try:
        Accounts().disable(user)
    except AccountError as e:
        fail(e)
    console.print(f"{user} disabled; their sessions have ended")


@users.command("delete")
@click.argument("user")
def users_delete(user: str) -> None:
    """Remove an account, ending its sessions."""
    _change(user, "delete", f"{user} deleted; their sessions have ended")


@users.command("set-role")
@click.argument("user")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--practice", default=None, help="Clinicians: the practice ODS code.")
@click.option("--pcn", default=None, help="Clinicians: the PCN ODS code.")
def users_set_role(user: str, role: str, practice: str | None, pcn: str | None) -> None:
    """Change an account's role and scope, ending its sessions."""
    _change(user, "set_role", f"{user} is now {role}; their sessions have ended",
            role, practice, pcn)


@users.command("unlock")
@click.argument("user")
def users_unlock(user: str) -> None:
    """Lift the lock that failed sign-ins put on an account."""
    _change(user, "unlock", f"{user} unlocked")


def _change(user: str, method: str, done: str, *args: str | None) -> None:
    from icsight.governance.accounts import AccountError, Accounts

    try:
        getattr(Accounts(), method)(user, *args)
    except (AccountError, ValueError) as e:
        fail(e)
    console.print(done)
