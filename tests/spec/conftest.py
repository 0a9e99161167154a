"""Spec tests run on every engine: DuckDB always, Spark (local[2], one session for the run)."""

from __future__ import annotations

import os

import pytest

from tests.spec.harness import build_lake, compute, specs

ENGINES = ("duckdb", "spark")


def spark_session():
    """A local Spark session tuned for lakes of a few hundred rows: one shuffle partition, no
    whole-stage code generation or adaptive planning (compiling a plan costs more than
    running it here). Results do not depend on these settings."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from icsight.engine.spark import check_java

    check_java()
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("icsight-spec")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.default.parallelism", "1")
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.adaptive.enabled", "false")
               .config("spark.driver.memory", "2g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


@pytest.fixture(scope="session")
def spec_results(tmp_path_factory):
    """(engine) -> {"merged": {indicator: series}, (indicator, k): series of an alone case},
    each lake built once and each engine run once per session."""
    all_specs = specs()
    folder = tmp_path_factory.mktemp("spec")
    merged = [c for s in all_specs.values() for c in s.cases if not c.alone]
    ends = sorted({d for s in all_specs.values() for d in s.period_ends})
    lakes = {"merged": build_lake(folder / "merged", merged, ends[-1])}
    for indicator_id, spec in all_specs.items():
        for k, case in enumerate(spec.cases):
            if case.alone:
                lakes[(indicator_id, k)] = build_lake(
                    folder / f"{indicator_id.lower()}-{k}", [case], spec.period_ends[-1])
    cache: dict[str, dict] = {}

    def get(engine: str) -> dict:
        if engine not in cache:
            session = spark_session() if engine == "spark" else None
            out = {"merged": compute(lakes["merged"], sorted(all_specs), ends, engine,
                                     session)}
            for key, path in lakes.items():
                if key != "merged":
                    indicator_id = key[0]
                    out[key] = compute(path, [indicator_id], all_specs[indicator_id]
                                       .period_ends, engine, session)[indicator_id]
            cache[engine] = out
        return cache[engine]

    return get
