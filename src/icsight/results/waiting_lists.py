"""Waiting lists in the results store: each treatment function at each provider, found and
simulated at each build (issue 15, points 3 and 5).

    <run id>/
      waiting_list_queues.parquet           one row per treatment function x provider on the
                                            build's last day: `from_lake.queues`' flows, size,
                                            waits and the queue formulas' targets, with
                                            `within_18_weeks` and `over_52_weeks` counted
      waiting_list_trajectories.parquet     the baseline plan (no capacity change) simulated
                                            week by week: p10 / p50 / p90 over the runs of
                                            each list's size, % within 18 weeks and 52-, 65-
                                            and 78-week tails
      waiting_list_expected_waits.parquet   the wait a patient referred now should expect:
                                            median and 92nd percentile by clinical priority
                                            and for a priority not yet known ("any")
      published_waiting_list_*.parquet      the same three as shown below analyst level
      waiting_list_inputs.npz               the simulation's inputs (the lists by priority and
                                            week waited, referrals, capacity, removals): what
                                            the what-if re-simulates from, never served

**Disclosure control (what is published).** The list counts of one list are three published
numbers in one relation: list size = within 18 weeks + (18 to 52 weeks, not published) +
52 weeks or more. They are protected by the project's rules (`governance.disclosure.
suppress_cells`: 1 to 7 withheld, the rest rounded to 5, and secondary suppression so the
unpublished 18-52 residual cannot be worked out as 1 to 7). The % within 18 weeks is
recomputed from the published counts. Weekly referral and treatment rates are published from
their year's counts treated the same way. The list's mean wait, pressure and load are
averages of the people on it, withheld where its size is. Simulated trajectories are model
outputs, not counts of people, but their first weeks are close to today's list: each
percentile of a count is withheld from 1 to 7 and rounded to 5 otherwise, and the % within 18
weeks is withheld where the median list size is. Expected waits are weeks, not people: they
are published, without the simulated counts they came from. No total across lists is
published, so no relation joins the lists.

The waiting lists are found on the build's view of the lake (planning unless the build says
otherwise: the national data opt-out applies), from the same last period end as the
indicators.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from icsight.governance.disclosure import DisclosureRules, Relation, suppress_cells
from icsight.lake import table_path
from icsight.planning.demand import Projection
from icsight.planning.waiting_lists import from_lake, weekly, weekly_from_lake
from icsight.planning.waiting_lists.expected_wait import expected_wait
from icsight.planning.waiting_lists.from_demand import referrals_from_demand

__all__ = ["COUNT_MEASURES", "FILES", "INPUTS", "PUBLIC_QUEUE_COLUMNS", "RUNS", "SEED",
           "TRAJECTORY_MEASURES", "WEEKS", "keep_measures", "lists_from_inputs", "publish_queues",
           "publish_trajectories", "publish_waits", "save_inputs", "write_waiting_lists"]

#: The build's simulation: a year, 100 runs, one seed (the runs can be repeated).
WEEKS, RUNS, SEED = 52, 100, 1
#: The measures the trajectories keep (the flows stay in the simulation's own output).
TRAJECTORY_MEASURES = ("list_size", "percent_within_18_weeks", "over_52_weeks",
                       "over_65_weeks", "over_78_weeks")
#: The measures that count people (the rest are percentages).
COUNT_MEASURES = ("list_size", "over_52_weeks", "over_65_weeks", "over_78_weeks")
#: table name -> (exact file, published file)
FILES = {"queues": ("waiting_list_queues.parquet", "published_waiting_list_queues.parquet"),
         "trajectories": ("waiting_list_trajectories.parquet",
                          "published_waiting_list_trajectories.parquet"),
         "expected_waits": ("waiting_list_expected_waits.parquet",
                            "published_waiting_list_expected_waits.parquet")}
INPUTS = "waiting_list_inputs.npz"
#: What the public sees of a list's queue figures.
PUBLIC_QUEUE_COLUMNS = ["treatment_function", "provider_code", "queue_size", "within_18_weeks",
                        "percent_within_18_weeks", "over_52_weeks", "mean_wait_weeks",
                        "demand_weekly", "capacity_weekly", "load", "pressure", "suppressed"]
#: The counts the expected wait came from: simulated people pooled over runs, for analysts.
WAIT_COUNTS = ("referred", "removed", "treated_in_followed_weeks")


def write_waiting_lists(lake, as_of: dt.date, folder: Path, weeks: int = WEEKS,
                        runs: int = RUNS, seed: int = SEED,
                        projection: Projection | None = None) -> dict:
    """Find, simulate and write every list on `as_of` into `folder` (a run being written);
    returns what the provenance says. A lake with no referral-to-treatment pathways, or too
    little history before `as_of` for a year of flows, gets no tables and says why.

    Referrals come from the demand `projection` when there is one (the build's principal
    projection: `from_demand.referrals_from_demand`, each list's last 52 weeks of clock
    starts grown by the projected outpatient first attendances of its patients' places),
    otherwise from the straight line through each list's last 52 weeks."""
    started = time.perf_counter()
    if not table_path(lake.path, "rtt_pathways").exists():
        return {"skipped": "the lake has no rtt_pathways table"}
    try:
        queues = from_lake.queues(lake, as_of)
    except ValueError as e:  # the year before as_of is not all inside the lake's data
        return {"skipped": str(e)}
    if queues.empty:
        return {"skipped": f"no referral-to-treatment pathways open or closed in the year to "
                           f"{as_of}"}
    referrals, source = None, ("the straight line through each list's weekly clock starts "
                               "in the 52 weeks to the build's last day")
    if projection is not None:
        referrals = referrals_from_demand(lake, projection, weeks=weeks, as_of=as_of)
        source = (f"the last 52 weeks' clock starts grown by the demand projection "
                  f"({projection.scenario.name} v{projection.scenario.version}, p50 of "
                  f"{projection.runs.shape[0]} runs, seed {projection.seed}) of outpatient "
                  f"first attendances in each patient's place")
    lists = weekly_from_lake.lists(lake, weeks=weeks, as_of=as_of, referrals=referrals)
    queues = _with_counts(queues, lists)
    simulation = weekly.simulate(lists, runs=runs, seed=seed)
    summary = simulation.summary()
    trajectories = keep_measures(summary)
    waits = expected_wait(simulation)
    exact = {"queues": queues, "trajectories": trajectories, "expected_waits": waits}
    published = {"queues": publish_queues(queues, history_weeks=52),
                 "trajectories": publish_trajectories(trajectories),
                 "expected_waits": publish_waits(waits)}
    for name, (exact_file, published_file) in FILES.items():
        exact[name].to_parquet(folder / exact_file, index=False)
        published[name].to_parquet(folder / published_file, index=False)
    save_inputs(lists, folder / INPUTS)
    return {"as_of": as_of.isoformat(), "purpose": lake.purpose.value, "lists": len(queues),
            "weeks": weeks, "runs": runs, "seed": seed,
            "plan": "baseline: today's capacity, no change", "referrals": source,
            "priority_shares": list(weekly.DEFAULT_PRIORITY_SHARES),
            "tables": {n: f[0] for n, f in FILES.items()},
            "published": {n: f[1] for n, f in FILES.items()}, "inputs": INPUTS,
            "queue_counts_suppressed": int(published["queues"].suppressed.sum()),
            "disclosure": "list size, within 18 weeks and 52+ weeks protected together (1-7 "
                          "withheld, rounded to 5); trajectories' counts withheld 1-7 and "
                          "rounded to 5; expected waits published as weeks",
            "seconds": round(time.perf_counter() - started, 1)}


def keep_measures(summary: pd.DataFrame) -> pd.DataFrame:
    """A simulation's summary cut to the trajectories' measures, weeks ending as ISO dates."""
    out = summary[summary.measure.isin(TRAJECTORY_MEASURES)].reset_index(drop=True)
    out["week_ending"] = [d.isoformat() for d in out.week_ending]
    return out


def _with_counts(queues: pd.DataFrame, lists: weekly.Lists) -> pd.DataFrame:
    """`queues` with the people within 18 weeks (as its `percent_within_target` counts them:
    waited no more than 126 days) and waiting 52 whole weeks or more (the simulation's tail,
    from the same list by week waited)."""
    out = queues.copy()
    out["within_18_weeks"] = np.round(out.queue_size * out.percent_within_target.fillna(0)
                                      / 100).astype("int64")
    by_wait = lists.waiting.sum(axis=1)  # (lists, weeks waited)
    out["over_52_weeks"] = by_wait[:, 52:].sum(axis=1).round().astype("int64")
    return out.rename(columns={"percent_within_target": "percent_within_18_weeks"})


def publish_queues(queues: pd.DataFrame, history_weeks: int = 52,
                   rules: DisclosureRules | None = None) -> pd.DataFrame:
    """The queue table as published (see the module docstring)."""
    rules = rules or DisclosureRules()
    counts: list[float] = []
    rels: list[Relation] = []
    for row in queues.itertuples(index=False):
        base = len(counts)
        counts += [float(row.queue_size), float(row.within_18_weeks), float(row.over_52_weeks)]
        # the list = within 18 weeks + 52 weeks or more + the unpublished 18-52 residual
        rels.append(Relation(base, (base + 1, base + 2)))
    shown, hidden = suppress_cells(counts, rels, rules) if counts else (np.zeros(0),
                                                                       np.zeros(0, bool))
    out = queues[["treatment_function", "provider_code"]].copy()
    out["queue_size"] = shown[0::3]
    out["within_18_weeks"] = shown[1::3]
    out["over_52_weeks"] = shown[2::3]
    size_hidden = hidden[0::3]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["percent_within_18_weeks"] = np.where(
            out.queue_size > 0, (100 * out.within_18_weeks / out.queue_size).round(1), np.nan)
    for column in ("mean_wait_weeks", "load", "pressure"):
        out[column] = queues[column].where(~size_hidden).round(2)
    for column in ("demand_weekly", "capacity_weekly"):
        yearly = (queues[column] * history_weeks).round().tolist()
        rate, _ = suppress_cells(yearly, [], rules) if yearly else (np.zeros(0), None)
        out[column] = (pd.Series(rate, index=out.index) / history_weeks).round(1)
    out["suppressed"] = hidden.reshape(-1, 3).any(axis=1) if len(hidden) else []
    return out[PUBLIC_QUEUE_COLUMNS]


def publish_trajectories(trajectories: pd.DataFrame,
                         rules: DisclosureRules | None = None) -> pd.DataFrame:
    """The trajectories as published: each percentile of a count withheld from `rules.low`
    to `rules.high` and rounded to `rules.rounding`; the % within 18 weeks to one decimal
    place, withheld where that week's median list size is."""
    rules = rules or DisclosureRules()
    out = trajectories.reset_index(drop=True).copy()
    people = out.measure.isin(COUNT_MEASURES)
    for p in ("p10", "p50", "p90"):
        value = out[p].round()
        small = (value >= rules.low) & (value <= rules.high)
        rounded = (value / rules.rounding).round() * rules.rounding
        out.loc[people, p] = rounded.where(~small)[people]
    sizes = out[out.measure == "list_size"].set_index(
        ["treatment_function", "provider_code", "week"]).p50
    keys = pd.MultiIndex.from_frame(out[["treatment_function", "provider_code", "week"]])
    size_hidden = sizes.reindex(keys).isna().to_numpy()
    percent = out.measure == "percent_within_18_weeks"
    for p in ("p10", "p50", "p90"):
        out.loc[percent, p] = out[p].round(1).where(~size_hidden)[percent]
    return out


def publish_waits(waits: pd.DataFrame) -> pd.DataFrame:
    """The expected waits as published: weeks, without the simulated counts."""
    return waits.drop(columns=[c for c in WAIT_COUNTS if c in waits]).reset_index(drop=True)


def save_inputs(lists: weekly.Lists, path: Path) -> None:
    """The simulation's inputs, to simulate a list again with a capacity change."""
    np.savez_compressed(path, treatment_function=np.array(lists.treatment_function),
                        provider_code=np.array(lists.provider_code),
                        start=np.array(lists.start.isoformat()), waiting=lists.waiting,
                        referrals=lists.referrals, capacity=lists.capacity,
                        removal_rate=lists.removal_rate,
                        priority_shares=lists.priority_shares,
                        unavailable_share=lists.unavailable_share)


def lists_from_inputs(path: Path, rows: list[int] | None = None) -> weekly.Lists:
    """The inputs `save_inputs` wrote (of the lists at `rows` only, when given)."""
    with np.load(path, allow_pickle=False) as saved:
        data = {k: saved[k] for k in saved.files}
    pick = slice(None) if rows is None else rows
    return weekly.Lists(tuple(str(f) for f in data["treatment_function"][pick]),
                        tuple(str(p) for p in data["provider_code"][pick]),
                        dt.date.fromisoformat(str(data["start"])),
                        data["waiting"][pick], data["referrals"][pick],
                        data["capacity"][pick], data["removal_rate"][pick],
                        data["priority_shares"][pick], data["unavailable_share"][pick])
