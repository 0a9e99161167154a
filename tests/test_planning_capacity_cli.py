"""`icsight plan capacity` on the demand spec's tiny lake (tests/demand_lake.py): the CSVs,
BLMK's percentiles and the savings re-worked from the projections themselves, and hostile
occupancies and assumptions refused with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.engine import open_lake
from icsight.planning.demand import baseline_rates, packaged_scenario, project
from tests.demand_lake import DAY, demand_lake


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    return demand_lake(tmp_path_factory.mktemp("plan-capacity") / "lake")


def _run(*args: str):
    done = CliRunner().invoke(main, ["plan", "capacity", *args])
    assert "Traceback" not in done.output, done.output
    return done


def test_capacity_writes_beds_and_savings_the_projections_reproduce(lake_dir, tmp_path):
    files = {name: tmp_path / f"{name}.csv" for name in ("out", "savings", "delay")}
    done = _run("--lake", str(lake_dir), "--scenario", "mitigated", "--as-of", DAY,
                "--runs", "16", "--seed", "7", "--occupancy", "0.85",
                "--out", str(files["out"]), "--savings-out", str(files["savings"]),
                "--delay-out", str(files["delay"]))
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "BLMK capacity, Mitigated" in said and "Saved against Principal" in said
    assert "General and acute beds at 85% occupancy" in said

    # the same projections by hand: beds are each run's nights / 365 / 0.85, summed over the
    # places within the run, then percentiles
    rates = baseline_rates(open_lake(lake_dir), DAY)
    runs = {name: project(rates, packaged_scenario(name), runs=16, seed=7)
            for name in ("principal", "mitigated")}

    def beds(projected):
        nights = sum(projected.runs[:, -1, :, projected.pods.index(p)]
                     for p in ("non_elective_bed_days", "elective_bed_days"))
        return nights.sum(axis=1) / 365 / 0.85

    summary = pd.read_csv(files["out"])
    blmk = summary[(summary.place == "BLMK") & (summary.measure == "beds")
                   & (summary.year == 2043)].iloc[0]
    assert [blmk.p10, blmk.p50, blmk.p90] == pytest.approx(
        np.percentile(beds(runs["mitigated"]), [10, 50, 90]))
    assert blmk.baseline == pytest.approx(10 / 365 / 0.85)  # 10 nights in the baseline year
    saved = pd.read_csv(files["savings"])
    row = saved[(saved.place == "BLMK") & (saved.measure == "beds")
                & (saved.year == 2043)].iloc[0]
    paired = beds(runs["principal"]) - beds(runs["mitigated"])
    assert [row.p10, row.p50, row.p90] == pytest.approx(np.percentile(paired, [10, 50, 90]))
    assert row.against == "Principal" and row.scenario == "Mitigated"
    delay = pd.read_csv(files["delay"])
    assert sorted(delay.occupancy.unique()) == [0.8, 0.85, 0.9, 0.92, 0.95]
    assert (delay.p_wait_pooled.between(0, 1)).all()


def test_the_principal_has_nothing_to_save_against_itself(lake_dir, tmp_path):
    savings = tmp_path / "savings.csv"
    done = _run("--lake", str(lake_dir), "--scenario", "principal", "--runs", "4",
                "--savings-out", str(savings))
    assert done.exit_code == 0, done.output
    assert "Saved against" not in done.output and not savings.exists()
    assert "nothing to save against it" in " ".join(done.output.split())


@pytest.mark.parametrize("occupancy", ["0", "1", "1.2", "-0.5"])
def test_an_impossible_occupancy_is_refused(lake_dir, occupancy):
    done = _run("--lake", str(lake_dir), "--scenario", "principal", "--occupancy", occupancy)
    assert done.exit_code == 2
    assert "a target occupancy must lie strictly between 0 and 1" in " ".join(
        done.output.split())


def test_assumptions_with_a_negative_ratio_are_refused_naming_it(lake_dir, tmp_path):
    from icsight.model.reference import data_path

    text = data_path("planning", "capacity.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("wte_per_unit = 0.82", "wte_per_unit = -0.82"), encoding="utf-8")
    done = _run("--lake", str(lake_dir), "--scenario", "principal", "--assumptions", str(bad))
    assert done.exit_code == 2
    assert ("workforce[1]('Nursesandmidwives').drivers[0].wte_per_unit:Inputshouldbegreater"
            in "".join(done.output.split()))


def test_a_scenario_with_an_earlier_horizon_pairs_with_the_principal_to_the_same_year(
        lake_dir, tmp_path):
    from icsight.model.reference import data_path

    text = data_path("planning", "scenarios", "mitigated.toml").read_text(encoding="utf-8")
    mine = tmp_path / "mine.toml"
    mine.write_text(text.replace("horizon = 2043", "horizon = 2030"), encoding="utf-8")
    savings = tmp_path / "savings.csv"
    done = _run("--lake", str(lake_dir), "--scenario", str(mine), "--runs", "4",
                "--savings-out", str(savings))
    assert done.exit_code == 0, done.output
    saved = pd.read_csv(savings)
    assert saved.year.max() == 2030 and set(saved.against) == {"Principal"}
