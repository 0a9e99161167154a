"""Spec tests run on every engine: DuckDB always, Spark (local[2], one session per worker
that runs a part of its cases)."""

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


#: How many test groups (xdist workers) each engine's cases are spread over. Spark's cases
#: were the longest group of the suite (about 14 minutes of one worker, on a busy 2-core
#: machine, to DuckDB's 2.5): two parts, each computed on its own Spark session, can run on
#: both workers at once. Every case is still checked on both engines.
ENGINE_PARTS = {"duckdb": 1, "spark": 2}


def parts(engine: str) -> dict[str, int]:
    """indicator -> the part (0, 1, ...) of `engine`'s cases its cases run in: indicators
    dealt in turn, largest first by their lakes (an `alone` case has a lake of its own, so
    costs about as much as another indicator), to the part with the least so far."""
    n = ENGINE_PARTS[engine]
    load = [0] * n
    out: dict[str, int] = {}
    weight = {i: 1 + sum(c.alone for c in s.cases) for i, s in specs().items()}
    for indicator_id in sorted(weight, key=lambda i: (-weight[i], i)):
        k = load.index(min(load))
        out[indicator_id] = k
        load[k] += weight[indicator_id]
    return out


@pytest.fixture(scope="session")
def spec_results(tmp_path_factory):
    """(engine, part) -> {"merged": {indicator: series}, (indicator, k): series of an alone
    case} for the indicators in that part of the engine's cases (`parts`), each lake built
    once and each part computed once per session. Every indicator of a part is computed in
    one `Lake.sharing()` block over the merged lake (on DuckDB: every indicator)."""
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
    cache: dict[tuple[str, int], dict] = {}
    sessions: dict[str, object] = {}

    def get(engine: str, part: int = 0) -> dict:
        if (engine, part) not in cache:
            if engine == "spark" and engine not in sessions:
                sessions[engine] = spark_session()
            session = sessions.get(engine)
            mine = sorted(i for i, p in parts(engine).items() if p == part)
            out = {"merged": compute(lakes["merged"], mine, ends, engine, session)}
            for key, path in lakes.items():
                if key != "merged" and key[0] in mine:
                    indicator_id = key[0]
                    out[key] = compute(path, [indicator_id], all_specs[indicator_id]
                                       .period_ends, engine, session)[indicator_id]
            cache[(engine, part)] = out
        return cache[(engine, part)]

    return get
