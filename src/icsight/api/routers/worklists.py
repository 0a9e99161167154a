"""Worklists: definitions for everyone; a practice's lists, rows, files and follow-ups for
its own clinicians (and its PCN's), under the same rules and audit as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from icsight.api.deps import Services
from icsight.api.security import SignedIn, Who
from icsight.appdb.follow_ups import OUTCOMES
from icsight.governance.access import authorise
from icsight.services.worklists import EXPORT_FORMATS, FollowUpError, definitions

router = APIRouter()

Sort = Literal["priority", "overdue", "risk", "age"]
Status = Literal["all", "open", "any", "invited", "booked", "declined", "not_appropriate"]


class FollowUp(BaseModel):
    """An outcome for one patient on a list: who (NHS number, or the local id of a patient
    without one), what happened, and on which day."""

    patient: str = Field(min_length=1, max_length=64)
    outcome: Literal[tuple(OUTCOMES)]  # type: ignore[valid-type]
    date: dt.date


@router.get("/worklists")
def worklist_definitions(who: Who, services: Services) -> list[dict]:
    """Every worklist's definition: its rule, source and matching indicator (no patients)."""
    authorise(who, "catalogue.read", services.audit_log)
    return [vars(d) for d in definitions().values()]


@router.get("/practices/{practice_code}/worklists")
def practice_worklists(who: SignedIn, services: Services, practice_code: str) -> dict:
    """Each list at a practice: patients, shortfall against target, follow-ups (its
    clinicians; audited)."""
    summary = services.worklists.summary(who, practice_code)
    summary["lists"] = [{**{k: v for k, v in row.items() if k != "list"},
                         "list_id": row["list"].id, "title": row["list"].title}
                        for row in summary["lists"]]
    return summary


@router.get("/practices/{practice_code}/worklists/{list_id}")
def worklist(who: SignedIn, services: Services, practice_code: str, list_id: str,
             sort: Sort = "priority", status: Status = "all", core20: bool = False,
             page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> dict:
    """One page (50 rows) of a practice's list with NHS number, name and date of birth, the
    reasons, facts, priority and its explanation, admission risk and the latest follow-up
    (its clinicians; audited)."""
    found = services.worklists.worklist(who, practice_code, list_id, sort, status, core20,
                                        page)
    return {**found, "list": vars(found["list"])}


@router.get("/practices/{practice_code}/worklists/{list_id}/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, EXPORT_FORMATS["xlsx"]: {}},
                             "description": "The whole list as CSV or XLSX"}})
def export(who: SignedIn, services: Services, practice_code: str, list_id: str,
           format: Literal["csv", "xlsx"] = "csv") -> Response:
    """The whole list for a GP system search, NHS numbers first (its clinicians; audited as
    an export)."""
    content, media_type, name = services.worklists.export(who, practice_code, list_id, format)
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.post("/practices/{practice_code}/worklists/{list_id}/follow-ups", status_code=201)
def follow_up(who: SignedIn, services: Services, practice_code: str, list_id: str,
              body: FollowUp) -> dict:
    """Record an outcome for a patient on the list (its clinicians; audited)."""
    try:
        services.worklists.record_follow_up(who, practice_code, list_id, body.patient,
                                            body.outcome, body.date)
    except FollowUpError as e:
        raise HTTPException(422, str(e)) from None
    return {"recorded": True, "outcome": body.outcome, "date": body.date.isoformat()}

