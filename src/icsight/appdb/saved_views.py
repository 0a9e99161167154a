"""Saved views: a page of icsight saved under a name by the person who saved it, so that a
programme lead or a practice manager finds "our practice" or "CVD in Luton" again in one
click. What a view is (a page's address within this site, and a name) and who may save one
are the services' business (`icsight.services.saved_views`); this module reads and writes.

A view is stored as its page's address in `parameters` ({"path": "/places/luton"}), so a
later kind of view (a worklist's filters) can keep more there without a new table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update

from icsight.appdb.database import Database
from icsight.appdb.models import SavedView

__all__ = ["SavedPage", "count_views", "delete_view", "save_view", "views_of"]


@dataclass(frozen=True)
class SavedPage:
    """One saved view: its name, the page's address, and when it was saved."""

    name: str
    path: str
    saved: dt.datetime | None


def views_of(database: Database, owner: str) -> list[SavedPage]:
    """`owner`'s saved views, by name."""
    with database.reading() as connection:
        rows = connection.execute(
            select(SavedView.name, SavedView.parameters, SavedView.created_at)
            .where(SavedView.owner == owner).order_by(SavedView.name)).all()
    return [SavedPage(name, (parameters or {}).get("path", "/"), created)
            for name, parameters, created in rows]


def count_views(database: Database, owner: str) -> int:
    with database.reading() as connection:
        return connection.execute(select(func.count()).select_from(SavedView)
                                  .where(SavedView.owner == owner)).scalar_one()


def save_view(database: Database, owner: str, name: str, path: str) -> bool:
    """Save `path` as `owner`'s view `name`, replacing the address of a view of that name.
    True if the view is new."""
    with database.writing() as connection:
        changed = connection.execute(
            update(SavedView).where(SavedView.owner == owner, SavedView.name == name)
            .values(parameters={"path": path})).rowcount
        if changed:
            return False
        connection.execute(insert(SavedView).values(owner=owner, name=name,
                                                    parameters={"path": path}))
        return True


def delete_view(database: Database, owner: str, name: str) -> bool:
    """Delete `owner`'s view `name`; False if they have none of that name."""
    with database.writing() as connection:
        return bool(connection.execute(
            delete(SavedView).where(SavedView.owner == owner, SavedView.name == name)
        ).rowcount)
