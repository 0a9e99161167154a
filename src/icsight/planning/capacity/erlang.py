"""The occupancy-to-delay trade-off of a pool of beds, as a queue (M/M/c).

Patients needing a bed arrive at random (Poisson) and each occupies a bed for a while; with `c`
beds and an offered load of `a` erlangs (the mean number of beds the demand would occupy if
there were always one free: bed days a year / 365), the occupancy is a / c. Erlang's delay
formula (Erlang C) gives the probability that an arriving patient finds every bed taken and
must wait (in A&E, on a trolley, or in an escalation bed):

    C(c, a) = c B(c, a) / (c - a (1 - B(c, a)))          for a < c, else 1

where B is Erlang's loss formula (Erlang B), computed with its recursion

    B(0, a) = 1,    B(n, a) = a B(n - 1, a) / (n + a B(n - 1, a))

which never forms a^c or c! and so stays accurate for thousands of beds, where the textbook
sum of a^k / k! overflows. The recursion and the relation between the two formulas are
standard queueing theory (e.g. Kleinrock, Queueing Systems vol. 1, 1975, section 3.5); de Bruin,
Bekker, van Zanten and Koole ("Dimensioning hospital wards using the Erlang loss model", Annals
of Operations Research 178, 2010, 23-43, doi:10.1007/s10479-009-0647-8) use the same model
to size hospital wards and show why small wards at high occupancy turn patients away.

What this assumes, and why it is a check rather than a plan: a single pool of
interchangeable beds (real beds are split by site, ward, sex and specialty, so real delays at
a given occupancy are worse than this says), arrivals without weekly or seasonal pattern
(winter peaks make it worse again), and stays spread exponentially (for the delay probability
an M/G/c queue is close to this; Erlang B itself does not depend on the spread at all).
"""

from __future__ import annotations

import numpy as np

__all__ = ["erlang_b", "erlang_c", "servers_for_occupancy"]


def _check(servers: np.ndarray, load: np.ndarray) -> None:
    if np.any(servers < 0) or np.any(servers != np.floor(servers)):
        raise ValueError("the number of beds (servers) must be a whole number, 0 or more")
    if np.any(load < 0) or not np.all(np.isfinite(load)):
        raise ValueError("the offered load (erlangs) must be a finite number, 0 or more")


def erlang_b(servers, load) -> np.ndarray:
    """Erlang's loss formula B(c, a): the chance that an arrival finds all `servers` busy with
    an offered `load` in erlangs, when nobody waits. Vectorised: `servers` and `load`
    broadcast against each other. The recursion runs up to the largest `servers`, updating
    each element only while n is within its own `servers`."""
    c, a = np.broadcast_arrays(np.asarray(servers, dtype=float), np.asarray(load, dtype=float))
    _check(c, a)
    b = np.ones(c.shape)
    for n in range(1, int(c.max(initial=0)) + 1):
        step = a * b / (n + a * b)
        b = np.where(n <= c, step, b)
    return b


def erlang_c(servers, load) -> np.ndarray:
    """Erlang's delay formula C(c, a): the chance that an arrival must wait, with `servers`
    beds and an offered `load` in erlangs (occupancy a / c). With the load at or above the
    number of beds the queue has no steady state and everyone eventually waits: 1. With no
    load nobody arrives, so nobody waits: 0."""
    c, a = np.broadcast_arrays(np.asarray(servers, dtype=float), np.asarray(load, dtype=float))
    b = erlang_b(c, a)
    stable = a < c
    denominator = np.where(stable, c - a * (1 - b), 1.0)
    return np.where(a == 0, 0.0, np.where(stable, c * b / denominator, 1.0))


def servers_for_occupancy(load, occupancy) -> np.ndarray:
    """The fewest whole beds that keep the occupancy (load / beds) at or below `occupancy`."""
    a, target = np.broadcast_arrays(np.asarray(load, dtype=float),
                                    np.asarray(occupancy, dtype=float))
    if np.any((target <= 0) | (target >= 1)):
        raise ValueError("an occupancy must lie strictly between 0 and 1")
    # a tiny tolerance so that 92 / 0.92 is 100 beds, not 101 through rounding
    return np.ceil(a / target - 1e-9).clip(min=0)
