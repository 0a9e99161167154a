"""Waiting lists as queues: hand-worked hostile cases for `icsight.planning.waiting_lists`, and
each treatment function x provider from a tiny hand-made lake (`from_lake.queues`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icsight.engine import open_lake
from icsight.planning.waiting_lists import from_lake
from icsight.planning.waiting_lists import queue as q
from icsight.planning.waiting_lists import simulate as sim
from icsight.planning.waiting_lists import waiting_list as wl
from tests.rtt import pathway, rtt_lake

# --- hostile inputs to the formulas ------------------------------------------------------------


def test_zero_capacity_is_infinite_load_not_a_crash():
    # nothing leaves: the list grows without limit; 0 referrals and 0 capacity is undefined
    got = q.queue_load([30, 0], [0, 0])
    assert got[0] == math.inf and math.isnan(got[1])


def test_demand_above_capacity_is_load_over_one():
    assert q.queue_load(30, 27) == pytest.approx(30 / 27)
    assert q.queue_load(30, 27) > 1


def test_negative_and_missing_inputs_name_the_argument():
    with pytest.raises(ValueError, match=r"^`capacity` must not be negative \(got -1.0\)"):
        q.queue_load(30, -1)
    with pytest.raises(ValueError, match=r"^`target_wait` must be greater than zero"):
        q.target_queue_size(30, 0)
    with pytest.raises(ValueError, match=r"^`demand` is missing \(None\)"):
        q.target_capacity(None, 18)
    with pytest.raises(ValueError, match=r"^`queue_size` has a missing value \(None\)"):
        q.relief_capacity(30, [1200, None], 390)
    with pytest.raises(ValueError, match=r"^`time_to_target` must be greater than zero"):
        q.relief_capacity(30, 1200, 390, 0)
    with pytest.raises(ValueError, match=r"^`cv_demand` must be a number"):
        q.target_capacity(30, 18, 4, True)


def test_nan_passes_through_a_vector_for_one_list_only():
    # a list with no removals has unknown capacity; its neighbours still get answers
    got = q.target_capacity([30, 30], 52, 4, [1, np.nan], 1)
    assert got[0] == pytest.approx(30 + 4 / 52) and math.isnan(got[1])


def test_relief_capacity_uplift_per_list():
    # 2 x 30 x 0.5 / sqrt(900) = 1 is not < 1: no uplift; with 3600 referrals it is 0.5:
    # demand 30 / (1 - 0.5) = 60, then + (1200 - 390) / 26
    got = q.relief_capacity([30, 30], 1200, 390, 26, [900, 3600], 0.5)
    assert got.tolist() == pytest.approx([30 + 810 / 26, 60 + 810 / 26])


def test_relief_capacity_below_demand_when_the_queue_is_already_small():
    # queue 100 under target 390: the formula lets capacity fall below demand for 26 weeks
    assert q.relief_capacity(30, 100, 390, 26) == pytest.approx(30 - 290 / 26)


def test_factor_for_share_refuses_impossible_shares():
    for share in (0, 1, 1.2, True):
        with pytest.raises(ValueError, match=r"^`share` must be"):
            q.factor_for_share(share)


rates = st.floats(0.01, 1e4)
waits = st.floats(0.1, 520)
factors = st.floats(0.5, 8)


@given(rates, waits, factors)
def test_littles_law_ties_target_queue_to_target_mean_wait(demand, target, factor):
    assert q.target_queue_size(demand, target, factor) == pytest.approx(
        demand * q.target_mean_wait(target, factor))
    # a list waiting exactly its target mean wait has pressure 2 / factor
    assert q.waiting_list_pressure(q.target_mean_wait(target, factor), target) == pytest.approx(
        2 / factor)


@given(rates, waits, factors, st.floats(0, 3), st.floats(0, 3))
def test_target_capacity_exceeds_demand_and_falls_as_the_target_loosens(demand, target, factor,
                                                                       cv_a, cv_s):
    tight = q.target_capacity(demand, target, factor, cv_a, cv_s)
    loose = q.target_capacity(demand, 2 * target, factor, cv_a, cv_s)
    assert tight >= demand and loose >= demand
    assert tight - demand == pytest.approx(2 * (loose - demand), abs=1e-9)


@given(rates, st.floats(0, 1e5), st.floats(0.5, 104))
def test_relief_capacity_is_demand_when_the_queue_is_at_target(demand, size, weeks):
    assert q.relief_capacity(demand, size, size, weeks) == pytest.approx(demand)


# --- hostile waiting lists -----------------------------------------------------------------------


def test_empty_list_is_refused_by_every_statistic():
    empty = pd.DataFrame({"referral": [], "removal": []})
    for f in (wl.queue_size, wl.referral_stats, wl.removal_stats, wl.wl_stats):
        with pytest.raises(ValueError, match=r"^`waiting_list` has 0 rows of data"):
            f(empty)


def test_removal_before_referral_is_refused_with_the_row():
    bad = pd.DataFrame({"referral": ["2024-01-01", "2024-01-10"],
                        "removal": ["2024-01-05", "2024-01-03"]})
    with pytest.raises(ValueError, match=r"1 rows removed before they were referred \(first: "
                                         r"row 1, referred 2024-01-10, removed 2024-01-03"):
        wl.wl_stats(bad)


def test_missing_referral_is_refused():
    bad = pd.DataFrame({"referral": ["2024-01-01", None], "removal": [None, None]})
    with pytest.raises(ValueError, match="1 rows with no referral date"):
        wl.queue_size(bad)


def test_queue_size_ignores_pathways_closed_before_the_start():
    # R would count the first pathway (referred and removed in December) from 1 January on
    w = pd.DataFrame({"referral": ["2023-12-01", "2024-01-02"],
                      "removal": ["2023-12-15", None]})
    got = wl.queue_size(w, "2024-01-01", "2024-01-03")
    assert got.queue_size.tolist() == [0, 1, 1]


def test_removal_stats_restart_after_an_empty_list():
    # referrals 1 Jan and 20 Jan, removed 8 Jan and 22 Jan: the list is empty 8-19 Jan. The
    # first removal is 7 days from the start; the second is measured from the last empty day,
    # the 19th: 3 days, not 14 (nobody was waiting to be seen). R would give the first removal
    # 0 days (from the empty 8th, which it sorts first) and a capacity of 2/3 a day.
    w = pd.DataFrame({"referral": ["2024-01-01", "2024-01-20"],
                      "removal": ["2024-01-08", "2024-01-22"]})
    got = wl.removal_stats(w)
    assert got.removal_count == 2
    assert got.capacity_daily == pytest.approx(1 / 5)  # mean gap (7 + 3) / 2
    assert got.capacity_cov == pytest.approx(math.sqrt(8) / 5)  # sd of (7, 3) over mean 5


def test_schedule_wastes_a_slot_on_the_referral_day():
    w = pd.DataFrame({"referral": ["2024-01-05", "2024-01-06"], "removal": [None, None]})
    got = wl.schedule(w, ["2024-01-05", "2024-01-06", "2024-01-07"], unscheduled=True)
    # the 5th is the first referral's own day: wasted; the 6th and 7th are used in turn
    assert got.slots.scheduled.tolist() == [False, True, True]
    assert [str(d)[:10] for d in got.waiting_list.removal] == ["2024-01-06", "2024-01-07"]


def fifo_slot_by_slot(referrals: list[int], slots: list[int]) -> list[int | None]:
    """R's wl_schedule loop, slot by slot (days as integers), for the referrals in order."""
    removal: list[int | None] = [None] * len(referrals)
    i = 0
    for slot in sorted(slots):
        if i < len(referrals) and slot > referrals[i]:
            removal[i] = slot
            i += 1
    return removal


@given(st.lists(st.integers(0, 60), min_size=1, max_size=40),
       st.lists(st.integers(0, 80), max_size=60))
def test_schedule_matches_the_slot_by_slot_loop(referrals, slots):
    referrals = sorted(referrals)
    base = np.datetime64("2024-01-01")
    w = pd.DataFrame({"referral": [base + r for r in referrals],
                      "removal": [None] * len(referrals)})
    got = wl.schedule(w, [base + s for s in slots])
    want = fifo_slot_by_slot(referrals, slots)
    assert [None if pd.isna(d) else int((np.datetime64(d, "D") - base).astype(int))
            for d in got.removal] == want


def test_simulated_list_grows_when_demand_exceeds_capacity():
    # 20 a week in, 10 a week out for a year: about 520 more in than out (Poisson spread ~32)
    got = sim.wl_simulator("2024-01-01", "2024-12-30", demand=20, capacity=10, rng=7)
    waiting = got.Removal.isna().sum()
    assert abs(waiting - (20 - 10) * 364 / 7) < 4 * math.sqrt(20 * 52)


def test_simulator_is_repeatable_with_a_seed():
    a = sim.wl_simulator("2024-01-01", "2024-03-31", 50, 55, rng=11)
    b = sim.wl_simulator("2024-01-01", "2024-03-31", 50, 55, rng=11)
    pd.testing.assert_frame_equal(a, b)


def test_sim_schedule_spacing():
    # 3.5 a day, n_rows 2: steps 0, 2/7, 4/7, 6/7 (R's seq stops at n_rows - 1 = 1, so 8/7 is
    # not a slot), ceiled to 0, 1, 1, 1 days on
    got = sim.sim_schedule(2, "2024-01-01", 3.5)
    assert [str(d) for d in got] == ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-02"]


# --- from the lake ------------------------------------------------------------------------------

AS_OF = "2025-03-31"


PATHWAYS = [
    pathway(1, "2025-03-10"),  # open, 21 days; a clock start in the 4 weeks
    pathway(2, "2025-03-20"),  # open, 11 days; a clock start
    pathway(3, "2024-12-01"),  # open, 120 days (within 18 weeks = 126 days)
    pathway(4, "2024-10-01"),  # open, 181 days
    pathway(5, "2025-01-01", "2025-03-15", "admitted"),  # treated
    pathway(6, "2025-02-01", "2025-03-25", "non_admitted"),  # treated (alive, registered)
    pathway(7, "2025-01-15", "2025-03-12", "non_admitted"),  # died that day: other removal
    pathway(8, "2025-03-05", "2025-03-30", "admitted"),  # a clock start and treated
    pathway(9, "2024-06-01", "2025-02-01", "admitted"),  # stopped before the 4 weeks
    pathway(11, "2025-03-01", "2025-03-31", "non_admitted"),  # treated on the day itself
    pathway(12, "2025-01-20", "2025-03-20", "non_admitted"),  # left the list that day: other
    pathway(13, "2025-01-02", "2025-03-18", "admitted"),  # admitted the day they died: treated
    pathway(20, "2025-03-31", provider="RX2", function="130"),  # open, 0 days; no capacity
]


#: who died or left the list (patient id: day)
DIED, LEFT = {7: "2025-03-12", 13: "2025-03-18"}, {12: "2025-03-20"}


@pytest.fixture
def hand_lake(tmp_path):
    return open_lake(rtt_lake(tmp_path, PATHWAYS, AS_OF, DIED, LEFT))


def test_queues_by_treatment_function_and_provider(hand_lake):
    got = from_lake.queues(hand_lake, weeks=4).set_index(["treatment_function", "provider_code"])
    assert list(got.index) == [("110", "RX1"), ("130", "RX2")]
    t = got.loc[("110", "RX1")]
    factor = -math.log(0.08)
    # 4 weeks to 31 March: 3 clock starts (1, 2, 8), 5 treated (5, 6, 8, 11, 13), 2 other (7, 12)
    assert (t.demand_weekly, t.capacity_weekly, t.other_removals_weekly) == (0.75, 1.25, 0.5)
    assert t.net_demand_weekly == 0.25
    assert t.queue_size == 4
    assert t.mean_wait_weeks == pytest.approx((21 + 11 + 120 + 181) / 7 / 4)  # 11.89
    assert t.percent_within_target == 75.0
    assert t.load == pytest.approx(0.25 / 1.25)
    assert t.target_mean_wait_weeks == pytest.approx(18 / factor)  # 7.127
    assert t.target_queue_size == pytest.approx(0.75 * 18 / factor)  # 5.345
    assert not t.queue_too_big
    assert t.target_capacity_weekly == pytest.approx(0.25 + factor / 18)  # cv 1 and 1
    assert t.relief_weeks == 26
    assert t.relief_capacity_weekly == pytest.approx(0.25 + (4 - 0.75 * 18 / factor) / 26)
    assert t.pressure == pytest.approx(2 * (333 / 7 / 4) / 18)  # 1.32: likely to miss
    e = got.loc[("130", "RX2")]
    assert (e.demand_weekly, e.capacity_weekly, e.queue_size) == (0.25, 0.0, 1)
    assert e.load == math.inf and e.mean_wait_weeks == 0 and e.pressure == 0


def test_queues_relief_by_a_date_and_another_standard(hand_lake):
    # 95% within 18 weeks, relief by 30 June 2025 (13 weeks on)
    got = from_lake.queues(hand_lake, AS_OF, weeks=4, share=0.95, relief_by="2025-06-30")
    t = got[got.provider_code == "RX1"].iloc[0]
    factor = -math.log(0.05)
    assert t.relief_weeks == 13
    assert t.target_queue_size == pytest.approx(0.75 * 18 / factor)
    assert t.relief_capacity_weekly == pytest.approx(0.25 + (4 - 0.75 * 18 / factor) / 13)


def test_queues_refuse_a_window_outside_the_lake(hand_lake):
    with pytest.raises(ValueError, match=r"not all inside the lake's data \(2020-04-01"):
        from_lake.queues(hand_lake, weeks=300)
    with pytest.raises(ValueError, match=r"^`relief_by` \(2025-03-01\) must be after"):
        from_lake.queues(hand_lake, weeks=4, relief_by="2025-03-01")
    with pytest.raises(ValueError, match=r"^`weeks` must be"):
        from_lake.queues(hand_lake, weeks=0)


def test_queues_reconcile_with_the_synthetic_lake(lake, lake_dir):
    """On the 60,000-person synthetic lake: the per-provider figures add up to the
    `rtt_pathways` file counted directly, and the list looks like the one the generator was
    built to hold (45% over 18 weeks, a list holding its size)."""
    import pyarrow.parquet as pq

    from icsight.lake.layout import table_path

    got = from_lake.queues(lake, weeks=52)
    rtt = pq.read_table(table_path(lake_dir, "rtt_pathways")).to_pandas()
    end = pd.Timestamp(lake.reference_date)
    first = end - pd.Timedelta(days=7 * 52 - 1)
    start, stop = pd.to_datetime(rtt.clock_start), pd.to_datetime(rtt.clock_stop)
    waiting = (start <= end) & (stop.isna() | (stop > end))
    assert got.queue_size.sum() == waiting.sum() > 0
    assert (got.demand_weekly.sum() * 52) == pytest.approx(start.between(first, end).sum())
    assert ((got.capacity_weekly + got.other_removals_weekly).sum() * 52) == pytest.approx(
        stop.between(first, end).sum())
    assert got.other_removals_weekly.sum() > 0  # people who died or left while waiting
    assert len(got) == len(rtt.groupby(["treatment_function", "provider_code"]))
    within = (got.percent_within_target * got.queue_size).sum() / got.queue_size.sum()
    assert 50 < within < 60  # the generator's 45% over 18 weeks
    load = got.net_demand_weekly.sum() / got.capacity_weekly.sum()
    assert 0.9 < load < 1.1  # the generator holds the list's size
