"""The emergency admission risk model: trained on the lake with a temporal split, scored for
everyone registered, with each person's top reasons and a last-year-of-life flag.

- **Temporal split.** With T the lake's last day, the model is trained on the people registered
  at T - 24 months, with their outcomes in the 12 months after (features from before it), and
  validated on those registered at T - 12 months with the 12 months after that: the validation
  year is later than anything the model was trained on, as it will be in use.
- **Models.** A LightGBM gradient-boosted tree model (`PARAMS`) on every feature of
  `icsight.risk.features`, beside a baseline: logistic regression on age (and age squared, as
  risk is high in infancy and in old age), sex and the count of long-term conditions.
- **Top reasons.** LightGBM's own per-person contributions (`pred_contrib`: SHAP values, in
  log-odds) name the features that raised that person's risk most, as a clinician would say
  them ("2 emergency admissions in the last year"). Sex and ethnic group are never given as a
  reason: they may raise a risk in the data, but they are not a reason to call someone in.
- **Last year of life.** A second LightGBM model on the same features predicts death in the next
  12 months; a person is flagged when that risk is at least a threshold chosen on the training
  year so that as many people are flagged as died in it. Its sensitivity and positive predictive
  value are measured on the validation year.
- **Version.** A hash of what the model was trained on (the features' definitions, the training
  and validation dates, the lake's own description) and its parameters: the same lake and code
  give the same version, which the build records in its provenance.

The model is saved as JSON (LightGBM's own text format inside): nothing is unpickled on load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from icsight.indicators.periods import as_date, months_before
from icsight.risk.features import (
    CATEGORIES,
    FEATURES,
    LTC_REGISTERS,
    features,
    labelled,
)

__all__ = ["FORMAT", "PARAMS", "REASONS", "RiskModel", "load", "reasons", "score",
           "split_dates", "train"]

#: The saved model's format: bump when the JSON changes shape.
FORMAT = 1

#: LightGBM's settings (both models). Each tree splits on one feature only (interaction
#: constraints), so the model is additive in log-odds: a person's risk is the sum of one
#: contribution per feature, each depending on that feature alone. That makes every reason exact
#: and cheap (one small table of contributions per feature, `RiskModel.contributions`), where
#: TreeSHAP over trees with interactions costs about a millisecond a person; on the synthetic
#: lake, trees with interactions (200 trees of 31 leaves) validated no better (AUROC 0.699
#: against 0.701). One thread: training takes seconds, and OpenMP threads spinning on a shared
#: machine only burn its CPU. Fixed seeds and `deterministic` make a retrain on the same lake
#: give the same trees.
PARAMS = {
    "objective": "binary", "learning_rate": 0.2, "num_iterations": 150, "num_leaves": 7,
    "min_data_in_leaf": 100, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
    "interaction_constraints": [[i] for i in range(len(FEATURES))],
    "seed": 13, "deterministic": True, "force_col_wise": True, "num_threads": 1,
    "verbose": -1,
}
#: The baseline's columns: age, age squared, sex, count of long-term conditions.
BASELINE = ("age", "age_squared", "male", "sex_unknown", "ltc_count")
#: How many reasons each person is given, at most.
TOP_REASONS = 3
#: Features never given as a reason.
NOT_REASONS = ("sex", "ethnicity_group")


def split_dates(lake) -> tuple[dt.date, dt.date, dt.date]:
    """(training as-of, validation as-of, latest day): T - 24 months, T - 12 months and T,
    the lake's last day."""
    window = lake.data_window()
    if window is None:
        raise ValueError("the lake holds no dated records to train a model on")
    last = as_date(window[1])
    return months_before(last, 24), months_before(last, 12), last


def _matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The features as LightGBM reads them (categories with their fixed codes)."""
    x = frame[[f.name for f in FEATURES]].copy()
    for name, values in CATEGORIES.items():
        x[name] = pd.Categorical(x[name].astype(object), categories=values)
    return x


def _baseline_matrix(frame: pd.DataFrame) -> np.ndarray:
    age = frame.age.to_numpy(dtype=float)
    sex = frame.sex.astype(object)
    return np.column_stack([age, age ** 2, (sex == "male").to_numpy(dtype=float),
                            (sex == "unknown").to_numpy(dtype=float),
                            frame.ltc_count.to_numpy(dtype=float)])


@dataclass
class RiskModel:
    """A trained emergency admission model, its baseline and the last-year-of-life model."""

    version: str
    spec: dict
    booster: lgb.Booster = field(repr=False)
    baseline: dict = field(repr=False)
    death_booster: lgb.Booster = field(repr=False)
    death_threshold: float = 0.0
    training: dict = field(default_factory=dict)

    def risk(self, frame: pd.DataFrame) -> np.ndarray:
        """Each person's predicted chance of an emergency admission in the next 12 months."""
        return self.booster.predict(_matrix(frame))

    def baseline_risk(self, frame: pd.DataFrame) -> np.ndarray:
        """The baseline's prediction (logistic regression on age, sex and LTC count)."""
        b = self.baseline
        z = (_baseline_matrix(frame) - np.asarray(b["mean"])) / np.asarray(b["scale"])
        logit = z @ np.asarray(b["coef"]) + b["intercept"]
        return 1.0 / (1.0 + np.exp(-logit))

    def death_risk(self, frame: pd.DataFrame) -> np.ndarray:
        """Each person's predicted chance of dying in the next 12 months."""
        return self.death_booster.predict(_matrix(frame))

    def last_year_of_life(self, frame: pd.DataFrame) -> np.ndarray:
        """Whether each person is flagged as likely to be in their last year of life."""
        return self.death_risk(frame) >= self.death_threshold

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """Per-person, per-feature contributions to the log-odds: LightGBM's own
        `pred_contrib` (SHAP values), without the constant.

        The model is additive (`PARAMS`), so a feature's contribution depends on its own value
        only: `pred_contrib` is asked once for each distinct value of each feature (a few
        hundred rows) and each person's are looked up. A sample of people is checked against
        `pred_contrib` itself, so a model that is not additive is refused, not misexplained."""
        x = _matrix(frame)
        out = np.empty((len(x), x.shape[1]))
        distinct, probe = _probe(x)
        table = self.booster.predict(probe, pred_contrib=True)
        for j, name in enumerate(x.columns):
            if name in CATEGORIES:  # codes in the order of CATEGORIES; -1 (missing) last
                codes = x[name].cat.codes.to_numpy()
                where = np.where(codes < 0, len(CATEGORIES[name]), codes)
            else:
                where = distinct[name].get_indexer(x[name].to_numpy(dtype=float))
            out[:, j] = table[where, j]
        sample = x.iloc[: min(len(x), 64)]
        direct = self.booster.predict(sample, pred_contrib=True)[:, :-1] if len(sample) else \
            out[:0]
        if not np.allclose(direct, out[: len(sample)], atol=1e-9):
            raise ValueError("the model is not additive: its contributions cannot be looked up")
        return out

    def constant(self) -> float:
        """The log-odds every person starts from (`pred_contrib`'s last column)."""
        one = _matrix(_probe_row())
        return float(self.booster.predict(one, pred_contrib=True)[0, -1])

    def save(self, path: str | Path) -> Path:
        """Write the model as JSON to `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "version": self.version, "spec": self.spec,
                "baseline": self.baseline, "death_threshold": self.death_threshold,
                "training": self.training,
                "lightgbm": self.booster.model_to_string(),
                "death_lightgbm": self.death_booster.model_to_string()}
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)
        return path


def _probe(x: pd.DataFrame) -> tuple[dict[str, pd.Index], pd.DataFrame]:
    """Each numeric column's distinct values (an index to look values up in), and a frame
    whose first rows hold every column's values (its distinct values; for a category, its
    categories then missing), shorter columns padded with their first value."""
    distinct, probe = {}, {}
    for name in x.columns:
        if name in CATEGORIES:
            values = [*CATEGORIES[name], None]
        else:
            distinct[name] = pd.Index(pd.unique(x[name].to_numpy(dtype=float)))
            values = list(distinct[name])
        probe[name] = values
    rows = max(len(v) for v in probe.values())
    frame = pd.DataFrame({name: v + v[:1] * (rows - len(v)) for name, v in probe.items()})
    return distinct, _matrix(frame)


def load(path: str | Path) -> RiskModel:
    """A model saved by `RiskModel.save`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a risk model of format {FORMAT}; train it again")
    if data["spec"]["features"] != _feature_spec():
        raise ValueError(f"{path} was trained on other features than this version of icsight "
                         "computes; train it again")
    return RiskModel(data["version"], data["spec"], lgb.Booster(model_str=data["lightgbm"]),
                     data["baseline"], lgb.Booster(model_str=data["death_lightgbm"]),
                     data["death_threshold"], data.get("training", {}))


def _probe_row() -> pd.DataFrame:
    """One person with every feature missing or at its first category."""
    row = {f.name: [np.nan] for f in FEATURES}
    for name, values in CATEGORIES.items():
        row[name] = [values[0]]
    return pd.DataFrame(row)


def _feature_spec() -> list[list[str]]:
    return [[f.name, f.kind, f.definition] for f in FEATURES]


def model_spec(lake, train_as_of: dt.date, validate_as_of: dt.date) -> dict:
    """What the model is trained on and how: the input of its version hash."""
    manifest = lake.manifest
    described = {k: manifest[k] for k in ("kind", "seed", "population_target",
                                          "reference_date", "window_start", "rows")
                 if k in manifest}
    return {
        "features": _feature_spec(),
        "registers": {k: [r.codes, r.resolved] for k, r in LTC_REGISTERS.items()},
        "categories": {k: list(v) for k, v in CATEGORIES.items()},
        "train_as_of": train_as_of.isoformat(), "validate_as_of": validate_as_of.isoformat(),
        "outcome": "emergency admission (apc_spells, admission_method emergency) or death "
                   "in the 12 months after the as-of date",
        "lake": described,
        "params": PARAMS, "baseline": list(BASELINE),
        "last_year_of_life": "threshold: as many flagged as died in the training year",
    }


def version_of(spec: dict) -> str:
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
    return f"ea-{digest[:12]}"


def _fit(x: pd.DataFrame, y: np.ndarray) -> lgb.Booster:
    data = lgb.Dataset(x, label=y, categorical_feature=list(CATEGORIES), free_raw_data=True)
    return lgb.train(PARAMS, data)


def _fit_baseline(frame: pd.DataFrame, y: np.ndarray) -> dict:
    from sklearn.linear_model import LogisticRegression

    x = _baseline_matrix(frame)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(max_iter=1000).fit((x - mean) / scale, y)
    return {"columns": list(BASELINE), "mean": mean.tolist(), "scale": scale.tolist(),
            "coef": fitted.coef_[0].tolist(), "intercept": float(fitted.intercept_[0])}


def train(lake, train_as_of: str | dt.date | None = None,
          validate_as_of: str | dt.date | None = None,
          frame: pd.DataFrame | None = None) -> RiskModel:
    """Train the models on the people registered at `train_as_of` (default T - 24 months)
    and their outcomes in the 12 months after. `validate_as_of` (default T - 12 months) is
    recorded in the version; `frame` is `labelled(lake, train_as_of)` when already computed."""
    default_train, default_validate, _ = split_dates(lake)
    train_as_of = as_date(train_as_of or default_train)
    validate_as_of = as_date(validate_as_of or default_validate)
    if frame is None:
        frame = labelled(lake, train_as_of)
    y = frame.emergency_admission.to_numpy()
    died = frame.died.to_numpy()
    if len(np.unique(y)) < 2 or died.sum() == 0:
        raise ValueError(f"on {train_as_of} the lake has no one with, or no one without, an "
                         "emergency admission in the next year, or no deaths: nothing to learn")
    x = _matrix(frame)
    booster = _fit(x, y)
    death_booster = _fit(x, died)
    # as many flagged as died in the training year: the threshold is the risk of the n-th
    # most likely to die, n the number who died
    death_risk = np.sort(death_booster.predict(x))[::-1]
    threshold = float(death_risk[int(died.sum()) - 1])
    spec = model_spec(lake, train_as_of, validate_as_of)
    training = {"people": len(frame), "emergency_admissions": int(y.sum()),
                "deaths": int(died.sum())}
    return RiskModel(version_of(spec), spec, booster, _fit_baseline(frame, y), death_booster,
                     threshold, training)


# --- reasons ---------------------------------------------------------------------------------


def _plural(n: pd.Series, one: str, many: str) -> pd.Series:
    return n.astype("int64").astype(str) + np.where(n == 1, one, many)


def _count(one: str, many: str, tail: str = " in the last year"):
    return lambda v: _plural(v, one, many) + tail


def _months_ago(v: pd.Series) -> pd.Series:
    months = v.astype("int64")
    text = "Emergency admission " + months.astype(str) + np.where(months == 1, " month ago",
                                                                   " months ago")
    return text.where(months > 0, "Emergency admission in the last month")


#: How each feature is said as a reason, given the person's values (a pandas Series). A
#: feature is a reason only where the person has it (a count above 0, a register flag of 1,
#: a known value).
REASONS = {
    "age": lambda v: "Aged " + v.astype("int64").astype(str),
    "imd_quintile": lambda v: "Lives in IMD quintile " + v.astype("int64").astype(str)
    + " (1 = most deprived)",
    **{name: (lambda v, label=r.label: pd.Series(label, index=v.index))
       for name, r in LTC_REGISTERS.items()},
    "cancer_5y": lambda v: pd.Series("Cancer diagnosed in the last 5 years", index=v.index),
    "ltc_count": lambda v: _plural(v, " long-term condition", " long-term conditions"),
    "emergency_admissions_12m": _count(" emergency admission", " emergency admissions"),
    "emergency_bed_days_12m": _count(" day in hospital after an emergency admission",
                                     " days in hospital after emergency admissions"),
    "months_since_emergency_admission": _months_ago,
    "elective_admissions_12m": _count(" planned admission", " planned admissions"),
    "ae_attendances_12m": _count(" A&E attendance", " A&E attendances"),
    "outpatient_attendances_12m": _count(" outpatient appointment", " outpatient appointments"),
    "outpatient_missed_12m": _count(" missed outpatient appointment",
                                    " missed outpatient appointments"),
    "medicines_12m": _count(" medicine", " different medicines"),
    "community_urgent_12m": _count(" virtual ward or urgent community response contact",
                                   " virtual ward or urgent community response contacts"),
    "mental_health_referrals_12m": _count(" mental health referral",
                                          " mental health referrals"),
}


def _has(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Where a person has the feature (so it can be a reason)."""
    v = frame[name]
    if name in NOT_REASONS:
        return np.zeros(len(frame), dtype=bool)
    if name in ("age",):
        return np.ones(len(frame), dtype=bool)
    if name in ("imd_quintile", "months_since_emergency_admission"):
        return v.notna().to_numpy()
    return (v.fillna(0) > 0).to_numpy()


def reasons(frame: pd.DataFrame, contributions: np.ndarray,
            top: int = TOP_REASONS) -> pd.Series:
    """Each person's top `top` reasons, joined by "; ": the features with the largest positive
    contributions to their risk among those they have (see `REASONS`), largest first."""
    names = [f.name for f in FEATURES]
    c = np.where(np.column_stack([_has(frame, n) for n in names]), contributions, 0.0)
    c = np.where(c > 0, c, 0.0)
    order = np.argsort(-c, axis=1, kind="stable")[:, :top]
    chosen = np.take_along_axis(c, order, axis=1) > 0
    out = [np.full(len(frame), "", dtype=object) for _ in range(top)]
    for rank in range(top):
        for j, name in enumerate(names):
            rows = np.flatnonzero(chosen[:, rank] & (order[:, rank] == j))
            if len(rows):
                out[rank][rows] = REASONS[name](frame[name].iloc[rows]).to_numpy(dtype=object)
    joined = out[0]
    for rank in range(1, top):
        joined = np.where(out[rank] != "", joined + "; " + out[rank], joined)
    return pd.Series(joined, index=frame.index, name="top_reasons")


def score(lake, as_of: str | dt.date, model: RiskModel,
          explain: Collection[int] | None = None) -> pd.DataFrame:
    """Everyone registered and alive at the end of `as_of`: patient_id, practice_code, risk
    (of an emergency admission in the next 12 months, 0 to 1), top_reasons and
    last_year_of_life (flag), highest risk first within each practice.

    `explain`: the patients whose top reasons are written (default: everyone); the others'
    are empty. The build passes the patients its worklists name, the only place the reasons
    are shown: saying them is most of the cost of scoring a million people."""
    frame = features(lake, as_of)
    out = frame[["patient_id", "practice_code"]].copy()
    contributions = model.contributions(frame)
    # the risk is the sum of the contributions and the constant: no second pass over the trees
    logit = contributions.sum(axis=1) + model.constant()
    out["risk"] = 1.0 / (1.0 + np.exp(-logit))
    said = np.full(len(frame), "", dtype=object)
    wanted = (np.ones(len(frame), dtype=bool) if explain is None
              else frame.patient_id.isin(pd.Index(explain)).to_numpy())
    if wanted.any():
        said[wanted] = reasons(frame[wanted], contributions[wanted]).to_numpy()
    out["top_reasons"] = said
    out["last_year_of_life"] = model.last_year_of_life(frame)
    return out.sort_values(["practice_code", "risk"], ascending=[True, False],
                           ignore_index=True)
