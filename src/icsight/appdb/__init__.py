"""The application database: what people create in icsight (accounts, programme leads'
commentary, saved views), through SQLAlchemy 2 with Alembic migrations applied on start-up.
SQLite by default, PostgreSQL by `ICSIGHT_DATABASE_URL`. It holds no patient data: the lake
and the results store stay files. See docs/application-database.md."""

from icsight.appdb.accounts import Accounts
from icsight.appdb.commentary import (
    Note,
    commentary_for,
    commentary_history,
    first_of_month,
    save_commentary,
)
from icsight.appdb.database import Database, close_database, database_url, open_database

__all__ = ["Accounts", "Database", "Note", "close_database", "commentary_for",
           "commentary_history", "database_url", "first_of_month", "open_database",
           "save_commentary"]
