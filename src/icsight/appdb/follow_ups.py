"""Follow-ups: what a practice did about each person on a worklist, kept across rebuilds.

A clinician records an outcome for a row (invited, booked, declined, not appropriate) with
the day it happened. Each is a new row of `follow_ups`, never changed or deleted: the list
shows the latest for each patient, the history says who recorded what and when. Rows are
found again by practice, list and pseudonymised patient id, so a rebuild of the results,
which finds the same people again, keeps them. Who may record one is the services' business
(`icsight.services.worklists`); this module reads and writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select

from icsight.appdb.database import Database
from icsight.appdb.models import FollowUp

__all__ = ["OUTCOMES", "Outcome", "latest_outcomes", "outcome_history", "record_outcome"]

#: The outcomes a clinician can record, as stored -> as shown.
OUTCOMES = {
    "invited": "Invited",
    "booked": "Booked",
    "declined": "Declined",
    "not_appropriate": "Not appropriate",
}


@dataclass(frozen=True)
class Outcome:
    """One recorded outcome for one patient on one list."""

    patient_id: int
    outcome: str
    outcome_date: dt.date
    recorded_by: str
    recorded_at: dt.datetime | None

    @property
    def label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


def record_outcome(database: Database, practice_code: str, list_id: str, patient_id: int,
                   outcome: str, outcome_date: dt.date, recorded_by: str) -> None:
    """Add an outcome for `patient_id` on `list_id` at `practice_code`."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
    with database.writing() as connection:
        connection.execute(insert(FollowUp).values(
            practice_code=practice_code, list_id=list_id, patient_id=int(patient_id),
            outcome=outcome, outcome_date=outcome_date, recorded_by=recorded_by))


def latest_outcomes(database: Database, practice_code: str,
                    list_id: str | None = None) -> dict[tuple[str, int], Outcome]:
    """The latest outcome of each (list, patient) at a practice (of one list if given): the
    one recorded last, whatever day it names, since a correction is recorded after the
    mistake it corrects."""
    newest = (select(FollowUp.list_id, FollowUp.patient_id, func.max(FollowUp.id).label("id"))
              .where(FollowUp.practice_code == practice_code))
    if list_id is not None:
        newest = newest.where(FollowUp.list_id == list_id)
    newest = newest.group_by(FollowUp.list_id, FollowUp.patient_id).subquery()
    query = select(FollowUp).join(newest, FollowUp.id == newest.c.id)
    with database.reading() as connection:
        rows = connection.execute(query).mappings().all()
    return {(r["list_id"], r["patient_id"]): _outcome(r) for r in rows}


def outcome_history(database: Database, practice_code: str, list_id: str,
                    patient_id: int) -> list[Outcome]:
    """Every outcome recorded for one patient on one list, oldest first."""
    with database.reading() as connection:
        rows = connection.execute(
            select(FollowUp).where(FollowUp.practice_code == practice_code,
                                   FollowUp.list_id == list_id,
                                   FollowUp.patient_id == int(patient_id))
            .order_by(FollowUp.id)).mappings().all()
    return [_outcome(r) for r in rows]


def _outcome(row) -> Outcome:
    return Outcome(row["patient_id"], row["outcome"], row["outcome_date"], row["recorded_by"],
                   row["recorded_at"])
