"""Waiting lists: each treatment function's list at each provider, its simulated year and the
wait a newly referred patient should expect (published below analyst), and a what-if that
simulates one list again with more capacity."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from icsight.api.deps import Services
from icsight.api.security import Who
from icsight.api.tables import CSV_RESPONSE, Table, TablePage, respond
from icsight.results.waiting_lists import TRAJECTORY_MEASURES
from icsight.services.waiting_lists import MAX_EXTRA_PERCENT, MAX_INSOURCING, WhatIfError

router = APIRouter(prefix="/waiting-lists", tags=["waiting lists"])

Measure = Literal[TRAJECTORY_MEASURES]  # type: ignore[valid-type]
Code = Annotated[str | None, Query(max_length=16, description="A code such as 110 or RC9.")]


@router.get("", response_model=TablePage, responses=CSV_RESPONSE)
def queues(who: Who, services: Services, table: Table) -> Response:
    """Each treatment function x provider list on the build's last day: people waiting,
    within 18 weeks, 52 weeks or more, mean wait, referrals and treatments a week, load and
    pressure. Below analyst, counts of 1 to 7 are withheld (empty) and the rest rounded to
    5; analysts also get the queue formulas' targets (JSON or CSV)."""
    return respond(table, services.waiting_lists.queues(who), "waiting-lists")


@router.get("/trajectories", response_model=TablePage, responses=CSV_RESPONSE)
def trajectories(who: Who, services: Services, table: Table,
                 treatment_function: Code = None, provider_code: Code = None,
                 measure: Measure | None = None) -> Response:
    """Each list simulated week by week for a year with today's capacity: p10, p50 and p90
    over the runs of the list size, % within 18 weeks and the 52-, 65- and 78-week tails
    (JSON or CSV)."""
    rows = services.waiting_lists.trajectories(who, treatment_function, provider_code,
                                               measure)
    return respond(table, rows, "waiting-list-trajectories")


@router.get("/expected-waits", response_model=TablePage, responses=CSV_RESPONSE)
def expected_waits(who: Who, services: Services, table: Table,
                   treatment_function: Code = None, provider_code: Code = None) -> Response:
    """The wait in whole weeks of a patient referred now: the median and the 92nd
    percentile, by clinical priority (P1-P4) and for a priority not yet known (`any`). A
    `*_more_than` of true means longer than the weeks simulated (JSON or CSV)."""
    rows = services.waiting_lists.expected_waits(who, treatment_function, provider_code)
    return respond(table, rows, "expected-waits")


@router.get("/{treatment_function}/{provider_code}/what-if")
def what_if(who: Who, services: Services, treatment_function: str, provider_code: str,
            extra_sessions_percent: Annotated[float, Query(
                description=f"More of today's sessions, as a % of today's treatments a "
                            f"week (0 to {MAX_EXTRA_PERCENT:g}).")] = 0.0,
            start: Annotated[dt.date | None, Query(
                description="The day the change starts (default: the first simulated "
                            "week); inside the simulated year.")] = None,
            insourcing_per_week: Annotated[float, Query(
                description=f"Treatments a week bought in (0 to {MAX_INSOURCING:g}).")] = 0.0,
            ) -> dict:
    """One list simulated again for a year with more capacity from a date, beside today's
    capacity with the same 20 seeded runs: both trajectories and expected waits (published
    below analyst). A change that cannot be simulated is a 422 naming the field."""
    try:
        return services.waiting_lists.what_if(who, treatment_function, provider_code,
                                              extra_sessions_percent, start,
                                              insourcing_per_week)
    except WhatIfError as e:
        raise HTTPException(422, [{"loc": ["query", e.field], "msg": str(e),
                                   "type": "value_error"}]) from None
