"""Worklists in the results store: every list for every practice, found at each build.

    <run id>/
      worklists.parquet           one row per patient, list and practice: the shared columns
                                  of `icsight.worklists.definition`, priority and its
                                  explanation, and `fastest_order` (1, 2, ... for the patients
                                  who would get the practice to target fastest)
      worklist_summary.parquet    one row per list and practice: patients on the list, and for
                                  a list with an indicator its numerator, denominator, target,
                                  and how many more must reach the standard (`needed`)

Worklists are for the direct care of the practice's own patients, so they are found on the
direct-care view of the lake, whatever purpose the rest of the build serves: the national
data opt-out does not apply to direct care (NHS England, National Data Opt-out Operational
Policy Guidance). Their shortfall is computed by the same rule on the same view, so a list
and its shortfall always reconcile. Patients are named only by the pseudonymised id.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd

from icsight.governance.purpose import Purpose
from icsight.worklists.catalogue import FASTEST, WORKLISTS, find_all, shortfall

__all__ = ["SUMMARY_COLUMNS", "direct_care_view", "lists_for", "write_worklists"]

#: Rows per Parquet row group: rows come practice by practice, so one practice's page reads
#: the few groups that can hold it.
ROW_GROUP = 4096
SUMMARY_COLUMNS = ["list_id", "practice_code", "patients", "indicator_id", "numerator",
                   "denominator", "value", "target", "needed", "rows_counting",
                   "fastest_rule"]


def direct_care_view(lake):
    """The same lake, on the same engine, as direct care sees it (nobody left out)."""
    if lake.purpose in (Purpose.DIRECT_CARE, Purpose.ALL):
        return lake
    return lake.for_purpose(Purpose.DIRECT_CARE)


def lists_for(indicator_ids: list[str] | None) -> list[str]:
    """The lists a build makes: every list for the whole catalogue; for a build of some
    indicators (`--id`), the lists of those indicators only."""
    if not indicator_ids:
        return list(WORKLISTS)
    return [i for i, w in WORKLISTS.items() if w.indicator_id in set(indicator_ids)]


def write_worklists(lake, as_of: dt.date, folder: Path,
                    list_ids: list[str] | None = None) -> dict:
    """Find every list (or `list_ids`) on `as_of` and write the run's two worklist tables
    into `folder`; returns what the provenance says of them."""
    started = time.perf_counter()
    list_ids = list(WORKLISTS) if list_ids is None else list_ids
    care = direct_care_view(lake)
    # one sharing block for both: the shortfall counts the indicators' rows the lists were
    # found from, not a second computation of them
    with care.sharing():
        rows = find_all(care, as_of, list_ids) if list_ids else _no_rows()
        short = shortfall(care, as_of, list_ids, rows=rows) if list_ids else pd.DataFrame(
            columns=["list_id", "practice_code", "indicator_id", "numerator", "denominator",
                     "value", "target", "needed", "rows_counting", "fastest"])
    rows = _with_fastest_order(rows, short)
    summary = _summary(rows, short, care, list_ids)
    rows.sort_values(["practice_code", "list_id", "priority"], ascending=[True, True, False],
                     kind="stable").to_parquet(folder / "worklists.parquet",
                                               row_group_size=ROW_GROUP, index=False)
    summary.to_parquet(folder / "worklist_summary.parquet", index=False)
    return {"as_of": as_of.isoformat(), "purpose": Purpose.DIRECT_CARE.value,
            "lists": list_ids, "rows": len(rows),
            "table": "worklists.parquet", "summary": "worklist_summary.parquet",
            "seconds": round(time.perf_counter() - started, 1)}


def _with_fastest_order(rows: pd.DataFrame, short: pd.DataFrame) -> pd.DataFrame:
    """`rows` with `fastest_order`: each practice's fastest patients numbered 1, 2, ..."""
    # one row per (list, practice, fastest patient), numbered in the fastest order, then
    # looked up for every row at once (a Python dict lookup per row cost most of a second)
    order = short[["list_id", "practice_code", "fastest"]].explode("fastest").dropna(
        subset=["fastest"])
    order = pd.DataFrame({
        "list_id": order.list_id.to_numpy(), "practice_code": order.practice_code.to_numpy(),
        "patient_id": order.fastest.to_numpy().astype("int64"),
        "fastest_order": order.groupby(["list_id", "practice_code"], sort=False).cumcount()
        .to_numpy() + 1})
    found = rows[["list_id", "practice_code", "patient_id"]].astype(
        {"patient_id": "int64"}).merge(order, how="left",
                                       on=["list_id", "practice_code", "patient_id"])
    rows = rows.copy()
    rows["fastest_order"] = pd.array(found.fastest_order.to_numpy(), dtype="Int64")
    return rows


def _no_rows() -> pd.DataFrame:
    from icsight.worklists.catalogue import COLUMNS

    return pd.DataFrame(columns=COLUMNS)


def _summary(rows: pd.DataFrame, short: pd.DataFrame, lake,
             list_ids: list[str]) -> pd.DataFrame:
    """One row per list and practice (every practice, so an empty list says 0)."""
    practices = sorted(lake.raw_table("practices").select("practice_code").to_pandas()
                       .practice_code.dropna())
    grid = pd.MultiIndex.from_product([list_ids, practices],
                                      names=["list_id", "practice_code"]).to_frame(index=False)
    counts = rows.groupby(["list_id", "practice_code"]).size().rename("patients").reset_index()
    out = grid.merge(counts, how="left", on=["list_id", "practice_code"])
    out["patients"] = out.patients.fillna(0).astype("int64")
    keep = ["list_id", "practice_code", "indicator_id", "numerator", "denominator", "value",
            "target", "needed", "rows_counting"]
    out = out.merge(short[keep], how="left", on=["list_id", "practice_code"])
    out["indicator_id"] = out.list_id.map({i: w.indicator_id for i, w in WORKLISTS.items()})
    out["fastest_rule"] = [FASTEST if pd.notna(n) else None for n in out.needed]
    return out[SUMMARY_COLUMNS]
