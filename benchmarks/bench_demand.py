"""Benchmark: the demand projection to 2043 for every place, point of delivery and year, beside
a naive run-by-run loop.

Issue 14's budget (point 6): the whole projection (all places, points of delivery and years,
256 runs) in at most 60 seconds and 4 GB on 2 cores, beside a naive run-by-run loop measured
in the same command. Both sides start from the same baseline rates (counted once from the
lake, and timed on their own):

- **optimised**: `icsight.planning.demand.project`, every run at once (numpy), then
  `Projection.summary` (p10/p50/p90 of every place, point of delivery and year) and
  `Projection.waterfall`;
- **naive**: the same model one run, year, place, point of delivery, sex and band at a time in
  plain Python, with each run's parameters drawn as the optimised side draws them. It is slow,
  so `--naive-runs R` runs (default 4) are timed and the time scaled to `--runs` (each run
  costs the same). Its expected values must equal the optimised side's for those runs (a
  check, reported as `largest_relative_difference`).

    .venv/bin/python benchmarks/bench_demand.py --lake data/blmk [--scenario mitigated]
        [--runs 256] [--naive-runs 4]

Reports wall and CPU seconds (on a shared machine the fairer figure) and this process's peak
memory, and the load average at the end.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from _measure import cpu_seconds, peak_gb, setting

BUDGET_SECONDS, BUDGET_GB = 60, 4


def _clock() -> tuple[float, float]:
    return time.perf_counter(), cpu_seconds()


def _since(start: tuple[float, float]) -> dict:
    return {"seconds": round(time.perf_counter() - start[0], 3),
            "cpu_seconds": round(cpu_seconds() - start[1], 3)}


def _naive(rates, scenario, runs: int, seed: int) -> np.ndarray:
    """Expected activity (R, Y, P, K) one cell at a time: the model of
    `icsight.planning.demand.projection`, written as a planner would in a spreadsheet."""
    from icsight.indicators.periods import as_date
    from icsight.planning.demand.baseline import BANDS
    from icsight.planning.demand.projection import _population, years_from_mid_2000
    from icsight.planning.population import FIRST_YEAR, PLACES, SEXES

    start, end = (as_date(d) for d in rates.attrs["window"])
    base = years_from_mid_2000(start + (end - start) / 2)
    years = list(range(FIRST_YEAR, scenario.horizon + 1))
    pods = list(dict.fromkeys(rates.pod))
    cell = {(r.place, r.pod, r.sex, r.age_band): (r.activity, r.registered)
            for r in rates.itertuples(index=False)}
    lowest = [int(b.split("-")[0].rstrip("+")) for b in BANDS]
    middles = [age + 2.5 for age in lowest]
    curve = {}
    for pod in pods:
        for sex in SEXES:
            values = []
            for band in BANDS:
                done = sum(cell[(p, pod, sex, band)][0] for p in PLACES)
                people = sum(cell[(p, pod, sex, band)][1] for p in PLACES)
                values.append(done / people if people else 0.0)
            curve[(pod, sex)] = values
    variants = [v for v, p in scenario.population.variants.items() if p > 0]
    chances = [scenario.population.variants[v] for v in variants]
    populations = {v: _population(v, base, years) for v in variants}
    health = scenario.health_status
    out = np.zeros((runs, len(years), len(PLACES), len(pods)))
    for r in range(runs):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(r,)))
        variant = variants[rng.choice(len(variants), p=chances)]
        share = min(max(health.share_in_good_health.draw(rng), 0.0), 1.0)
        growth = [g.rate.draw(rng) for g in scenario.non_demographic_growth]
        reductions = [min(max(m.reduction.draw(rng), 0.0), 1.0) for m in scenario.mitigators]
        people, at_base = populations[variant]
        for y, year in enumerate(years):
            for p, place in enumerate(PLACES):
                for k, pod in enumerate(pods):
                    ndg = (1 + growth[scenario.growth_group_of(pod)]) ** (year - base)
                    total = 0.0
                    for s, sex in enumerate(SEXES):
                        gain = getattr(health.life_expectancy_65_gain_per_year, sex)
                        for b, band in enumerate(BANDS):
                            activity = cell[(place, pod, sex, band)][0]
                            if not activity:
                                continue
                            factor = people[y, p, s, b] / at_base[p, s, b]
                            own = curve[(pod, sex)][b]
                            if health.enabled and lowest[b] >= health.from_age and own > 0:
                                age = middles[b] - share * gain * (year - base)
                                factor *= float(np.interp(age, middles, curve[(pod, sex)])) / own
                            for m, mitigator in enumerate(scenario.mitigators):
                                if (pod in mitigator.pods
                                        and mitigator.ages[0] <= lowest[b] <= mitigator.ages[1]):
                                    factor *= 1 - reductions[m] * mitigator.share_in(year)
                            total += activity * factor * ndg
                    out[r, y, p, k] = total
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--scenario", default="mitigated")
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--runs", type=int, default=256)
    parser.add_argument("--naive-runs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    # imported before the clock starts: a command pays for importing Ibis and DuckDB once
    from icsight.engine import open_lake
    from icsight.planning.demand import baseline_rates, packaged_scenario, project

    lake = open_lake(args.lake)
    as_of = args.as_of or lake.manifest.get("reference_date")
    scenario = packaged_scenario(args.scenario)
    start = _clock()
    rates = baseline_rates(lake, as_of)
    baseline = _since(start)

    start = _clock()
    projected = project(rates, scenario, runs=args.runs, seed=args.seed)
    summary, waterfall = projected.summary(), projected.waterfall()
    optimised = _since(start)

    # the check: without chance variation both sides give the expected values
    expected = project(rates, scenario.model_copy(update={"random_variation": "none"}),
                       runs=args.naive_runs, seed=args.seed).runs
    start = _clock()
    naive = _naive(rates, scenario, args.naive_runs, args.seed)
    naive_time = _since(start)
    scale = args.runs / args.naive_runs
    difference = float(np.max(np.abs(naive - expected) / np.maximum(np.abs(expected), 1e-9)))

    whole = {"seconds": round(baseline["seconds"] + optimised["seconds"], 2),
             "cpu_seconds": round(baseline["cpu_seconds"] + optimised["cpu_seconds"], 2)}
    report = {
        "scenario": scenario.name, "runs": args.runs, "years": len(projected.years),
        "points_of_delivery": len(projected.pods), "summary_rows": len(summary),
        "waterfall_rows": len(waterfall), "baseline_rates": baseline,
        "optimised_projection": optimised, "whole": whole, "peak_gb": peak_gb(),
        "naive": {**naive_time, "runs_timed": args.naive_runs,
                  "scaled_to_runs": {k: round(v * scale, 1) for k, v in naive_time.items()}},
        "largest_relative_difference": difference,
        "budget": {"seconds": BUDGET_SECONDS, "gb": BUDGET_GB,
                   "met": whole["seconds"] <= BUDGET_SECONDS and peak_gb() <= BUDGET_GB},
        "setting": setting(args.lake, lake.manifest, False),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
