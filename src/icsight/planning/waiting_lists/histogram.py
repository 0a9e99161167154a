"""Waiting lists held as weekly wait bands, as NHS England publishes RTT incomplete pathways.

Python equivalents of NHSRwaitinglist's histogram functions (branch `histogram_finalized`,
6844e69, MIT: `wl_fit_geometric_hist`, `wl_percentile_hist`, `wl_removal_stats_hist`) and of
`plot_rtt_journey`'s arithmetic (R/rtt_improvement.R, main 0d85b69), after Fong et al.,
medRxiv 2022, doi:10.1101/2022.08.23.22279117.

A banded list is a DataFrame with one row per band and snapshot: `arrival_since` and
`arrival_before` (the referral dates the band covers), `n` (pathways) and `report_date`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from icsight.planning.waiting_lists._checks import dates, numbers, one_date

HIST_COLUMNS = ("arrival_since", "arrival_before", "n", "report_date")


def _hist(name: str, wl_hist, required=HIST_COLUMNS) -> pd.DataFrame:
    if not isinstance(wl_hist, pd.DataFrame):
        raise ValueError(f"`{name}` must be a pandas DataFrame of wait bands, "
                         f"not {type(wl_hist).__name__}")
    missing = [c for c in required if c not in wl_hist.columns]
    if missing:
        raise ValueError(f"`{name}` is missing the columns: {', '.join(missing)}")
    return wl_hist


@dataclass(frozen=True)
class GeometricFit:
    """A geometric distribution of weeks waited fitted to wait bands."""

    fitted: pd.DataFrame  # weeks_waiting, open_ended, n, fitted_probability, fitted_n
    total_waiting: float
    open_ended_week: float  # NaN when no band is open-ended
    geometric_p: float  # the weekly chance of leaving the list
    geometric_mean_weeks: float  # q / p
    equivalent_exponential_rate: float  # -ln q, per week
    observed_open_ended: float
    fitted_open_ended: float


def fit_geometric(weeks_waiting, n, open_ended=None) -> GeometricFit:
    """Fit P(W = w) = p q^w to counts of people by whole weeks waited (R
    `wl_fit_geometric_hist`). An open-ended band ("52+ weeks") is censored: it says only that
    W >= w, P = q^w. The maximum-likelihood p = uncensored count / (uncensored count + sum of
    weeks x n over every band)."""
    w = numbers("weeks_waiting", weeks_waiting)
    k = numbers("n", n)
    if w.shape != k.shape:
        raise ValueError("`weeks_waiting` and `n` must have the same length")
    oe = np.zeros(len(w), bool) if open_ended is None else np.asarray(open_ended, bool)
    if oe.shape != w.shape:
        raise ValueError("`open_ended` must have one value per band")
    keep = ~np.isnan(w) & ~np.isnan(k)
    frame = pd.DataFrame({"weeks_waiting": w[keep], "open_ended": oe[keep], "n": k[keep]})
    if frame.empty or frame.n.sum() <= 0:
        raise ValueError("`n` has no positive count to fit")
    bins = (frame.groupby(["weeks_waiting", "open_ended"], as_index=False)["n"].sum()
            .sort_values(["weeks_waiting", "open_ended"], ignore_index=True))
    unc = bins[~bins.open_ended]
    successes = float(unc.n.sum())
    exposure = float((bins.weeks_waiting * bins.n).sum())
    if successes <= 0:
        raise ValueError("Cannot fit a geometric distribution: every band is open-ended")
    p = successes / (successes + exposure)
    q = 1 - p
    total = float(bins.n.sum())
    bins["fitted_probability"] = np.where(bins.open_ended, q ** bins.weeks_waiting,
                                          p * q ** bins.weeks_waiting)
    bins["fitted_n"] = total * bins.fitted_probability
    oe_bins = bins[bins.open_ended]
    return GeometricFit(
        fitted=bins, total_waiting=total,
        open_ended_week=float(oe_bins.weeks_waiting.min()) if len(oe_bins) else math.nan,
        geometric_p=p, geometric_mean_weeks=q / p,
        equivalent_exponential_rate=-math.log(q) if q > 0 else math.inf,
        observed_open_ended=float(oe_bins.n.sum()), fitted_open_ended=float(oe_bins.fitted_n.sum()))


@dataclass(frozen=True)
class Percentile:
    """The referral date and whole weeks waited at a percentile of a banded list."""

    date: np.datetime64 | None
    weeks: float
    percentage: float


def percentile(wl_hist: pd.DataFrame, percentage: float = 92) -> Percentile:
    """The wait within which `percentage`% of the list have waited (R `wl_percentile_hist`).

    Bands are counted from the newest referrals until `percentage`% are reached; within that
    band the date is interpolated as R does, `arrival_since` + round(share of the band needed x
    7) days (R counts the interpolated days forward from the band's oldest referral date), and
    weeks = round((report date - that date) / 7). An empty list gives no date and NaN weeks.
    """
    h = _hist("wl_hist", wl_hist)
    if isinstance(percentage, bool) or not isinstance(percentage, (int, float)) or not (
            0 <= percentage <= 100):
        raise ValueError(f"`percentage` must be a single number from 0 to 100 "
                         f"(got {percentage!r})")
    since = dates("arrival_since", list(h.arrival_since))
    report = dates("report_date", list(h.report_date))
    k = numbers("n", h.n.to_numpy())
    order = np.argsort(-since.astype(np.int64), kind="stable")
    since, report, k = since[order], report[order], k[order]
    total = k.sum()
    if not total > 0:
        return Percentile(None, math.nan, percentage)
    cut = percentage / 100 * total
    cum = np.cumsum(k)
    reached = np.flatnonzero(cum >= cut)
    i = int(reached[0]) if len(reached) else len(k) - 1
    share = (cut - (cum[i] - k[i])) / k[i]
    # R's round() halves to even, as Python's does
    day = since[i] + np.timedelta64(round(share * 7), "D")
    weeks = round(float((report[i] - day).astype(float)) / 7)
    return Percentile(day, weeks, percentage)


@dataclass(frozen=True)
class BandRemovalStats:
    capacity_weekly: float
    capacity_daily: float
    capacity_cov: float  # not measurable from snapshots: 1 (Poisson), as R
    removal_count: float


def removal_stats_hist(wl_hist: pd.DataFrame, start_date=None,
                       end_date=None) -> BandRemovalStats:
    """Removals between successive snapshots of a banded list (R `wl_removal_stats_hist`):
    the fall in each band (matched by `arrival_since`) between one report date and the next,
    summed over the falls only (a band cannot gain people, so a rise is not a removal), over
    the days between the first and last snapshot in [start, end]."""
    h = _hist("wl_hist", wl_hist)
    rd = dates("report_date", list(h.report_date))
    since = dates("arrival_since", list(h.arrival_since))
    k = numbers("n", h.n.to_numpy())
    start = one_date("start_date", start_date, allow_none=True)
    end = one_date("end_date", end_date, allow_none=True)
    reports = np.unique(rd)
    start = reports.min() if start is None else start
    end = reports.max() if end is None else end
    reports = reports[(reports >= start) & (reports <= end)]
    if len(reports) < 2:
        raise ValueError("`wl_hist` needs at least 2 report_date values within the dates "
                         "given to measure removals")
    frame = pd.DataFrame({"report": rd, "since": since, "n": k})
    removed = 0.0
    for a, b in itertools.pairwise(reports):
        first = frame[frame.report == a].groupby("since").n.sum()
        second = frame[frame.report == b].groupby("since").n.sum()
        change = second.reindex(first.index.union(second.index), fill_value=0) - first.reindex(
            first.index.union(second.index), fill_value=0)
        removed += float(-change[change < 0].sum())
    days = float((reports[-1] - reports[0]).astype(float))
    daily = removed / days
    return BandRemovalStats(daily * 7, daily, 1.0, removed)


@dataclass(frozen=True)
class RttJourney:
    """Lists consistent with each RTT performance level for one referral rate."""

    referral_rate: float  # referrals a week
    levels: pd.DataFrame  # rtt_performance, lambda_per_week, list_size, percent_within_target
    bands: pd.DataFrame  # rtt_performance, weeks_waited, patients (expected per weekly band)
    summary: str


def rtt_journey(referral_rate: float,
                rtt_performance=(0.5, 0.6, 0.7, 0.8, 0.92), n_bins: int = 64) -> RttJourney:
    """The list size and weekly wait profile that go with each share of patients within 18
    weeks, for one referral rate (the arithmetic of R `plot_rtt_journey`, without the plot).

    With exponential waits, P(W <= 18) = p gives lambda = -ln(1 - p) / 18 a week, and Little's
    law a list of referral_rate / lambda. Each weekly band [w, w + 1) holds
    list x (exp(-lambda w) - exp(-lambda (w + 1))) people.
    """
    rate = float(numbers("referral_rate", referral_rate, positive=True))
    perf = numbers("rtt_performance", rtt_performance)
    if perf.ndim != 1 or not ((perf > 0) & (perf < 1)).all():
        raise ValueError("`rtt_performance` must be shares between 0 and 1 (not 0 or 1)")
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"`n_bins` must be a whole number of weeks, at least 1 (got {n_bins!r})")
    lam = -np.log(1 - perf) / 18
    size = rate / lam
    levels = pd.DataFrame({"rtt_performance": perf, "lambda_per_week": lam, "list_size": size,
                           "percent_within_target": 100 * (1 - np.exp(-lam * 18))})
    w = np.arange(n_bins, dtype=float)
    bands = pd.DataFrame({
        "rtt_performance": np.repeat(perf, n_bins), "weeks_waited": np.tile(w, len(perf)),
        "patients": (size[:, None] * (np.exp(-lam[:, None] * w) - np.exp(-lam[:, None]
                                                                          * (w + 1)))).ravel()})
    summary = (f"For a referral rate of {rate:g} patients a week, assuming waits are "
               "exponentially distributed: the waiting list that goes with each share of "
               "patients waiting under 18 weeks.")
    return RttJourney(rate, levels, bands, summary)
