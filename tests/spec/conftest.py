"""Spec tests run on every engine: DuckDB always, Spark (local[2], one session for the run)."""

from __future__ import annotations

import pytest

from tests.spec.harness import build_lake, compute, specs

ENGINES = ("duckdb", "spark")


@pytest.fixture(scope="session")
def spec_results(tmp_path_factory):
    """(indicator id, engine) -> (spec, the tidy series), each computed once per session."""
    lakes, cache = {}, {}

    def get(indicator_id: str, engine: str):
        spec = specs()[indicator_id]
        if indicator_id not in lakes:
            folder = tmp_path_factory.mktemp(f"spec-{indicator_id.lower()}")
            merged = [c for c in spec.cases if not c.alone]
            lakes[indicator_id] = {"merged": build_lake(folder / "merged", merged,
                                                        spec.period_ends[-1]) if merged else None}
            for k, case in enumerate(spec.cases):
                if case.alone:
                    lakes[indicator_id][k] = build_lake(folder / f"alone-{k}", [case],
                                                        spec.period_ends[-1])
        key = (indicator_id, engine)
        if key not in cache:
            cache[key] = {name: compute(path, indicator_id, spec.period_ends, engine)
                          for name, path in lakes[indicator_id].items() if path is not None}
        return spec, cache[key]

    return get
