"""`icsight plan demand` on the demand spec's tiny lake (tests/demand_lake.py): the table,
the CSVs, percentiles re-aggregated by hand from the runs it writes, and a scenario file with
a mistake in it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from icsight.cli import main
from tests.demand_lake import DAY, demand_lake


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    return demand_lake(tmp_path_factory.mktemp("plan-demand") / "lake")


def _run(*args: str):
    done = CliRunner().invoke(main, ["plan", "demand", *args])
    assert "Traceback" not in done.output, done.output
    return done


def test_demand_writes_percentiles_that_the_runs_reproduce(lake_dir, tmp_path):
    files = {name: tmp_path / f"{name}.csv" for name in ("out", "waterfall", "runs", "rates")}
    done = _run("--lake", str(lake_dir), "--scenario", "mitigated", "--as-of", DAY,
                "--runs", "32", "--seed", "7", "--out", str(files["out"]),
                "--waterfall-out", str(files["waterfall"]), "--runs-out", str(files["runs"]),
                "--rates-out", str(files["rates"]))
    assert done.exit_code == 0, done.output
    assert "BLMK demand, Mitigated" in done.output and "1 Apr 2024 to 31 Mar 2025" in done.output
    summary = pd.read_csv(files["out"])
    runs = pd.read_csv(files["runs"])
    assert len(summary) == 5 * 13 * 21 and len(runs) == 32 * 21 * 4 * 13
    # BLMK's percentiles by hand: each run's sum of the four places, then numpy's percentiles
    by_run = runs[(runs.pod == "non_elective") & (runs.year == 2043)].groupby("run").activity.sum()
    blmk = summary[(summary.place == "BLMK") & (summary.pod == "non_elective")
                   & (summary.year == 2043)].iloc[0]
    assert [blmk.p10, blmk.p50, blmk.p90] == pytest.approx(
        np.percentile(by_run.to_numpy(), [10, 50, 90]))
    assert blmk.baseline == 3
    waterfall = pd.read_csv(files["waterfall"])
    steps = waterfall[(waterfall.place == "BLMK") & (waterfall.pod == "non_elective")]
    assert steps.change.sum() == pytest.approx(blmk["mean"])
    assert len(pd.read_csv(files["rates"])) == 4 * 19 * 2 * 13


def test_the_same_seed_writes_the_same_figures(lake_dir, tmp_path):
    outs = []
    for name in ("a", "b"):
        outs.append(tmp_path / f"{name}.csv")
        done = _run("--lake", str(lake_dir), "--scenario", "principal", "--runs", "8",
                    "--seed", "3", "--out", str(outs[-1]))
        assert done.exit_code == 0, done.output
    assert outs[0].read_text() == outs[1].read_text()


def test_a_scenario_with_a_mistake_is_refused_naming_it(lake_dir, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = 1\nname = 'x'\n", encoding="utf-8")
    done = _run("--lake", str(lake_dir), "--scenario", str(bad))
    assert done.exit_code == 2
    # rich wraps long lines on the console: compare without the white space
    assert f"{bad}:version:missing" in "".join(done.output.split())
    done = _run("--lake", str(lake_dir), "--scenario", "optimistic")
    assert done.exit_code == 2 and "no packaged scenario 'optimistic'" in done.output


def test_a_baseline_year_before_the_lake_starts_is_refused(lake_dir):
    # the tiny lake's data starts on 1 April 2020: a year to 30 June 2020 would be 9 months
    # without data, so every rate would be too low
    done = _run("--lake", str(lake_dir), "--scenario", "principal", "--as-of", "2020-06-30")
    assert done.exit_code == 2
    said = " ".join(done.output.split())
    assert "the baseline year to 2020-06-30 starts on 2019-07-01, before the lake's data" in said
