"""Spec tests for indicators: hand-made lakes, hand-worked answers, every engine.

A spec is a module in `tests/spec/indicators/` that states, for one indicator, the published
definition it follows (`SOURCE`) and a list of `Case`s: each one rule of that definition, a few
hand-made patients and records that exercise it, and the answer worked out by hand from the
definition (`Expect`: numerator, denominator and, where it helps, the value).

How a spec runs (the form ehrQL's spec tests take, adapted to icsight's breakdowns):

* Every case of every indicator goes into **one** small lake, each case with a practice and a
  range of patient ids of its own (the 96 BLMK practices, then spec-only practices added to
  the lake's practice table), so a case's answer is its practice's row of the output and cases
  cannot disturb each other. A case that needs the whole lake (a breakdown by age band,
  deprivation or place) says `alone=True` and gets a lake of its own, answered at any breakdown.
* Every indicator is computed **as `icsight build` computes it**: one query over the table of
  every period end the cases ask for (`Indicator.series`), all indicators inside one
  `Lake.sharing()` block. Cases with several period ends check the monthly series.
* The same lake is computed on **DuckDB and on Spark** (`tests/spec/conftest.py` parametrises
  the engine), and every case is checked on each.

`tests/spec/render.py` writes each indicator's page in `docs/indicators/` from the catalogue's
metadata and these cases, so the rules are written once.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pandas as pd
import pyarrow as pa

from icsight.engine import open_lake
from icsight.indicators.catalogue import catalogue
from icsight.lake import write_manifest, write_table
from icsight.model.reference import reference_tables
from icsight.model.schema import TABLES

DEFAULT_AS_OF = "2025-03-31"
#: Patient ids of case k are its own ids plus (k + 1) x this.
ID_BLOCK = 10_000


@dataclass(frozen=True)
class Expect:
    """The hand-worked answer for a case: the counts, and the value where it is worth
    checking (in the indicator's unit: a percentage, a rate per 1,000, ...). `value=None`
    checks no value; `no_value=True` checks that the output has no value (e.g. too few
    events for a DSR). Counts of 0 and 0 also match a group absent from the output.
    `method`, if given, is the output's `method` label for the row (e.g. the ages a
    standardised rate's age band is standardised over)."""

    numerator: float
    denominator: float
    value: float | None = None
    no_value: bool = False
    method: str | None = None


@dataclass
class Case:
    """One rule of a definition, exercised on a few hand-made patients.

    `rule` says the rule in the definition's words (it is printed in the indicator's docs
    page); `patients` are `rows.patient(...)` rows; `records` are rows of any other table
    (`rows.event`, `rows.spell`, ... ; untagged rows are clinical events); `expect` is the
    answer on `as_of`, or a dict {period end: answer} for a series. `alone=True` runs the
    case in a lake of its own and checks `breakdown`/`group` (default: the ICB) instead of
    the case's practice."""

    rule: str
    patients: list[dict]
    records: list[dict] = field(default_factory=list)
    expect: Expect | dict[str, Expect] = field(default_factory=lambda: Expect(0, 0))
    as_of: str = DEFAULT_AS_OF
    alone: bool = False
    breakdown: str = "icb"
    group: str = "BLMK"
    #: where the answer is counted: set by the harness (the case's practice) unless alone
    practice: str | None = None

    def answers(self) -> dict[str, Expect]:
        if isinstance(self.expect, Expect):
            return {self.as_of: self.expect}
        return dict(self.expect)


@dataclass
class Spec:
    """An indicator's spec module, read."""

    indicator_id: str
    source: str
    cases: list[Case]
    module: ModuleType

    @property
    def period_ends(self) -> list[str]:
        return sorted({day for case in self.cases for day in case.answers()})


def specs() -> dict[str, Spec]:
    """Every spec module in tests/spec/indicators, by indicator id."""
    import tests.spec.indicators as package

    out = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if not hasattr(module, "INDICATOR"):
            continue
        if module.INDICATOR in out:
            raise ValueError(f"two specs for {module.INDICATOR}")
        out[module.INDICATOR] = Spec(module.INDICATOR, module.SOURCE, list(module.CASES),
                                     module)
    return out


def _practices(needed: int) -> pa.Table:
    """The BLMK practices, then as many spec-only practices (codes `Y9....`, in the real
    practices' PCNs in turn) as the cases need."""
    real = reference_tables()["practices"].sort_by("practice_code")
    rows = real.to_pylist()
    for k in range(max(0, needed - len(rows))):
        model = rows[k % real.num_rows]
        rows.append({**model, "practice_code": f"Y9{k:04d}", "practice_name": f"SPEC {k}"})
    return pa.Table.from_pylist(rows, schema=real.schema)


def _shift(row: dict, offset: int, practice: str | None) -> dict:
    row = dict(row)
    row["patient_id"] = row["patient_id"] + offset
    if practice is not None and "practice_code" in row and "sex" in row:
        row["practice_code"] = practice
    return row


def build_lake(folder: Path, cases: list[Case], reference_date: str) -> Path:
    """One lake holding `cases`, each in its own practice (unless alone) and id range."""
    practice_table = _practices(len(cases))
    practices = practice_table.column("practice_code").to_pylist()
    tables: dict[str, list[dict]] = {"patients": []}
    for k, case in enumerate(cases):
        practice = None if case.alone else practices[k]
        case.practice = practice
        offset = 0 if case.alone else (k + 1) * ID_BLOCK
        tables["patients"] += [_shift(p, offset, practice) for p in case.patients]
        for record in case.records:
            record = dict(record)
            table = record.pop("_table", "clinical_events")
            tables.setdefault(table, []).append(_shift(record, offset, None))
    written = dict(reference_tables(), practices=practice_table)
    for name, rows in tables.items():
        written[name] = pa.Table.from_pylist(rows, schema=TABLES[name].schema)
    for name, spec in TABLES.items():
        write_table(folder, name, written.get(name, spec.schema.empty_table()))
    write_manifest(folder, {"kind": "spec", "reference_date": reference_date,
                            "window_start": "2019-04-01"})
    return folder


def compute(folder: Path, indicator_ids: list[str], period_ends: list[str], engine: str,
            spark=None) -> dict[str, pd.DataFrame]:
    """Each indicator's tidy series on `engine`, computed as `icsight build` does: the whole
    series in one query, every indicator inside one `Lake.sharing()` block."""
    lake = open_lake(folder, backend=engine, spark=spark)
    ends = [dt.date.fromisoformat(d) for d in period_ends]
    with lake.sharing():
        return {i: catalogue()[i].series(lake, ends) for i in indicator_ids}


def answer(result: pd.DataFrame, case: Case, period_end: str) -> Expect | None:
    """What the output says for `case` on `period_end` (None: no row)."""
    breakdown, group = ("practice", case.practice) if case.practice else (case.breakdown,
                                                                          case.group)
    day = pd.Timestamp(period_end)
    rows = result[(result.breakdown == breakdown) & (result.group == group)
                  & (pd.to_datetime(result.period_end) == day)]
    if rows.empty:
        return None
    if len(rows) > 1:
        raise AssertionError(f"{len(rows)} rows for {breakdown} {group} on {period_end}")
    row = rows.iloc[0]
    value = None if pd.isna(row.value) else float(row.value)
    return Expect(float(row.numerator), float(row.denominator), value, value is None,
                  row.get("method"))


def check(result: pd.DataFrame, case: Case) -> list[str]:
    """Where the output disagrees with the case's hand-worked answers (empty if nowhere)."""
    problems = []
    for day, want in case.answers().items():
        got = answer(result, case, day)
        if got is None:
            if (want.numerator, want.denominator) != (0, 0):
                problems.append(f"{day}: no row in the output, expected {want}")
            continue
        if abs(got.numerator - want.numerator) > 1e-6 or \
                abs(got.denominator - want.denominator) > 1e-6 * max(1, abs(want.denominator)):
            problems.append(f"{day}: counted {got.numerator:g}/{got.denominator:g}, "
                            f"expected {want.numerator:g}/{want.denominator:g}")
        if want.value is not None and (got.value is None or
                                       abs(got.value - want.value) > 1e-6 * max(1, abs(
                                           want.value))):
            problems.append(f"{day}: value {got.value}, expected {want.value}")
        if want.no_value and got.value is not None:
            problems.append(f"{day}: value {got.value}, expected none")
        if want.method is not None and got.method != want.method:
            problems.append(f"{day}: method {got.method!r}, expected {want.method!r}")
    return problems
