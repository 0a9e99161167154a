"""CSV shapes a careless supplier sends: quoted line breaks, CR-only and mixed line ends, a
byte-order mark, duplicate or unnamed header columns, stray quotes. Every record is parsed
right, located at its first line, and counted: rows in = loaded + quarantined (issue 9,
"What must be true" 7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icsight.ingest.load import ingest
from icsight.ingest.parsers.flat import parse_flat
from icsight.ingest.records import Rejected, Row
from icsight.lake import table_path
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
HEADER = ["nhs_number", "sex", "month_of_birth", "ethnicity_group", "ethnicity_category",
          "given_name", "address_line"]
NUMBERS = ["9434765919", "9434765870", "4010232137", "9990000018"]
free_text = st.text(st.sampled_from(list('ab ,"\n\r\r\n\u00e9\u0663x')), max_size=12)


def _record(row: list[str], ending: str, quote_all: bool) -> str:
    """One RFC 4180 record: a field with a comma, a quote or any line break (CR too: a lone
    CR ends a line here) is quoted, its quotes doubled. (Python's csv writer quotes only the
    characters of its own line terminator, which makes CSV that no reader can split.)"""
    def field(value: str) -> str:
        if quote_all or any(c in value for c in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value
    return ",".join(field(v) for v in row) + ending


def _write(path: Path, rows: list[list[str]], ending: str, bom: bool, quote_all: bool) -> None:
    data = "".join(_record(r, ending, quote_all) for r in [HEADER, *rows])
    path.write_bytes((("\ufeff" if bom else "") + data).encode("utf-8"))


def _first_lines(rows: list[list[str]], ending: str, quote_all: bool) -> list[int]:
    """The physical line each written record starts on (LF, CRLF and a lone CR all end one)."""
    out, line = [], 2
    for row in rows:
        out.append(line)
        line += _line_breaks_as_lf(_record(row, ending, quote_all)).count("\n")
    return out


def _line_breaks_as_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.tuples(free_text, free_text), min_size=1, max_size=6),
       ending=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans(),
       quote_all=st.booleans())
def test_every_record_is_one_row_located_at_its_first_line(tmp_path_factory, names, ending,
                                                           bom, quote_all):
    rows = [[NUMBERS[i % 4], "female", "1950-03-01", "White", "A", given_name, address]
            for i, (given_name, address) in enumerate(names)]
    path = tmp_path_factory.mktemp("csv") / "patients.csv"
    _write(path, rows, ending, bom, quote_all)
    items = list(parse_flat(path))
    assert all(isinstance(i, Row) for i in items), [i for i in items if isinstance(i, Rejected)]
    assert len(items) == len(rows)
    lines = _first_lines(rows, ending, quote_all)
    for n, (item, row) in enumerate(zip(items, rows, strict=True), start=1):
        assert item.locator == f"row {n} (line {lines[n - 1]})"
        assert item.identity.nhs_number == row[0]  # the BOM never sticks to the first column
        # A line break inside a quoted field is kept (written as LF, whatever its kind).
        assert item.identifiable == {"given_name": _line_breaks_as_lf(row[5]),
                                     "address_line": _line_breaks_as_lf(row[6])}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.text(st.sampled_from(list('9,"a\n')), max_size=14), min_size=1,
                      max_size=8),
       ending=st.sampled_from(["\n", "\r\n", "\r"]))
def test_whatever_the_rows_say_every_record_is_counted_once(tmp_path_factory, lines, ending):
    """Stray quotes, blank lines, wrong field counts: every item is a row or a rejection
    with a reason and a locator, and none is lost into another's rejection."""
    path = tmp_path_factory.mktemp("csv") / "patients.csv"
    body = ending.join([",".join(HEADER), *lines]) + ending
    path.write_bytes(body.encode())
    items = list(parse_flat(path))
    assert all(i.reason for i in items if isinstance(i, Rejected))
    numbers = [int(i.locator.split()[1]) for i in items]
    assert numbers == list(range(1, len(items) + 1))  # records numbered once, in order
    physical = _line_breaks_as_lf(body).count("\n")
    assert len(items) <= physical


def test_a_stray_quote_that_never_closes_loses_no_row_after_it(tmp_path):
    path = tmp_path / "patients.csv"
    good = "9434765870,male,1960-07-01,Asian,H,Bob,2 X"
    path.write_text("\n".join([",".join(HEADER),
                               '9434765919,female,1950-03-01,White,A,"Al,1 X', good, good]))
    items = list(parse_flat(path))
    assert [type(i).__name__ for i in items] == ["Rejected", "Row", "Row"]
    assert items[0].locator == "row 1 (line 2)"
    assert "began on line 2 is not closed by the end of the file" in items[0].reason
    assert [i.locator for i in items[1:]] == ["row 2 (line 3)", "row 3 (line 4)"]


def test_a_cr_only_file_longer_than_the_line_limit_is_read_line_by_line(tmp_path):
    path = tmp_path / "patients.csv"
    row = "9434765870,male,1960-07-01,Asian,H,Bob,2 X"
    path.write_bytes("\r".join([",".join(HEADER), row, "x" * 500, row]).encode())
    items = list(parse_flat(path, max_line_bytes=200))
    assert [type(i).__name__ for i in items] == ["Row", "Rejected", "Row"]
    assert items[1].locator == "row 2 (line 3)" and "longer than 200 bytes" in items[1].reason


def test_a_header_repeating_a_column_refuses_the_file_naming_the_column(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("nhs_number,sex,sex,month_of_birth\n9434765919,female,male,1950-03-01\n")
    report = ingest(tmp_path / "lake", [path], key=TEST_KEY, today=TODAY)
    ((problem,),) = [report.problems]
    assert problem.locator == "header (line 1)"
    assert problem.reason.startswith("the header repeats the column 'sex'")
    assert not table_path(tmp_path / "lake", "patients").is_file() or pq.read_table(
        table_path(tmp_path / "lake", "patients")).num_rows == 0


def test_a_header_with_an_unnamed_column_refuses_the_file(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("nhs_number,,sex\n9434765919,x,female\n")
    (problem,) = list(parse_flat(path))
    assert problem.reason == "the header's column 2 has no name; the file is refused"


def test_a_mixed_file_reconciles_rows_in_with_loaded_and_quarantined(tmp_path):
    path = tmp_path / "patients.csv"
    rows = ['9434765919,female,1950-03-01,White,A,"Al\r\nice","1 Test\nStreet"',
            "0000000000,female,1950-03-01,White,A,Zed,x",  # a placeholder NHS number
            "9434765870,male,1960-07-01,Asian,H,Bob",  # a field short
            '4010232137,female,0001-01-01,White,A,"Old",y',  # before 1900
            "9990000018,female,1970-01-01,White,A,Eve,z"]
    path.write_bytes(("\ufeff" + "\r".join([",".join(HEADER), *rows]) + "\r").encode())
    report = ingest(tmp_path / "lake", [path], key=TEST_KEY, today=TODAY)
    (row,) = report.rows()
    assert (row["received"], row["loaded"], row["quarantined"]) == (5, 2, 3)
    # row 1 spans lines 2-4 (a CRLF and a LF inside its quoted fields)
    assert sorted(p.locator for p in report.problems) == [
        "row 2 (line 5)", "row 3 (line 6)", "row 4 (line 7)"]
    names = pq.read_table(table_path(tmp_path / "lake", "person_identifiers")).column(
        "given_name").to_pylist()
    assert sorted(names) == ["Al\nice", "Eve"]


def test_a_parquet_row_python_cannot_read_is_one_rejection_not_a_crashed_load(tmp_path):
    """A date in year 10000 fits Parquet's date32 but not Python's date."""
    table = pa.table({"nhs_number": ["9434765919", "9434765870"],
                      "date": pa.array([18_000, 2_932_897 * 2], pa.date32()),
                      "snomed_code": ["38341003", "38341003"]})
    pq.write_table(table, tmp_path / "clinical_events.parquet")
    items = list(parse_flat(tmp_path / "clinical_events.parquet"))
    assert [type(i).__name__ for i in items] == ["Row", "Rejected"]
    assert items[1].locator == "row 2" and "OverflowError" in items[1].reason
