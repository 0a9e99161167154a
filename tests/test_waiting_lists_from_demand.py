"""Spec of `from_demand.referrals_from_demand`: weekly referrals grown by the demand
projection's p50 growth in each referred patient's place, worked by hand on a tiny RTT lake
and a projection whose growth is written down (one run, so its p50 is the run)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.engine import open_lake
from icsight.lake.writer import write_table
from icsight.model.schema import TABLES
from icsight.planning.demand import (
    Projection,
    baseline_rates,
    packaged_scenario,
    point_of_delivery,
    project,
    scenario_from_dict,
)
from icsight.planning.population import PLACES
from icsight.planning.waiting_lists import weekly, weekly_from_lake
from icsight.planning.waiting_lists.from_demand import referrals_from_demand
from tests.lakes import make_lake, patient
from tests.rtt import pathway
from tests.test_planning_demand import _scenario

DAY = "2025-03-31"  # the lake's last day; history: the 52 weeks 1 April 2024 to 31 March 2025
BEDFORD, LUTON, NOWHERE = "E81021", "E81026", "Z99999"  # the last is no BLMK practice
#: the projection's baseline year is the 12 months to DAY: its middle is 29 September 2024,
#: 91 days past 30 June 2024 on the mid-year scale
BASE = 2024 + 91 / 365
YEARS = list(range(2023, 2044))
#: baseline op_first activity by place (Bedford, Central Bedfordshire, Luton, Milton Keynes)
BASELINE = np.array([100.0, 0.0, 200.0, 50.0])

PATHWAYS = [  # (patient, practice, clock start, function, provider)
    (1, BEDFORD, "2024-05-01", "110", "RX1"),
    (2, BEDFORD, "2024-09-01", "110", "RX1"),
    (3, BEDFORD, "2025-03-01", "110", "RX1"),
    (4, LUTON, "2024-12-01", "110", "RX1"),
    (5, NOWHERE, "2025-01-15", "110", "RX1"),  # no place: shared 3:1 as the placed ones
    (6, BEDFORD, "2024-03-01", "110", "RX1"),  # before the 52 weeks: not history, still open
    (7, BEDFORD, "2024-06-01", "120", "RX2"),
    (8, BEDFORD, "2025-02-01", "120", "RX2"),  # RX2's list: all Bedford
    (9, NOWHERE, "2024-10-01", "130", "RX1"),  # no one with a place: BLMK's growth
]


#: first outpatient attendances in the baseline year, for the command's projection
FIRSTS = [(1, "2024-06-01"), (2, "2024-10-01"), (4, "2024-12-05"), (7, "2025-01-10")]


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("from_demand") / "lake"
    people = [patient(pid, practice_code=practice) for pid, practice, *_ in PATHWAYS]
    make_lake(folder, people, [], reference_date=DAY)
    rows = [pathway(pid, start, provider=provider, function=function)
            for pid, _, start, function, provider in PATHWAYS]
    write_table(folder, "rtt_pathways",
                pa.Table.from_pylist(rows, schema=TABLES["rtt_pathways"].schema))
    firsts = [{"patient_id": pid, "appointment_id": i, "provider_code": "RX1",
               "appointment_date": dt.date.fromisoformat(day), "treatment_function": "110",
               "first_attendance": True, "attended": "attended"}
              for i, (pid, day) in enumerate(FIRSTS)]
    write_table(folder, "op_appointments",
                pa.Table.from_pylist(firsts, schema=TABLES["op_appointments"].schema))
    return folder


@pytest.fixture(scope="module")
def lake(lake_dir):
    return open_lake(lake_dir)


def _projection(per_year: dict[str, float], pods=("op_first",)) -> Projection:
    """One run whose op_first p50 in each place grows by `per_year` x its baseline each year
    from the baseline's middle (a straight line, so the interpolation is exact)."""
    slopes = np.array([per_year.get(p, 0.0) for p in PLACES])
    years = np.array(YEARS, dtype=float)
    levels = BASELINE[None, :] * (1 + slopes[None, :] * (years[:, None] - BASE))
    runs = np.repeat(levels[None, :, :, None], len(pods), axis=3)
    return Projection(scenario=scenario_from_dict(_scenario()), pods=tuple(pods), years=YEARS,
                      baseline=np.repeat(BASELINE[:, None], len(pods), axis=1), runs=runs,
                      steps=[], seed=1, window=("2024-03-31", DAY))


def _series(frame, function, provider):
    rows = frame[(frame.treatment_function == function) & (frame.provider_code == provider)]
    assert rows.week.tolist() == list(range(1, len(rows) + 1))
    return rows.referrals.to_numpy()


# Week w's middle day is 31 March 2025 + 7w - 3: week 1's is 4 April 2025, 278 days past
# 30 June 2024, so (278 - 91) / 365 = 187/365 years after the baseline's middle; each week adds
# 7/365. Bedford growing by 0.365 of its baseline a year has grown by 0.187 in week 1, 0.194 in
# week 2, 0.187 + 0.007 x 51 = 0.544 in week 52. Luton and Milton Keynes do not grow.
BEDFORD_GROWTH = {1: 1.187, 2: 1.194, 52: 1.544}


def test_each_place_s_share_of_the_history_grows_with_that_place(lake):
    frame = referrals_from_demand(lake, _projection({"Bedford Borough": 0.365}), weeks=52)
    # RX1 110: 5 clock starts in the 52 weeks (patient 6's is older): Bedford 3, Luton 1 and
    # one with no place shared 3:1, so Bedford 3.75 and Luton 1.25 of 5 over 52 weeks
    got = _series(frame, "110", "RX1")
    for week, grown in BEDFORD_GROWTH.items():
        assert got[week - 1] == pytest.approx((3.75 * grown + 1.25 * 1.0) / 52)
    assert len(got) == 52


def test_a_list_whose_patients_are_all_in_one_place_follows_that_place(lake):
    frame = referrals_from_demand(lake, _projection({"Bedford Borough": 0.365}), weeks=52)
    got = _series(frame, "120", "RX2")
    for week, grown in BEDFORD_GROWTH.items():
        assert got[week - 1] == pytest.approx(2 / 52 * grown)


def test_a_list_with_no_one_placed_follows_blmk(lake):
    frame = referrals_from_demand(lake, _projection({"Bedford Borough": 0.365}), weeks=2)
    # BLMK's baseline 350 (100 + 0 + 200 + 50); in week 1 Bedford's 100 is 118.7
    assert _series(frame, "130", "RX1")[0] == pytest.approx(1 / 52 * (118.7 + 250) / 350)


def test_no_growth_gives_the_history_s_mean_as_the_simulation_s_referrals(lake):
    frame = referrals_from_demand(lake, _projection({}), weeks=8)
    assert _series(frame, "110", "RX1") == pytest.approx([5 / 52] * 8)
    assert _series(frame, "120", "RX2") == pytest.approx([2 / 52] * 8)
    # the frame fits the simulation's hook: the same as its own no-trend mean
    given = weekly_from_lake.lists(lake, weeks=8, referrals=frame)
    flat = weekly_from_lake.lists(lake, weeks=8, trend=False)
    assert given.referrals == pytest.approx(flat.referrals)
    # every one of the lake's lists, and only those
    assert set(zip(frame.treatment_function, frame.provider_code, strict=True)) == {
        ("110", "RX1"), ("120", "RX2"), ("130", "RX1")}


def test_a_shorter_history_counts_only_its_weeks(lake):
    # the 13 weeks to 31 March 2025 start on 31 December 2024: on RX1 110 only patients 3
    # (Bedford) and 5 (no place, so all Bedford's); Luton's 1 December start is older
    frame = referrals_from_demand(lake, _projection({"Bedford Borough": 0.365}), weeks=1,
                                  history_weeks=13)
    assert _series(frame, "110", "RX1")[0] == pytest.approx(2 * 1.187 / 13)


def test_a_projection_without_the_point_of_delivery_is_a_clear_error(lake):
    with pytest.raises(ValueError, match=r"no point of delivery 'op_first'.*elective"):
        referrals_from_demand(lake, _projection({}, pods=("elective",)))


def test_a_projection_with_no_baseline_activity_is_a_clear_error(lake):
    empty = _projection({})
    empty.baseline[:] = 0
    with pytest.raises(ValueError, match="no activity of 'op_first'"):
        referrals_from_demand(lake, empty)


@pytest.mark.parametrize("weeks", [0, True, 1.5])
def test_weeks_must_be_whole_and_positive(lake, weeks):
    with pytest.raises(ValueError, match="`weeks`"):
        referrals_from_demand(lake, _projection({}), weeks=weeks)


# --- the command -----------------------------------------------------------------------------

def _run(*args: str):
    done = CliRunner().invoke(main, ["plan", "waiting-lists", *args])
    assert "Traceback" not in done.output, done.output
    return done


def test_the_command_says_it_uses_the_trend_by_default(lake_dir):
    done = _run("--lake", str(lake_dir), "--weeks", "2", "--runs", "2")
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "Referrals: the straight line through each list's weekly clock starts" in said
    assert "demand projection" not in said


def test_the_command_simulates_the_demand_projection_s_referrals(lake_dir, lake, tmp_path):
    out = tmp_path / "runs.csv"
    done = _run("--lake", str(lake_dir), "--weeks", "3", "--runs", "4", "--seed", "2",
                "--referrals-from-demand", "principal", "--demand-runs", "8",
                "--demand-seed", "5", "--out", str(out))
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "grown by the demand projection" in said and "p50 of 8 runs, seed 5" in said
    assert "outpatient first attendances" in said
    # the same as the library given the same projection
    projected = project(baseline_rates(lake, DAY, pods=(point_of_delivery("op_first"),)),
                        packaged_scenario("principal"), runs=8, seed=5)
    given = referrals_from_demand(lake, projected, weeks=3)
    expected = weekly.simulate(weekly_from_lake.lists(lake, weeks=3, referrals=given),
                               runs=4, seed=2).summary()
    got = pd.read_csv(out, dtype={"treatment_function": str})
    assert got.p50.to_numpy() == pytest.approx(expected.p50.to_numpy(), nan_ok=True)
    assert len(got) == len(expected)


def test_the_command_refuses_a_lake_with_no_outpatient_firsts(tmp_path):
    from tests.rtt import rtt_lake

    folder = rtt_lake(tmp_path / "lake", [pathway(1, "2025-01-01")], DAY)
    done = _run("--lake", str(folder), "--weeks", "2", "--runs", "2",
                "--referrals-from-demand", "principal", "--demand-runs", "2")
    assert done.exit_code == 2, done.output
    assert "no activity of 'op_first'" in " ".join(done.output.split())


def test_the_command_refuses_an_unknown_scenario(lake_dir):
    done = _run("--lake", str(lake_dir), "--weeks", "2", "--runs", "2",
                "--referrals-from-demand", "no-such-scenario")
    assert done.exit_code == 2, done.output
    assert "no-such-scenario" in " ".join(done.output.split())


def test_a_list_with_no_one_referred_in_the_week_followed_shows_no_wait():
    # expected_wait gives None (not NaN) when nobody was referred in the week it follows,
    # as happens to a list with about one referral a year
    from icsight.cli.plan.waiting_lists import _weeks

    assert _weeks(None, False) == "-"
    assert _weeks(float("nan"), True) == "-"
    assert _weeks(12.0, True) == ">12"
