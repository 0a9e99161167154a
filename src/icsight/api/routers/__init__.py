"""One router per area, each a thin layer over its service."""

from icsight.api.routers import (
    admin,
    aggregates,
    planning,
    projections,
    provider_benchmarks,
    records,
    session,
    waiting_lists,
    worklists,
)

__all__ = ["admin", "aggregates", "planning", "projections", "provider_benchmarks", "records",
           "session", "waiting_lists", "worklists"]

#: Every router, in the order the OpenAPI document lists them.
ALL = (session.router, aggregates.router, records.router, worklists.router, planning.router,
       provider_benchmarks.router, waiting_lists.router, projections.router, admin.router)
