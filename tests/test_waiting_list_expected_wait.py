"""The wait a newly referred patient should expect: the first week's referrals followed through
the simulation, each case worked by hand (issue 15, point 3)."""

from __future__ import annotations

import numpy as np
import pytest

from icsight.planning.waiting_lists import weekly
from icsight.planning.waiting_lists.expected_wait import ANY_PRIORITY, expected_wait
from tests.test_waiting_list_simulation import one_list


def _waits(simulation) -> dict:
    table = expected_wait(simulation).set_index("priority")
    return {p: (r.median_weeks, r.median_more_than, r.p92_weeks, r.p92_more_than)
            for p, r in table.iterrows()}


def test_a_routine_referral_waits_behind_the_longer_waiters():
    """10 P4 waiting 10 weeks, 2 P4 referred in week 1 and none after, 5 treatments a week.

    Week 1: 5 of the 10 long waiters treated (longest wait first); week 2: the other 5;
    week 3: both new patients, having waited 2 whole weeks. Median and 92nd percentile: 2."""
    lists = one_list({(4, 10): 10}, [2, 0, 0, 0, 0], [5] * 5, shares=(0, 0, 0, 1))
    got = _waits(weekly.simulate(lists, runs=1, variation=False))
    assert got["P4"] == (2, False, 2, False)
    assert got[ANY_PRIORITY] == (2, False, 2, False)
    assert np.isnan(got["P1"][0])  # nobody referred as P1: no wait to report


def test_an_urgent_referral_goes_first_and_the_pooled_wait_mixes_both():
    """As above but the 2 referrals are 1 P1 and 1 P4: the P1 is treated in week 1 (0 weeks
    waited); 4 long waiters too. Week 2: 5 of the 6 long waiters left; week 3: the last long
    waiter and the P4 (2 weeks). Pooled: half treated by week 0, 92% by week 2."""
    lists = one_list({(4, 10): 10}, [2, 0, 0, 0, 0], [5] * 5, shares=(0.5, 0, 0, 0.5))
    got = _waits(weekly.simulate(lists, runs=1, variation=False))
    assert got["P1"] == (0, False, 0, False)
    assert got["P4"] == (2, False, 2, False)
    assert got[ANY_PRIORITY] == (0, False, 2, False)


def test_no_capacity_gives_a_wait_longer_than_the_simulation():
    lists = one_list({}, [4, 0, 0], [0, 0, 0], shares=(0, 0, 0, 1))
    got = expected_wait(weekly.simulate(lists, runs=1, variation=False))
    p4 = got[got.priority == "P4"].iloc[0]
    assert (p4.median_weeks, p4.median_more_than) == (3, True)  # more than 3 weeks followed
    assert (p4.p92_weeks, p4.p92_more_than) == (3, True)


def test_people_removed_other_than_by_treatment_have_no_wait():
    """Built by hand: 10 referred, 2 removed, treated 0, 3, 1, 4 in weeks 0-3. Of the 8 with
    a wait: 4 treated by week 2 (the median), 7.36 needed for 92%: week 3."""
    lists = one_list({}, [10, 0, 0, 0], [0] * 4, shares=(0, 0, 0, 1))
    shape = (1, 1, 4, 4)
    treated, removed = np.zeros(shape), np.zeros(shape)
    treated[0, 0, 3] = [0, 3, 1, 4]
    removed[0, 0, 3, 1] = 2
    referred = np.zeros((1, 1, 4))
    referred[0, 0, 3] = 10
    simulation = weekly.Simulation(lists, {}, None, {"referred": referred, "treated": treated,
                                                     "removed": removed})
    p4 = expected_wait(simulation).set_index("priority").loc["P4"]
    assert (p4.referred, p4.removed, p4.treated_in_followed_weeks) == (10, 2, 8)
    assert (p4.median_weeks, p4.p92_weeks) == (2, 3)


def test_followed_only_as_far_as_weeks_are_counted_one_by_one():
    """A simulation longer than the weeks tracked one by one (width - 1) follows the first
    week's referrals only that far: after it they share the last column with older people."""
    lists = one_list({}, [1] + [0] * 9, [0] * 9 + [1], shares=(0, 0, 0, 1), width=5)
    simulation = weekly.simulate(lists, runs=1, variation=False)
    assert simulation.first_week["treated"].shape[-1] == 4
    p4 = expected_wait(simulation).set_index("priority").loc["P4"]
    assert (p4.median_weeks, p4.median_more_than) == (4, True)


def test_over_many_runs_urgent_patients_wait_less_than_routine_ones():
    lists = one_list({(4, 20): 300, (3, 5): 100}, [40] * 30, [38] * 30,
                     shares=(0.05, 0.2, 0.25, 0.5))
    got = expected_wait(weekly.simulate(lists, runs=200, seed=4)).set_index("priority")
    medians = got.median_weeks
    assert medians["P1"] <= medians["P2"] <= medians["P3"] <= medians["P4"]
    assert got.loc["P1", "median_weeks"] == 0
    assert got.loc[ANY_PRIORITY, "referred"] == pytest.approx(200 * 40, rel=0.05)


def test_a_simulation_without_the_first_week_followed_is_refused():
    lists = one_list({}, [1], [1], shares=(0, 0, 0, 1))
    with pytest.raises(ValueError, match="did not follow the first week"):
        expected_wait(weekly.Simulation(lists, {}, None))
