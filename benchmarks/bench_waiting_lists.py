"""Benchmark: a year of the weekly waiting-list simulation for every list, beside a naive loop.

Issue 15's budget (point 6): one year (52 weeks) of simulation for every treatment function x
provider in the lake with 100 runs in at most 30 s on 2 cores, beside a naive patient-by-patient
loop measured in the same command. One command runs both, each in its own process (so each peak
memory is its own), one after the other on the same lake and the same inputs:

- **optimised**: `weekly_from_lake.lists` (the lists, referral trends and capacity from the
  lake's `rtt_pathways`), `weekly.simulate` (counts by priority x weeks waited, every list and
  run at once, numpy) and `Simulation.summary` (p10/p50/p90 over runs of every measure, list
  and week). The inputs and the simulation are timed separately and together.
- **naive**: the same model with one Python object per patient: each week every patient ages,
  new patients are made, each is removed with the list's probability, the available ones are
  sorted by priority then longest wait and the first `slots` treated, and the week's measures
  are counted patient by patient. It is slow (minutes for every list), so `--naive-lists N`
  lists (spread over the lists by size, default 3) are run for `--naive-runs R` runs (default
  2) and the time is scaled to every list and 100 runs by patient-weeks: the time per patient
  per week does not depend on the list, so the scale is (sum over every list of its people on
  the list at the start, times 100 runs) / (the same for the lists and runs timed). The
  report says so and gives both figures.

    .venv/bin/python benchmarks/bench_waiting_lists.py --lake data/blmk
        [--runs 100] [--weeks 52]
        [--naive-lists N] [--naive-runs R]  # lists and runs the naive loop times, scaled
        [--load]                            # keep one core busy with another process

Each side reports wall seconds, CPU seconds (user and system, every thread of the process: on a
shared machine the fairer comparison) and peak memory, and the load average at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from _measure import busy_core, cpu_seconds, peak_gb, run_child, setting

BUDGET_SECONDS = 30


def _clock() -> tuple[float, float]:
    return time.perf_counter(), cpu_seconds()


def _since(start: tuple[float, float]) -> dict:
    return {"seconds": round(time.perf_counter() - start[0], 2),
            "cpu_seconds": round(cpu_seconds() - start[1], 2)}


def _inputs(lake_path: Path, weeks: int):
    from icsight.engine import open_lake
    from icsight.planning.waiting_lists import weekly_from_lake

    return weekly_from_lake.lists(open_lake(lake_path), weeks=weeks)


def _optimised(lake_path: Path, weeks: int, runs: int) -> dict:
    # imported before the clock starts: a command or server pays for importing Ibis and DuckDB
    # once, not per simulation (about 1-2 CPU s)
    import icsight.planning.waiting_lists.weekly_from_lake  # noqa: F401
    from icsight.planning.waiting_lists import weekly

    start = _clock()
    lists = _inputs(lake_path, weeks)
    inputs = _since(start)
    sim_start = _clock()
    simulation = weekly.simulate(lists, runs=runs, seed=1)
    summary = simulation.summary()
    sim = _since(sim_start)
    total = _since(start)
    last = simulation.runs["list_size"][:, :, -1]
    return {**total, "inputs": inputs, "simulation_and_percentiles": sim,
            "peak_gb": peak_gb(), "lists": len(lists.provider_code), "runs": runs,
            "weeks": weeks, "summary_rows": len(summary),
            "people_waiting_at_start": int(lists.waiting.sum()),
            "median_over_runs_of_everyone_waiting_at_the_end": float(
                np.median(last.sum(axis=0)))}


class Patient:
    """One person on a list (the naive model's unit)."""

    __slots__ = ("priority", "weeks")

    def __init__(self, priority: int, weeks: int) -> None:
        self.priority = priority
        self.weeks = weeks


def _naive_list(lists, i: int, rng: np.random.Generator) -> dict:
    """One run of list `i`, patient by patient: the same events as `weekly.simulate`."""
    from icsight.planning.waiting_lists import weekly

    targets = [weekly.PRIORITY_TARGET_WEEKS[p] for p in weekly.PRIORITIES]
    waiting = [Patient(p, w) for p in range(4) for w in range(lists.waiting.shape[2])
               for _ in range(int(lists.waiting[i, p, w]))]
    shares, removal = lists.priority_shares[i], lists.removal_rate[i]
    unavailable = lists.unavailable_share[i]
    sizes = []
    for t in range(lists.weeks):
        for person in waiting:
            person.weeks += 1
        for p in rng.choice(4, rng.poisson(lists.referrals[i, t]), p=shares):
            waiting.append(Patient(int(p), 0))
        waiting = [person for person in waiting if rng.random() >= removal]
        available = [person for person in waiting if rng.random() >= unavailable]
        available.sort(key=lambda person: (person.priority, -person.weeks))
        treated = {id(person) for person in available[:rng.poisson(lists.capacity[i, t])]}
        waiting = [person for person in waiting if id(person) not in treated]
        counts = {"size": len(waiting), "within_18": 0, "over_52": 0, "over_65": 0,
                  "over_78": 0, "past_target": 0}
        for person in waiting:
            counts["within_18"] += person.weeks < 18
            counts["over_52"] += person.weeks >= 52
            counts["over_65"] += person.weeks >= 65
            counts["over_78"] += person.weeks >= 78
            target = targets[person.priority]
            counts["past_target"] += target is not None and person.weeks >= target
        sizes.append(counts["size"])
    return {"size_at_end": sizes[-1]}


def _naive(lake_path: Path, weeks: int, runs: int, n_lists: int, naive_runs: int) -> dict:
    lists = _inputs(lake_path, weeks)
    people = lists.waiting.sum(axis=(1, 2))
    order = np.argsort(people)
    chosen = order[np.linspace(0, len(order) - 1, n_lists).round().astype(int)]
    rng = np.random.default_rng(1)
    start = _clock()
    for i in chosen:
        for _ in range(naive_runs):
            _naive_list(lists, int(i), rng)
    timed = _since(start)
    scale = float(people.sum() * runs / (people[chosen].sum() * naive_runs))
    return {**timed, "peak_gb": peak_gb(),
            "lists_timed": [f"{lists.treatment_function[i]} {lists.provider_code[i]} "
                            f"({int(people[i])} waiting)" for i in chosen],
            "runs_timed": naive_runs, "lists_in_lake": len(people),
            "scaled_by": round(scale, 1),
            "seconds_for_every_list_and_run": round(timed["seconds"] * scale, 1),
            "cpu_seconds_for_every_list_and_run": round(timed["cpu_seconds"] * scale, 1)}


def _child(args: argparse.Namespace, mode: str) -> dict:
    return run_child([__file__, "--lake", str(args.lake), "--runs", str(args.runs),
                      "--weeks", str(args.weeks), "--naive-lists", str(args.naive_lists),
                      "--naive-runs", str(args.naive_runs), "--child", mode], f"{mode} run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--naive-lists", type=int, default=3,
                        help="lists the naive loop times (spread by size), scaled to all")
    parser.add_argument("--naive-runs", type=int, default=2,
                        help="runs of each list the naive loop times, scaled to --runs")
    parser.add_argument("--load", action="store_true",
                        help="keep one core busy with another process while measuring")
    parser.add_argument("--child", choices=("optimised", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.runs, args.weeks, args.naive_lists, args.naive_runs) < 1:
        parser.error("--runs, --weeks, --naive-lists and --naive-runs must be 1 or more")
    if args.child == "optimised":
        print(json.dumps(_optimised(args.lake, args.weeks, args.runs)))
        return 0
    if args.child == "naive":
        print(json.dumps(_naive(args.lake, args.weeks, args.runs, args.naive_lists,
                                args.naive_runs)))
        return 0

    from icsight.engine import open_lake

    manifest = open_lake(args.lake).manifest
    load = busy_core() if args.load else None
    try:
        optimised = _child(args, "optimised")
        naive = _child(args, "naive")
    finally:
        if load is not None:
            load.kill()
            load.wait()
    sim = optimised["simulation_and_percentiles"]
    print(json.dumps({
        **setting(args.lake, manifest, args.load),
        "optimised": optimised,
        "naive": naive,
        "speed_up_of_the_simulation": round(
            naive["seconds_for_every_list_and_run"] / sim["seconds"], 1),
        "cpu_speed_up_of_the_simulation": round(
            naive["cpu_seconds_for_every_list_and_run"] / sim["cpu_seconds"], 1),
        "budget": {"seconds": BUDGET_SECONDS},
        "within_budget": optimised["seconds"] <= BUDGET_SECONDS,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
