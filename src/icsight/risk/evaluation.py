"""How good a risk score is: discrimination, calibration and accuracy, overall and by group.

- AUROC: the chance that a person who had the outcome was given a higher risk than one who did
  not (ties count a half), scikit-learn's `roc_auc_score`;
- Brier score: the mean squared difference between the predicted risk and the outcome (0 or 1);
  lower is better, and a model that gives everyone the average risk scores p(1 - p);
- calibration by decile: people in ten equal groups by predicted risk (lowest first), each
  group's mean predicted risk beside the share who had the outcome;
- observed / expected: outcomes counted over outcomes predicted (the sum of the risks); 1 is
  perfect calibration in the large, above 1 means the model under-predicts for that group;
- for a yes/no flag: sensitivity (of those who had the outcome, the share flagged) and positive
  predictive value (of those flagged, the share who had the outcome).

Group tables list every group named in `groups`, with no one in a group shown as 0 people, and
leave AUROC out where a group has fewer than `MIN_EACH` people with, or without, the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

__all__ = ["MIN_EACH", "auroc", "brier", "by_group", "calibration_deciles", "flag_accuracy",
           "summary"]

#: Fewest people with (and without) the outcome for a group's AUROC to be reported.
MIN_EACH = 10


def auroc(outcome, risk) -> float:
    """Area under the ROC curve; NaN when everyone, or no one, had the outcome."""
    y = np.asarray(outcome, dtype=int)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, np.asarray(risk, dtype=float)))


def brier(outcome, risk) -> float:
    """Mean of (risk - outcome)^2."""
    y, p = np.asarray(outcome, dtype=float), np.asarray(risk, dtype=float)
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


def calibration_deciles(outcome, risk, groups: int = 10) -> pd.DataFrame:
    """Mean predicted risk and observed rate in `groups` equal-sized groups by predicted risk.

    People are ranked by risk (ties in the order given) and the k-th of n goes to group
    floor(k * groups / n) + 1, so group sizes differ by at most one. Columns: decile, people,
    outcomes, mean_predicted, observed."""
    y, p = np.asarray(outcome, dtype=float), np.asarray(risk, dtype=float)
    n = len(y)
    order = np.argsort(p, kind="stable")
    decile = np.empty(n, dtype=int)
    decile[order] = np.arange(n) * groups // max(n, 1) + 1
    frame = pd.DataFrame({"decile": decile, "y": y, "p": p})
    table = frame.groupby("decile").agg(people=("y", "size"), outcomes=("y", "sum"),
                                        mean_predicted=("p", "mean"), observed=("y", "mean"))
    table = table.reindex(range(1, groups + 1))
    table["people"] = table.people.fillna(0).astype(int)
    table["outcomes"] = table.outcomes.fillna(0).astype(int)
    return table.reset_index()


def summary(outcome, risk) -> dict[str, float]:
    """People, outcomes, AUROC, Brier score, mean predicted risk, observed rate and the
    observed / expected ratio."""
    y, p = np.asarray(outcome, dtype=float), np.asarray(risk, dtype=float)
    expected = float(p.sum())
    return {"people": len(y), "outcomes": int(y.sum()), "auroc": auroc(y, p),
            "brier": brier(y, p), "mean_predicted": float(p.mean()) if len(p) else np.nan,
            "observed": float(y.mean()) if len(y) else np.nan,
            "observed_to_expected": float(y.sum() / expected) if expected else np.nan}


def by_group(frame: pd.DataFrame, column: str, outcome: str, risks: Sequence[str],
             groups: Sequence) -> pd.DataFrame:
    """For each group of `column` in `groups` (in that order; missing values as the group
    None) and each risk column in `risks`: the group's position in `groups`, people,
    outcomes, AUROC (NaN under MIN_EACH with or without the outcome), Brier score, mean
    predicted, observed and observed / expected."""
    values = frame[column].astype(object).where(frame[column].notna(), None)
    rows = []
    for position, group in enumerate(groups):
        part = frame[values.isna()] if group is None else frame[values == group]
        y = part[outcome].to_numpy(dtype=float)
        for risk in risks:
            stats = summary(y, part[risk].to_numpy(dtype=float))
            if min(stats["outcomes"], stats["people"] - stats["outcomes"]) < MIN_EACH:
                stats["auroc"] = float("nan")
            rows.append({"breakdown": column, "position": position, "group": group,
                         "model": risk, **stats})
    return pd.DataFrame(rows)


def flag_accuracy(outcome, flagged) -> dict[str, float]:
    """For a yes/no flag: people, flagged, outcomes, true positives, sensitivity, specificity
    and positive predictive value (NaN where the denominator is 0)."""
    y = np.asarray(outcome, dtype=bool)
    f = np.asarray(flagged, dtype=bool)
    tp, fp = int((y & f).sum()), int((~y & f).sum())
    fn, tn = int((y & ~f).sum()), int((~y & ~f).sum())
    ratio = lambda a, b: a / b if b else float("nan")  # noqa: E731
    return {"people": len(y), "flagged": tp + fp, "outcomes": tp + fn,
            "true_positives": tp, "sensitivity": ratio(tp, tp + fn),
            "specificity": ratio(tn, tn + fp), "ppv": ratio(tp, tp + fp)}
