"""Render the command-line reference as Markdown: `python -m icsight.cli.docs`.

`docs/cli.md` is this module's output, read from the click commands themselves; a test fails
when the two differ, so the reference cannot drift from the command line.
"""

from __future__ import annotations

import click

from icsight.cli import main

__all__ = ["render"]


#: What a script can rely on, whichever command it runs.
_EXIT_CODES = [
    "Every argument is checked before a command does anything: a bad one is refused with one "
    "line naming it and saying what to give instead. Dates are YYYY-MM-DD between 1900 and "
    "2099; `--as-of` (and every month `build --months` reaches back to) must fall inside the "
    "lake's data window, which the refusal gives, since a period with no data would compute "
    "as 0 %. Consoles never show a quarantined record's values, only its file, place, field "
    "and reason.",
    "",
    "Exit codes: `0` done; `1` a check found a problem (`synth --check` outside tolerance, "
    "`audit verify` tampered); `2` a bad argument or unusable input; `70` an unexpected error, "
    "reported in one line (set `ICSIGHT_DEBUG=1` for the traceback).",
    "",
]


def render() -> str:
    """The reference of every `icsight` command and option, as Markdown."""
    lines = [
        "# Command line",
        "",
        "Generated from the commands themselves by `python -m icsight.cli.docs` (`make docs`); "
        "do not edit by hand. `icsight COMMAND --help` prints the same.",
        "",
        *_EXIT_CODES,
    ]
    root = click.Context(main, info_name="icsight")
    lines += _command(main, root, level=2)
    return "\n".join(lines)


def _command(command: click.Command, ctx: click.Context, level: int) -> list[str]:
    """One command's section, then its subcommands' (alphabetical, as `--help` lists them)."""
    lines = [
        f"{'#' * level} `{ctx.command_path}`",
        "",
        _help(command),
        "",
        "```",
        f"{ctx.command_path} {' '.join(command.collect_usage_pieces(ctx))}",
        "```",
        "",
    ]
    lines += _params(command, ctx)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            lines += _command(sub, click.Context(sub, info_name=name, parent=ctx),
                              level=min(level + 1, 3))
    return lines


def _help(command: click.Command) -> str:
    # Docstrings are wrapped for the source, not for Markdown: join each paragraph's lines.
    text = command.help or ""
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))


def _params(command: click.Command, ctx: click.Context) -> list[str]:
    """Arguments, then options with their choices, defaults and help (`--help` left out)."""
    arguments = [p for p in command.get_params(ctx) if isinstance(p, click.Argument)]
    records = [p.get_help_record(ctx) for p in command.get_params(ctx)
               if isinstance(p, click.Option) and p is not command.get_help_option(ctx)]
    lines = []
    if arguments:
        lines.append("Arguments: " + ", ".join(f"`{a.make_metavar(ctx)}`" for a in arguments))
        lines.append("")
    if records:
        lines.append("Options:")
        lines.append("")
        # click pads `[default: ...]` with two spaces for the terminal; one reads better here
        lines += [f"- `{opts}`" + (f": {' '.join(text.split())}" if text else "")
                  for opts, text in records if opts]
        lines.append("")
    return lines


if __name__ == "__main__":
    print(render(), end="")
