"""Input checks shared by the waiting-list functions.

NHSRwaitinglist checks its inputs with `check_class`, `check_date`, `check_wl` and
`check_column_exists` (R/utils.R, nhs-r-community/NHSRwaitinglist, MIT). These are their
Python equivalents. Every failure is a `ValueError` whose message starts with the argument's
name in backticks, as the R messages do, so a planner can tell which input was wrong:

* R's "`x` must be of class <numeric>" (a string, a logical, a data frame where a number was
  wanted) becomes "`x` must be a number or an array of numbers". Python's `bool` is refused
  too, as R refuses `TRUE`: a flag passed as a demand is a mistake, not the number 1.
* R NA (`None` here) in a formula's input is refused: R would quietly return NA, which a table
  of 40 providers would then show as a blank. NaN inside a numpy array is allowed and passes
  through (it is how a list with no removals says "capacity unknown").
* Negative rates, sizes and waits are refused (R accepts them and returns nonsense).
* Dates must be ISO `YYYY-MM-DD` strings or date objects. R's `as.Date(x, "%Y-%m-%d")` reads
  "28-02-2000" as the year 28; a strict ISO parser refuses it, which is deliberate.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

Number = float | int | np.ndarray | Sequence[float]


def numbers(name: str, value, *, positive: bool = False, allow_nan: bool = True) -> np.ndarray:
    """`value` as a float array; a ValueError naming `name` if it is not numbers, or negative
    (or zero when `positive`)."""
    if value is None:
        raise ValueError(f"`{name}` is missing (None): give a number")
    if isinstance(value, (bool, np.bool_, str, bytes, dict, pd.DataFrame)):
        raise ValueError(f"`{name}` must be a number or an array of numbers, "
                         f"not {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object and arr.size and any(v is None for v in arr.ravel()):
        raise ValueError(f"`{name}` has a missing value (None): give a number for every row")
    if arr.dtype.kind not in "iuf" and not (arr.size == 0 and arr.dtype.kind in "O"):
        raise ValueError(f"`{name}` must be a number or an array of numbers, "
                         f"not {type(value).__name__} of {arr.dtype}")
    arr = arr.astype(float)
    if not allow_nan and np.isnan(arr).any():
        raise ValueError(f"`{name}` has a missing value (NaN)")
    with np.errstate(invalid="ignore"):
        if positive and (arr <= 0).any():
            raise ValueError(f"`{name}` must be greater than zero (got {_first(arr, arr <= 0)})")
        if (arr < 0).any():
            raise ValueError(f"`{name}` must not be negative (got {_first(arr, arr < 0)})")
    return arr


def _first(arr: np.ndarray, bad: np.ndarray) -> float:
    return float(arr[bad].ravel()[0])


def scalar_or_array(result: np.ndarray):
    """A 0-d result as a Python float (a scalar in, a scalar out, as R's length-1 vectors)."""
    return float(result) if np.ndim(result) == 0 else result


def one_date(name: str, value, *, allow_none: bool = False) -> np.datetime64 | None:
    """A date argument as numpy datetime64[D]."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"`{name}` is missing (None): give a date 'YYYY-MM-DD'")
    got = dates(name, [value]) if _is_date_like(value) else None
    if got is None:
        raise ValueError(f"`{name}` must be a date or a 'YYYY-MM-DD' string, "
                         f"not {type(value).__name__}")
    return got[0]


def _is_date_like(value) -> bool:
    return isinstance(value, (str, dt.date, np.datetime64, pd.Timestamp))


def dates(name: str, values) -> np.ndarray:
    """A sequence of dates (ISO strings, date objects, datetime64) as datetime64[D]; a
    ValueError naming `name` for anything else or an unparseable string."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    if _is_date_like(values):
        values = [values]
    if isinstance(values, (bool, int, float, dict, pd.DataFrame)) or not isinstance(
            values, (Sequence, np.ndarray)):
        raise ValueError(f"`{name}` must be a date or a 'YYYY-MM-DD' string, "
                         f"not {type(values).__name__}")
    out = np.empty(len(values), dtype="datetime64[D]")
    for i, v in enumerate(values):
        if isinstance(v, str):
            try:
                # fromisoformat alone would take '20000101' and week dates: ask for the form
                if len(v) != 10 or v[4] != "-" or v[7] != "-":
                    raise ValueError
                out[i] = np.datetime64(dt.date.fromisoformat(v), "D")
            except ValueError:
                raise ValueError(f"`{name}` must be in an unambiguous date format, e.g. "
                                 f"'YYYY-MM-DD' (got {v!r})") from None
        elif isinstance(v, (dt.date, np.datetime64, pd.Timestamp)) and not pd.isna(v):
            out[i] = np.datetime64(v, "D")
        else:
            raise ValueError(f"`{name}` must be a date or a 'YYYY-MM-DD' string, "
                             f"not {type(v).__name__}")
    return out


def date_column(name: str, series: pd.Series) -> np.ndarray:
    """A waiting list's date column as datetime64[D] with NaT for R's NA (an open pathway)."""
    if series.dtype.kind == "M":
        return series.to_numpy().astype("datetime64[D]")
    out = np.full(len(series), np.datetime64("NaT"), dtype="datetime64[D]")
    for i, v in enumerate(series.to_numpy()):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        out[i] = dates(name, [v])[0]
    return out


_GUESSES = {"referral": ("referral", "Referral", 0), "removal": ("removal", "Removal", 1),
            "withdrawal": ("withdrawal", "Withdrawal", 2), "target": ("target", "Target_wait")}


def column_index(columns: Sequence[str], colname: str | None = None,
                 kind: str | None = None) -> int | None:
    """The 0-based position of a waiting list's column (NHSRwaitinglist `calc_index`).

    `colname` wins when given (None if there is no such column: R returns an empty index).
    Otherwise the column is guessed from `kind`: its lower-case name, its capitalised name,
    then its usual position (referral 0, removal 1, withdrawal 2). No `kind` gives 0; an
    unknown `kind` warns and gives 0, as R does.
    """
    columns = list(columns)
    if colname is not None:
        return columns.index(colname) if colname in columns else None
    if kind is None:
        return 0
    if kind not in _GUESSES:
        warnings.warn(f"Waiting list index not found for kind {kind!r}: using column 0",
                      stacklevel=2)
        return 0
    for guess in _GUESSES[kind]:
        if isinstance(guess, int):
            return guess
        if guess in columns:
            return columns.index(guess)
    return None


def column(waiting_list: pd.DataFrame, name: str, index) -> str:
    """The name of the column `index` picks: a column name, a 0-based position, or a boolean
    mask with one True (R's three index forms)."""
    if isinstance(index, (bool, np.bool_)) or index is None or isinstance(
            index, (dt.date, np.datetime64, float)):
        raise ValueError(f"`{name}` must be a column name, a 0-based position or a boolean "
                         f"mask, not {type(index).__name__}")
    cols = list(waiting_list.columns)
    if isinstance(index, str):
        if index in cols:
            return index
    elif isinstance(index, (int, np.integer)):
        if 0 <= index < len(cols):
            return cols[int(index)]
    elif isinstance(index, Sequence) and all(isinstance(b, (bool, np.bool_)) for b in index):
        if len(index) == len(cols) and sum(index) == 1:
            return cols[list(index).index(True)]
    else:
        raise ValueError(f"`{name}` must be a column name, a 0-based position or a boolean "
                         f"mask, not {type(index).__name__}")
    raise ValueError(f"`{name}` not found in `waiting_list` (got {index!r}; columns: "
                     f"{', '.join(map(str, cols))})")


def waiting_list_frame(name: str, waiting_list, *, allow_empty: bool = False) -> pd.DataFrame:
    """`waiting_list` must be a DataFrame with rows (R `check_wl`)."""
    if not isinstance(waiting_list, pd.DataFrame):
        raise ValueError(f"`{name}` must be a pandas DataFrame of (referral, removal) rows, "
                         f"not {type(waiting_list).__name__}")
    if len(waiting_list) == 0 and not allow_empty:
        raise ValueError(f"`{name}` has 0 rows of data")
    return waiting_list


def referral_removal(waiting_list: pd.DataFrame, referral, removal, *,
                     name: str = "waiting_list") -> tuple[np.ndarray, np.ndarray]:
    """The referral and removal dates of a waiting list as datetime64[D] (NaT: still
    waiting); a ValueError for a missing referral or a removal before its referral."""
    ref_col = column(waiting_list, "referral_index", referral)
    rem_col = column(waiting_list, "removal_index", removal)
    ref = date_column(ref_col, waiting_list[ref_col])
    rem = date_column(rem_col, waiting_list[rem_col])
    missing = np.isnat(ref)
    if missing.any():
        raise ValueError(f"`{name}` has {int(missing.sum())} rows with no referral date "
                         f"(first: row {int(np.flatnonzero(missing)[0])})")
    early = ~np.isnat(rem) & (rem < ref)
    if early.any():
        i = int(np.flatnonzero(early)[0])
        raise ValueError(f"`{name}` has {int(early.sum())} rows removed before they were "
                         f"referred (first: row {i}, referred {ref[i]}, removed {rem[i]})")
    return ref, rem
