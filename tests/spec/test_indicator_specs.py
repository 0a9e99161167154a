"""Every indicator against its published definition, rule by rule, on DuckDB and Spark.

The cases live in `tests/spec/indicators/<id>.py`; `harness.py` says how they run."""

from __future__ import annotations

import pytest

from icsight.indicators.catalogue import catalogue
from tests.spec.conftest import ENGINES
from tests.spec.harness import check, specs

SPECS = specs()
CASES = [(ind, k) for ind, spec in sorted(SPECS.items()) for k in range(len(spec.cases))]


def _case_id(param) -> str:
    ind, k = param
    return f"{ind}-{k + 1}"


#: Each engine's cases run together on one test worker (pytest-xdist `--dist loadgroup`): the
#: session fixture computes every spec lake once per engine, so spreading one engine's cases
#: over two workers would compute them all twice.
ENGINE_PARAMS = [pytest.param(e, marks=pytest.mark.xdist_group(f"spec-{e}")) for e in ENGINES]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_rule(case, engine, spec_results):
    indicator_id, k = case
    results = spec_results(engine)
    rule = SPECS[indicator_id].cases[k]
    result = results[(indicator_id, k)] if rule.alone else results["merged"][indicator_id]
    problems = check(result, rule)
    assert not problems, f"{indicator_id}: {rule.rule}\n  " + "\n  ".join(problems)


def test_every_indicator_has_a_spec():
    missing = sorted(set(catalogue()) - set(SPECS))
    assert not missing, f"indicators without a spec in tests/spec/indicators: {missing}"


@pytest.mark.parametrize("indicator_id", sorted(SPECS))
def test_a_spec_states_its_source_and_several_rules(indicator_id):
    spec = SPECS[indicator_id]
    assert indicator_id in catalogue(), f"spec for an unknown indicator {indicator_id}"
    assert len(spec.source) > 20, "say which published definition the cases follow"
    assert len(spec.cases) >= 3, "a spec states every rule of its definition: at least 3"
    assert len({c.rule for c in spec.cases}) == len(spec.cases), "two cases, one rule"
