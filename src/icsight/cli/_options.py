"""Options that several commands share, so their choices, defaults and help stay one."""

from __future__ import annotations

import click

from icsight.governance.purpose import Purpose

__all__ = ["ISO_DATE", "backend_option", "purpose_option"]

class IsoDate(click.ParamType):
    """A date written YYYY-MM-DD, passed on as that text; anything else is a usage error that
    names the option and the form wanted."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        import datetime as dt

        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD (e.g. 2025-03-31)", param,
                      ctx)


ISO_DATE = IsoDate()

backend_option = click.option(
    "--backend", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
    help="Engine to run the queries on.")

# The choices come from the one Purpose vocabulary, so the command line cannot drift from the
# lake, the results store and the audit log.
purpose_option = click.option(
    "--purpose", type=click.Choice([p.value for p in Purpose]),
    default=Purpose.PLANNING.value, show_default=True,
    help="What the figures are for: planning and research leave out people with a "
         "national data opt-out.")
