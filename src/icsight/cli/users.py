"""`icsight users add | list | disable`: the local accounts for the demo."""

from __future__ import annotations

import click

from icsight.cli._console import console, fail, out, table
from icsight.cli._options import ACCOUNT_NAME, ODS_CODE, PASSWORD

__all__ = ["users"]


@click.group()
def users() -> None:
    """Local accounts for the demo (argon2id hashes, kept outside the repository)."""


@users.command("add")
@click.argument("user", type=ACCOUNT_NAME)
@click.option("--role", type=click.Choice(["public", "analyst", "clinician", "admin"]),
              required=True)
@click.option("--practice", default=None, type=ODS_CODE,
              help="Clinicians: the practice ODS code.")
@click.option("--pcn", default=None, type=ODS_CODE, help="Clinicians: the PCN ODS code.")
@click.password_option(type=PASSWORD)
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

    shown = table("icsight accounts", ("user", "role", "practice_code", "pcn_code", "disabled"))
    for a in Accounts().list():
        shown.add_row(a["user"], a["role"], a.get("practice_code") or "-",
                      a.get("pcn_code") or "-", "yes" if a.get("disabled") else "no")
    out.print(shown)


@users.command("disable")
@click.argument("user", type=ACCOUNT_NAME)
def users_disable(user: str) -> None:
    """Stop an account signing in."""
    from icsight.governance.accounts import AccountError, Accounts

    try:
        Accounts().disable(user)
    except AccountError as e:
        fail(e)
    console.print(f"{user} disabled")
