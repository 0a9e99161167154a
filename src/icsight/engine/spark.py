"""Apache Spark as an engine: the same Ibis queries, on a cluster or a local session.

Everything Spark-specific lives here. A local session (`local[2]`) is enough for tests and for
checking that results match DuckDB; for a region or the country, pass your cluster's
`SparkSession` to `open_lake(path, backend="spark", spark=session)` or set
`ICSIGHT_SPARK_MASTER` (see docs/engine.md).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import ibis

from icsight.settings import get as setting

JAVA_HELP = ("Spark needs a Java 17 or 21 runtime and none was found: install one (on Debian "
             "or Ubuntu `apt-get install openjdk-17-jre-headless`; elsewhere any OpenJDK 17 "
             "build), or set JAVA_HOME to it, then try again")
SPARK_HELP = ("the Spark engine is an optional extra: `pip install 'icsight[spark]'` (or, in "
              "a checkout, `uv sync --extra spark`)")


#: A local session's settings: no UI, UTC, few partitions (a laptop or CI, not a cluster).
LOCAL_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.memory": "2g",
}


def local_session(config: dict[str, str] | None = None, name: str = "icsight"):
    """A local Spark session tuned for a laptop or CI (`LOCAL_CONFIG`, with `config` on top),
    on the master named by `ICSIGHT_SPARK_MASTER` (default `local[2]`)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the sandbox has no resolvable host
    check_java()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(setting("ICSIGHT_SPARK_MASTER")).appName(name)
    for key, value in {**LOCAL_CONFIG, **(config or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def check_java() -> None:
    """Refuse early, saying what to install, when no Java runtime is on this machine: without
    one PySpark fails later with a long Java gateway error."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return
    if shutil.which("java") is None:
        raise RuntimeError(JAVA_HELP)


def upload(con: ibis.BaseBackend, name: str, frame) -> ibis.Table:
    """A small pandas frame as a session view (the PySpark backend has no temporary tables)."""
    con._session.createDataFrame(frame).createOrReplaceTempView(name)
    return con.table(name)


def connect(spark=None) -> ibis.BaseBackend:
    """An Ibis backend on `spark` (a SparkSession), starting a local session if none given."""
    try:
        import pyspark  # noqa: F401
    except ImportError as e:
        raise RuntimeError(SPARK_HELP) from e
    return ibis.pyspark.connect(spark if spark is not None else local_session())
