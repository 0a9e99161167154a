"""Programme leads' commentary on a metric's month, with every version kept.

`Commentary` holds the latest text of each metric and month (what the board report and the
pages read); `CommentaryVersion` holds every version ever written, numbered from 1, and is
only ever added to. Saving writes both in one transaction under the database's write lock,
so two people saving at once get versions n and n+1, never two versions n (the unique
constraint on metric, month and version backs this up).

Who may write, and what text is acceptable, is the services' business
(`icsight.services.commentary`); this module only reads and writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from icsight.appdb.database import Database, open_database
from icsight.appdb.models import Commentary, CommentaryVersion

__all__ = ["Note", "commentary_for", "commentary_history", "first_of_month",
           "save_commentary"]


@dataclass(frozen=True)
class Note:
    """One version of a metric's commentary for a month."""

    metric_id: str
    month: dt.date
    version: int
    author: str
    text: str
    time: dt.datetime


def first_of_month(month: dt.date | str) -> dt.date:
    """A month as its first day: from a date, or from `YYYY-MM` (or a full `YYYY-MM-DD`).
    Raises ValueError for anything else."""
    if isinstance(month, dt.date):
        return month.replace(day=1)
    text = str(month).strip()
    if len(text) == 7:
        text += "-01"
    return dt.date.fromisoformat(text).replace(day=1)


def _database(database: Database | str | None) -> Database:
    return database if isinstance(database, Database) else open_database(database)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def save_commentary(metric_id: str, month: dt.date | str, author: str, text: str,
                    database: Database | str | None = None,
                    now: dt.datetime | None = None) -> Note:
    """Add the next version of `metric_id`'s commentary for `month`, written by `author`,
    and make it the latest; returns it."""
    db = _database(database)
    first = first_of_month(month)
    moment = now or dt.datetime.now(dt.UTC)
    with db.writing() as connection:
        latest = connection.execute(
            select(func.max(CommentaryVersion.version))
            .where(CommentaryVersion.metric_id == metric_id, CommentaryVersion.month == first)
        ).scalar()
        version = (latest or 0) + 1
        connection.execute(insert(CommentaryVersion).values(
            metric_id=metric_id, month=first, version=version, author=author, text=text,
            created_at=moment))
        changed = connection.execute(
            update(Commentary)
            .where(Commentary.metric_id == metric_id, Commentary.month == first)
            .values(author=author, text=text, updated_at=moment)).rowcount
        if not changed:
            connection.execute(insert(Commentary).values(
                metric_id=metric_id, month=first, author=author, text=text,
                created_at=moment, updated_at=moment))
    return Note(metric_id, first, version, author, text, moment)


def commentary_for(metric_ids: Iterable[str] | str, month: dt.date | str,
                   database: Database | str | None = None) -> dict[str, dict]:
    """The latest commentary of each of `metric_ids` for `month`: metric id -> `text`,
    `author`, `time` (UTC) and `version` (how many versions there are). Metrics without
    commentary are left out. This is what the board report shows beside each chart."""
    ids = [metric_ids] if isinstance(metric_ids, str) else list(metric_ids)
    if not ids:
        return {}
    first = first_of_month(month)
    db = _database(database)
    with db.reading() as connection:
        latest = connection.execute(
            select(Commentary.metric_id, Commentary.author, Commentary.text,
                   Commentary.updated_at)
            .where(Commentary.metric_id.in_(ids), Commentary.month == first)).all()
        counts = dict(connection.execute(
            select(CommentaryVersion.metric_id, func.max(CommentaryVersion.version))
            .where(CommentaryVersion.metric_id.in_(ids), CommentaryVersion.month == first)
            .group_by(CommentaryVersion.metric_id)).all())
    return {row.metric_id: {"text": row.text, "author": row.author,
                            "time": _utc(row.updated_at),
                            "version": counts.get(row.metric_id, 1)}
            for row in latest}


def commentary_history(metric_id: str, month: dt.date | str,
                       database: Database | str | None = None) -> list[Note]:
    """Every version of `metric_id`'s commentary for `month`, newest first."""
    first = first_of_month(month)
    db = _database(database)
    with db.reading() as connection:
        rows = connection.execute(
            select(CommentaryVersion.version, CommentaryVersion.author,
                   CommentaryVersion.text, CommentaryVersion.created_at)
            .where(CommentaryVersion.metric_id == metric_id, CommentaryVersion.month == first)
            .order_by(CommentaryVersion.version.desc())).all()
    return [Note(metric_id, first, r.version, r.author, r.text, _utc(r.created_at))
            for r in rows]
