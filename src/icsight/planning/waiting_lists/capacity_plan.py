"""Capacity plans as data: changes to the treatments a week each list gets, from a date.

A plan is a list of changes, each a plain record (a dict, as read from JSON or a form), so a
plan can be stored, compared and signed off like any other scenario parameter:

* `extra_sessions`: `sessions_per_week` more sessions (theatre lists, clinics) at a provider
  for a treatment function, each treating `patients_per_session`;
* `insourcing`: `treatments_per_week` more treatments bought for the list (another team
  treating the provider's patients at its site, or the independent sector);
* `move_activity`: `treatments_per_week` moved from one provider's list to another's for the
  same treatment function (sessions given to the busier site, mutual aid).

Each change runs from `start` (the week containing that date) to `end` (inclusive; default the
end of the simulation). `apply` turns a plan into the capacity of each list in each week and
refuses an impossible plan with a ValueError that names the field and the change: a negative
number, an unknown treatment function or provider, a date outside the simulated weeks, or a
move that would take a list's capacity below zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

KINDS = {
    "extra_sessions": ("treatment_function", "provider_code", "sessions_per_week",
                       "patients_per_session", "start"),
    "insourcing": ("treatment_function", "provider_code", "treatments_per_week", "start"),
    "move_activity": ("treatment_function", "from_provider", "to_provider",
                      "treatments_per_week", "start"),
}
OPTIONAL = ("end", "kind", "note")


@dataclass(frozen=True)
class Change:
    """One change to capacity: a checked record (see the module docstring)."""

    kind: str
    treatment_function: str
    providers: tuple[str, ...]  # the list that gains (and, for a move, the one that loses)
    treatments_per_week: float
    start: dt.date
    end: dt.date | None
    where: str  # "change 2 (insourcing)": for messages


def _date(record: Mapping, name: str, where: str) -> dt.date | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"`{name}` in {where} must be a date 'YYYY-MM-DD' "
                         f"(got {value!r})") from None


def _amount(record: Mapping, name: str, where: str) -> float:
    value = record[name]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"`{name}` in {where} must be a number (got {value!r})")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` in {where} must be a number, zero or more (got {value!r})")
    return float(value)


def _text(record: Mapping, name: str, where: str) -> str:
    value = record[name]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{name}` in {where} must be a code such as 'C_130' (got {value!r})")
    return value


def parse(plan: Sequence[Mapping] | None) -> list[Change]:
    """The changes of a plan, each checked on its own (numbers, dates, known fields)."""
    if plan is None:
        return []
    if isinstance(plan, (Mapping, str, bytes)) or not isinstance(
            plan, Sequence):
        raise ValueError("a capacity plan must be a list of changes (records with a `kind`)")
    changes = []
    for i, record in enumerate(plan, start=1):
        if not isinstance(record, Mapping):
            raise ValueError(f"change {i} of the capacity plan must be a record, "
                             f"not {type(record).__name__}")
        kind = record.get("kind")
        if kind not in KINDS:
            raise ValueError(f"`kind` in change {i} must be one of {', '.join(KINDS)} "
                             f"(got {kind!r})")
        where = f"change {i} ({kind})"
        missing = [f for f in KINDS[kind] if f not in record]
        if missing:
            raise ValueError(f"{where} needs `{missing[0]}`")
        unknown = sorted(set(record) - set(KINDS[kind]) - set(OPTIONAL))
        if unknown:
            raise ValueError(f"{where} has a field it does not use: `{unknown[0]}`")
        function = _text(record, "treatment_function", where)
        if kind == "extra_sessions":
            amount = (_amount(record, "sessions_per_week", where)
                      * _amount(record, "patients_per_session", where))
            providers = (_text(record, "provider_code", where),)
        elif kind == "insourcing":
            amount = _amount(record, "treatments_per_week", where)
            providers = (_text(record, "provider_code", where),)
        else:
            amount = _amount(record, "treatments_per_week", where)
            providers = (_text(record, "to_provider", where),
                         _text(record, "from_provider", where))
            if providers[0] == providers[1]:
                raise ValueError(f"`to_provider` in {where} is its `from_provider` "
                                 f"({providers[0]}): nothing moves")
        start, end = _date(record, "start", where), _date(record, "end", where)
        if start is None:
            raise ValueError(f"`start` in {where} must be a date 'YYYY-MM-DD' (got None)")
        if end is not None and end < start:
            raise ValueError(f"`end` in {where} ({end}) is before its `start` ({start})")
        changes.append(Change(kind, function, providers, amount, start, end, where))
    return changes


def apply(plan: Sequence[Mapping] | None, treatment_function: Sequence[str],
          provider_code: Sequence[str], capacity: np.ndarray, start: dt.date) -> np.ndarray:
    """The planned treatments of each list (rows: `treatment_function` x `provider_code`) in
    each simulated week (columns; week 1 is the 7 days after `start`) with the plan's changes
    added: a new array, `capacity` untouched."""
    changes = parse(plan)
    capacity = np.array(capacity, dtype=float)
    weeks = capacity.shape[1]
    first, last = start + dt.timedelta(days=1), start + dt.timedelta(weeks=weeks)
    row = {(f, p): i for i, (f, p) in enumerate(zip(treatment_function, provider_code,
                                                    strict=True))}
    functions = sorted(set(treatment_function))
    for change in changes:
        rows = []
        names = ("to_provider", "from_provider") if change.kind == "move_activity" else (
            "provider_code",)
        if change.treatment_function not in functions:
            raise ValueError(f"`treatment_function` {change.treatment_function!r} in "
                             f"{change.where} has no list (lists: {', '.join(functions)})")
        for name, provider in zip(names, change.providers, strict=True):
            key = (change.treatment_function, provider)
            if key not in row:
                known = sorted(p for f, p in row if f == change.treatment_function)
                raise ValueError(f"`{name}` {provider!r} in {change.where} has no "
                                 f"{change.treatment_function} list (providers with one: "
                                 f"{', '.join(known)})")
            rows.append(row[key])
        for name, day in (("start", change.start), ("end", change.end)):
            if day is not None and not first <= day <= last:
                raise ValueError(f"`{name}` {day} in {change.where} is outside the simulated "
                                 f"weeks ({first} to {last})")
        begin = (change.start - first).days // 7
        stop = weeks if change.end is None else (change.end - first).days // 7 + 1
        capacity[rows[0], begin:stop] += change.treatments_per_week
        if len(rows) == 2:
            capacity[rows[1], begin:stop] -= change.treatments_per_week
    short = capacity < -1e-9
    if short.any():
        i, w = np.argwhere(short)[0]
        raise ValueError(f"`treatments_per_week` moved away leaves {provider_code[i]}'s "
                         f"{treatment_function[i]} list with {capacity[i, w]:g} treatments in "
                         f"week {w + 1}: a provider cannot give more than it has")
    return np.maximum(capacity, 0.0)
