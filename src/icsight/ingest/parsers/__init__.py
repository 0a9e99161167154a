"""The parser registry: which code reads which kind of source file.

A parser turns source files into `Row`s (canonical rows, identity not yet pseudonymised) and
`Rejected`s (what it could not map, with the reason and the original text). Each parser module
in this package describes itself with a `Parser` and calls `register` when imported; the
loader asks `parse` to read a load's files and never needs to know the formats.

To add a feed, write `parsers/<feed>.py` that ends with `register(Parser(...))` and add its
name to the import line at the bottom of this file (docs/ingestion.md, "Adding a source feed").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from icsight.ingest.records import Rejected, Row

#: What a parser does: read `files` (with the canonical table the user named in `--table`, if
#: any) and yield rows and rejections; bad input is a rejection, never an exception.
ParseFiles = Callable[[Sequence[Path], str | None], Iterator[Row | Rejected]]


@dataclass(frozen=True)
class Parser:
    """One kind of source file and the code that reads it.

    `suffixes` are matched against the lower-cased file name (".ndjson.gz" before ".gz" is the
    caller's business: archives are expanded before parsing). `whole_load` parsers get all the
    load's files of their kind in one call, after every other file, because their records
    refer to each other across files (FHIR references to patients); the others get one file at
    a time, in the order the files were given."""

    kind: str
    suffixes: tuple[str, ...]
    parse: ParseFiles
    whole_load: bool = False


PARSERS: dict[str, Parser] = {}
#: What the rejection of an unknown file lists as readable; kept as the loader always said it.
READABLE = "CSV, Parquet, FHIR JSON, NDJSON or XML"


def register(parser: Parser) -> Parser:
    """Add `parser` to the registry (a parser module calls this once, when imported)."""
    if parser.kind in PARSERS:
        raise ValueError(f"a parser for {parser.kind!r} is already registered")
    PARSERS[parser.kind] = parser
    return parser


def parser_for(path: Path) -> Parser | None:
    """The registered parser that reads `path`, judged by its name; None if none does."""
    name = path.name.lower()
    return next((p for p in PARSERS.values() if name.endswith(p.suffixes)), None)


def parse(files: Iterable[Path], table: str | None = None) -> Iterator[Row | Rejected]:
    """Rows and rejections from every file of a load; a file no parser reads is a rejection."""
    whole_load: dict[str, list[Path]] = {}
    for f in files:
        parser = parser_for(f)
        if parser is None:
            yield Rejected(str(f), "file", "", f"not a format icsight reads ({READABLE})")
        elif parser.whole_load:
            whole_load.setdefault(parser.kind, []).append(f)
        else:
            yield from parser.parse([f], table)
    for kind, group in whole_load.items():
        yield from PARSERS[kind].parse(group, table)


# The feeds. Each module registers itself on import; the order here is the order of `PARSERS`.
from icsight.ingest.parsers import fhir, flat  # noqa: E402, F401
