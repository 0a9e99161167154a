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

import numpy as np
import pandas as pd

from icsight.model.reference import data_path

__all__ = ["PriorityWeights", "Weights", "add_priority", "load_weights", "read_core20"]

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


#: `_core20_codes`' values as the `core20` column shows them (-1 unknown, 0 no, 1 yes)
_CORE20 = np.array([None, False, True], dtype=object)


def _core20_codes(lake) -> pd.Series:
    """Every patient's CORE20 flag as a small integer, indexed by patient_id: 1 when their
    LSOA is in IMD decile 1-2, 0 when not, -1 when the LSOA is unknown or not in the lookup.
    One query for the whole lake, read once while the lake shares results: every list looks
    its rows up in it (a query per list joined the patients again for each of 17 lists)."""
    def build() -> pd.Series:
        patients = lake.table("patients").select("patient_id", "lsoa_code")
        lsoas = lake.table("lsoas").select("lsoa_code", "imd_decile")
        t = patients.left_join(lsoas, "lsoa_code").select("patient_id", "imd_decile") \
            .to_pandas()
        decile = pd.to_numeric(t["imd_decile"], errors="coerce")
        codes = np.where(decile.isna(), -1, decile <= 2).astype("int8")
        return pd.Series(codes, index=pd.Index(t.patient_id.astype("int64")))

    return lake.shared_result(("worklists: core20",), build)


def read_core20(lake) -> None:
    """Read every patient's CORE20 flag now, while the lake shares results, so that
    `add_priority` later finds it without a query (as `catalogue.find_all`'s second thread
    needs: only one thread uses the lake's connection)."""
    _core20_codes(lake)


def _core20_by_patient(lake, patient_ids: pd.Series) -> list:
    """Each patient's CORE20 flag: True, False, or None when the LSOA is unknown (or the
    patient is not in the lake)."""
    codes = _core20_codes(lake)
    at = codes.index.get_indexer(patient_ids.astype("int64"))
    found = np.where(at >= 0, codes.to_numpy()[at], -1)
    return _CORE20[found + 1].tolist()


def _explain(risk: float, core: bool | None, days: int | None, w: Weights,
             weights: PriorityWeights) -> tuple[float, str]:
    """One row's priority (rounded to 3 places) and its sum written out."""
    known = days is not None
    used = days if known else weights.unknown_days
    part = min(max(used, 0) / weights.full_after_days, 1.0)
    score = risk * w.clinical_risk + (w.core20 if core else 0.0) + part * w.overdue
    deprivation = (f"CORE20 {w.core20:g}" if core else "not CORE20 0" if core is False
                   else "LSOA unknown 0")
    overdue = (f"{used} days overdue" if known else
               f"overdue unknown (taken as {used} days)")
    return round(score, 3), (
        f"risk {risk:.2f} x {w.clinical_risk:g} + {deprivation} + {overdue} / "
        f"{weights.full_after_days} (at most 1) x {w.overdue:g} = {score:.3f}")


def add_priority(lake, list_id: str, rows: pd.DataFrame,
                 weights: PriorityWeights | None = None) -> pd.DataFrame:
    """`rows` with `core20` (True, False, or None for an unknown LSOA), `priority` (rounded
    to 3 places) and `priority_explained` (the sum written out)."""
    weights = weights or load_weights()
    w = weights.for_list(list_id)
    rows = rows.copy()
    rows["core20"] = _core20_by_patient(lake, rows["patient_id"]) if len(rows) else []
    known = rows["days_overdue"].notna().tolist()
    # rows share a few thousand (risk, CORE20, days) combinations: each sum is written out
    # once per combination, not once per row (the same function of the same three values)
    done: dict = {}
    scores, explained = [], []
    for risk, core, days, is_known in zip(rows["clinical_risk"], rows["core20"],
                                          rows["days_overdue"], known, strict=True):
        key = (risk, core, int(days) if is_known else None)
        found = done.get(key)
        if found is None:
            found = done[key] = _explain(*key, w, weights)
        scores.append(found[0])
        explained.append(found[1])
    rows["priority"] = pd.Series(scores, index=rows.index, dtype=float)
    rows["priority_explained"] = pd.Series(explained, index=rows.index, dtype=object)
    return rows
