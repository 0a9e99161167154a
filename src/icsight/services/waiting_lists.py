"""Waiting lists: each treatment function's list at each provider, from the results store
(`icsight.results.waiting_lists`), and a what-if that simulates one list again with a
capacity change.

Figures are aggregates: everyone sees the published tables (small counts withheld, the rest
rounded to 5); analysts see the exact ones, as for the indicators (`aggregates.suppressed` /
`aggregates.unsuppressed`). A what-if's trajectories are published by the same rule as the
build's.

A what-if re-simulates one list from the inputs the build kept (the list by clinical
priority and week waited, referrals, capacity, removals), never from the lake: it is 20 runs
of one list for a year, seeded, so it takes a fraction of a second and the same request gives
the same answer. The baseline it is compared with is simulated with the same runs and seed
(common random numbers), so the difference is the plan's, not chance's.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from icsight.governance.access import Principal
from icsight.planning.waiting_lists import capacity_plan, weekly
from icsight.planning.waiting_lists.expected_wait import ANY_PRIORITY, expected_wait
from icsight.results.waiting_lists import (
    FILES,
    INPUTS,
    TRAJECTORY_MEASURES,
    keep_measures,
    lists_from_inputs,
    publish_trajectories,
    publish_waits,
)
from icsight.services._json import records
from icsight.services._results import BuildTables
from icsight.services.errors import NotFoundError

__all__ = ["MAX_EXTRA_PERCENT", "MAX_INSOURCING", "PROVIDER_NAMES", "TREATMENT_FUNCTIONS",
           "WHAT_IF_RUNS", "WaitingListService", "WhatIfError", "headline", "list_name"]

#: NHS Data Dictionary treatment function codes (the lake's) -> the name a clinician uses.
TREATMENT_FUNCTIONS = {
    "100": "General surgery", "101": "Urology", "110": "Trauma and orthopaedics",
    "120": "Ear, nose and throat (ENT)", "130": "Ophthalmology", "140": "Oral surgery",
    "300": "General internal medicine", "301": "Gastroenterology", "320": "Cardiology",
    "330": "Dermatology", "340": "Respiratory medicine", "400": "Neurology",
    "410": "Rheumatology", "420": "Paediatrics", "502": "Gynaecology",
}
#: ODS codes of the trusts BLMK's residents are referred to most -> their names.
PROVIDER_NAMES = {
    "RC9": "Bedfordshire Hospitals NHS Foundation Trust",
    "RD8": "Milton Keynes University Hospital NHS Foundation Trust",
    "RWH": "East and North Hertfordshire NHS Trust",
    "RGT": "Cambridge University Hospitals NHS Foundation Trust",
}
#: Runs of a what-if: enough for p10 and p90 to settle, few enough to answer at once.
WHAT_IF_RUNS = 20
WHAT_IF_SEED = 1
#: The largest changes a what-if takes: triple today's sessions, 1,000 more treatments a week.
MAX_EXTRA_PERCENT = 200.0
MAX_INSOURCING = 1000.0


class WhatIfError(ValueError):
    """A capacity change that cannot be simulated as asked: `field` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def list_name(treatment_function: str, provider_code: str) -> str:
    """"Trauma and orthopaedics at Bedfordshire Hospitals NHS Foundation Trust"."""
    function = TREATMENT_FUNCTIONS.get(treatment_function,
                                       f"Treatment function {treatment_function}")
    return f"{function} at {PROVIDER_NAMES.get(provider_code, provider_code)}"


def _names(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.insert(1, "treatment_function_name",
               [TREATMENT_FUNCTIONS.get(f, "") for f in out.treatment_function])
    out.insert(3, "provider_name", [PROVIDER_NAMES.get(p, "") for p in out.provider_code])
    return out


@functools.lru_cache(maxsize=32)
def _table(run: Path, name: str, exact: bool) -> pd.DataFrame:
    """One waiting-list table of a run (a run is never rewritten: kept per folder)."""
    path = run / FILES[name][0 if exact else 1]
    if not path.is_file():
        raise NotFoundError("the latest build has no waiting lists; build again with a lake "
                            "that has referral-to-treatment pathways")
    return pd.read_parquet(path)


class WaitingListService(BuildTables):
    """The latest build's waiting lists, served to principals."""

    def build(self) -> dict:
        """What the build said of its waiting lists (as of, runs, seed, plan, referrals)."""
        return self._provenance("waiting_lists")

    # --- tables ----------------------------------------------------------------------------
    def queues(self, who: Principal, published: bool = False) -> list[dict]:
        """Each list on the build's last day: its size, within 18 weeks, 52 weeks or more,
        mean wait, weekly referrals and treatments, load and pressure (published below
        analyst; analysts also get the queue formulas' targets)."""
        exact = self._exact(who, "waiting lists", published)
        return records(_names(_table(self._run(), "queues", exact)))

    def trajectories(self, who: Principal, treatment_function: str | None = None,
                     provider_code: str | None = None,
                     measure: str | None = None, published: bool = False,
                     last_week: bool = False) -> list[dict]:
        """The baseline plan's weekly p10 / p50 / p90 over runs, per list and measure (of
        the last simulated week only, with `last_week`)."""
        exact = self._exact(who, "waiting list trajectories", published)
        frame = _table(self._run(), "trajectories", exact)
        if last_week:
            frame = frame[frame.week == frame.week.max()]
        if measure is not None and measure not in TRAJECTORY_MEASURES:
            raise NotFoundError(f"no measure {measure!r}; one of "
                                f"{', '.join(TRAJECTORY_MEASURES)}")
        return records(_names(_filter(frame, treatment_function, provider_code, measure)))

    def expected_waits(self, who: Principal, treatment_function: str | None = None,
                       provider_code: str | None = None) -> list[dict]:
        """The median and 92nd-percentile wait in whole weeks of a patient referred now, by
        clinical priority and for a priority not yet known (`any`)."""
        exact = self._exact(who, "expected waits")
        frame = _table(self._run(), "expected_waits", exact)
        return records(_names(_filter(frame, treatment_function, provider_code)))

    def waiting_list(self, who: Principal, treatment_function: str,
                     provider_code: str) -> dict:
        """One list: its queue row, trajectories and expected waits (NotFoundError for a
        list the build does not have)."""
        exact = self._exact(who, f"waiting list {treatment_function} {provider_code}")
        run = self._run()
        queue = _filter(_table(run, "queues", exact), treatment_function, provider_code)
        if queue.empty:
            raise NotFoundError(f"no waiting list for treatment function "
                                f"{treatment_function!r} at provider {provider_code!r}")
        return {"name": list_name(treatment_function, provider_code),
                "treatment_function": treatment_function, "provider_code": provider_code,
                "exact": exact, "build": self.build(),
                "queue": records(queue)[0],
                "trajectories": records(_filter(_table(run, "trajectories", exact),
                                                treatment_function, provider_code)),
                "expected_waits": records(_filter(_table(run, "expected_waits", exact),
                                                  treatment_function, provider_code))}

    # --- what if ---------------------------------------------------------------------------
    def what_if(self, who: Principal, treatment_function: str, provider_code: str,
                extra_sessions_percent: float = 0.0, start: str | dt.date | None = None,
                insourcing_per_week: float = 0.0) -> dict:
        """One list simulated again for the build's weeks with `extra_sessions_percent` more
        of today's sessions (treatments a week) and `insourcing_per_week` more treatments
        bought in, both from `start` (default: the first simulated week), beside the
        baseline with the same runs and seed. WhatIfError names the input a plan that
        cannot be simulated got wrong."""
        exact = self._exact(who, f"waiting list what-if {treatment_function} {provider_code}")
        run = self._run()
        path = run / INPUTS
        if not path.is_file():
            raise NotFoundError("the latest build has no waiting lists; build again with a "
                                "lake that has referral-to-treatment pathways")
        keys = _keys(path)
        try:
            row = keys.index((treatment_function, provider_code))
        except ValueError:
            raise NotFoundError(f"no waiting list for treatment function "
                                f"{treatment_function!r} at provider {provider_code!r}"
                                ) from None
        lists = lists_from_inputs(path, [row])
        plan = _plan(lists, extra_sessions_percent, start, insourcing_per_week)
        planned = capacity_plan.apply(plan, lists.treatment_function, lists.provider_code,
                                      lists.capacity, lists.start)
        changed = weekly.Lists(lists.treatment_function, lists.provider_code, lists.start,
                               lists.waiting, lists.referrals, planned, lists.removal_rate,
                               lists.priority_shares, lists.unavailable_share)
        out = {"treatment_function": treatment_function, "provider_code": provider_code,
               "name": list_name(treatment_function, provider_code), "exact": exact,
               "runs": WHAT_IF_RUNS, "seed": WHAT_IF_SEED, "plan": plan,
               "baseline_treatments_per_week": round(float(lists.capacity[0, 0]), 2),
               "planned_treatments_per_week": round(float(planned[0, -1]), 2)}
        for name, inputs in (("baseline", lists), ("what_if", changed)):
            simulation = weekly.simulate(inputs, runs=WHAT_IF_RUNS, seed=WHAT_IF_SEED)
            summary = keep_measures(simulation.summary())
            waits = expected_wait(simulation)
            if not exact:
                summary, waits = publish_trajectories(summary), publish_waits(waits)
            out[name] = {"trajectories": records(summary), "expected_waits": records(waits)}
        return out


def _filter(frame: pd.DataFrame, treatment_function: str | None, provider_code: str | None,
            measure: str | None = None) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if treatment_function is not None:
        keep &= frame.treatment_function == treatment_function
    if provider_code is not None:
        keep &= frame.provider_code == provider_code
    if measure is not None:
        keep &= frame.measure == measure
    return frame[keep].reset_index(drop=True)


@functools.lru_cache(maxsize=8)
def _keys(path: Path) -> list[tuple[str, str]]:
    with np.load(path, allow_pickle=False) as saved:
        return list(zip((str(f) for f in saved["treatment_function"]),
                        (str(p) for p in saved["provider_code"]), strict=True))


def _shown(value: object) -> str:
    """`value` as a message quotes it: at most 40 characters of what was typed."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(field: str, value: object, most: float) -> float:
    if isinstance(value, bool):
        raise WhatIfError(field, f"`{field}` must be a number (got {_shown(value)})")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise WhatIfError(field, f"`{field}` must be a number (got {_shown(value)})"
                          ) from None
    if not math.isfinite(number) or number < 0 or number > most:
        raise WhatIfError(field, f"`{field}` must be from 0 to {most:,.0f} (got {_shown(value)})")
    return number


def _plan(lists: weekly.Lists, extra_percent: object, start: object,
          insourcing: object) -> list[dict]:
    """The capacity plan a what-if asks for, checked field by field (the names are the
    request's, so the message says what to change)."""
    extra = _number("extra_sessions_percent", extra_percent, MAX_EXTRA_PERCENT)
    bought = _number("insourcing_per_week", insourcing, MAX_INSOURCING)
    first = lists.start + dt.timedelta(days=1)
    last = lists.start + dt.timedelta(weeks=lists.weeks)
    if start is None or start == "":
        day = first
    elif isinstance(start, dt.date):
        day = start
    else:
        try:
            day = dt.date.fromisoformat(str(start))
        except ValueError:
            raise WhatIfError("start", f"`start` must be a date 'YYYY-MM-DD' (got {_shown(start)})"
                              ) from None
    if not first <= day <= last:
        raise WhatIfError("start", f"`start` {day} is outside the simulated weeks ({first} to "
                                   f"{last})")
    f, p = lists.treatment_function[0], lists.provider_code[0]
    today = float(lists.capacity[0, 0])
    if extra > 0 and today <= 0:
        raise WhatIfError("extra_sessions_percent",
                          f"`extra_sessions_percent`: {list_name(f, p)} treats nobody a week "
                          "now, so more of its sessions treat nobody either; give "
                          "`insourcing_per_week` instead")
    plan = []
    if extra > 0:
        # "x% more sessions": x% of today's treatments a week, one patient a slot
        plan.append({"kind": "extra_sessions", "treatment_function": f, "provider_code": p,
                     "sessions_per_week": round(today * extra / 100, 6),
                     "patients_per_session": 1, "start": day.isoformat(),
                     "note": f"{extra:g}% more sessions"})
    if bought > 0:
        plan.append({"kind": "insourcing", "treatment_function": f, "provider_code": p,
                     "treatments_per_week": bought, "start": day.isoformat()})
    return plan


def headline(waits: list[dict]) -> dict | None:
    """The `any` priority's row of a list's expected waits: what a patient whose priority is
    not yet known should expect."""
    return next((w for w in waits if w.get("priority") == ANY_PRIORITY), None)
