"""The `icsight` command line: the `main` group, with one module per command group.

`synth` (generate, `--check`), `indicators` (compute, `list`, `show`), `build`, `ingest`,
`export`, `users` (`add`, `list`, `disable`), `serve` and `audit` (`verify`, `head`). Each command
imports what it needs when it runs, so `icsight --help` stays fast; `_console` holds the
shared output and `_options` the shared options; `docs` renders `docs/cli.md`.
"""

from __future__ import annotations

import click

from icsight import __version__
from icsight.cli import audit, build, export, indicators, ingest, serve, synth, users

__all__ = ["main"]


@click.group()
@click.version_option(__version__, prog_name="icsight")
def main() -> None:
    """icsight: population-health intelligence for Bedfordshire, Luton and Milton Keynes."""


main.add_command(synth.synth)
main.add_command(indicators.indicators)
main.add_command(build.build)
main.add_command(ingest.ingest)
main.add_command(export.export)
main.add_command(users.users)
main.add_command(serve.serve)
main.add_command(audit.audit)
