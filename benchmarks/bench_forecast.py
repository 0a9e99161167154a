"""Benchmark: every short-term forecast series (4 places x 13 points of delivery) back-tested
from rolling origins and forecast 24 months ahead with AutoETS, AutoARIMA and the seasonal
naive method, then handed over to the demand projection.

Issue 14's budget (point 6): the forecasts and back-tests for every series in at most 2 minutes
on 2 cores. The monthly series are counted from the lake first and timed on their own; the
demand projection handed over to is made with `--runs` runs (its own benchmark is
bench_demand.py) and timed on its own too. numba compiles statsforecast's models the first time
they run and keeps them on disk: `--warm` fits one tiny series first so that the timed part is
the forecasting, and the report says how long the warm-up took.

    .venv/bin/python benchmarks/bench_forecast.py --lake data/blmk [--origins 6]
        [--horizon 24] [--n-jobs 1] [--runs 256] [--no-warm]

Reports wall and CPU seconds (on a shared machine the fairer figure; with --n-jobs above 1
the workers' CPU seconds are counted too), the peak memory of this process, how many series
and model fits there were, the model each back-test chose, and the load average at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _measure import peak_gb, setting

BUDGET_SECONDS = 120


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes (statsforecast's
    workers when --n-jobs is above 1), every thread."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def _clock() -> tuple[float, float]:
    return time.perf_counter(), cpu_seconds()


def _since(start: tuple[float, float]) -> dict:
    return {"seconds": round(time.perf_counter() - start[0], 3),
            "cpu_seconds": round(cpu_seconds() - start[1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", type=Path, default=Path("data/blmk"))
    parser.add_argument("--origins", type=int, default=6)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--runs", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-warm", dest="warm", action="store_false")
    args = parser.parse_args()

    # imported before the clock starts: a command pays for importing Ibis and DuckDB once
    from icsight.engine import open_lake
    from icsight.planning.demand import baseline_rates, packaged_scenario, project
    from icsight.planning.forecast import forecast, monthly_activity, planning_forecast

    warm = None
    if args.warm:
        start = _clock()
        months = pd.date_range("2020-01-01", periods=36, freq="MS")
        tiny = pd.DataFrame({"place": "warm", "pod": "up", "month": months,
                             "activity": 100 + 10 * np.sin(np.arange(36))})
        forecast(tiny, 2)
        warm = _since(start)

    lake = open_lake(args.lake)
    start = _clock()
    series = monthly_activity(lake)
    counted = _since(start)
    last = series.attrs["window"][1]

    start = _clock()
    projected = project(baseline_rates(lake, last), packaged_scenario("principal"),
                        runs=args.runs, seed=args.seed).summary()
    projection = _since(start)

    stages = {}
    start = _clock()
    mark = [start]

    def step(name: str) -> None:
        stages[name] = _since(mark[0])
        mark[0] = _clock()

    made = planning_forecast(series, projected, horizon=args.horizon, origins=args.origins,
                             n_jobs=args.n_jobs, step=step)
    whole = _since(start)

    n_series = series.groupby(["place", "pod"]).ngroups
    chosen = made.scores[made.scores.chosen]
    report = {
        "series": n_series, "months": int(series.month.nunique()),
        "window": list(series.attrs["window"]), "origins": args.origins,
        "horizon": args.horizon, "n_jobs": args.n_jobs,
        "model_fits": n_series * 3 * (args.origins + 1),
        "warm_up": warm, "monthly_series": counted, "demand_projection": projection,
        "forecasts_and_backtests": whole, "stages": stages, "peak_gb": peak_gb(),
        "chosen_models": chosen.model.value_counts().to_dict(),
        "median_mase_of_chosen": (None if chosen.mase.isna().all()
                                  else round(float(chosen.mase.median()), 3)),
        "budget": {"seconds": BUDGET_SECONDS, "met": whole["seconds"] <= BUDGET_SECONDS},
        "setting": setting(args.lake, lake.manifest, False),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
