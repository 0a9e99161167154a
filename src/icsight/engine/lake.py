"""An open lake: the canonical analytics tables as Ibis expressions on one backend.

The layout on disk belongs to `icsight.lake`; this module opens what is there. Analysts'
queries only ever see the analytics zone. The identifiable zone is read by
`icsight.governance.identifiable`, which audits its use.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pyarrow as pa

from icsight.governance.purpose import Purpose
from icsight.lake import LakeError, read_manifest, recover, table_path
from icsight.model.schema import IDENTIFIABLE, TABLES

__all__ = ["CELL_ATTRIBUTES", "Lake", "LakeError", "open_lake"]


#: Patients' breakdown attributes, numbered as one small integer per combination (`cell`):
#: grouping millions of rows by one integer is several times faster than by four strings.
CELL_ATTRIBUTES = ("practice_code", "lsoa_code", "sex", "ethnicity_group")


@dataclass
class Lake:
    """An open lake: Ibis tables over its Parquet files on one backend."""

    path: Path
    con: ibis.BaseBackend
    manifest: dict
    backend: str = "duckdb"
    purpose: Purpose = Purpose.ALL
    _derived: dict = field(default_factory=dict, repr=False)
    _shared: dict | None = field(default=None, repr=False)

    def table(self, name: str) -> ibis.Table:
        """The canonical analytics table `name` as an Ibis table expression.

        `patients` also carries `cell`, an engine-side number for the combination of practice,
        LSOA, sex and ethnic group (see `cells`)."""
        table = self.con.table(self._analytics(name))
        if name == "patients":
            return self._patients_with_cells()
        if self.purpose.opt_out_applies and "patient_id" in table.columns:
            # against the patients cached for the build, not a fresh scan of their file
            table = table.semi_join(self._patients_with_cells().select("patient_id"),
                                    "patient_id")
        return table

    def raw_table(self, name: str) -> ibis.Table:
        """The canonical analytics table `name` as stored: no derived columns (no `cell`),
        nothing cached; the national data opt-out still applied by purpose, by the same rule
        as `table` (for direct care nobody is left out).

        For serving a few rows (one patient, one practice) from a long-lived lake: `table`
        would number and cache the whole patients table for indicators' sake."""
        table = self.con.table(self._analytics(name))
        if not self.purpose.opt_out_applies or "patient_id" not in table.columns:
            return table
        patients = self.con.table("patients")
        kept = patients.filter(~patients.data_opt_out)  # national data opt-out
        if name == "patients":
            return kept
        return table.semi_join(kept.select("patient_id"), "patient_id")

    @staticmethod
    def _analytics(name: str) -> str:
        """`name`, if it is an analytics table of the canonical model."""
        spec = TABLES.get(name)
        if spec is None or spec.zone == IDENTIFIABLE:
            raise LakeError(f"{name!r} is not an analytics table of the canonical model")
        return name

    def _patients_with_cells(self) -> ibis.Table:
        if "patients" not in self._derived:
            patients = self.raw_table("patients")  # the opt-out applied by purpose
            cell = ibis.dense_rank().over(order_by=[patients[c] for c in CELL_ATTRIBUTES])
            self._derived["patients"] = patients.mutate(cell=cell.cast("int64")).cache()
        return self._derived["patients"]

    def cells(self):
        """The `cell` numbers with their practice, LSOA, sex and ethnic group (pandas)."""
        if "cells" not in self._derived:
            patients = self._patients_with_cells()
            self._derived["cells"] = patients.select("cell", *CELL_ATTRIBUTES).distinct() \
                .to_pandas()
        return self._derived["cells"]

    def cells_table(self) -> ibis.Table:
        """`cells` as a small table of the backend, to join in queries."""
        return self.small_table("cells", self.cells())

    def small_table(self, name: str, frame, schema: dict | None = None) -> ibis.Table:
        """A small pandas frame (periods, lookups) as a table of this backend, uploaded once
        per name. Unlike an Ibis memtable it can be part of cached (materialised) results on
        every backend."""
        key = ("small", name)
        if key not in self._derived:
            table_name = f"icsight_{name}_{len(self._derived)}"
            if self.backend == "spark":
                from icsight.engine.spark import upload

                self._derived[key] = upload(self.con, table_name, frame)
            else:
                self._derived[key] = self.con.create_table(
                    table_name, obj=frame, schema=ibis.schema(schema) if schema else None,
                    temp=True)
        return self._derived[key]

    def remembered(self, name: str, build):
        """`build()`, computed once for as long as the lake is open: for small results that
        depend only on the lake's files (the practice and LSOA lookups), which every
        single-indicator request would otherwise read again."""
        key = ("remembered", name)
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def for_purpose(self, purpose: Purpose | str) -> Lake:
        """The same lake on the same engine, seen for `purpose` (itself when it already is):
        worklists are found for direct care and a risk model trained for planning, whatever
        purpose the build that makes them serves."""
        purpose = Purpose.parse(purpose)
        if purpose == self.purpose:
            return self
        spark = self.con._session if self.backend == "spark" else None
        return open_lake(self.path, backend=self.backend, spark=spark, purpose=purpose)

    @contextmanager
    def sharing(self) -> Iterator[None]:
        """Within the block, intermediate results that several indicators use (a register,
        the hypertension cohort) are computed once and reused; released on leaving it.

        Re-entrant: a block inside another (a build's worklists, which share within
        themselves, called where something already shares) keeps the outer block's results
        and leaves their release to it."""
        if self._shared is not None:
            yield
            return
        self._shared = {}
        try:
            yield
        finally:
            shared, self._shared = self._shared, None
            for cached in shared.values():
                cached.release()

    @property
    def is_sharing(self) -> bool:
        """Whether a `sharing()` block is active (results are kept for other queries)."""
        return self._shared is not None

    def shared(self, name: str, periods: ibis.Table, build) -> ibis.Table:
        """`build()`, computed once per `name` and periods while `sharing()` is active (and
        simply returned otherwise)."""
        if self._shared is None:
            return build()
        key = (name, periods.op())
        if key not in self._shared:
            self._shared[key] = build().cache()
        return self._shared[key]

    def shared_result(self, key: tuple, build):
        """Like `shared`, for a result already computed (e.g. a pandas frame)."""
        if self._shared is None:
            return build()
        key = ("result", *key)
        if key not in self._shared:
            self._shared[key] = _Kept(build())
        return self._shared[key].value


    @property
    def reference_date(self) -> str | None:
        return self.manifest.get("reference_date")

    def data_window(self) -> tuple[str, str] | None:
        """The first and last day the lake holds data for (YYYY-MM-DD), or None when it holds
        no dated records.

        A generated lake records its window in the manifest (`window_start` to
        `reference_date`); an ingested one spans its own records: the earliest and latest
        date in any activity table (patients' births and registrations are left out, they
        reach back decades before any activity). Indicators for a period outside it would
        count nothing, so the command line refuses such a date."""
        start, end = self.manifest.get("window_start"), self.manifest.get("reference_date")
        if start and end:
            return str(start), str(end)
        if "window" not in self._derived:
            self._derived["window"] = self._dated_span()
        return self._derived["window"]

    def _dated_span(self) -> tuple[str, str] | None:
        days = []
        for name, spec in TABLES.items():
            if spec.zone == IDENTIFIABLE or name == "patients":
                continue
            dated = [f.name for f in spec.schema
                     if pa.types.is_date(f.type) or pa.types.is_timestamp(f.type)]
            if not dated:
                continue
            table = self.con.table(name)
            span = table.aggregate(**{f"{c}_{end}": getattr(table[c], end)()
                                      for c in dated for end in ("min", "max")}).to_pandas()
            days += [str(v)[:10] for v in span.iloc[0] if v is not None and v == v]
        return (min(days), max(days)) if days else None

    @contextmanager
    def materialised(self, expr: ibis.Table) -> Iterator[ibis.Table]:
        """Compute `expr` once (a temporary table on DuckDB, a cached DataFrame on Spark) for
        several queries to share; released on leaving the block."""
        with expr.cache() as cached:
            yield cached

    def sql(self, query: str):
        """Run SQL against the lake's tables (DuckDB dialect); returns a pandas DataFrame."""
        return self.con.raw_sql(query).df()


@dataclass
class _Kept:
    """A shared Python value (nothing to release)."""

    value: object

    def release(self) -> None:
        self.value = None


def _limit_memory(con: ibis.BaseBackend) -> None:
    """Bound DuckDB's memory (`ICSIGHT_DUCKDB_MEMORY_LIMIT`): a build's shared registers,
    cohorts and population counts then spill to a temporary folder of this connection's own
    instead of growing with the population (issue 10: peak memory bounded, not by people)."""
    from icsight import settings

    limit = (settings.get("ICSIGHT_DUCKDB_MEMORY_LIMIT") or "").strip()
    if not limit:
        return
    spill = tempfile.mkdtemp(prefix="icsight-duckdb-")
    weakref.finalize(con, shutil.rmtree, spill, True)
    try:
        con.raw_sql(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except Exception as e:  # DuckDB names what it could not parse
        raise LakeError(f"ICSIGHT_DUCKDB_MEMORY_LIMIT={limit!r} is not a memory size DuckDB "
                        f"accepts (e.g. 2GB, 500MB): {e}") from None
    con.raw_sql(f"SET temp_directory = '{spill}'")


def open_lake(path: str | Path, backend: str = "duckdb", spark=None,
              purpose: Purpose | str = Purpose.ALL) -> Lake:
    """Open the lake at `path` on `backend`: `duckdb` (default, in process) or `spark`.

    For Spark, pass an existing `SparkSession` as `spark` (for example on a cluster), or let
    icsight start a local one (`local[2]`, or the master named by `ICSIGHT_SPARK_MASTER`).

    `purpose` says what the data will be used for: for `planning` and `research` every
    patient-level table leaves out people who registered a national data opt-out; for
    `direct_care` (and `all`, for checking the lake itself) nobody is left out.

    A lake left half swapped by a writer that died is put back first (`icsight.lake.recover`).
    """
    try:
        purpose = Purpose.parse(purpose)
    except ValueError as e:
        raise LakeError(str(e)) from None
    path = Path(path)
    recover(path)
    manifest = read_manifest(path)
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        # Results never depend on row order (every query aggregates or sorts explicitly), so
        # DuckDB may stream without keeping insertion order: faster and lighter.
        con.raw_sql("SET preserve_insertion_order = false")
        _limit_memory(con)
    elif backend == "spark":
        from icsight.engine.spark import connect

        con = connect(spark)
    else:
        raise LakeError(f"unknown backend {backend!r}; available: duckdb, spark")
    for name, spec in TABLES.items():
        if spec.zone == IDENTIFIABLE:
            continue
        file = table_path(path, name)
        if not file.is_file():
            raise LakeError(f"the lake at {path} has no {name} table ({file} is missing)")
        con.read_parquet(str(file), table_name=name)
    return Lake(path, con, manifest, backend, purpose)
