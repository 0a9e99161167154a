"""Flat extracts: one CSV or Parquet file per canonical table.

The file's table comes from `--table` or its name: `clinical_events.csv`,
`clinical_events-2026-10.csv`, `apc_spells.parquet`. Columns are the table's canonical columns
(see docs/data-model.md) except `patient_id`, which an extract never carries: instead each row
says who it is about with `nhs_number`, or for sources without one `local_id_system` and
`local_id_value`. A `patients` extract also carries the identifiable fields (`given_name`,
`family_name`, `date_of_birth`, `address_line`, `postcode`); they go to the identifiable zone
only, and `month_of_birth` is worked out from `date_of_birth` when absent.

CSV files must be UTF-8 (a byte-order mark is fine), with lines ending in LF, CRLF or a lone
CR; a line that is not UTF-8, or longer than the line limit (16 MB by default), is rejected on
its own with its line number and byte offset, and reading carries on. A quoted field may hold
line breaks (RFC 4180): the record is one row, located at its first line. Row numbers count
records from 1 (the header is line 1 of the file; `line` in a locator is the physical line the
record starts on). A header that repeats a column name, or has an unnamed column, refuses the
file: which column holds the value would be a guess.

Registered as the `flat` parser (`.csv`, `.parquet`): each file is read on its own.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow.parquet as pq

from icsight.ingest.parsers import Parser, register
from icsight.ingest.records import Identity, Rejected, Row
from icsight.model.schema import ANALYTICS, TABLES

MAX_LINE_BYTES = 16 * 1024 * 1024
IDENTITY_COLUMNS = ("nhs_number", "local_id_system", "local_id_value")
IDENTIFIABLE_COLUMNS = ("given_name", "family_name", "date_of_birth", "address_line",
                        "postcode")


def table_for(path: Path, table: str | None = None) -> str:
    """The canonical table a flat file holds (from `table`, else its file name)."""
    if table:
        name = table
    else:
        stem = path.name.split(".")[0]
        name = next((t for t in sorted(TABLES, key=len, reverse=True)
                     if stem == t or stem.startswith(t + "-")), stem)
    spec = TABLES.get(name)
    if spec is None or spec.zone != ANALYTICS:
        raise ValueError(f"{path.name}: {name!r} is not a table that can be loaded; name the "
                         "file after a canonical table (e.g. clinical_events.csv) or pass "
                         "--table")
    return name


def parse_flat(path: Path, table: str | None = None,
               max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Row | Rejected]:
    """Rows (identity not yet pseudonymised) and rejections from one CSV or Parquet file."""
    path = Path(path)
    try:
        name = table_for(path, table)
    except ValueError as e:
        yield Rejected(str(path), "file", "", str(e))
        return
    if path.suffix.lower() == ".parquet":
        yield from _parquet(path, name)
    else:
        yield from _csv(path, name, max_line_bytes)


def _row(path: Path, table: str, record: dict, locator: str, payload: str) -> Row:
    identity = Identity(
        nhs_number=_text(record.pop("nhs_number", None)),
        system=_text(record.pop("local_id_system", None)),
        value=_text(record.pop("local_id_value", None)),
    )
    identifiable = {}
    if table == "patients":
        identifiable = {c: record.pop(c) for c in IDENTIFIABLE_COLUMNS if c in record}
        born = identifiable.get("date_of_birth")
        if not record.get("month_of_birth") and born:
            try:
                day = born if isinstance(born, dt.date) else dt.date.fromisoformat(str(born))
                record["month_of_birth"] = day.replace(day=1)
            except ValueError:
                pass  # the loader reports the bad date of birth
    record.pop("patient_id", None)  # never taken from a source: pseudonyms are made here
    return Row(table, record, identity, str(path), locator, payload, identifiable)


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_CHUNK = 1024 * 1024


def _lines(path: Path, max_line_bytes: int) -> Iterator[tuple[int, int, str | None, str]]:
    """(line number, byte offset, text or None, problem) for each physical line. A line ends
    at LF, CRLF or a lone CR (old Mac exports: `bytes.splitlines` knows all three); a line
    longer than the limit is skipped without being held in memory."""
    decoder = codecs.lookup("utf-8")
    too_long = f"line is longer than {max_line_bytes:,} bytes (the limit); skipped"
    with open(path, "rb") as f:
        number, base, buf, skipping, eof = 0, 0, b"", -1, False
        while not eof:
            chunk = f.read(_CHUNK)
            eof = not chunk
            buf += chunk
            if base == 0 and buf.startswith(codecs.BOM_UTF8):
                buf, base = buf[len(codecs.BOM_UTF8):], len(codecs.BOM_UTF8)
            cut = len(buf) if eof else _last_line_end(buf)
            for raw in buf[:cut].splitlines(keepends=True):
                number += 1
                start, base = base, base + len(raw)
                text = raw.rstrip(b"\r\n")
                if skipping >= 0 or len(text) > max_line_bytes:
                    yield number, (skipping if skipping >= 0 else start), None, too_long
                    skipping = -1
                    continue
                yield number, start, *_decode(decoder, text, start)
            buf = buf[cut:]
            if eof and skipping >= 0:  # the long line ran to the end of the file
                yield number + 1, skipping, None, too_long
            elif skipping >= 0 or len(buf) > max_line_bytes:
                # a line already too long: drop what has no end yet, remember its start
                skipping = base if skipping < 0 else skipping
                keep = b"\r" if buf.endswith(b"\r") else b""
                buf, base = keep, base + len(buf) - len(keep)


def _last_line_end(buf: bytes) -> int:
    """Where the complete lines of `buf` end. A CR at the very end is held back: it may be
    the first half of a CRLF split across reads."""
    body = buf[:-1] if buf.endswith(b"\r") else buf
    return max(body.rfind(b"\n"), body.rfind(b"\r")) + 1


def _decode(decoder, raw: bytes, start: int) -> tuple[str | None, str]:
    try:
        return decoder.decode(raw)[0], ""
    except UnicodeDecodeError as e:
        return None, f"not valid UTF-8 at byte {start + e.start:,}; save the file as UTF-8"


def _inside_quotes(text: str, inside: bool) -> bool:
    """Whether a CSV record is inside a quoted field at the end of `text` (RFC 4180: a quote
    opens a field only at its start; a doubled quote inside one is a literal quote)."""
    if '"' not in text:
        return inside
    at_start, i = not inside, 0
    while i < len(text):
        ch = text[i]
        if inside and ch == '"':
            if text[i + 1:i + 2] == '"':
                i += 1
            else:
                inside = False
        elif not inside and ch == '"' and at_start:
            inside = True
        at_start = not inside and ch == ","
        i += 1
    return inside


def _records(path: Path, max_line_bytes: int) -> Iterator[tuple[int, str | None, str]]:
    """(first line, text or None, problem) for each CSV record: a quoted field may span lines,
    so one record can be several physical lines, joined with LF.

    A stray quote that never closes (by the end of the file, or within the line limit), or
    closes into a record that is not valid CSV, would swallow the rows after it: its first
    line is rejected alone, and the lines it held are read again each as a record of its own,
    so no row is lost into another's rejection."""
    lines = _lines(path, max_line_bytes)
    alone: deque[tuple[int, str]] = deque()  # lines read again, one record each
    pending: list[tuple[int, str]] = []
    size = 0
    while True:
        if alone:
            number, text = alone.popleft()
            if text.strip():
                yield number, text, ""
            continue
        item = next(lines, None)
        if item is None:
            break
        number, _offset, text, problem = item
        if text is None:
            if pending:  # a bad line ends the quoted record it was in: read its lines again
                yield pending[0][0], None, (f"a quoted field that began on line "
                                            f"{pending[0][0]} runs into line {number}, which "
                                            f"is unreadable")
                alone.extend(pending[1:])
                pending = []
            yield number, None, problem
            continue
        if not pending and not text.strip():
            continue
        pending.append((number, text))
        size = size + len(text) if len(pending) > 1 else len(text)
        if not _inside_quotes(text, len(pending) > 1):
            record = "\n".join(t for _, t in pending)
            if len(pending) > 1 and not _valid_csv(record):  # the quote was a stray one
                yield pending[0] + ("",)
                alone.extend(pending[1:])
            else:
                yield pending[0][0], record, ""
            pending = []
        elif size > max_line_bytes:
            yield pending[0][0], None, _unclosed(pending[0][0], f"after {max_line_bytes:,} "
                                                 "characters")
            alone.extend(pending[1:])
            pending = []
    if pending:
        yield pending[0][0], None, _unclosed(pending[0][0], "by the end of the file")
        yield from ((n, t, "") for n, t in pending[1:] if t.strip())


def _valid_csv(record: str) -> bool:
    try:
        next(csv.reader(io.StringIO(record, newline=""), strict=True))
    except (csv.Error, StopIteration):
        return False
    return True


def _unclosed(line: int, when: str) -> str:
    return (f"a quoted field that began on line {line} is not closed {when} (a missing "
            "closing quote?); the lines after it are read as rows of their own")


def _csv(path: Path, table: str, max_line_bytes: int) -> Iterator[Row | Rejected]:
    header: list[str] | None = None
    data_row = 0
    for number, text, problem in _records(path, max_line_bytes):
        locator = f"line {number}"
        if text is None:
            if header is None:
                yield Rejected(str(path), locator, "", f"header: {problem}", "", table)
                return
            data_row += 1
            yield Rejected(str(path), f"row {data_row} ({locator})", "", problem,
                           f"<{problem}>", table)
            continue
        try:
            fields = next(csv.reader(io.StringIO(text, newline=""), strict=True))
        except (csv.Error, StopIteration) as e:
            data_row += header is not None
            where = f"row {data_row} ({locator})" if header is not None else locator
            yield Rejected(str(path), where, "", f"not valid CSV: {e}", text[:2000], table)
            if header is None:
                return
            continue
        if header is None:
            header = [h.strip() for h in fields]
            missing = _header_problem(header, table)
            if missing:
                yield Rejected(str(path), f"header ({locator})", "", missing, text[:2000], table)
                return
            continue
        data_row += 1
        where = f"row {data_row} ({locator})"
        if len(fields) != len(header):
            yield Rejected(str(path), where, "", f"has {len(fields)} fields, the header has "
                           f"{len(header)}", text[:2000], table)
            continue
        yield _row(path, table, dict(zip(header, fields, strict=True)), where, text)


def _header_problem(header: list[str], table: str) -> str | None:
    # Counted once, not header.count per column: that was quadratic, and a header of a
    # million columns held the lake's lock for hours.
    repeated = sorted(h for h, n in Counter(header).items() if n > 1)
    if repeated:
        return (f"the header repeats the column {repeated[0]!r}: which one holds the value is "
                "unknown, so the file is refused")
    if "" in header:
        return f"the header's column {header.index('') + 1} has no name; the file is refused"
    if "patient_id" in header:
        return ("the extract has a patient_id column: send nhs_number (or local_id_system and "
                "local_id_value) instead; pseudonyms are made on loading")
    if "nhs_number" not in header and not {"local_id_system", "local_id_value"} <= set(header):
        return "no nhs_number column (or local_id_system and local_id_value) says who rows are"
    return None


def _parquet(path: Path, table: str) -> Iterator[Row | Rejected]:
    try:
        data = pq.read_table(path)
    except Exception as e:  # any unreadable file is reported, never raised
        yield Rejected(str(path), "file", "", f"not a readable Parquet file: {e}", "", table)
        return
    problem = _header_problem(data.column_names, table)
    if problem:
        yield Rejected(str(path), "schema", "", problem, "", table)
        return
    for i, record in enumerate(_parquet_records(data), start=1):
        if isinstance(record, str):
            yield Rejected(str(path), f"row {i}", "", record, "", table)
            continue
        payload = repr({k: v for k, v in record.items()})[:2000]
        yield _row(path, table, dict(record), f"row {i}", payload)


def _parquet_records(data, batch: int = 10_000) -> Iterator[dict | str]:
    """Each row as a dict, or why it cannot be read as Python values (a date in year 10000,
    say): a batch that fails is read again row by row, so only the bad rows are lost."""
    for start in range(0, data.num_rows, batch):
        part = data.slice(start, batch)
        try:
            yield from part.to_pylist()
            continue
        except Exception:  # found row by row below
            pass
        for i in range(part.num_rows):
            try:
                yield part.slice(i, 1).to_pylist()[0]
            except Exception as e:  # reported as the row's rejection
                yield f"cannot be read ({type(e).__name__}: {str(e)[:200]})"


def _parse_each(paths: Sequence[Path], table: str | None) -> Iterator[Row | Rejected]:
    for path in paths:
        yield from parse_flat(path, table)


# One canonical table per file, so each file is read on its own, in the order given.
register(Parser("flat", (".csv", ".parquet"), _parse_each))
