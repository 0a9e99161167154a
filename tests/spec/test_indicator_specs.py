"""Every indicator against its published definition, rule by rule, on DuckDB and Spark.

The cases live in `tests/spec/indicators/<id>.py`; `harness.py` says how they run."""

from __future__ import annotations

import pytest

from icsight.indicators.catalogue import catalogue
from tests.spec.conftest import ENGINE_PARTS, ENGINES, parts
from tests.spec.harness import check, specs

SPECS = specs()
CASES = [(ind, k) for ind, spec in sorted(SPECS.items()) for k in range(len(spec.cases))]


def _case_id(param) -> str:
    ind, k = param
    return f"{ind}-{k + 1}"


#: Each part of an engine's cases (`tests/spec/conftest.py` `parts`: all of DuckDB's, half of
#: Spark's) runs together on one test worker (pytest-xdist `--dist loadgroup`): the session
#: fixture computes a part's spec lakes once, so spreading one part's cases over two workers
#: would compute them twice. Same ids as one parametrize per engine and per case would give.
PARTS = {e: parts(e) for e in ENGINES}
RULE_PARAMS = [pytest.param(case, engine, id=f"{_case_id(case)}-{engine}",
                            marks=pytest.mark.xdist_group(
                                f"spec-{engine}" if ENGINE_PARTS[engine] == 1
                                else f"spec-{engine}-{PARTS[engine][case[0]]}"))
               for case in CASES for engine in ENGINES]


@pytest.mark.parametrize(("case", "engine"), RULE_PARAMS)
def test_rule(case, engine, spec_results):
    indicator_id, k = case
    results = spec_results(engine, PARTS[engine][indicator_id])
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
