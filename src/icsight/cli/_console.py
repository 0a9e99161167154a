"""What every command shares for output: the two rich consoles, the progress bar, a table
builder and the way a command stops on an error it can explain."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["console", "fail", "out", "progress", "table"]

#: Messages and progress go to stderr, so stdout holds only the results.
console = Console(stderr=True)
# Piped or captured output gets a wide table, so sources and descriptions stay on one line.
out = Console(width=None if sys.stdout.isatty() else 200)


def progress() -> Progress:
    """A progress bar on stderr, left on screen when done (it says how long each part took)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description:<32}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=console, transient=False)


def table(title: str, columns: tuple[str, ...], **options) -> Table:
    """A table with these column headings (`options` go to `rich.table.Table`)."""
    made = Table(title=title, **options)
    for column in columns:
        made.add_column(column)
    return made


def fail(message: object, code: int = 2) -> NoReturn:
    """Print `message` in red and exit with `code` (2: the input was not usable)."""
    console.print(f"[red]{message}[/red]")
    sys.exit(code)
