"""The `icsight` command line: the `main` group, with one module per command group.

`synth` (generate, `--check`), `indicators` (compute, `list`, `show`), `build`, `ingest`,
`export`, `users` (`add`, `list`, `disable`), `serve`, `audit` (`verify`, `head`), `report`
(board papers), `worklists`, `risk` (`train`, `card`: the emergency admission risk model)
and `plan` (`population`, `list-inflation`, `waiting-lists`: planning to 2043). Each command
imports what it needs when it runs, so `icsight --help` stays fast; `_console` holds the
shared output and `_options` the shared options and their checks; `docs` renders
`docs/cli.md`.

Bad arguments are refused while the command line is parsed (`_options`); anything that still
goes wrong ends in one line naming the command and the failure, never a traceback on the
terminal (`Main.invoke`; `ICSIGHT_DEBUG=1` shows it).
"""

from __future__ import annotations

import re
import traceback

import click

from icsight import __version__
from icsight.cli import (
    audit,
    build,
    export,
    indicators,
    ingest,
    plan,
    report,
    risk,
    serve,
    synth,
    users,
    worklists,
)

__all__ = ["UNEXPECTED", "main"]

#: The exit code of an unexpected error: EX_SOFTWARE of sysexits(3), so a script can tell it
#: from a refused argument (2) or a check that failed (1).
UNEXPECTED = 70
# An NHS number (ten digits, perhaps spaced 3-3-4) in an error's text is masked: the console
# is no place for identifiers, and an exception's message can quote the record it choked on.
_LONG_WORD = re.compile(r"\S{200,}")
_NHS_NUMBER = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")


class Main(click.Group):
    """The root group: every command runs inside `invoke`, which turns an error nobody
    explained into one line (OWASP Error Handling Cheat Sheet: no stack trace to the user,
    the detail kept for whoever debugs)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.ClickException as e:
            # click quotes a refused value whole: a pasted essay would fill the screen
            e.message = _LONG_WORD.sub(lambda m: m[0][:60] + "...", e.message)
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as e:
            from icsight.settings import flag

            if flag("ICSIGHT_DEBUG"):
                raise
            raise _unexpected(e) from None


def _unexpected(error: Exception) -> click.ClickException:
    """One line: which command failed, why, and what to do next."""
    failed = _command_path(error) or "icsight"
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        why = f"{error.strerror}{where}; check the path, its permissions and the free space"
    else:
        text = (str(error).strip().splitlines() or [""])[0]
        text = _NHS_NUMBER.sub("[number hidden]", text)
        text = text if len(text) <= 160 else text[:160] + "..."
        why = (f"{type(error).__name__}{': ' + text if text else ''}; run again with "
               "ICSIGHT_DEBUG=1 for the traceback and report it")
    problem = click.ClickException(f"{failed} failed: {why}")
    problem.exit_code = UNEXPECTED
    return problem


def _command_path(error: Exception) -> str | None:
    """The innermost command running when `error` was raised (click's `invoke(ctx)` frames)."""
    innermost = None
    for frame, _ in traceback.walk_tb(error.__traceback__):
        ctx = frame.f_locals.get("ctx")
        if isinstance(ctx, click.Context) and (innermost is None or _depth(ctx) >= _depth(
                innermost)):
            innermost = ctx
    if innermost is None:
        return None
    names = []
    while innermost is not None:
        names.append(innermost.info_name or "")
        innermost = innermost.parent
    return " ".join(["icsight", *reversed(names[:-1])])


def _depth(ctx: click.Context) -> int:
    return 0 if ctx.parent is None else 1 + _depth(ctx.parent)


@click.group(cls=Main)
@click.version_option(__version__, prog_name="icsight")
def main() -> None:
    """icsight: population-health intelligence for Bedfordshire, Luton and Milton Keynes.

    A bad argument is refused with one line naming it; an unexpected error ends in one line
    naming the command that failed (exit code 70), with the traceback only when
    ICSIGHT_DEBUG=1."""


main.add_command(synth.synth)
main.add_command(indicators.indicators)
main.add_command(build.build)
main.add_command(ingest.ingest)
main.add_command(export.export)
main.add_command(users.users)
main.add_command(serve.serve)
main.add_command(audit.audit)
main.add_command(report.report)
main.add_command(worklists.worklists)
main.add_command(risk.risk)
main.add_command(plan.plan)
