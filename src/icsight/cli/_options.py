"""Options that several commands share, so their choices, defaults and help stay one."""

from __future__ import annotations

import click

__all__ = ["backend_option", "purpose_option"]

backend_option = click.option(
    "--backend", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
    help="Engine to run the queries on.")

purpose_option = click.option(
    "--purpose", type=click.Choice(["planning", "research", "direct_care", "all"]),
    default="planning", show_default=True,
    help="What the figures are for: planning and research leave out people with a "
         "national data opt-out.")
