"""`icsight plan`: the population projections, list inflation and waiting lists from the
command line, on the published projections and a hand-made lake whose answers are worked by
hand in tests/test_waiting_lists.py."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from icsight.cli import main
from tests.rtt import rtt_lake
from tests.test_waiting_lists import AS_OF, DIED, LEFT, PATHWAYS


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    """The waiting-list spec's lake: 13 pathways, list 110 at RX1 holding 4 people on
    31 March 2025 and list 130 at RX2 holding 1 (two died, one left the list)."""
    return rtt_lake(tmp_path_factory.mktemp("plan") / "lake", PATHWAYS, AS_OF, DIED, LEFT)


def _run(*args: str):
    done = CliRunner().invoke(main, ["plan", *args])
    assert "Traceback" not in done.output, done.output
    return done


def test_population_shows_both_variants_and_writes_one(tmp_path):
    out = tmp_path / "ons.csv"
    done = _run("population", "--variant", "ons-2022", "--out", str(out))
    assert done.exit_code == 0, done.output
    # the headline the strategy and ONS give: +14.3% (ONS) and +25.0% (housing-led) to 2043
    assert "+14.3%" in done.output and "+25.0%" in done.output
    frame = pd.read_csv(out)
    assert set(frame.variant) == {"ons-2022"}
    assert len(frame) == 4 * 91 * 2 * 21  # places x ages 0-90+ x sexes x 2023-2043
    blmk_2043 = frame[frame.year == 2043].people.sum()
    assert blmk_2043 == pytest.approx(1_175_382, abs=1)


def test_waiting_lists_shows_and_writes_the_queues_and_trajectories(lake_dir, tmp_path):
    queues, runs, waits = tmp_path / "queues.csv", tmp_path / "runs.csv", tmp_path / "w.csv"
    done = _run("waiting-lists", "--lake", str(lake_dir), "--weeks", "4", "--runs", "5",
                "--seed", "3", "--purpose", "direct_care", "--out", str(runs),
                "--queues-out", str(queues), "--waits-out", str(waits))
    assert done.exit_code == 0, done.output
    assert "110" in done.output and "RX1" in done.output
    q = pd.read_csv(queues, dtype={"treatment_function": str}).set_index(
        ["treatment_function", "provider_code"])
    # the spec lake's lists on 31 March 2025: 4 waiting at 110/RX1, 1 at 130/RX2
    assert q.queue_size.to_dict() == {("110", "RX1"): 4, ("130", "RX2"): 1}
    t = pd.read_csv(runs, dtype={"treatment_function": str})
    assert sorted(t.week.unique()) == [1, 2, 3, 4]
    assert {"list_size", "percent_within_18_weeks", "over_52_weeks"} <= set(t.measure)
    assert (t.p10 <= t.p50).all() and (t.p50 <= t.p90).all()
    w = pd.read_csv(waits, dtype={"treatment_function": str})
    # each list: the four clinical priorities and a patient whose priority is not yet known
    assert len(w) == 2 * 5 and set(w.priority) == {"P1", "P2", "P3", "P4", "any"}
    known = w.dropna(subset=["median_weeks", "p92_weeks"])
    assert (known.median_weeks <= known.p92_weeks).all() and len(known) > 0
    again = tmp_path / "again.csv"
    _run("waiting-lists", "--lake", str(lake_dir), "--weeks", "4", "--runs", "5", "--seed",
         "3", "--purpose", "direct_care", "--out", str(again))
    assert again.read_text() == runs.read_text()  # the same seed, the same runs


@pytest.mark.parametrize(("plan", "named"), [
    ('[[change]]\nkind = "insourcing"\ntreatment_function = "110"\nprovider_code = "RX1"\n'
     'treatments_per_week = -5\nstart = "2025-04-07"\n', "treatments_per_week"),
    ('[[change]]\nkind = "insourcing"\ntreatment_function = "110"\nprovider_code = "NOPE"\n'
     'treatments_per_week = 5\nstart = "2025-04-07"\n', "provider"),
    ('[[change]]\nkind = "insourcing"\ntreatment_function = "110"\nprovider_code = "RX1"\n'
     'treatments_per_week = 5\nstart = "2031-01-01"\n', "start"),
    ("this is not = = toml", "not a capacity plan"),
])
def test_an_impossible_capacity_plan_is_refused_naming_what_is_wrong(lake_dir, tmp_path, plan,
                                                                       named):
    path = tmp_path / "plan.toml"
    path.write_text(plan)
    done = _run("waiting-lists", "--lake", str(lake_dir), "--weeks", "4", "--runs", "2",
                "--plan", str(path))
    assert done.exit_code == 2, done.output
    assert named in " ".join(done.output.split())  # the console wraps long lines


def test_a_json_plan_adds_capacity(lake_dir, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text('[{"kind": "insourcing", "treatment_function": "130", '
                    '"provider_code": "RX2", "treatments_per_week": 1, '
                    '"start": "2025-04-01"}]')
    base, more = tmp_path / "base.csv", tmp_path / "more.csv"
    for out, extra in ((base, []), (more, ["--plan", str(plan)])):
        done = _run("waiting-lists", "--lake", str(lake_dir), "--weeks", "4", "--runs", "3",
                    "--purpose", "direct_care", "--out", str(out), *extra)
        assert done.exit_code == 0, done.output
    treated = {}
    for name, path in (("base", base), ("more", more)):
        t = pd.read_csv(path, dtype={"treatment_function": str})
        t = t[(t.treatment_function == "130") & (t.measure == "list_size")]
        treated[name] = t[t.week == 4].p50.iloc[0]
    # 130 at RX2 has no capacity of its own: a treatment a week empties its one-person list
    assert treated["more"] == 0 and treated["base"] >= 1


def test_list_inflation_counts_the_registered_beside_ons(lake_dir, tmp_path):
    out = tmp_path / "inflation.csv"
    done = _run("list-inflation", "--lake", str(lake_dir), "--purpose", "direct_care",
                "--out", str(out))
    assert done.exit_code == 0, done.output
    frame = pd.read_csv(out)
    everyone = frame[(frame.sex == "persons") & (frame.place == "BLMK")]
    # 13 people in the spec lake; one died (7) and one left (12) before 31 March 2025,
    # and 13 died on 18 March: 10 registered and alive on the day
    assert everyone.registered.sum() == 10
    assert "Residents" in done.output and "Difference" in done.output


@pytest.mark.parametrize(("name", "text"), [
    ("plan.toml", "change = 5\n"),
    ("plan.json", '{"kind": "insourcing"}'),
    ("plan.json", "[1, 2"),
    ("plan.toml", '[[change]]\nkind = "more_beds"\ntreatment_function = "110"\n'),
])
def test_a_plan_file_that_is_not_a_list_of_changes_is_refused(lake_dir, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    done = _run("waiting-lists", "--lake", str(lake_dir), "--weeks", "4", "--runs", "2",
                "--plan", str(path))
    assert done.exit_code == 2, done.output
    said = " ".join(done.output.split())
    assert "capacity plan" in said or "kind" in said, said


def test_the_housing_led_variant_alone(tmp_path):
    out = tmp_path / "housing.csv"
    done = _run("population", "--variant", "housing-led", "--out", str(out))
    assert done.exit_code == 0, done.output
    frame = pd.read_csv(out)
    assert set(frame.variant) == {"housing-led"}
    # the strategy's "about a quarter" more people in twenty years
    totals = frame.groupby("year").people.sum()
    assert totals[2043] / totals[2023] == pytest.approx(1.25, abs=0.01)


@pytest.mark.parametrize("command", ["waiting-lists", "list-inflation"])
def test_a_day_outside_the_lake_is_refused_with_its_window(lake_dir, command):
    done = _run(command, "--lake", str(lake_dir), "--as-of", "2031-01-31")
    assert done.exit_code == 2, done.output
    assert "2020-04-01 to 2025-03-31" in " ".join(done.output.split())
