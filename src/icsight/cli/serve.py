"""`icsight serve`: serve the HTTP API on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from icsight.cli._console import fail

__all__ = ["serve"]


@click.command()
@click.option("--lake", "lake_dir", required=True, type=click.Path(path_type=Path))
@click.option("--results", "results_dir", required=True, type=click.Path(path_type=Path))
@click.option("--audit-log", default="data/audit.jsonl", show_default=True,
              type=click.Path(path_type=Path))
@click.option("--port", default=8000, show_default=True)
@click.option("--dev", is_flag=True, help="Allow cookies over plain HTTP (local use only).")
def serve(lake_dir: Path, results_dir: Path, audit_log: Path, port: int, dev: bool) -> None:
    """Serve the HTTP API (set ICSIGHT_SESSION_SECRET to 32+ random characters)."""
    import uvicorn

    from icsight.api.app import create_app
    from icsight.governance.accounts import Accounts
    from icsight.services import Service
    from icsight.settings import get as setting

    secret = setting("ICSIGHT_SESSION_SECRET") or ""
    if len(secret) < 32:
        fail("set ICSIGHT_SESSION_SECRET to 32 or more random characters, e.g. "
             "`export ICSIGHT_SESSION_SECRET=$(openssl rand -hex 32)`")
    app = create_app(Service(lake_dir, results_dir, audit_log), Accounts(), secret, dev=dev)
    uvicorn.run(app, host="127.0.0.1", port=port)
