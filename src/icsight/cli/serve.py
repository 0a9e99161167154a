"""`icsight serve`: serve the HTTP API on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from icsight.cli._console import fail
from icsight.cli._options import AppendFile, LakeFolder

__all__ = ["serve"]


def _built(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A results store `icsight build` has written to, or a usage error saying to build."""
    from icsight.results.store import LATEST

    if not (value / LATEST).is_file():
        raise click.BadParameter(f"{value} holds no results; run `icsight build --lake LAKE "
                                 f"--out {value}` first", ctx, param)
    return value


@click.command()
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(), help="The lake folder.")
@click.option("--results", "results_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path), callback=_built,
              help="The results store (from `icsight build`).")
@click.option("--audit-log", default="data/audit.jsonl", show_default=True,
              type=AppendFile(), help="Where access is recorded.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1024, 65535),
              help="Port on 127.0.0.1 (1024-65535: no root needed).")
@click.option("--dev", is_flag=True, help="Allow cookies over plain HTTP (local use only).")
def serve(lake_dir: Path, results_dir: Path, audit_log: Path, port: int, dev: bool) -> None:
    """Serve the HTTP API (set ICSIGHT_SESSION_SECRET to 32+ random characters)."""
    import uvicorn

    from icsight.api.app import create_app
    from icsight.cli.users import open_accounts
    from icsight.services import Service
    from icsight.settings import get as setting

    secret = setting("ICSIGHT_SESSION_SECRET") or ""
    accounts = open_accounts()
    try:
        app = create_app(Service(lake_dir, results_dir, audit_log), accounts, secret, dev=dev)
    except ValueError as e:  # a weak secret or a bad setting: say which, and how to fix it
        fail(f"{e}; e.g. `export ICSIGHT_SESSION_SECRET=$(openssl rand -hex 32)`")
    uvicorn.run(app, host="127.0.0.1", port=port)
