"""The queue formulas of Fong et al. for a waiting list, as NHSRwaitinglist implements them.

Source: K. Fong, Y. Mushtaq, T. House, D. Gordon, Y. Chen, D. Griffiths, S. Ahmad, N. Walton,
"Understanding Waiting Lists Pressures", medRxiv 2022, doi:10.1101/2022.08.23.22279117; the R
package NHSRwaitinglist (nhs-r-community, MIT, main 0d85b69, R/calc_*.R), whose testthat cases
`tests/test_waiting_list_acceptance.py` reproduces.

Units: a rate (demand, capacity) and a wait must use the same time unit; icsight uses weeks
(demand and capacity per week, waits in weeks). Every function takes a number or a numpy array
(one value per list: a treatment function at a provider) and gives the same back; arrays are
combined element by element, with numpy broadcasting. Bad inputs raise a ValueError naming the
argument (see `_checks`).

`factor` turns a target wait into a target mean wait. For an exponential wait,
P(wait > target) = exp(-target / mean): factor 4 (Fong et al.'s default) misses the target for
e^-4 = 1.8% of patients, factor 6 for 0.25%. The NHS standard "92% within 18 weeks" is factor
-ln(1 - 0.92) = 2.5257 (`RTT_92_FACTOR`): a target mean wait of 7.13 weeks.
"""

from __future__ import annotations

import math

import numpy as np

from icsight.planning.waiting_lists._checks import Number, numbers, scalar_or_array

#: The factor for "92% of patients within the target" with exponential waits: qexp(0.92).
RTT_92_FACTOR = -math.log(1 - 0.92)
#: The referral-to-treatment standard, in weeks.
RTT_TARGET_WEEKS = 18.0


def factor_for_share(share: float) -> float:
    """The factor for "`share` of patients within the target wait" with exponential waits:
    -ln(1 - share) (0.92 gives 2.5257, 0.95 gives 2.9957)."""
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
        raise ValueError(f"`share` must be a number between 0 and 1 (got {share!r})")
    return -math.log(1 - share)


def queue_load(demand: Number, capacity: Number):
    """Load = demand / capacity (Fong et al. fact 2; R `calc_queue_load`).

    Above 1 the list grows without limit; below 1 it is the share of time the list is not
    empty. Zero capacity gives infinite load (nothing leaves), and 0 / 0 gives NaN.
    """
    d = numbers("demand", demand)
    c = numbers("capacity", capacity)
    with np.errstate(divide="ignore", invalid="ignore"):
        return scalar_or_array(d / c)


def target_mean_wait(target_wait: Number, factor: Number = 4):
    """Target mean wait = target wait / factor (fact 4; R `calc_target_mean_wait`)."""
    t = numbers("target_wait", target_wait, positive=True)
    f = numbers("factor", factor, positive=True)
    return scalar_or_array(t / f)


def target_queue_size(demand: Number, target_wait: Number, factor: Number = 4):
    """Target queue size = demand x target wait / factor (Little's law, fact 6; R
    `calc_target_queue_size`). Meaningful only while capacity exceeds demand."""
    d = numbers("demand", demand)
    t = numbers("target_wait", target_wait, positive=True)
    f = numbers("factor", factor, positive=True)
    return scalar_or_array(d * t / f)


def target_capacity(demand: Number, target_wait: Number, factor: Number = 4,
                    cv_demand: Number = 1, cv_capacity: Number = 1):
    """The capacity that keeps the mean wait at target_wait / factor (fact 8; R
    `calc_target_capacity`).

    Kingman's heavy-traffic approximation W = (cv_a^2 + cv_s^2) / 2 / (mu - lambda), solved for
    mu with W = target_wait / factor:
    demand + (cv_demand^2 + cv_capacity^2) / 2 x factor / target_wait. (The R documentation
    leaves out the "/ 2"; its code and tests have it, and so does this.) The margin over demand
    does not grow with demand. cv = 1 is the Poisson (random arrival and service) case.
    """
    d = numbers("demand", demand)
    t = numbers("target_wait", target_wait, positive=True)
    f = numbers("factor", factor, positive=True)
    ca = numbers("cv_demand", cv_demand)
    cs = numbers("cv_capacity", cv_capacity)
    return scalar_or_array(d + ((ca ** 2 + cs ** 2) / 2) * (f / t))


def relief_capacity(demand: Number, queue_size: Number, target_queue_size: Number,
                    time_to_target: Number = 26, num_referrals: Number = 0,
                    cv_demand: Number = 0):
    """The capacity that brings the queue down to its target size in `time_to_target`
    (fact 7; R `calc_relief_capacity`): demand + (queue_size - target_queue_size) /
    time_to_target. Needed when the queue is more than twice its target size.

    When demand is an estimate from `num_referrals` referrals with coefficient of variation
    `cv_demand`, it is first raised by two standard errors: demand / (1 - 2 x demand x
    cv_demand / sqrt(num_referrals)), where that denominator is positive (R does this only
    for a single list; here each list gets its own uplift).
    """
    d = numbers("demand", demand)
    q = numbers("queue_size", queue_size)
    tq = numbers("target_queue_size", target_queue_size)
    tt = numbers("time_to_target", time_to_target, positive=True)
    n = numbers("num_referrals", num_referrals)
    cv = numbers("cv_demand", cv_demand)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(n > 0, 2 * d * cv / np.sqrt(n), np.inf)
        d = np.where((n > 0) & (spread < 1), d / (1 - spread), d)
    return scalar_or_array(d + (q - tq) / tt)


def waiting_list_pressure(mean_wait: Number, target_wait: Number):
    """Pressure = 2 x mean wait / target wait (fact 9; R `calc_waiting_list_pressure`).

    Above 1 the list will probably miss its target; pressures of lists with different targets
    can be compared. Mean wait and target must be in the same unit.
    """
    m = numbers("mean_wait", mean_wait)
    t = numbers("target_wait", target_wait, positive=True)
    return scalar_or_array(2 * m / t)


#: Days to target for each clinical priority (R `calc_priority_to_target`): P1 1 week, P2 4
#: weeks, P3 12 weeks, anything else a year.
PRIORITY_TARGET_DAYS = {1: 7, 2: 28, 3: 84}


def priority_to_target(priority) -> np.ndarray:
    """Target wait in days for clinical priorities 1-4 (anything but 1-3 gets 365)."""
    p = np.asarray(priority)
    out = np.full(p.shape, 365, dtype=np.int64)
    for level, days in PRIORITY_TARGET_DAYS.items():
        out[p == level] = days
    return out
