"""One router per area, each a thin layer over its service."""

from icsight.api.routers import admin, aggregates, planning, records, session

__all__ = ["admin", "aggregates", "planning", "records", "session"]

#: Every router, in the order the OpenAPI document lists them.
ALL = (session.router, aggregates.router, records.router, planning.router, admin.router)
