"""`icsight serve`: serve the application (the API under /api/v1) on this machine.

`--demo-accounts` (with `--dev`: a demo on this machine only) first creates, or replaces, one
account per role with a new random password and prints each sign-in once: nothing keeps the
passwords, and replacing an account ends the sessions of the one before (`make demo`).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from icsight.cli._console import fail
from icsight.cli._options import AppendFile, LakeFolder, built_results

if TYPE_CHECKING:
    from fastapi import FastAPI

    from icsight.governance.accounts import AccountStore
    from icsight.services import Service

__all__ = ["DEMO_ROLES", "busiest_practice", "make_demo_accounts", "serve"]

#: The demo's accounts: one per role, named for it.
DEMO_ROLES = ("public", "analyst", "clinician", "admin")



def busiest_practice(lake_dir: Path) -> str:
    """The practice with the most people currently registered (alive, not left): the demo
    clinician's, so their list has patients in it."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from icsight.lake import table_path

    people = pq.read_table(table_path(lake_dir, "patients"),
                           columns=["practice_code", "registration_end", "date_of_death"])
    current = people.filter(pc.and_(pc.is_null(people["registration_end"]),
                                    pc.is_null(people["date_of_death"])))
    counts = pc.value_counts(current["practice_code"].drop_null()).to_pylist()
    if not counts:
        raise ValueError("the lake has nobody registered at a practice")
    # the most people, then the lowest code: the same practice for the same lake
    return min(counts, key=lambda c: (-c["counts"], c["values"]))["values"]


def make_demo_accounts(accounts: AccountStore, practice_code: str) -> list[dict[str, str]]:
    """Create or replace `demo-ROLE` for each role with a new random password (the
    clinician's scope is `practice_code`); the sign-ins, to be shown once."""
    made = []
    for role in DEMO_ROLES:
        user, password = f"demo-{role}", secrets.token_urlsafe(18)  # 144 random bits
        practice = practice_code if role == "clinician" else None
        accounts.add(user, password, role, practice_code=practice)
        made.append({"user": user, "password": password, "role": role,
                     "scope": f"practice {practice}" if practice else "-"})
    return made


@click.command()
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(), help="The lake folder.")
@click.option("--results", "results_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              callback=built_results,
              help="The results store (from `icsight build`).")
@click.option("--audit-log", default="data/audit.jsonl", show_default=True,
              type=AppendFile(), help="Where access is recorded.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1024, 65535),
              help="Port on 127.0.0.1 (1024-65535: no root needed).")
@click.option("--dev", is_flag=True, help="Allow cookies over plain HTTP (local use only).")
@click.option("--demo-accounts", is_flag=True,
              help="With --dev: create or replace demo-public, demo-analyst, demo-clinician "
                   "and demo-admin with new random passwords, printed once.")
def serve(lake_dir: Path, results_dir: Path, audit_log: Path, port: int, dev: bool,
          demo_accounts: bool) -> None:
    """Serve the API at http://127.0.0.1:PORT/api/v1 (reference at /api/v1/docs; set
    ICSIGHT_SESSION_SECRET to 32+ random characters)."""
    import uvicorn

    from icsight.api.app import create_app
    from icsight.cli.users import open_accounts
    from icsight.services import Service
    from icsight.settings import get as setting

    if demo_accounts and not dev:
        fail("--demo-accounts is for a demo on this machine: add --dev (it prints passwords)")
    secret = setting("ICSIGHT_SESSION_SECRET") or ""
    accounts = open_accounts()
    try:
        service = Service(lake_dir, results_dir, audit_log)
        app = create_app(service, accounts, secret, dev=dev)
    except ValueError as e:  # a weak secret or a bad setting: say which, and how to fix it
        fail(f"{e}; e.g. `export ICSIGHT_SESSION_SECRET=$(openssl rand -hex 32)`")
    if demo_accounts:
        try:
            signed = make_demo_accounts(accounts, busiest_practice(lake_dir))
        except (OSError, ValueError) as e:
            fail(f"cannot make the demo accounts: {e}")
        _show(signed, port)
    _warm(app, service)
    uvicorn.run(app, host="127.0.0.1", port=port)


def _warm(app: FastAPI, service: Service) -> None:
    """Make the public pages before people ask for them (ICSIGHT_WARM_PAGES)."""
    from icsight.settings import get as setting
    from icsight.web.warm import warm_at_start

    scope = setting("ICSIGHT_WARM_PAGES") or "all"
    began = time.perf_counter()
    try:
        warmer = warm_at_start(app, service, scope, done=_warmed)
    except ValueError as e:
        fail(str(e))
    if warmer.made:
        click.echo(f"Made the overview in {time.perf_counter() - began:.1f} s; making "
                   f"{len(warmer.paths)} more public pages in the background "
                   f"(ICSIGHT_WARM_PAGES={scope}).")
    else:
        click.echo(f"No pages made at start-up (ICSIGHT_WARM_PAGES={scope}, or no build).")


def _warmed(made: list[tuple[str, int, float]], seconds: float) -> None:
    failed = [path for path, status, _ in made if status != 200]
    click.echo(f"Made {len(made)} public pages in the background in {seconds:.0f} s"
               + (f"; not whole pages: {', '.join(failed)}" if failed else "."))


def _show(signed: list[dict[str, str]], port: int) -> None:
    """The sign-ins as plain lines (no table that could wrap or cut a password)."""
    click.echo(f"Serving http://127.0.0.1:{port} (API reference: "
               f"http://127.0.0.1:{port}/api/v1/docs; sign in with POST /api/v1/login).")
    click.echo("Demo sign-ins, shown only now (a new password each start):")
    for row in signed:
        click.echo(f"  {row['role']:<10} user {row['user']:<15} password {row['password']}"
                   + (f"  ({row['scope']})" if row["scope"] != "-" else ""))
