"""The lake: a folder of Parquet files, one per canonical table, in two zones.

    LAKE/
      manifest.json            what wrote it, when, from which seed, row counts
      analytics/<table>.parquet pseudonymised analytics store (and reference tables)
      identifiable/<table>.parquet  identifiable zone: NHS numbers, names, addresses

Analysts' queries only ever see `analytics/`. The identifiable zone is opened separately,
by code that must audit its use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ibis

from icsight.model.schema import ANALYTICS, IDENTIFIABLE, TABLES

MANIFEST = "manifest.json"


class LakeError(RuntimeError):
    """The lake folder is missing or incomplete."""


@dataclass
class Lake:
    """An open lake: Ibis tables over its Parquet files on one backend."""

    path: Path
    con: ibis.BaseBackend
    manifest: dict

    def table(self, name: str) -> ibis.Table:
        """The canonical analytics table `name` as an Ibis table expression."""
        spec = TABLES.get(name)
        if spec is None or spec.zone == IDENTIFIABLE:
            raise LakeError(f"{name!r} is not an analytics table of the canonical model")
        return self.con.table(name)

    @property
    def reference_date(self) -> str | None:
        return self.manifest.get("reference_date")

    @contextmanager
    def materialised(self, expr: ibis.Table) -> Iterator[ibis.Table]:
        """Compute `expr` once (a temporary table on DuckDB, a cached DataFrame on Spark) for
        several queries to share; released on leaving the block."""
        with expr.cache() as cached:
            yield cached

    def sql(self, query: str):
        """Run SQL against the lake's tables (DuckDB dialect); returns a pandas DataFrame."""
        return self.con.raw_sql(query).df()


def zone_dir(path: Path, zone: str) -> Path:
    return Path(path) / zone


def open_lake(path: str | Path, backend: str = "duckdb", spark=None) -> Lake:
    """Open the lake at `path` on `backend`: `duckdb` (default, in process) or `spark`.

    For Spark, pass an existing `SparkSession` as `spark` (for example on a cluster), or let
    icsight start a local one (`local[2]`, or the master named by `ICSIGHT_SPARK_MASTER`).
    """
    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise LakeError(
            f"{path} is not an icsight lake (no {MANIFEST}); create one with "
            f"`icsight synth --out {path}`"
        )
    manifest = json.loads(manifest_path.read_text())
    if backend == "duckdb":
        con = ibis.duckdb.connect()
    elif backend == "spark":
        from icsight.engine.spark import connect

        con = connect(spark)
    else:
        raise LakeError(f"unknown backend {backend!r}; available: duckdb, spark")
    analytics = zone_dir(path, ANALYTICS)
    for name, spec in TABLES.items():
        if spec.zone == IDENTIFIABLE:
            continue
        file = analytics / f"{name}.parquet"
        if not file.is_file():
            raise LakeError(f"the lake at {path} has no {name} table ({file} is missing)")
        con.read_parquet(str(file), table_name=name)
    return Lake(path, con, manifest)
