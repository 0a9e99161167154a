"""CPU seconds to train the emergency admission risk model and to score everyone registered
(issue 13, point 7: training <= 2 min, scoring <= 20 s on the default population).

    PYTHONPATH=src python benchmarks/bench_risk.py LAKE [DEFAULT_PEOPLE]

CPU seconds (`time.process_time`, every thread of this process), not wall-clock time: on a
shared machine the wall clock measures the neighbours. The estimate for the default population
scales linearly with the lake's population (features are one scan of each table; the models
are linear in rows). Beside each, the naive baseline of the same run: the logistic regression
on age, sex and LTC count (trained inside `train`, timed alone here) and scoring with it.
"""

from __future__ import annotations

import sys
import time

from icsight.engine import open_lake
from icsight.risk.admissions import _fit_baseline, score, split_dates, train
from icsight.risk.features import features, labelled


def cpu(step):
    started = time.process_time()
    result = step()
    return result, time.process_time() - started


def main(lake_dir: str, default_people: int = 1_156_871) -> None:
    lake = open_lake(lake_dir, purpose="planning")
    train_as_of, _, last = split_dates(lake)
    model, train_s = cpu(lambda: train(lake))
    frame, features_s = cpu(lambda: labelled(lake, train_as_of))
    _, baseline_s = cpu(lambda: _fit_baseline(frame, frame.emergency_admission.to_numpy()))
    scored, score_s = cpu(lambda: score(lake, last, model))
    now, now_s = cpu(lambda: features(lake, last))
    _, base_score_s = cpu(lambda: model.baseline_risk(now))
    # the lake's size as generated (people registered on its last day, before any opt-out)
    target = lake.manifest.get("population_target") or len(scored)
    scale = default_people / target
    print(f"scored {len(scored):,} people registered on {last} (planning: opt-outs left "
          f"out) of a {target:,} lake; default population x{scale:.2f}")
    for name, s in (("train (features + both LightGBM models + baseline)", train_s),
                    ("  of which features at the training date", features_s),
                    ("  naive baseline fit alone", baseline_s),
                    ("score everyone (features, risk, reasons, flag)", score_s),
                    ("  of which features", now_s),
                    ("  naive baseline scoring alone (after features)", base_score_s)):
        print(f"{name:55s} {s:7.1f} CPU s   default population ~{s * scale:6.1f} CPU s")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:]))
