"""The weekly waiting-list simulation with clinical priorities (`weekly`), capacity plans as
data (`capacity_plan`) and its inputs from a hand-made lake (`weekly_from_lake`): hand-worked
answers, the steady state against Fong et al.'s formulas, and impossible plans refused."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from icsight.engine import open_lake
from icsight.planning.waiting_lists import capacity_plan, weekly
from icsight.planning.waiting_lists import queue as q
from icsight.planning.waiting_lists import weekly_from_lake as wfl
from tests.rtt import pathway, rtt_lake

START = dt.date(2026, 9, 30)
WIDTH = weekly.MAX_WEEKS + 1


def one_list(waiting: dict, referrals, capacity, removal=0.0, shares=(0, 0.5, 0, 0.5),
             unavailable=0.0, n_lists=1, width=WIDTH) -> weekly.Lists:
    """Lists from {(priority 1-4, weeks waited): people}; referrals and capacity a week."""
    w = np.zeros((n_lists, 4, width))
    for (p, weeks), n in waiting.items():
        w[:, p - 1, weeks] = n
    ref = np.atleast_2d(np.asarray(referrals, float)).repeat(n_lists, axis=0)
    cap = np.atleast_2d(np.asarray(capacity, float)).repeat(n_lists, axis=0)
    return weekly.Lists(tuple(["110"] * n_lists), tuple(f"R{i}" for i in range(n_lists)), START,
                        w, ref, cap, np.full(n_lists, removal), np.asarray(shares, float),
                        np.full(n_lists, unavailable))


# --- a deterministic case worked by hand, week by week ------------------------------------------


def test_deterministic_weeks_worked_by_hand():
    """10 P4 waiting 17 weeks and 4 P2 waiting 0 weeks; 6 referrals a week (3 P2, 3 P4);
    8 treatments a week; 10% of those waiting removed other than by treatment each week.

    Week 1: all a week older (P4 at 18, P2 at 1); 3 P2 and 3 P4 join at 0; 10% removed:
    P4@18 10 -> 9, P2@1 4 -> 3.6, P2@0 3 -> 2.7, P4@0 3 -> 2.7 (2.0 removed). Treat 8 in
    priority then longest-wait order: P2@1 3.6, P2@0 2.7, then 1.7 of P4@18 (7.3 left).
    List: P4@18 7.3 + P4@0 2.7 = 10; within 18 weeks (under 18 whole weeks) 2.7 = 27%.
    Weeks waited of those treated: 3.6 x 1 + 2.7 x 0 + 1.7 x 18 = 34.2.
    Week 2: P4@19 7.3, P4@1 2.7, joining P2@0 3, P4@0 3; removed 0.73 + 0.27 + 0.3 + 0.3 =
    1.6; treat P2@0 2.7 then 5.3 of P4@19 (6.57 -> 1.27). List 1.27 + 2.43 + 2.7 = 6.4;
    within (2.43 + 2.7) / 6.4 = 80.15625%; weeks waited of those treated 5.3 x 19 = 100.7.
    Week 3: P4@20 1.27, P4@2 2.43, P4@1 2.7, P2@0 3, P4@0 3; removed 1.24 (to 1.143, 2.187,
    2.43, 2.7, 2.7); treat P2@0 2.7, P4@20 1.143, P4@2 2.187, 1.97 of P4@1: list 0.46 + 2.7.
    Week 4: P4@2 0.46, P4@1 2.7, P2@0 3, P4@0 3; removed 0.916 (to 0.414, 2.43, 2.7, 2.7);
    treat P2@0 2.7, P4@2 0.414, P4@1 2.43, 2.456 of P4@0: list 0.244.
    """
    lists = one_list({(4, 17): 10, (2, 0): 4}, [6] * 4, [8] * 4, removal=0.1)
    got = weekly.simulate(lists, runs=1, variation=False).runs
    assert got["list_size"][0, 0].tolist() == pytest.approx([10, 6.4, 3.16, 0.244])
    assert got["percent_within_18_weeks"][0, 0].tolist() == pytest.approx(
        [27, 80.15625, 100, 100])
    assert got["other_removals"][0, 0].tolist() == pytest.approx([2.0, 1.6, 1.24, 0.916])
    assert got["treated"][0, 0].tolist() == pytest.approx([8, 8, 8, 8])
    assert got["unused_capacity"][0, 0].tolist() == pytest.approx([0, 0, 0, 0])
    assert got["treated_weeks_waited"][0, 0, :2].tolist() == pytest.approx([34.2, 100.7])
    assert got["past_priority_target"][0, 0].tolist() == pytest.approx([0, 0, 0, 0])
    assert got["referrals"][0, 0].tolist() == [6, 6, 6, 6]


def test_tails_and_priority_targets_counted_by_hand():
    # P2 at 3 weeks, P3 at 12, P4 at 51, 64 and 77 weeks; nothing joins or leaves. After one
    # week: P2 at 4 (past its 4 weeks), P3 at 13 (past 3 months); 8 over 52, 3 over 65, 1 over
    # 78; within 18 weeks (under 18 whole weeks) the P2 and the P3: 2 of 10 = 20%.
    lists = one_list({(2, 3): 1, (3, 12): 1, (4, 51): 5, (4, 64): 2, (4, 77): 1}, [0], [0])
    got = weekly.simulate(lists, runs=1, variation=False).runs
    assert [got[m][0, 0, 0] for m in ("list_size", "over_52_weeks", "over_65_weeks",
                                      "over_78_weeks", "past_priority_target",
                                      "percent_within_18_weeks")] == [10, 8, 3, 1, 2, 20]


def test_p1_before_p4_whatever_the_wait():
    # 2 P4 waiting 40 weeks; 2 P1 referred this week; 2 treatments: the P1s (0 weeks waited)
    # are treated, the P4s wait on (first come, first served would have treated them)
    lists = one_list({(4, 40): 2}, [2], [2], shares=(1, 0, 0, 0))
    got = weekly.simulate(lists, runs=1, variation=False).runs
    assert got["treated"][0, 0, 0] == 2 and got["treated_weeks_waited"][0, 0, 0] == 0
    assert got["list_size"][0, 0, 0] == 2 and got["past_priority_target"][0, 0, 0] == 0
    # with variation: in every run and week no P1 is left waiting while a slot went unused
    lists = one_list({(4, 40): 50}, [5] * 20, [6] * 20, shares=(0.5, 0, 0, 0.5))
    got = weekly.simulate(lists, runs=200, seed=3).runs
    p1_left = got["past_priority_target"] > 0
    assert not (p1_left & (got["unused_capacity"] > 0)).any()
    assert p1_left.any()  # some weeks had more P1 referrals than slots: the check bit


def test_unavailable_patients_wait_without_treatment():
    # 10 P4 waiting; a quarter unavailable each week: 7.5 can be treated though 20 slots exist
    lists = one_list({(4, 5): 10}, [0], [20], unavailable=0.25)
    got = weekly.simulate(lists, runs=1, variation=False).runs
    assert got["treated"][0, 0, 0] == 7.5 and got["list_size"][0, 0, 0] == 2.5
    assert got["unused_capacity"][0, 0, 0] == 12.5


# --- the steady state against the queue formulas -------------------------------------------------


def test_steady_state_against_fong_formulas():
    """50 referrals a week (Poisson: cv 1) and the capacity Fong et al.'s formula gives for a
    1-week mean wait (target 4 weeks, factor 4, cv 1 and 1): 51 a week (Poisson slots: cv 1).
    The formulas say: mean wait 1 week, mean list 50 (Little's law: demand x mean wait).

    Tolerances. Little's law holds exactly for the weekly counts (each patient is on the
    week-end list once for each whole week waited), so the simulated mean list over the
    mean wait of those treated must equal the demand to within the window's edges: 1%.
    The formulas are continuous-time; a weekly model differs by a known amount. For
    Q' = max(Q + A - S, 0) with drift d = mu - lambda = 1 and variance s2 = lambda + mu,
    the stationary mean is exactly (s2 + d^2 - E[I^2]) / (2 d), I the unused slots a week
    (Lindley's recursion squared). So the simulated mean must match that to within its
    statistical error (runs are independent: 4 standard errors of the runs' means), and
    the formula (lambda / d) to within the discreteness, (E[I^2] - d - d^2) / (2 d): about
    5 people (10%) here, E[I^2] being about 12, plus 3 standard errors (about 7%): 20%.
    (Seeds 1 to 6 gave means of 43.9 to 45.7, each within 1 standard error of Lindley's.)
    """
    lam = 50.0
    mu = q.target_capacity(lam, 4, 4)
    assert mu == pytest.approx(51)
    mean_wait = q.target_mean_wait(4, 4)
    size_formula = q.target_queue_size(lam, 4, 4)
    weeks, burn, runs = 1300, 300, 300
    lists = one_list({}, [lam] * weeks, [mu] * weeks, shares=(0, 0, 0, 1), width=30)
    got = weekly.simulate(lists, runs=runs, seed=11).runs
    size = got["list_size"][0, :, burn:]
    mean_size = size.mean()
    waited = got["treated_weeks_waited"][0, :, burn:].sum() / got["treated"][0, :, burn:].sum()
    assert mean_size / waited == pytest.approx(lam, rel=0.01)  # Little's law
    d = mu - lam
    unused2 = (got["unused_capacity"][0, :, burn:] ** 2).mean()
    lindley = (lam + mu + d * d - unused2) / (2 * d)
    se = size.mean(axis=1).std(ddof=1) / np.sqrt(runs)
    assert abs(mean_size - lindley) < 4 * se
    assert mean_size == pytest.approx(size_formula, rel=0.20)
    assert waited == pytest.approx(mean_wait, rel=0.20)


def test_same_seed_same_runs_another_seed_other_runs():
    lists = one_list({(4, 10): 100, (3, 2): 20}, [30] * 10, [29] * 10, removal=0.01)
    a, b = weekly.simulate(lists, 20, seed=5), weekly.simulate(lists, 20, seed=5)
    c = weekly.simulate(lists, 20, seed=6)
    for m in weekly.MEASURES:
        np.testing.assert_array_equal(a.runs[m], b.runs[m])
    assert not np.array_equal(a.runs["list_size"], c.runs["list_size"])
    pd.testing.assert_frame_equal(a.summary(), b.summary())


def test_summary_percentiles_over_runs_per_list():
    lists = one_list({(4, 10): 100}, [30] * 3, [29] * 3, n_lists=2)
    sim = weekly.simulate(lists, 50, seed=1)
    got = sim.summary()
    row = got[(got.provider_code == "R1") & (got.week == 3) & (got.measure == "list_size")]
    values = sim.runs["list_size"][1, :, 2]
    assert row[["p10", "p50", "p90"]].iloc[0].tolist() == pytest.approx(
        np.percentile(values, [10, 50, 90]).tolist())
    assert row.week_ending.iloc[0] == dt.date(2026, 10, 21)
    assert len(got) == 2 * 3 * len(weekly.MEASURES)


# --- capacity plans -------------------------------------------------------------------------------

KEYS = (["110", "110", "130"], ["RX1", "RX2", "RX1"])


def plan_capacity(plan, weeks=4):
    return capacity_plan.apply(plan, *KEYS, np.full((3, weeks), 10.0), START)


def test_capacity_plan_sessions_insourcing_and_moves():
    got = plan_capacity([
        # 2 sessions of 4 patients from 14 October (week 2: 8 to 14 October), to week 3
        {"kind": "extra_sessions", "treatment_function": "110", "provider_code": "RX1",
         "sessions_per_week": 2, "patients_per_session": 4, "start": "2026-10-08",
         "end": "2026-10-21"},
        {"kind": "insourcing", "treatment_function": "130", "provider_code": "RX1",
         "treatments_per_week": 5, "start": "2026-10-22"},
        {"kind": "move_activity", "treatment_function": "110", "from_provider": "RX2",
         "to_provider": "RX1", "treatments_per_week": 3, "start": "2026-10-01"},
    ])
    assert got.tolist() == [[13, 21, 21, 13], [7, 7, 7, 7], [10, 10, 10, 15]]


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "extra_sessions", "treatment_function": "110", "provider_code": "RX1",
      "sessions_per_week": -2, "patients_per_session": 4, "start": "2026-10-08"},
     r"^`sessions_per_week` in change 1 \(extra_sessions\) must be a number, zero or more "
     r"\(got -2\)"),
    ({"kind": "insourcing", "treatment_function": "110", "provider_code": "RZZ",
      "treatments_per_week": 5, "start": "2026-10-08"},
     r"^`provider_code` 'RZZ' in change 1 \(insourcing\) has no 110 list \(providers with "
     r"one: RX1, RX2\)"),
    ({"kind": "insourcing", "treatment_function": "999", "provider_code": "RX1",
      "treatments_per_week": 5, "start": "2026-10-08"},
     r"^`treatment_function` '999' in change 1 \(insourcing\) has no list"),
    ({"kind": "insourcing", "treatment_function": "110", "provider_code": "RX1",
      "treatments_per_week": 5, "start": "2027-06-01"},
     r"^`start` 2027-06-01 in change 1 \(insourcing\) is outside the simulated weeks "
     r"\(2026-10-01 to 2026-10-28\)"),
    ({"kind": "move_activity", "treatment_function": "110", "from_provider": "RX2",
      "to_provider": "RX1", "treatments_per_week": 12, "start": "2026-10-01"},
     r"^`treatments_per_week` moved away leaves RX2's 110 list with -2 treatments in week 1"),
    ({"kind": "more_beds", "treatment_function": "110"}, r"^`kind` in change 1 must be one of"),
    ({"kind": "insourcing", "treatment_function": "110", "provider_code": "RX1",
      "treatments_per_week": 5, "start": "2026-10-08", "sesions": 1},
     r"^change 1 \(insourcing\) has a field it does not use: `sesions`"),
    ({"kind": "insourcing", "treatment_function": "110", "provider_code": "RX1",
      "treatments_per_week": "5", "start": "2026-10-08"},
     r"^`treatments_per_week` in change 1 \(insourcing\) must be a number"),
])
def test_impossible_capacity_plans_refused_naming_the_field(change, message):
    with pytest.raises(ValueError, match=message):
        plan_capacity([change])


def test_lists_refuse_bad_inputs_naming_them():
    with pytest.raises(ValueError, match=r"^`priority_shares` must sum to 1"):
        one_list({}, [1], [1], shares=(0.5, 0.5, 0.5, 0))
    with pytest.raises(ValueError, match=r"^`capacity` must not be negative"):
        one_list({}, [1], [-1])
    with pytest.raises(ValueError, match=r"^`runs` must be a whole number"):
        weekly.simulate(one_list({}, [1], [1]), runs=0)
    with pytest.raises(ValueError, match=r"^`waiting` must hold whole people when runs vary"):
        weekly.simulate(one_list({(4, 3): 2.5}, [1], [1]))
    with pytest.raises(ValueError, match=r"^`unavailable_share` must be below 1"):
        one_list({}, [1], [1], unavailable=1)


# --- inputs from a hand-made lake -------------------------------------------------------------

AS_OF = "2025-03-31"


PATHWAYS = [
    pathway(1, "2025-03-31"),  # open, 0 days: band 0
    pathway(2, "2025-03-25"),  # open, 6 days: band 0; started in the last week
    pathway(3, "2025-03-24"),  # open, 7 days: band 1; started 1 week ago
    pathway(4, "2024-03-01"),  # open, 395 days: band 56
    pathway(5, "2025-03-10", "2025-03-20", "admitted"),  # started 3 weeks ago, treated
    pathway(6, "2025-03-14", "2025-03-28", "non_admitted"),  # started 2 weeks ago, treated
    pathway(7, "2025-03-05", "2025-03-12", "non_admitted"),  # died that day: other removal
    pathway(8, "2025-03-31", provider="RX2"),  # another list
]


@pytest.fixture
def hand_lake(tmp_path):
    return open_lake(rtt_lake(tmp_path, PATHWAYS, AS_OF, died={7: "2025-03-12"}))


def test_inputs_from_the_lake_worked_by_hand(hand_lake):
    got = wfl.lists(hand_lake, weeks=3, history_weeks=4, trend=False,
                    priority_shares=(0, 0, 0, 1))
    assert got.provider_code == ("RX1", "RX2")
    assert got.start == dt.date(2025, 3, 31)
    # RX1: bands 0 (2), 1 (1), 56 (1), all P4
    assert got.waiting[0, 3, [0, 1, 56]].tolist() == [2, 1, 1]
    assert got.waiting[0].sum() == 4 and got.waiting[1].sum() == 1
    # RX1 clock starts in the 4 weeks by whole weeks before 31 March: 0 and 6 days (1, 2):
    # week 0; 7 days (3): week 1; 17 days (6): week 2; 21 and 26 days (5, 7): week 3.
    # 6 in 4 weeks: 1.5 a week
    assert got.referrals[0].tolist() == [1.5, 1.5, 1.5]
    # treated 2 (5, 6) in 4 weeks; other removals 1 (7) over 4 waiting: 0.25 / 4 a person
    assert got.capacity[0].tolist() == [0.5, 0.5, 0.5]
    assert got.removal_rate.tolist() == [pytest.approx(0.25 / 4), 0]
    # the trend: starts by week oldest first 2, 1, 1, 2: slope 0, so the line is the mean
    trended = wfl.lists(hand_lake, weeks=3, history_weeks=4, priority_shares=(0, 0, 0, 1))
    assert trended.referrals[0].tolist() == pytest.approx([1.5, 1.5, 1.5])


def test_inputs_take_the_demand_projection_and_a_plan(hand_lake):
    projection = pd.DataFrame({"treatment_function": ["110"] * 4, "provider_code":
                               ["RX1", "RX1", "RX2", "RX2"], "week": [1, 2, 1, 2],
                               "referrals": [3.0, 4.0, 1.0, 1.0]})
    plan = [{"kind": "insourcing", "treatment_function": "110", "provider_code": "RX2",
             "treatments_per_week": 2, "start": "2025-04-08"}]
    got = wfl.lists(hand_lake, weeks=2, history_weeks=4, referrals=projection, plan=plan)
    assert got.referrals.tolist() == [[3, 4], [1, 1]]
    assert got.capacity.tolist() == [[0.5, 0.5], [0, 2]]
    with pytest.raises(ValueError, match=r"^`referrals` has no value for \('110', 'RX2', 2\)"):
        wfl.lists(hand_lake, weeks=2, history_weeks=4, referrals=projection.iloc[:3])
    # each wait band split 5/20/25/50% in whole people, leftovers to the largest remainders:
    # band 0 (2 people): 0.1, 0.4, 0.5, 1 -> P4 1, then the one left to P3 (0.5);
    # band 1 (1 person): 0.05, 0.2, 0.25, 0.5 -> P4; band 56 (1 person) -> P4
    split = wfl.lists(hand_lake, weeks=1, history_weeks=4)
    assert split.waiting[0, :, 0].tolist() == [0, 0, 1, 1]
    assert split.waiting[0, :, 1].tolist() == [0, 0, 0, 1]
    assert split.waiting[0, :, 56].tolist() == [0, 0, 0, 1]


def test_referral_trend_worked_by_hand():
    # clock starts 1, 2, 3, 4 in the last four weeks (x = -3..0, mean 2.5 at x = -1.5, slope
    # 1 a week): week 1 ahead 2.5 + 1 x (1 + 1.5) = 5, week 2: 6. Falling 4, 3, 2, 1: 2.5 -
    # 2.5 = 0, then -1, which is no referrals rather than negative ones
    got = wfl._projection(np.array([[1.0, 2, 3, 4], [4, 3, 2, 1]]), 2, trend=True)
    assert got.tolist() == [[5, 6], [0, 0]]
    assert wfl._projection(np.array([[1.0, 2, 3, 4]]), 2, trend=False).tolist() == [[2.5, 2.5]]
