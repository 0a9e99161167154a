"""Flat extracts: one CSV or Parquet file per canonical table.

The file's table comes from `--table` or its name: `clinical_events.csv`,
`clinical_events-2026-10.csv`, `apc_spells.parquet`. Columns are the table's canonical columns
(see docs/data-model.md) except `patient_id`, which an extract never carries: instead each row
says who it is about with `nhs_number`, or for sources without one `local_id_system` and
`local_id_value`. A `patients` extract also carries the identifiable fields (`given_name`,
`family_name`, `date_of_birth`, `address_line`, `postcode`); they go to the identifiable zone
only, and `month_of_birth` is worked out from `date_of_birth` when absent.

CSV files must be UTF-8 (a byte-order mark is fine); a line that is not UTF-8, or longer than
the line limit (16 MB by default), is rejected on its own with its line number and byte offset,
and reading carries on. Row numbers count data rows from 1 (the header is line 1 of the file;
`line` in a locator is the file's physical line).

Registered as the `flat` parser (`.csv`, `.parquet`): each file is read on its own.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
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


def _lines(path: Path, max_line_bytes: int) -> Iterator[tuple[int, int, str | None, str]]:
    """(line number, byte offset, text or None, problem) for each physical line."""
    decoder_errors = codecs.lookup("utf-8")
    with open(path, "rb") as f:
        number, offset = 0, 0
        while True:
            raw = f.readline(max_line_bytes + 1)
            if not raw:
                return
            number += 1
            start = offset
            offset += len(raw)
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest without holding it
                    raw = f.readline(1024 * 1024)
                    offset += len(raw)
                yield number, start, None, (f"line is longer than {max_line_bytes:,} bytes "
                                            "(the limit); skipped")
                continue
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield number, start, decoder_errors.decode(raw)[0], ""
            except UnicodeDecodeError as e:
                yield number, start, None, (f"not valid UTF-8 at byte {start + e.start:,}; "
                                            "save the file as UTF-8")


def _csv(path: Path, table: str, max_line_bytes: int) -> Iterator[Row | Rejected]:
    header: list[str] | None = None
    data_row = 0
    for number, _offset, text, problem in _lines(path, max_line_bytes):
        locator = f"line {number}"
        if text is None:
            if header is None:
                yield Rejected(str(path), locator, "", f"header: {problem}", "", table)
                return
            data_row += 1
            yield Rejected(str(path), f"row {data_row} ({locator})", "", problem,
                           f"<{problem}>", table)
            continue
        if not text.strip():
            continue
        try:
            fields = next(csv.reader(io.StringIO(text), strict=True))
        except csv.Error as e:
            data_row += header is not None
            yield Rejected(str(path), locator, "", f"not valid CSV: {e}", text[:2000], table)
            continue
        if header is None:
            header = [h.strip() for h in fields]
            missing = _header_problem(header, table)
            if missing:
                yield Rejected(str(path), "header (line 1)", "", missing, text[:2000], table)
                header = None
                return
            continue
        data_row += 1
        where = f"row {data_row} ({locator})"
        if len(fields) != len(header):
            yield Rejected(str(path), where, "", f"has {len(fields)} fields, the header has "
                           f"{len(header)}", text[:2000], table)
            continue
        yield _row(path, table, dict(zip(header, fields, strict=True)), where, text.rstrip("\r\n"))


def _header_problem(header: list[str], table: str) -> str | None:
    if len(set(header)) != len(header):
        return "the header repeats a column name"
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
    for i, record in enumerate(data.to_pylist(), start=1):
        payload = repr({k: v for k, v in record.items()})[:2000]
        yield _row(path, table, dict(record), f"row {i}", payload)


def _parse_each(paths: Sequence[Path], table: str | None) -> Iterator[Row | Rejected]:
    for path in paths:
        yield from parse_flat(path, table)


# One canonical table per file, so each file is read on its own, in the order given.
register(Parser("flat", (".csv", ".parquet"), _parse_each))
