"""The worklist catalogue: every list by id, every list's rows for every practice, and how far
each list gets a practice towards its indicator's target.

`find_all(lake, as_of)` returns one frame of every list's rows (the shared columns of
`icsight.worklists.definition.ROW_COLUMNS`, plus `list_id`, `steps_to_standard`, `core20`,
`priority` and `priority_explained`), ordered by practice, list and priority.

`shortfall(lake, as_of)` says, per list with an indicator and per practice, how many more
patients must reach the standard for the practice to reach the indicator's target (its
metadata's `target`), and which would get it there fastest. "Fastest" means fewest contacts
first (`steps_to_standard`: a single action such as a BP check or an invitation before a
treatment change that needs a repeat measurement), then highest priority, then the patient id
(so the order is reproducible).
"""

from __future__ import annotations

import datetime as dt
import math
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pandas as pd

from icsight.indicators.catalogue import indicator
from icsight.indicators.periods import as_date
from icsight.worklists import indicator_lists, neighbourhood
from icsight.worklists.definition import OPTIONAL_COLUMNS, ROW_COLUMNS, Worklist
from icsight.worklists.facts import denominator_rows
from icsight.worklists.priority import (
    PriorityWeights,
    add_priority,
    load_weights,
    read_core20,
)

__all__ = ["FASTEST", "LIST_MODULES", "WORKLISTS", "find", "find_all", "practice_counts",
           "shortfall", "worklist"]

#: The modules whose `WORKLISTS` make up the catalogue, in the order pages show them.
LIST_MODULES = (indicator_lists, neighbourhood)

FASTEST = ("fewest contacts to reach the standard first (a single action such as a BP check, "
           "an invitation or a prescription before a treatment change that needs a repeat "
           "reading or blood test), then highest priority, then patient id")


def _catalogue() -> dict[str, Worklist]:
    out: dict[str, Worklist] = {}
    for module in LIST_MODULES:
        for wl in module.WORKLISTS:
            if wl.id in out:
                raise ValueError(f"worklist {wl.id} is defined twice")
            out[wl.id] = wl
    return out


#: Every worklist, by id.
WORKLISTS: dict[str, Worklist] = _catalogue()

COLUMNS = ["list_id", *ROW_COLUMNS, *OPTIONAL_COLUMNS, "core20", "priority",
           "priority_explained"]


def worklist(list_id: str) -> Worklist:
    found = WORKLISTS.get(list_id)
    if found is None:
        raise KeyError(f"no worklist {list_id!r}; one of {', '.join(WORKLISTS)}")
    return found


def find(list_id: str, lake, as_of: str | dt.date,
         weights: PriorityWeights | None = None) -> pd.DataFrame:
    """One list's rows on `as_of` for every practice, with priority, highest first within
    each practice."""
    wl = worklist(list_id)
    with lake.sharing():  # facts two lists share are worked out for both (one cohort)
        rows = wl.find(lake, as_date(as_of))
        return _finish(lake, wl, rows, weights or load_weights(known_lists=set(WORKLISTS)))


def _finish(lake, wl: Worklist, rows: pd.DataFrame, weights: PriorityWeights) -> pd.DataFrame:
    """A list's rows with the optional columns, priority, `list_id` and the catalogue's order.
    Pandas and Python only once the lake shares CORE20 (`read_core20`): `find_all` runs it
    in a thread of its own while the next list's queries run."""
    for column, default in OPTIONAL_COLUMNS.items():
        if column not in rows.columns:
            rows = rows.assign(**{column: default})
    rows = add_priority(lake, wl.id, rows, weights)
    rows.insert(0, "list_id", wl.id)
    extra = [c for c in rows.columns if c not in COLUMNS]
    rows = rows[COLUMNS + extra]
    return rows.sort_values(["practice_code", "priority", "patient_id"],
                            ascending=[True, False, True]).reset_index(drop=True)


def _rest_and_finish(lake, wl: Worklist, rest, weights: PriorityWeights) -> pd.DataFrame:
    return _finish(lake, wl, rest(), weights)


def find_all(lake, as_of: str | dt.date, list_ids: list[str] | None = None,
             weights: PriorityWeights | None = None) -> pd.DataFrame:
    """Every list (or `list_ids`), every practice: one frame (`COLUMNS`, then any list's own
    columns), ordered by practice, list (catalogue order) and priority."""
    weights = weights or load_weights(known_lists=set(WORKLISTS))
    day = as_date(as_of)
    # lists share their inputs (the hypertension cohort feeds three, the eFI ranks five, the
    # registers of multiple long-term conditions are other lists' registers): computed once
    with lake.sharing():
        # DuckDB gives up the GIL while it runs a query, so the rest of each list once its
        # queries are read (`Worklist.start`), its priority and order (pure pandas and
        # Python, `_finish`) are worked out in a second thread while this one runs the next
        # list's queries. Only this thread uses the lake's connection: CORE20 is read first,
        # so `_finish` finds it shared. Frames come back in the order submitted.
        read_core20(lake)
        with ThreadPoolExecutor(max_workers=1) as finishing:
            pending = [finishing.submit(_rest_and_finish, lake, wl, wl.start(lake, day),
                                        weights)
                       for wl in (WORKLISTS[i] for i in (list_ids or list(WORKLISTS)))]
            frames = [done.result() for done in pending]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    order = {i: n for n, i in enumerate(WORKLISTS)}
    out = out.assign(_order=out.list_id.map(order))
    out = out.sort_values(["practice_code", "_order", "priority", "patient_id"],
                          ascending=[True, True, False, True], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def _needed(numerator: int, denominator: int, target: float, lower_is_better: bool) -> int:
    """How many more people must reach the standard for `numerator / denominator` (x 100)
    to reach `target` percent: exact arithmetic, so 80% of 10 needs 8, not 7.999..."""
    goal = Fraction(str(target)) * denominator / 100
    if lower_is_better:  # at most the target: the numerator must fall to floor(goal)
        return max(0, numerator - math.floor(goal))
    return max(0, math.ceil(goal) - numerator)


def practice_counts(lake, as_of: str | dt.date, indicator_id: str) -> pd.DataFrame:
    """An indicator's numerator, denominator and value per practice on `as_of` (practices with
    anyone in its denominator, by code): its patient-level rows (`denominator_rows`, the rows
    its lists start from) counted by practice, as its tidy output's practice breakdown counts
    them, without working out every other breakdown. Proportions only (every list's
    indicator is one)."""
    ind = indicator(indicator_id)
    if ind.method != "proportion":
        raise ValueError(f"{indicator_id}: practice counts are for proportions, not "
                         f"{ind.method}")
    rows = denominator_rows(lake, as_of, indicator_id)
    counts = rows.groupby("practice_code").agg(
        numerator=("numerator", lambda s: int(s.astype("int64").sum())),
        denominator=("numerator", "size")).reset_index()
    counts = counts[counts.denominator > 0]
    x, n = counts.numerator.to_numpy(float), counts.denominator.to_numpy(float)
    return counts.assign(value=ind.multiplier * x / n).sort_values(
        "practice_code").reset_index(drop=True)


def shortfall(lake, as_of: str | dt.date, list_ids: list[str] | None = None,
              rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per list with an indicator and per practice with anyone in its denominator: the
    indicator's numerator, denominator and target, `rows_counting` (the list's rows that count
    towards the target), `needed` (how many more must reach the standard for the practice to
    reach the target; null when the indicator has no target), whether the list holds enough
    (`reachable`) and `fastest`: the patient ids that would get it there fastest (`FASTEST`),
    `needed` of them. `rows` may pass `find_all`'s result to save computing it again (and
    inside `lake.sharing()` the indicators' rows the lists were found from are read again,
    not computed again)."""
    ids = [i for i in (list_ids or list(WORKLISTS)) if WORKLISTS[i].indicator_id]
    out = []
    with lake.sharing():
        if rows is None:
            rows = find_all(lake, as_of, ids)
        for list_id in ids:
            wl = WORKLISTS[list_id]
            ind = indicator(wl.indicator_id)
            practices = practice_counts(lake, as_of, ind.id)
            mine = rows[(rows.list_id == list_id) & rows.counts_towards_target.astype(bool)]
            mine = mine.sort_values(["steps_to_standard", "priority", "patient_id"],
                                    ascending=[True, False, True], kind="stable")
            by_practice = {code: group.patient_id
                           for code, group in mine.groupby("practice_code", sort=False)}
            lower = ind.polarity == "lower is better"
            for p in practices.itertuples(index=False):
                counting = by_practice.get(p.practice_code, pd.Series(dtype="int64"))
                num, den = int(p.numerator), int(p.denominator)
                needed = None if ind.target is None else _needed(num, den, ind.target, lower)
                out.append({
                    "list_id": list_id, "indicator_id": ind.id,
                    "practice_code": p.practice_code, "numerator": num, "denominator": den,
                    "value": p.value, "target": ind.target, "polarity": ind.polarity,
                    "whole_shortfall": wl.whole_shortfall, "rows_counting": len(counting),
                    "needed": needed,
                    "reachable": None if needed is None else len(counting) >= needed,
                    "fastest": [] if needed is None else counting.head(needed).tolist(),
                })
    frame = pd.DataFrame(out, columns=[
        "list_id", "indicator_id", "practice_code", "numerator", "denominator", "value",
        "target", "polarity", "whole_shortfall", "rows_counting", "needed", "reachable",
        "fastest"])
    frame["needed"] = frame["needed"].astype("Int64")
    return frame
