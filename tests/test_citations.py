"""Citations a reader of this repository alone can follow.

Code, tests and docs cite public sources (a strategy by its title, a package by its repository
and commit, a dataset by its publisher) and never the workplace's private folders, the seed
numbers of the strategy documents, or the names of its research notes. The patterns are built
from pieces so that this file does not match itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tests", "docs", "README.md", "GLOSSARY.md", "CONTRIBUTING.md")
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}
#: Files that are not text (data and build outputs); everything else is read as UTF-8.
BINARY = {".parquet", ".pyc", ".gz", ".zip", ".png", ".jpg", ".ico", ".duckdb", ".db", ".whl"}

_NOTES = [a + b for a, b in (
    ("clinical-", "indicators.md"), ("calibration-", "targets.md"), ("stats-", "methods.md"),
    ("product-", "brief"), ("demand-", "waitinglist"), ("stack-on-", "this"),
    ("care-", "record.md"), ("ehrql-design-", "notes.md"), ("live-", "view.md"),
)]
FORBIDDEN = [
    ("a path into the workplace's shared folder", re.compile(re.escape("shar" + "ed/"))),
    ("a strategy document cited by seed number",
     re.compile(r"\b" + "se" + r"eds?[ _]?0\d\d\b", re.IGNORECASE)),
    ("the workplace's seeds folder", re.compile(re.escape("see" + "ds/"))),
    *((f"the private research note {n!r}", re.compile(re.escape(n), re.IGNORECASE))
      for n in _NOTES),
]


def _skipped(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    if SKIPPED_DIRS & set(rel.parts) or path.suffix.lower() in BINARY:
        return True
    # Third-party sample files (FHIR JSON/XML) under tests/fixtures/<set>/ are kept verbatim.
    return (rel.parts[:2] == ("tests", "fixtures") and len(rel.parts) > 3
            and path.suffix.lower() in {".json", ".xml"})


def scanned_files() -> list[Path]:
    files = []
    for name in SCANNED:
        top = ROOT / name
        if top.is_file():
            files.append(top)
        elif top.is_dir():
            files += [p for p in sorted(top.rglob("*")) if p.is_file() and not _skipped(p)]
    return files


def offending_lines(text: str) -> list[tuple[int, str, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in FORBIDDEN:
            if pattern.search(line):
                found.append((number, what, line.strip()))
    return found


def test_the_scan_covers_the_code_and_docs():
    files = {p.relative_to(ROOT).as_posix() for p in scanned_files()}
    assert "README.md" in files
    assert any(f.startswith("src/icsight/") and f.endswith(".py") for f in files)
    assert any(f.startswith("docs/") for f in files)
    assert "tests/test_citations.py" in files
    assert "tests/fixtures/fhir-samples/SOURCES.md" in files


@pytest.mark.parametrize("line", [
    "see " + "shar" + "ed/reference/x",
    "(" + "Se" + "ed 001)",
    "stats-" + "methods.md B.1",
    "clinical-" + "indicators.md 4.6",
])
def test_the_patterns_catch_private_citations(line):
    assert offending_lines(line)


@pytest.mark.parametrize("line", [
    "BLMK Health Services Strategy, 2024",
    "rng = np.random.default_rng(seed)",
    "https://github.com/ukhsa-collaboration/PHEindicatormethods @ 093fd288",
])
def test_the_patterns_leave_public_citations_alone(line):
    assert not offending_lines(line)


def test_no_private_citations():
    problems = []
    for path in scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, what, line in offending_lines(text):
            problems.append(f"{path.relative_to(ROOT)}:{number}: {what}: {line[:120]}")
    assert not problems, (
        "cite the public source instead (strategy title, package repository and commit, "
        "publisher and dataset):\n" + "\n".join(problems))
