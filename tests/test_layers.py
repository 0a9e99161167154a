"""The house's layers as a test: the README's arrows, checked on the code's own imports.

The contracts live in pyproject.toml (`[tool.importlinter]`); `make test` also runs
`lint-imports`. These tests make sure the contracts are enforced, and that breaking one on
purpose is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def copy_of_project(tmp_path) -> Path:
    """The project's sources and contracts in a scratch folder, to break on purpose."""
    shutil.copytree(ROOT / "src" / "icsight", tmp_path / "src" / "icsight",
                    ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_contract_is_kept():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _add_import(tree: Path, module: str, line: str) -> None:
    path = tree / "src" / Path(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + f"\n{line}\n")


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("icsight.model.schema", "import icsight.indicators.catalogue", "Stages"),
    ("icsight.synth.generate", "from icsight.engine import open_lake", "Stages"),
    ("icsight.indicators.programmes.ltc",
     "from icsight.indicators.programmes.uec import INDICATORS", "Programme modules"),
    ("icsight.indicators.cohorts", "from icsight.indicators import catalogue", "Indicators"),
    ("icsight.appdb.models", "import icsight.api.app", "Stages"),  # no web layer in appdb
    # planning sits beside worklists: nothing below it, nor worklists, may import it
    ("icsight.risk.frailty", "import icsight.planning.population", "Stages"),
    ("icsight.worklists.priority", "import icsight.planning.population", "Stages"),
])
def test_a_wrong_way_import_is_caught(copy_of_project, module, line, contract):
    _add_import(copy_of_project, module, line)
    done = lint(copy_of_project)
    assert done.returncode != 0
    assert f"{contract}" in done.stdout and "BROKEN" in done.stdout, done.stdout
