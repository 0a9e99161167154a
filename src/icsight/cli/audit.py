"""`icsight audit verify` and `icsight audit head`: check the audit log's hash chain, and print
its head to keep somewhere else as an anchor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from icsight.cli._console import console, fail, out

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """The tamper-evident audit log of access to identifiable data."""


def _anchor(head: str | None, count: int | None, digest: str | None):
    """The anchor given as --head HASH:COUNT, or as --count and --hash together (or none)."""
    from icsight.governance.audit import Head

    if head is not None and (count is not None or digest is not None):
        fail("--head: give either --head HASH:COUNT or --count and --hash, not both")
    if (count is None) != (digest is None):
        fail("--count and --hash: give both (or --head HASH:COUNT), as `icsight audit head` "
             "printed them")
    try:
        if head is not None:
            return Head.parse(head)
        return None if count is None else Head.of(count, digest.strip().lower())
    except ValueError as e:
        fail(f"--head: {e}")


@audit.command("verify")
@click.argument("log", type=click.Path(path_type=Path))
@click.option("--head", "head", metavar="HASH:COUNT",
              help="A head printed earlier by `icsight audit head`: fail if the log no longer "
                   "holds it (entries removed from the end, or the log replaced).")
@click.option("--count", type=click.IntRange(min=0), help="The anchor's entry count (with --hash).")
@click.option("--hash", "digest", metavar="SHA256", help="The anchor's hash (with --count).")
def audit_verify(log: Path, head: str | None, count: int | None, digest: str | None) -> None:
    """Check the audit log's hash chain, and that it still holds its last known head (given, or
    in the head file beside it); exit 1 and say where if it was tampered with."""
    from icsight.governance.audit import verify

    verdict = verify(log, _anchor(head, count, digest))
    against = f"; compared with {verdict.anchored}" if verdict.anchored else \
        "; no head file beside it and no --head given, so entries removed from its end " \
        "would not show"
    if verdict.ok:
        out.print(f"[green]Intact:[/green] {verdict.entries} entries, every hash and link "
                  f"holds{against}")
        return
    # on stdout, not stderr: the verdict is the command's result, success or not
    out.print(f"[red]Tampered or damaged:[/red] {verdict.problem} "
              f"({verdict.entries} entries verified before it{against})")
    sys.exit(1)


@audit.command("head")
@click.argument("log", type=click.Path(path_type=Path))
def audit_head(log: Path) -> None:
    """Print the log's head as HASH:COUNT, one line to keep outside the server (a ticket,
    another system) and give later to `icsight audit verify LOG --head`."""
    from icsight.governance.audit import read_head

    try:
        head = read_head(log)
    except ValueError as e:
        fail(f"LOG: the head file beside {log} is damaged: {e}", code=1)
    if head is None:
        fail(f"LOG: no head file beside {log} (it is written with every entry); check the log "
             f"with `icsight audit verify {log}`", code=1)
    out.print(str(head), highlight=False, soft_wrap=True)
    console.print(f"{head.entries} entries; keep this line outside the server and check the "
                  f"log against it with `icsight audit verify {log} --head HASH:COUNT`")
