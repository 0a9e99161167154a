"""A worklist row's priority: clinical risk, deprivation (CORE20) and time overdue, weighed by
weights kept as data (`src/icsight/data/worklists/priority.toml`, its schema in its comments),
with the sum written out on every row so a clinician can see why one patient comes first.

    priority = clinical_risk x w_risk + (CORE20 ? w_core20 : 0)
               + min(days overdue / full_after_days, 1) x w_overdue

CORE20 is the patient's LSOA in IMD 2019 decile 1 or 2 (the most deprived fifth of England,
NHS England's CORE20PLUS5); a patient with no LSOA (or one outside the lookup) gets no
deprivation weight, and the explanation says so.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from icsight.model.reference import data_path

__all__ = ["PriorityWeights", "Weights", "add_priority", "load_weights"]

SCHEMA_VERSION = 1
WEIGHT_KEYS = ("clinical_risk", "core20", "overdue")


@dataclass(frozen=True)
class Weights:
    """The weights of one score."""

    clinical_risk: float
    core20: float
    overdue: float


@dataclass(frozen=True)
class PriorityWeights:
    """The loaded, validated priority file."""

    default: Weights
    full_after_days: int
    unknown_days: int
    lists: dict[str, Weights] = field(default_factory=dict)

    def for_list(self, list_id: str) -> Weights:
        return self.lists.get(list_id, self.default)


def _weights(table: object, where: str) -> Weights:
    if not isinstance(table, dict):
        raise ValueError(f"{where}: a table of {', '.join(WEIGHT_KEYS)}")
    unknown = set(table) - set(WEIGHT_KEYS)
    missing = set(WEIGHT_KEYS) - set(table)
    if unknown or missing:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
    for key in WEIGHT_KEYS:
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value >= 0):
            raise ValueError(f"{where}.{key}: a number 0 or more, not {value!r}")
    if not any(table[k] for k in WEIGHT_KEYS):
        raise ValueError(f"{where}: at least one weight must be above 0")
    return Weights(*(float(table[k]) for k in WEIGHT_KEYS))


def _whole(value: object, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: a whole number {minimum} or more, not {value!r}")
    return value


def load_weights(path: str | Path | None = None, known_lists: set[str] | None = None
                 ) -> PriorityWeights:
    """Read and check a priority file (the packaged one by default): refuses unknown keys,
    missing keys, negative or non-numeric weights, all-zero weights, and (given
    `known_lists`) weights for a list that does not exist."""
    if path is None:
        with data_path("worklists", "priority.toml").open("rb") as f:
            raw = tomllib.load(f)
    else:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    unknown = set(raw) - {"schema_version", "weights", "overdue", "lists"}
    if unknown:
        raise ValueError(f"priority file: unknown keys {sorted(unknown)}")
    if raw.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"priority file: schema_version must be {SCHEMA_VERSION}")
    overdue = raw.get("overdue")
    if not isinstance(overdue, dict) or set(overdue) != {"full_after_days", "unknown_days"}:
        raise ValueError("priority file: [overdue] needs full_after_days and unknown_days only")
    lists = raw.get("lists", {})
    if not isinstance(lists, dict):
        raise ValueError("priority file: [lists] is a table of list ids")
    if known_lists is not None and set(lists) - known_lists:
        raise ValueError(f"priority file: no such lists {sorted(set(lists) - known_lists)}")
    return PriorityWeights(
        default=_weights(raw.get("weights"), "weights"),
        full_after_days=_whole(overdue["full_after_days"], "overdue.full_after_days", 1),
        unknown_days=_whole(overdue["unknown_days"], "overdue.unknown_days", 0),
        lists={k: _weights(v, f"lists.{k}") for k, v in lists.items()})


def _core20_by_patient(lake, patient_ids: pd.Series) -> dict:
    """{patient_id: True/False/None}: whether each patient's LSOA is in IMD decile 1-2 (None
    when the LSOA is unknown or not in the lookup)."""
    import ibis

    ids = ibis.memtable(pd.DataFrame({"patient_id": patient_ids.astype("int64").unique()}))
    patients = lake.table("patients").select("patient_id", "lsoa_code")
    lsoas = lake.table("lsoas").select("lsoa_code", "imd_decile")
    t = patients.join(ids, "patient_id").left_join(lsoas, "lsoa_code").to_pandas()
    decile = pd.to_numeric(t["imd_decile"], errors="coerce")
    flags = [None if pd.isna(d) else bool(d <= 2) for d in decile]
    return dict(zip(t.patient_id, flags, strict=True))


def add_priority(lake, list_id: str, rows: pd.DataFrame,
                 weights: PriorityWeights | None = None) -> pd.DataFrame:
    """`rows` with `core20` (True, False, or None for an unknown LSOA), `priority` (rounded
    to 3 places) and `priority_explained` (the sum written out)."""
    weights = weights or load_weights()
    w = weights.for_list(list_id)
    rows = rows.copy()
    core20 = _core20_by_patient(lake, rows["patient_id"]) if len(rows) else {}
    rows["core20"] = [core20.get(p) for p in rows["patient_id"]]
    scores, explained = [], []
    for risk, core, days in zip(rows["clinical_risk"], rows["core20"], rows["days_overdue"],
                                strict=True):
        known = days is not None and not pd.isna(days)
        used = int(days) if known else weights.unknown_days
        part = min(max(used, 0) / weights.full_after_days, 1.0)
        score = risk * w.clinical_risk + (w.core20 if core else 0.0) + part * w.overdue
        deprivation = (f"CORE20 {w.core20:g}" if core else "not CORE20 0" if core is False
                       else "LSOA unknown 0")
        overdue = (f"{used} days overdue" if known else
                   f"overdue unknown (taken as {used} days)")
        explained.append(
            f"risk {risk:.2f} x {w.clinical_risk:g} + {deprivation} + {overdue} / "
            f"{weights.full_after_days} (at most 1) x {w.overdue:g} = {score:.3f}")
        scores.append(round(score, 3))
    rows["priority"] = pd.Series(scores, index=rows.index, dtype=float)
    rows["priority_explained"] = pd.Series(explained, index=rows.index, dtype=object)
    return rows
