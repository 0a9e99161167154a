"""`icsight synth --check`: generated figures against published targets."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.engine import open_lake
from icsight.synth import DEFAULT_REFERENCE_DATE
from icsight.synth.calibration import all_targets, check
from icsight.synth.generate import generate_lake
from tests.lakes import TEST_KEY

#: The targets' tolerances are for BLMK's million people; every target is now measured at the
#: start, middle and end of the window, so a lake must be large enough that sampling noise
#: (e.g. ~120 under-75 circulatory deaths in three years at 60,000 people) stays well inside
#: them at all three dates: a fifth of BLMK.
CALIBRATION_POPULATION = 250_000


@pytest.fixture(scope="module")
def calibration_lake_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration") / "blmk"
    generate_lake(out, population=CALIBRATION_POPULATION, seed=11,
                  reference_date=DEFAULT_REFERENCE_DATE, key=TEST_KEY)
    return out


def test_every_target_has_a_source_and_a_tolerance():
    targets = all_targets()
    assert len(targets) >= 25
    assert len({t.id for t in targets}) == len(targets)
    for t in targets:
        assert t.source and t.tolerance > 0 and t.unit, t.id


def test_generated_figures_are_within_tolerance(calibration_lake_dir):
    rows = check(open_lake(calibration_lake_dir))
    misses = [(r.target.id, round(r.measured, 2), r.target.target, r.target.tolerance)
              for r in rows if not r.ok]
    assert not misses, misses
    assert all(not math.isnan(r.measured) for r in rows)


def test_check_command_prints_the_table_and_exits_zero(calibration_lake_dir):
    result = CliRunner().invoke(main, ["synth", "--check", str(calibration_lake_dir)])
    assert result.exit_code == 0, result.output
    assert "Recorded prevalence: hypertension" in result.output
    assert "QOF 2023/24 England register" in result.output  # sources are shown
    assert "figures within tolerance" in result.output


def test_check_command_explains_a_missing_lake(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--check", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "icsight synth --out" in result.output
