"""What a worklist is: a documented rule for whom a practice should call in, and why.

A worklist is the patient-level side of an indicator. Where the indicator counts the people who
have not met a standard, the worklist names them, one row each, with the reasons and the facts
behind them, so that the list for a practice reconciles with its indicator shortfall.

Rows are keyed by the pseudonymised `patient_id` of the analytics zone. The identifiable
details are added only when a clinician of the patient's own practice or PCN views or exports
the list (`icsight.services.worklists`), through the audited reader of the identifiable zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["COHORTS", "OPTIONAL_COLUMNS", "ROW_COLUMNS", "Worklist", "check_rows"]

#: The groups the lists belong to, in the order pages show them.
COHORTS = {
    "cvd": "Cardiovascular disease prevention",
    "respiratory": "Respiratory",
    "heart_failure": "Heart failure",
    "mental_health": "Mental health and learning disability",
    "screening": "Screening and immunisation",
    "neighbourhood": "Neighbourhood teams",
}

#: The columns every list's `rows` returns, one row per patient (and practice):
#: - `patient_id`, `practice_code`: who, and the practice they are registered with;
#: - `reasons`: why they are on the list, in words a clinician uses ("No blood pressure
#:   recorded in the last 12 months"), several joined by "; ";
#: - `facts`: the facts behind the reasons (dates, values, counts, current medicines) as a
#:   JSON object of short labelled strings, e.g. {"Last BP": "152/94 on 2026-03-02"};
#: - `suggested_action`: what to do next ("Invite for a blood pressure check");
#: - `clinical_risk`: 0 to 1, the list's own measure of how much the call matters clinically;
#: - `days_overdue`: days since the standard was missed (null when it has never been met and
#:   no date says since when);
#: - `counts_towards_target`: True when bringing this patient to the standard raises the
#:   matching indicator's numerator (so the shortfall can be met from these rows).
ROW_COLUMNS = ("patient_id", "practice_code", "reasons", "facts", "suggested_action",
               "clinical_risk", "days_overdue", "counts_towards_target")

#: Columns a list's rows may carry besides ROW_COLUMNS, with the default the catalogue
#: (`icsight.worklists.catalogue`) assumes for a list without them:
#: - `steps_to_standard`: how many contacts it takes to bring the patient to the standard (1: a
#:   single action such as a BP check or an invitation; 2: a treatment change followed by a
#:   repeat measurement or blood result); "fastest" in a list's shortfall means fewest steps
#:   first. Default 1.
OPTIONAL_COLUMNS = {"steps_to_standard": 1}


@dataclass(frozen=True)
class Worklist:
    """One worklist: its definition in words, its source, and the query that finds its rows."""

    id: str  # lower-case words joined by hyphens, used in URLs and file names
    title: str
    description: str  # the rule, for the docs and the page, in a clinician's words
    cohort: str  # one of COHORTS
    source: str  # the published definition it follows
    suggested_action: str
    #: (lake, as_of) -> a DataFrame with ROW_COLUMNS (any further columns are kept as facts),
    #: or a function of no arguments that returns it: the Python and pandas left once the
    #: lake has been read, which must not use the lake (`icsight.worklists.catalogue.find_all`
    #: runs it in a second thread while the next list's queries run)
    rows: Callable[..., pd.DataFrame] = field(repr=False, compare=False)
    #: the indicator whose shortfall this list reconciles with, if any
    indicator_id: str | None = None
    #: why no done/not-done rule exists yet, shown on the page (e.g. no public codelist)
    caveat: str = ""
    #: whether the rows counting towards the target are the indicator's whole shortfall
    #: (False for a list of part of it, e.g. the high-risk people among those not at target:
    #: its shortfall still says how many more the practice needs, from these rows first)
    whole_shortfall: bool = True

    def __post_init__(self) -> None:
        if self.cohort not in COHORTS:
            raise ValueError(f"worklist {self.id}: unknown cohort {self.cohort!r}; "
                             f"one of {', '.join(COHORTS)}")
        if not self.id or self.id != self.id.lower() or " " in self.id:
            raise ValueError(f"worklist {self.id!r}: ids are lower-case words joined by hyphens")

    def find(self, lake, as_of: dt.date) -> pd.DataFrame:
        """This list's rows on `as_of`, checked to have the columns every list shares."""
        return self.start(lake, as_of)()

    def start(self, lake, as_of: dt.date) -> Callable[[], pd.DataFrame]:
        """Read the lake for this list now; returns the rest (no lake read), which gives the
        rows of `find`."""
        found = self.rows(lake, as_of)

        def rest() -> pd.DataFrame:
            rows = found() if callable(found) else found
            check_rows(self.id, rows)
            return rows

        return rest


def check_rows(list_id: str, rows: pd.DataFrame) -> None:
    """Refuse a list whose rows lack a shared column or name a patient twice in a practice."""
    missing = [c for c in ROW_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"worklist {list_id}: rows lack {', '.join(missing)}")
    twice = rows.duplicated(["patient_id", "practice_code"])
    if twice.any():
        raise ValueError(f"worklist {list_id}: {int(twice.sum())} patients listed twice")
