"""The model card: train the emergency admission model on a lake, validate it on the later
year, and write what it is, how well it does, for whom, and how to retrain it (Markdown).

`write_model_card(lake, out_path)` is the whole procedure; `icsight risk card` runs it. The
card's counts are published as every icsight output beyond analysts is: counts from 1 to 7
are suppressed and the others rounded to the nearest 5 (`icsight.governance.disclosure`'s
rules), and a group's AUROC is left out below `MIN_EACH` people with, or without, the outcome.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from icsight.governance.disclosure import DisclosureRules
from icsight.risk.admissions import PARAMS, RiskModel, score, split_dates, train
from icsight.risk.evaluation import (
    MIN_EACH,
    by_group,
    calibration_deciles,
    flag_accuracy,
    summary,
)
from icsight.risk.features import CATEGORIES, FEATURES, labelled

__all__ = ["Evaluation", "evaluate", "write_model_card"]

#: The simple rule the last-year-of-life flag is compared with.
RULE = "aged 85 or over with an emergency admission in the last 12 months"
#: The groups of the fairness tables, in the order shown (None: not known).
GROUPS = {"sex": list(CATEGORIES["sex"]), "ethnicity_group": list(CATEGORIES["ethnicity_group"]),
          "imd_quintile": [1.0, 2.0, 3.0, 4.0, 5.0, None]}
GROUP_TITLES = {"sex": "Sex", "ethnicity_group": "Ethnic group",
                "imd_quintile": "IMD quintile (1 = most deprived)"}


@dataclass
class Evaluation:
    """A model's results on the validation year."""

    as_of: dt.date
    overall: pd.DataFrame  # one row per model
    deciles: dict[str, pd.DataFrame]
    groups: pd.DataFrame
    flag: dict
    rule: dict
    death: dict
    importance: pd.Series
    reasons: pd.Series  # share of people in the top 5% of risk with each first reason


def evaluate(model: RiskModel, frame: pd.DataFrame, as_of: dt.date) -> Evaluation:
    """`model` on `frame` (`labelled` at the validation date `as_of`)."""
    from icsight.risk.admissions import reasons

    frame = frame.copy()
    contributions = model.contributions(frame)
    frame["lightgbm"] = model.risk(frame)
    frame["baseline"] = model.baseline_risk(frame)
    y = frame.emergency_admission.to_numpy()
    overall = pd.DataFrame([{"model": m, **summary(y, frame[m])}
                            for m in ("lightgbm", "baseline")])
    deciles = {m: calibration_deciles(y, frame[m]) for m in ("lightgbm", "baseline")}
    groups = pd.concat([by_group(frame, column, "emergency_admission",
                                 ["lightgbm", "baseline"], values)
                        for column, values in GROUPS.items()], ignore_index=True)
    flagged = model.last_year_of_life(frame)
    rule = (frame.age >= 85) & (frame.emergency_admissions_12m >= 1)
    names = [f.name for f in FEATURES]
    importance = pd.Series(np.abs(contributions).mean(axis=0), index=names) \
        .sort_values(ascending=False)
    top = frame.lightgbm >= frame.lightgbm.quantile(0.95)
    first = reasons(frame[top], contributions[top.to_numpy()]).str.split("; ").str[0] \
        .str.replace(r"\d+", "N", regex=True)
    return Evaluation(as_of, overall, deciles, groups, flag_accuracy(frame.died, flagged),
                      flag_accuracy(frame.died, rule), summary(frame.died,
                                                               model.death_risk(frame)),
                      importance, first.value_counts(normalize=True))


# --- publishing ------------------------------------------------------------------------------

_RULES = DisclosureRules()


def _count(n: float) -> str:
    """A count as published: 0, suppressed (1 to 7), or rounded to the nearest 5."""
    n = int(n)
    if n == 0:
        return "0"
    if _RULES.low <= n <= _RULES.high:
        return f"fewer than {_RULES.high + 1}"
    return f"{int(_RULES.rounding * math.floor(n / _RULES.rounding + 0.5)):,}"


def _pct(x: float, places: int = 1) -> str:
    return "not reported" if x is None or (isinstance(x, float) and math.isnan(x)) else \
        f"{100 * x:.{places}f}%"


def _num(x: float, places: int = 3) -> str:
    return "not reported" if x is None or (isinstance(x, float) and math.isnan(x)) else \
        f"{x:.{places}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _group_label(column: str, group) -> str:
    if group is None:
        return "Not known"
    return str(int(group)) if column == "imd_quintile" else str(group).capitalize() \
        if column == "sex" else str(group)


def _render(lake, model: RiskModel, ev: Evaluation, scored: pd.DataFrame) -> str:
    train_as_of, validate_as_of, last = (dt.date.fromisoformat(model.spec["train_as_of"]),
                                         ev.as_of, split_dates(lake)[2])
    m = lake.manifest
    kind = m.get("kind", "not stated")
    about = (f"a synthetic lake of {m.get('population_target', 0):,} people (seed "
             f"{m.get('seed')})" if kind == "synthetic" else f"a lake of kind `{kind}`")
    lg, bl = (ev.overall.set_index("model").loc[k] for k in ("lightgbm", "baseline"))
    out = [
        "# Model card: emergency admission risk in the next 12 months",
        "",
        "Generated by `icsight risk card --lake LAKE --out docs/model-card.md` from "
        f"{about}, last day {last}. Do not edit by hand: run the command again.",
        "",
        "## Read this first",
        "",
        "On the synthetic population this model learns the generator's assumptions, not "
        "the behaviour of real patients or services. The synthetic generator decides who is "
        "admitted from age, long-term conditions, deprivation, a hidden ill-health score and "
        "approaching death; a model trained on its records finds those rules again. The "
        "figures below say how well the model recovers them; they say nothing about how it "
        "would do for the people of BLMK. Before anyone uses a score to decide whom to call "
        "in, the ICB retrains and revalidates the model on its own data with the same "
        "command (see [Retraining and revalidating](#retraining-and-revalidating)), and "
        "reads this card again.",
        "",
        "## What it is",
        "",
        f"- **Version** `{model.version}`: a hash of the features' definitions, the dates, "
        "the lake's description and the parameters. The build records it in its provenance.",
        "- **Predicts** the chance that a person registered with a BLMK practice on a date "
        "has at least one emergency admission (an admitted patient care spell with an "
        "emergency admission method) in the 12 months after it.",
        "- **For** ordering a practice's or neighbourhood team's list of people to review, "
        "with the reasons for each; alongside clinical judgement, never instead of it. Not "
        "for deciding anyone's care or eligibility for a service, and not for comparing "
        "practices' performance.",
        f"- **Model**: LightGBM {lgb.__version__} gradient-boosted trees, each tree splitting "
        "on one feature (so the model adds one contribution per feature, and each person's "
        "reasons are exact); " + ", ".join(f"`{k}` {v}" for k, v in PARAMS.items()
                                           if k != "interaction_constraints") + ".",
        "- **Baseline**: logistic regression on age (and age squared), sex and the count of "
        "long-term conditions, trained on the same people.",
        "- **Top reasons**: for each person, up to three features that raised their risk "
        "most (LightGBM's own contributions, `pred_contrib`, in log-odds), said as a "
        "clinician would say them (\"2 emergency admissions in the last year\"). Sex and "
        "ethnic group are features but never given as reasons.",
        "",
        "## Data and temporal split",
        "",
        _table(["", "As-of date", "Outcomes counted", "People", "Had an emergency admission",
                "Died"], [
            ["Training", str(train_as_of), f"{train_as_of + dt.timedelta(days=1)} to "
             f"{model.spec['validate_as_of']}",
             _count(model.training["people"]), _count(model.training["emergency_admissions"]),
             _count(model.training["deaths"])],
            ["Validation", str(validate_as_of), f"{validate_as_of + dt.timedelta(days=1)} to "
             f"{last}",
             _count(lg.people), _count(lg.outcomes), _count(ev.death["outcomes"])],
            ["Scoring", str(last), "(future)", _count(len(scored)), "", ""],
        ]),
        "",
        "People counted are those registered with a practice and alive at the end of the "
        "as-of date. Every feature is from records dated on or before it; every outcome "
        "strictly after it. The validation year comes after the whole training year, as the "
        "future comes after the data a model is used on.",
        "",
        "### Features",
        "",
        _table(["Feature", "Definition"], [[f"`{f.name}`", f.definition] for f in FEATURES]),
        "",
        "## How well it does (validation year)",
        "",
        _table(["Measure", "LightGBM", "Baseline"], [
            ["AUROC (discrimination; 0.5 is chance)", _num(lg.auroc), _num(bl.auroc)],
            ["Brier score (lower is better)", _num(lg.brier, 4), _num(bl.brier, 4)],
            ["Brier score if everyone got the average risk", _num(
                lg.observed * (1 - lg.observed), 4), _num(bl.observed * (1 - bl.observed), 4)],
            ["Mean predicted risk", _pct(lg.mean_predicted), _pct(bl.mean_predicted)],
            ["Observed rate", _pct(lg.observed), _pct(bl.observed)],
            ["Observed / expected", _num(lg.observed_to_expected, 2),
             _num(bl.observed_to_expected, 2)],
        ]),
        "",
        "### Calibration by decile of predicted risk",
        "",
        "People in ten equal groups by predicted risk, lowest first; a well calibrated model "
        "has the observed rate close to the mean predicted risk in every group.",
        "",
    ]
    rows = []
    for (_, a), (_, b) in zip(ev.deciles["lightgbm"].iterrows(),
                              ev.deciles["baseline"].iterrows(), strict=True):
        rows.append([str(int(a.decile)), _count(a.people), _pct(a.mean_predicted),
                     _pct(a.observed), _pct(b.mean_predicted), _pct(b.observed)])
    out += [_table(["Decile", "People", "LightGBM predicted", "LightGBM observed",
                    "Baseline predicted", "Baseline observed"], rows), ""]
    out += ["## By sex, ethnic group and deprivation", "",
            f"AUROC is not reported for a group with fewer than {MIN_EACH} people with, or "
            "without, an admission. Observed / expected above 1 means the model "
            "under-predicts for that group; below 1, over-predicts.", ""]
    for column, title in GROUP_TITLES.items():
        part = ev.groups[ev.groups.breakdown == column]
        rows = []
        for position, group in enumerate(GROUPS[column]):
            g = part[part.position == position]
            a, b = (g[g.model == k].iloc[0] for k in ("lightgbm", "baseline"))
            rows.append([_group_label(column, group), _count(a.people), _count(a.outcomes),
                         _num(a.auroc), _num(b.auroc), _pct(a.mean_predicted),
                         _pct(a.observed), _num(a.observed_to_expected, 2),
                         _num(b.observed_to_expected, 2)])
        out += [f"### {title}", "", _table(
            ["Group", "People", "Admitted", "AUROC LightGBM", "AUROC baseline",
             "LightGBM predicted", "Observed", "O/E LightGBM", "O/E baseline"], rows), ""]
    out += ["## What drives the scores", "",
            "Mean absolute contribution of each feature to the log-odds, validation year "
            "(the ten largest):", "",
            _table(["Feature", "Mean absolute contribution"],
                   [[f"`{k}`", f"{v:.3f}"] for k, v in ev.importance.head(10).items()]),
            "", "The first reason given to people in the top 5% of risk (numbers shown as N):",
            "", _table(["First reason", "Share"],
                       [[k or "(none)", _pct(v)] for k, v in ev.reasons.head(10).items()]), ""]
    f, r = ev.flag, ev.rule
    out += [
        "## Likely to be in their last year of life",
        "",
        "A second LightGBM model, on the same features and settings, predicts death in the "
        "next 12 months. A person is flagged when that predicted risk is at least "
        f"{model.death_threshold:.3f}: the threshold at which, in the training year, as many "
        "people were flagged as died. The flag prompts a conversation (advance care "
        "planning, the palliative care register); it is not a prognosis. Measured on the "
        "validation year, beside a simple rule "
        f"({RULE}):",
        "",
        _table(["", "Model flag", "Rule"], [
            ["People flagged", _count(f["flagged"]), _count(r["flagged"])],
            ["Who died in the year", _count(f["outcomes"]), _count(r["outcomes"])],
            ["Sensitivity (of those who died, share flagged)", _pct(f["sensitivity"]),
             _pct(r["sensitivity"])],
            ["Positive predictive value (of those flagged, share who died)", _pct(f["ppv"]),
             _pct(r["ppv"])],
            ["Specificity", _pct(f["specificity"], 2), _pct(r["specificity"], 2)],
        ]),
        "",
        f"The death model's AUROC on the validation year is {_num(ev.death['auroc'])}. On "
        f"the latest day ({last}), {_count(int(scored.last_year_of_life.sum()))} people are "
        "flagged.",
        "",
        "## Retraining and revalidating",
        "",
        "An ICB runs the same command on its own lake (ingested from its GP, SUS and ECDS "
        "feeds, `icsight ingest`):",
        "",
        "```",
        "icsight risk card --lake /path/to/lake --out docs/model-card.md "
        "--model /path/to/risk-model.json",
        "```",
        "",
        "It retrains both models at the lake's last day minus 24 months, validates them on the "
        "following year, writes this card from the results and saves the model (with its "
        "new version) for scoring and the build. Before use, read again: that "
        "LightGBM beats the baseline; that calibration holds in every decile and every group "
        "(observed / expected near 1); that no group's AUROC is much lower than the rest; and "
        "the last-year-of-life flag's sensitivity and positive predictive value. Retrain at "
        "least yearly, and whenever coding or services change (a new virtual ward, a new "
        "codelist): the model knows only the years it was trained on.",
        "",
        "## Limitations",
        "",
        "- People who leave a practice in the outcome year are kept, with the outcomes the "
        "lake holds for them; admissions outside the lake's providers are missed.",
        "- The care home and housebound flags of the patients table describe the lake's last "
        "day only, so they are not features (they would leak the future into training).",
        "- Registers are from coded diagnoses (the QOF rules); uncoded conditions are "
        "invisible to the model.",
        "- The last-year-of-life threshold is fixed on the training year; where deaths are "
        "fewer or more common, the share flagged changes with them.",
        "",
    ]
    return "\n".join(out)


def write_model_card(lake, out_path: str | Path, model_path: str | Path | None = None
                     ) -> tuple[RiskModel, Evaluation]:
    """Train the model on `lake` (temporal split), validate it, write the model card to
    `out_path` (Markdown) and, if `model_path` is given, save the model there. The card holds
    no timings, so the same lake gives the same card."""
    out_path = Path(out_path)
    train_as_of, validate_as_of, last = split_dates(lake)
    model = train(lake, train_as_of, validate_as_of)
    ev = evaluate(model, labelled(lake, validate_as_of), validate_as_of)
    scored = score(lake, last, model)
    text = _render(lake, model, ev, scored)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text, encoding="utf-8")
    if model_path is not None:
        model.save(model_path)
    return model, ev

