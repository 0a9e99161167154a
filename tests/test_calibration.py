"""`icsight synth --check`: generated figures against published targets."""

from __future__ import annotations

import math

from click.testing import CliRunner

from icsight.cli import main
from icsight.synth.calibration import all_targets, check


def test_every_target_has_a_source_and_a_tolerance():
    targets = all_targets()
    assert len(targets) >= 25
    assert len({t.id for t in targets}) == len(targets)
    for t in targets:
        assert t.source and t.tolerance > 0 and t.unit, t.id


def test_generated_figures_are_within_tolerance(lake):
    rows = check(lake)
    misses = [(r.target.id, round(r.measured, 2), r.target.target, r.target.tolerance)
              for r in rows if not r.ok]
    assert not misses, misses
    assert all(not math.isnan(r.measured) for r in rows)


def test_check_command_prints_the_table_and_exits_zero(lake_dir):
    result = CliRunner().invoke(main, ["synth", "--check", str(lake_dir)])
    assert result.exit_code == 0, result.output
    assert "Recorded prevalence: hypertension" in result.output
    assert "QOF 2023/24 England register" in result.output  # sources are shown
    assert "figures within tolerance" in result.output


def test_check_command_explains_a_missing_lake(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--check", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "icsight synth --out" in result.output
