"""Options that several commands share, so their choices, defaults, checks and help stay one.

Every parameter type here refuses a bad value while the command line is parsed, with one line
that names the option (click adds it) and says what to give instead: OWASP's Input Validation
Cheat Sheet asks for input checked against what is allowed (form, range, kind of file) as early
as possible, before anything acts on it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

import click

from icsight.cli._console import fail
from icsight.governance.purpose import Purpose

__all__ = ["ACCOUNT_NAME", "EARLIEST", "ISO_DATE", "LATEST", "ODS_CODE", "PASSWORD",
           "AppendFile", "CsvFile", "InputFile", "InputPath", "LakeFolder", "OutputFile",
           "OutputFolder", "Text", "backend_option", "built_results", "check_window",
           "indicator_ids",
           "indicator_ids_or_all", "one_indicator_id", "opened_lake", "purpose_option"]

#: No date icsight handles is older than this (NHS records before 1900 are implausible) or later
#: than the end of this century.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
#: Longer names than this are refused before the operating system is asked (PATH_MAX is 4096).
_LONGEST_PATH = 4096


class IsoDate(click.ParamType):
    """A real date written YYYY-MM-DD in ASCII digits between 1900 and 2099, passed on as that
    text; anything else is a usage error that names the option and the form wanted."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        text = str(value)
        if not _ISO.fullmatch(text):
            self.fail(f"{_shown(text)} is not a date written YYYY-MM-DD (e.g. 2025-03-31)",
                      param, ctx)
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text} is not a day of the calendar; give a real date, e.g. 2025-03-31",
                      param, ctx)
        if not EARLIEST <= date <= LATEST:
            self.fail(f"{text} is outside {EARLIEST}-{LATEST}; give a date in that range",
                      param, ctx)
        return text


ISO_DATE = IsoDate()


def _shown(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, cut short so a pasted essay stays one line (cut after
    quoting too: an unprintable character is quoted as up to ten, e.g. '\\U000e0001')."""
    quoted = repr(text if len(text) <= limit else text[:limit] + "...")
    return quoted if len(quoted) <= limit + 5 else quoted[:limit] + "...'"


class Text(click.ParamType):
    """Text of one form (an ASCII pattern), refused otherwise with what is wanted and an
    example; a `secret` is never repeated back."""

    def __init__(self, name: str, pattern: str, what: str, secret: bool = False) -> None:
        self.name, self.pattern, self.what, self.secret = name, re.compile(pattern), what, secret

    def convert(self, value, param, ctx):
        text = str(value)
        if not self.pattern.fullmatch(text):
            shown = "that value" if self.secret else _shown(text)
            self.fail(f"{shown} is not {self.what}", param, ctx)
        return text


#: Accounts' names (a local name or an e-mail address, at most 254 characters as RFC 5321
#: allows), ODS codes (practices are a letter and five digits, PCNs U and five
#: digits: NHS Data Dictionary, Organisation Code) and passwords (OWASP Authentication Cheat
#: Sheet: at least 12 characters, a maximum of 128 so hashing stays cheap).
ACCOUNT_NAME = Text("USER", r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,253}",
                    "an account name: give 1-254 letters, digits, '.', '_', '@', '+' or '-' "
                    "(e.g. alice or an NHSmail address)")
ODS_CODE = Text("CODE", r"[A-Z0-9]{3,6}",
                "an ODS code: give 3-6 capital letters and digits (e.g. E81021)")
PASSWORD = Text("PASSWORD", r"[^\x00-\x1f\x7f]{12,128}",
                "a usable password: give 12-128 characters without control characters",
                secret=True)


def _plain(text: str) -> str:
    """An id as typed when it is a plain word, else quoted and cut short."""
    return text if re.fullmatch(r"[\w-]{1,40}", text, re.ASCII) else _shown(text)


class _PathType(click.ParamType, ABC):
    """A path, checked before the command runs; subclasses say what must be there."""

    name = "PATH"
    #: Whether the path names a file (so a trailing slash, naming a folder, is wrong).
    file_only = False

    def convert(self, value, param, ctx):
        if isinstance(value, Path):
            return value
        text = str(value)
        if not text.strip():
            self.fail(f"an empty name is not a {self.name.lower()}; give one", param, ctx)
        if len(text) > _LONGEST_PATH or any(len(part) > 255 for part in Path(text).parts):
            self.fail(f"{_shown(text)} is too long for a file name; give a shorter path",
                      param, ctx)
        if "\x00" in text or any(ord(c) < 32 for c in text):
            self.fail(f"{_shown(text)} holds control characters; give a plain path", param,
                      ctx)
        if not _utf8(text):
            self.fail(f"{_shown(text)} is not a UTF-8 name; rename it with plain characters",
                      param, ctx)
        if self.file_only and text.endswith(("/", os.sep)):
            self.fail(f"{_shown(text)} ends with a slash, so it names a folder; give a file "
                      "name", param, ctx)
        path = Path(text)
        problem = self.problem(path)
        if problem:
            self.fail(problem, param, ctx)
        return path

    @abstractmethod
    def problem(self, path: Path) -> str | None:
        """What is wrong with `path` for this kind of parameter, or None (each kind says)."""


def _utf8(text: str) -> bool:
    """Whether `text` is valid UTF-8 (a name of bytes that are not arrives with surrogates,
    which the lake's Parquet and JSON files cannot hold)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unreadable(path: Path) -> bool:
    return not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0))


def _unwritable_parent(path: Path) -> str | None:
    """Why nothing can be created at `path` (its nearest existing ancestor), or None."""
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is a file, so {path} cannot be made; give another path"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{ancestor} cannot be written to; give a path you may write to"
    return None


class LakeFolder(_PathType):
    """An existing lake to read: a readable folder with a manifest."""

    name = "LAKE"

    def problem(self, path: Path) -> str | None:
        made = ("give a lake folder made by `icsight synth --out DIR` or "
                "`icsight ingest FILES --lake DIR`")
        if not path.exists():
            return f"{path} does not exist; {made}"
        if not path.is_dir():
            return f"{path} is a file, not a lake folder; {made}"
        if _unreadable(path) or (_unreadable(path / "manifest.json") and \
                (path / "manifest.json").exists()):
            return f"{path} cannot be read (permission denied); check its permissions"
        from icsight.lake import is_lake

        if not is_lake(path):
            return (f"{path} is not an icsight lake (no manifest.json); create one with "
                    f"`icsight synth --out {path}` or `icsight ingest FILES --lake {path}`")
        return _damaged_manifest(path)


def _damaged_manifest(lake: Path) -> str | None:
    """Why the lake's manifest cannot be used (not JSON, not an object), or None."""
    import json

    try:
        manifest = json.loads((lake / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return (f"{lake}/manifest.json cannot be read ({type(e).__name__}); the lake is "
                "damaged: restore it or build it again")
    if not isinstance(manifest, dict):
        return (f"{lake}/manifest.json is not a manifest; the lake is damaged: restore it or "
                "build it again")
    return None


class OutputFolder(_PathType):
    """A folder to write into: new, empty, or already one of ours (`ours(path)` says which)."""

    name = "FOLDER"

    def __init__(self, ours: Callable[[Path], bool], what: str) -> None:
        self.ours, self.what = ours, what

    def problem(self, path: Path) -> str | None:
        if path.exists() and not path.is_dir():
            return f"{path} is a file; give a new or empty folder"
        if not path.exists():
            return _unwritable_parent(path)
        if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
            return f"{path} cannot be written to (permission denied); give another folder"
        if any(path.iterdir()) and not self.ours(path):
            return (f"{path} holds other files and is not {self.what}; give a new or empty "
                    "folder")
        return None


class CsvFile(_PathType):
    """A CSV file to write: the name ends `.csv`, so a slip cannot overwrite a README or a
    module."""

    name = "FILE.csv"
    file_only = True

    def problem(self, path: Path) -> str | None:
        if path.suffix.lower() != ".csv":
            return f"{path} does not end .csv; give a name like results.csv"
        if path.is_dir():
            return f"{path} is a folder; give a file name ending .csv"
        if path.exists() and not os.access(path, os.W_OK):
            return f"{path} cannot be written to (permission denied); give another file"
        return _unwritable_parent(path)


class OutputFile(_PathType):
    """A file to write whose name ends `suffix` (`.md`, `.json`, or one of several, which
    then says the format): a slip cannot overwrite a module or a README, and a folder or an
    unwritable place is refused before work starts."""

    file_only = True

    def __init__(self, suffix: str | tuple[str, ...], example: str) -> None:
        self.suffixes = (suffix,) if isinstance(suffix, str) else tuple(suffix)
        self.suffix, self.example = self.suffixes[0], example
        self.name = "|".join(f"FILE{s}" for s in self.suffixes)
        self.endings = " or ".join(self.suffixes)

    def problem(self, path: Path) -> str | None:
        if path.suffix.lower() not in self.suffixes:
            return f"{path} does not end {self.endings}; give a name like {self.example}"
        if path.is_dir():
            return f"{path} is a folder; give a file name ending {self.endings}"
        if path.exists() and not os.access(path, os.W_OK):
            return f"{path} cannot be written to (permission denied); give another file"
        return _unwritable_parent(path)


class AppendFile(_PathType):
    """A log to append to: an existing writable file, or one that can be made."""

    name = "FILE"
    file_only = True

    def problem(self, path: Path) -> str | None:
        if path.is_dir():
            return f"{path} is a folder; give the log file's name"
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            return f"{path} cannot be read and written (permission denied); check its " \
                   "permissions"
        return _unwritable_parent(path)


class InputFile(_PathType):
    """An existing file to read."""

    name = "FILE"

    def problem(self, path: Path) -> str | None:
        if not path.exists():
            return f"{path} does not exist; give an existing file"
        if path.is_dir():
            return f"{path} is a folder; give a file"
        if _unreadable(path):
            return f"{path} cannot be read (permission denied); check its permissions"
        return None


class InputPath(_PathType):
    """An existing file or folder to read; in a folder, every name UTF-8."""

    name = "PATH"

    def problem(self, path: Path) -> str | None:
        if not path.exists():
            return f"{path} does not exist; give an existing file or folder"
        if _unreadable(path):
            return f"{path} cannot be read (permission denied); check its permissions"
        if path.is_dir():
            odd = next((p for p in path.rglob("*") if not _utf8(str(p))), None)
            if odd is not None:
                return (f"{_shown(str(odd), 80)} in {path} is not a UTF-8 name; rename it "
                        "with plain characters")
        return None


def indicator_ids(ctx: click.Context, param: click.Parameter,
                  ids: tuple[str, ...]) -> tuple[str, ...]:
    """`--id` values as catalogue ids (upper case), or a usage error naming the unknown ones.

    Each `--id` may hold several ids separated by commas (`--id A,B`), as well as being
    repeated (`--id A --id B`); an id given twice is computed once."""
    return _indicator_ids(ctx, param, ids, takes_all=False)


def indicator_ids_or_all(ctx: click.Context, param: click.Parameter,
                         ids: tuple[str, ...]) -> tuple[str, ...]:
    """As `indicator_ids`, with `all` (the whole catalogue) allowed."""
    return _indicator_ids(ctx, param, ids, takes_all=True)


def one_indicator_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """One catalogue id, as `indicator_ids` checks it (one only: `A,B` is refused)."""
    ids = _indicator_ids(ctx, param, (value,), takes_all=False)
    if len(ids) != 1:
        raise click.BadParameter(f"one indicator id, not {len(ids)}; show them one at a time",
                                 ctx, param)
    return ids[0]


def _indicator_ids(ctx: click.Context, param: click.Parameter, ids: tuple[str, ...],
                   takes_all: bool) -> tuple[str, ...]:
    if not ids:
        return ()
    from icsight.indicators.catalogue import catalogue

    known = catalogue()
    # `--id A,B` is the same as `--id A --id B`; an empty item (`A,,B`, a trailing comma) is a
    # typing slip, refused rather than read as "no indicator".
    items = tuple(part.strip() for i in ids for part in i.split(","))
    if "" in items:
        raise click.BadParameter("an empty indicator id (two commas, or a comma at the start "
                                 "or end); give ids as `--id A,B` or `--id A --id B`",
                                 ctx, param)
    wanted = tuple(i.upper() if i.lower() != "all" else "all" for i in items)
    unknown = [i for i, w in zip(items, wanted, strict=True)
               if w not in known and not (w == "all" and takes_all)]
    if unknown:
        raise click.BadParameter(f"unknown indicator {', '.join(map(_plain, unknown))}; see "
                                 "`icsight indicators list`", ctx, param)
    return tuple(dict.fromkeys(wanted))  # each indicator once, in the order given


def check_window(lake, as_of: str | None, months: int = 1) -> str:
    """The period end to compute (`as_of`, else the lake's last day), refused with the lake's
    data window when it, or the first of `months` month ends before it, falls outside: a
    period with no data would compute every indicator as 0 % rather than say so."""
    from icsight.indicators.series import month_ends

    window = lake.data_window()
    if window is None:
        if as_of is None:
            raise click.BadParameter("the lake holds no dated records, so it has no last day; "
                                     "give --as-of YYYY-MM-DD", param_hint="--as-of")
        return as_of
    first, last = window
    as_of = as_of or last
    if not first <= as_of <= last:
        raise click.BadParameter(f"{as_of} is outside the lake's data, {first} to {last}; "
                                 "give a date in that window", param_hint="--as-of")
    earliest = min(month_ends(as_of, months)).isoformat()
    if earliest < first:
        fit = sum(1 for d in month_ends(as_of, months) if d.isoformat() >= first)
        raise click.BadParameter(f"{months} month ends back from {as_of} reach {earliest}, "
                                 f"before the lake's data starts ({first}); give --months "
                                 f"{fit} or fewer, or a later --as-of", param_hint="--months")
    return as_of


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


def built_results(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A results store `icsight build` has written to, or a usage error saying to build (a
    callback for the `--results` options of the commands that read a build)."""
    from icsight.results.store import LATEST

    if not (value / LATEST).is_file():
        raise click.BadParameter(f"{value} holds no results; run `icsight build --lake LAKE "
                                 f"--out {value}` first", ctx, param)
    return value


def opened_lake(lake_dir: Path, purpose: str):
    """The lake in `lake_dir` opened for `purpose`, or why it cannot be, in red (exit 2)."""
    from icsight.engine import LakeError, open_lake

    try:
        return open_lake(lake_dir, purpose=purpose)
    except LakeError as e:
        fail(e)
