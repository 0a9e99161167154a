"""`icsight audit verify`: check the audit log's hash chain."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from icsight.cli._console import out
from icsight.cli._options import InputFile

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """The tamper-evident audit log of access to identifiable data."""


@audit.command("verify")
@click.argument("log", type=InputFile())
def audit_verify(log: Path) -> None:
    """Check the audit log's hash chain; exit 1 and say where if it was tampered with."""
    from icsight.governance.audit import verify

    verdict = verify(log)
    if verdict.ok:
        out.print(f"[green]Intact:[/green] {verdict.entries} entries, every hash and link holds")
        return
    # on stdout, not stderr: the verdict is the command's result, success or not
    out.print(f"[red]Tampered or damaged:[/red] {verdict.problem} "
              f"({verdict.entries} entries verified before it)")
    sys.exit(1)
