"""Spec tests run on every engine: DuckDB always, Spark (local[2], one session for the run)."""

from __future__ import annotations

import pytest

from tests.spec.harness import build_lake, compute, specs

ENGINES = ("duckdb", "spark")


def spark_session():
    """A local Spark session tuned for lakes of a few hundred rows: one shuffle partition, no
    whole-stage code generation or adaptive planning (compiling a plan costs more than
    running it here). Results do not depend on these settings."""
    from icsight.engine.spark import local_session

    return local_session({"spark.sql.shuffle.partitions": "1",
                          "spark.default.parallelism": "1",
                          "spark.sql.codegen.wholeStage": "false",
                          "spark.sql.adaptive.enabled": "false"}, name="icsight-spec")


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
