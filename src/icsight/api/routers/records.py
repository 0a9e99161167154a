"""Patient records: pseudonymised (analysts) and identifiable (own clinicians; audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from icsight.api.deps import Services
from icsight.api.security import SignedIn
from icsight.api.tables import CSV_RESPONSE, Table, TablePage, respond

router = APIRouter()


#: A pseudonymous patient id is a signed 64-bit integer: anything else is refused (422) before
#: it reaches a query.
PatientId = Annotated[int, Path(ge=-(2**63), le=2**63 - 1)]


@router.get("/patients/{patient_id}")
def patient(who: SignedIn, services: Services, patient_id: PatientId) -> dict:
    """One patient's pseudonymised record (analysts)."""
    return services.records.patient_record(who, patient_id)


@router.get("/patients/{patient_id}/identifiable")
def identifiable(who: SignedIn, services: Services, patient_id: PatientId) -> dict:
    """Who a patient is, for direct care (their own practice's clinicians; audited)."""
    return services.records.identifiable_record(who, patient_id)


@router.get("/practices/{practice_code}/patients", response_model=TablePage,
            responses=CSV_RESPONSE)
def practice_patients(who: SignedIn, services: Services, practice_code: str,
                      table: Table) -> Response:
    """The practice's registered patients with identifiers (its clinicians; audited, as an
    export when asked for as CSV; paged; JSON or CSV)."""
    rows = services.records.practice_patients(who, practice_code,
                                              download=table.format == "csv")
    return respond(table, rows, f"patients-{practice_code}")


@router.get("/practices/{practice_code}/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The list as CSV"}})
def export(who: SignedIn, services: Services, practice_code: str) -> Response:
    """Download the practice's patient list (its clinicians; audited as an export): CSV with
    every field quoted and formula-like cells neutralised, sent as a download, not a page."""
    csv = services.records.identifiable_export(who, practice_code)
    # the code is a known practice's by now (an unknown one is 404): safe in a file name
    return Response(csv, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="patients-{practice_code}.csv"'})
