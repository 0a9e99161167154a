"""Benchmark: training the emergency admission risk model and scoring everyone registered,
each beside a naive baseline measured in the same command.

Issue 13's budget (point 7): training at most 2 minutes and scoring everyone at most 20 s on
the default population on 2 cores.

- **training** as `icsight build` does it when the lake has no saved model: the features at
  the training date, both LightGBM models (admission, death) and the simple baseline. Beside
  it, the naive model alone (the logistic regression on age, sex and the count of long-term
  conditions the model card compares against), fitted on the same features.
- **scoring** as the build does it: everyone registered on the lake's last day, with their
  risk and the last-year-of-life flag, in one pass, and the top reasons of the patients the
  worklists name (the only place reasons are shown; the worklists are found first, untimed).
  Beside it, the naive path a page without a build would take: for each practice, score the
  lake and keep that practice's people. Timing all 96 practices would take half an hour, so
  `--naive-practices N` (default 2, spread over the list) are timed and scaled to every
  practice (the work per practice does not depend on which practice it is).

    .venv/bin/python benchmarks/bench_risk.py --lake data/blmk [--naive-practices N] [--load]

Each figure is given as wall seconds and CPU seconds (user and system, every thread of the
process): on a shared machine the CPU figure is the fairer one. `--load` starts a second
process spinning on one core for the whole measurement, as a test suite or another job would.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from _measure import busy_core, cpu_seconds, peak_gb, run_child, setting

BUDGET_TRAIN_SECONDS, BUDGET_SCORE_SECONDS = 120, 20


def _timed(step) -> tuple[object, dict]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = step()
    return result, {"seconds": round(time.perf_counter() - wall, 1),
                    "cpu_seconds": round(cpu_seconds() - cpu, 1)}


def measure(lake_path: Path, practices: int) -> dict:
    from icsight.engine import open_lake
    from icsight.results.worklists import direct_care_view
    from icsight.risk.admissions import _fit_baseline, score, split_dates, train
    from icsight.risk.features import labelled
    from icsight.worklists.catalogue import find_all

    lake = open_lake(lake_path, purpose="planning")
    train_as_of, _, last = split_dates(lake)
    model, training = _timed(lambda: train(lake))
    frame = labelled(lake, train_as_of)
    _, baseline = _timed(lambda: _fit_baseline(frame, frame.emergency_admission.to_numpy()))
    care = direct_care_view(lake)
    # as the build: the reasons said for the patients the worklists name (found untimed)
    explain = find_all(care, last).patient_id.unique()
    scored, scoring = _timed(lambda: score(care, last, model, explain=explain))
    codes = sorted(scored.practice_code.dropna().unique())
    step = max(len(codes) // practices, 1)
    chosen = codes[::step][:practices]

    def practice_by_practice():
        for code in chosen:  # a page without a build: the lake scored, one practice kept
            everyone = score(care, last, model, explain=explain)
            assert (everyone.practice_code == code).any(), f"nobody scored at {code}"

    _, naive = _timed(practice_by_practice)
    scale = len(codes) / len(chosen)
    naive |= {"practices_timed": chosen, "practices_in_lake": len(codes),
              "seconds_for_all_practices": round(naive["seconds"] * scale, 1),
              "cpu_seconds_for_all_practices": round(naive["cpu_seconds"] * scale, 1)}
    return {"people_trained_on": len(frame), "people_scored": len(scored),
            "people_explained": int((scored.top_reasons != "").sum()),
            "train_as_of": train_as_of.isoformat(), "scored_on": last.isoformat(),
            "training": training, "naive_baseline_model_fit": baseline,
            "scoring": scoring, "naive_scoring_practice_by_practice": naive,
            "scoring_speed_up": round(naive["seconds_for_all_practices"]
                                      / max(scoring["seconds"], 0.1), 1),
            "peak_gb": peak_gb()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--naive-practices", type=int, default=2,
                        help="practices scored one by one for the naive baseline")
    parser.add_argument("--load", action="store_true",
                        help="keep one core busy with another process meanwhile")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.lake, args.naive_practices)))
        return 0
    busy = busy_core() if args.load else None
    try:
        report = run_child([__file__, "--lake", str(args.lake), "--naive-practices",
                            str(args.naive_practices), "--child"], "measurement")
    finally:
        if busy:
            busy.kill()
    manifest = json.loads((args.lake / "manifest.json").read_text())
    report = setting(args.lake, manifest, args.load) | report
    report["budget"] = {"training_seconds": BUDGET_TRAIN_SECONDS,
                        "scoring_seconds": BUDGET_SCORE_SECONDS}
    report["within_budget"] = (report["training"]["seconds"] <= BUDGET_TRAIN_SECONDS
                               and report["scoring"]["seconds"] <= BUDGET_SCORE_SECONDS)
    print(json.dumps(report, indent=2))
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
