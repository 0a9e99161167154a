"""The application database's tables, as SQLAlchemy 2 typed models.

What people create in icsight: accounts, programme leads' commentary on a metric's month,
saved views, and clinicians' follow-ups of worklist rows. A follow-up names its patient by the
pseudonymised id of the analytics zone, never by an identifier; the lake and the results store
stay files.

These models describe the schema the migrations (`icsight.appdb.migrations`) build; a test
checks that the two agree, so a change to one without the other fails.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Account", "Base", "Commentary", "CommentaryVersion", "FollowUp", "SavedView"]

#: Constraint names the same on SQLite and PostgreSQL, so a migration can name them.
NAMING = {"pk": "pk_%(table_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s",
          "uq": "uq_%(table_name)s_%(column_0_name)s", "ix": "ix_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s"}

#: The longest account name: an e-mail address (RFC 5321), as the CLI allows.
NAME_LENGTH = 254


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Account(Base):
    """A local account: who may sign in, as what, and the state that ends sessions and locks
    out guessing (see `icsight.governance.accounts.AccountStore`)."""

    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, never the password
    role: Mapped[str] = mapped_column(String(16))
    practice_code: Mapped[str | None] = mapped_column(String(16))
    pcn_code: Mapped[str | None] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Raised whenever the account's sessions must end (sign-out, disabling, a new password,
    #: a new role or scope): a session cookie names the version it began at, and is honoured
    #: only while it is current. This column is the sessions' revocation list.
    session_version: Mapped[int] = mapped_column(BigInteger)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    #: Seconds since the epoch until which the account is locked (None: not locked).
    locked_until: Mapped[float | None] = mapped_column(Double)


class Commentary(Base):
    """A programme lead's commentary on one metric for one month (one per metric and month;
    editing it changes `text` and `updated_at`): the latest version, which readers such as
    the board report take. Every version, this one included, is kept in
    `commentary_versions`."""

    __tablename__ = "commentary"
    __table_args__ = (UniqueConstraint("metric_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_id: Mapped[str] = mapped_column(String(64))
    #: The first day of the month commented on.
    month: Mapped[dt.date] = mapped_column(Date)
    #: The account name of whoever wrote it, kept if the account is later deleted.
    author: Mapped[str] = mapped_column(String(NAME_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())


class CommentaryVersion(Base):
    """One version of a metric's commentary for a month: written once, never changed or
    deleted (editing adds the next version), so who said what, and when, stays on record."""

    __tablename__ = "commentary_versions"
    __table_args__ = (UniqueConstraint("metric_id", "month", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_id: Mapped[str] = mapped_column(String(64))
    #: The first day of the month commented on.
    month: Mapped[dt.date] = mapped_column(Date)
    #: 1 for the first version of this metric and month, then 2, 3, ...
    version: Mapped[int] = mapped_column(Integer)
    #: The account name of whoever wrote this version, kept if the account is later deleted.
    author: Mapped[str] = mapped_column(String(NAME_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())


class SavedView(Base):
    """A page's parameters saved under a name by its owner (deleted with the account)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(
        String(NAME_LENGTH), ForeignKey("accounts.name", ondelete="CASCADE",
                                        onupdate="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())


class FollowUp(Base):
    """What a clinician did about one patient on one worklist: invited, booked, declined or
    not appropriate, on a date. Written once, never changed or deleted (a later outcome adds
    a row), so the latest outcome is what the list shows and the history stays on record.

    The patient is named only by the pseudonymised `patient_id` the worklists carry, so the
    table survives every rebuild of the results (a follow-up is found again by list and
    patient) and holds nothing that identifies anyone."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_code: Mapped[str] = mapped_column(String(16), index=True)
    list_id: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[int] = mapped_column(BigInteger)
    #: one of `icsight.appdb.follow_ups.OUTCOMES`
    outcome: Mapped[str] = mapped_column(String(32))
    #: the day it happened (an invitation sent, an appointment booked), which the clinician
    #: gives; `recorded_at` is when it was written down
    outcome_date: Mapped[dt.date] = mapped_column(Date)
    #: the account name of whoever recorded it, kept if the account is later deleted
    recorded_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                     server_default=func.now())
