"""Opening the application database: its URL, its engine, and its migrations.

`open_database()` is what everything calls: it brings the schema to the newest migration
(Alembic `upgrade head`) the first time a process opens a database, so starting icsight is
enough to migrate it. SQLite (a file, the default) and PostgreSQL (by URL) are both supported
and both tested.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from icsight.governance.accounts import default_accounts_file
from icsight.settings import get as setting

__all__ = ["ENV_DATABASE_URL", "Database", "close_database", "database_url", "normalised_url",
           "open_database"]

ENV_DATABASE_URL = "ICSIGHT_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest migration (a test checks it is the migrations folder's head): a database already
#: there is opened without loading Alembic, which would add most of a second to every start.
HEAD = "0004"
#: The lock a writer of accounts holds: the `BEGIN IMMEDIATE` of SQLite (one writer at a
#: time, readers go on) or a PostgreSQL table lock that conflicts with itself only.
WRITE = {"icsight_write": True}


def database_url() -> str:
    """`ICSIGHT_DATABASE_URL`, else a SQLite file `icsight.db` in the folder of the accounts
    file (`ICSIGHT_ACCOUNTS`, by default ~/.config/icsight)."""
    url = setting(ENV_DATABASE_URL)
    if url:
        return url
    return f"sqlite:///{default_accounts_file().parent / 'icsight.db'}"


def normalised_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver icsight installs), not psycopg2."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"{ENV_DATABASE_URL} must be a sqlite:/// or postgresql:// URL, not "
                         f"{parsed.get_backend_name()!r}")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # each connection would see a database of its own, empty and unmigrated
        raise ValueError(f"{ENV_DATABASE_URL}: a SQLite database must be a file "
                         "(sqlite:////path/to/icsight.db), not in memory")
    return parsed.render_as_string(hide_password=False)


@dataclass
class Database:
    """An open application database: its engine, migrated to the newest schema."""

    url: str
    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction that holds the database's write lock from its first statement (see
        `WRITE`): what it reads cannot change under it before it commits."""
        with (self.engine.connect().execution_options(**WRITE) as connection,
              connection.begin()):
            if self.dialect == "postgresql":
                connection.exec_driver_sql("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    _private_file(Path(parsed.database).expanduser())
    url = parsed.set(database=str(Path(parsed.database).expanduser())).render_as_string()
    engine = create_engine(url, connect_args={"timeout": 30})

    # Python's sqlite3 starts transactions itself, late and deferred; take that over so a
    # writer's transaction begins with BEGIN IMMEDIATE (the write lock) and every other with
    # a plain BEGIN. This is the approach SQLAlchemy's SQLite dialect documentation gives.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")  # saved views go with their account
        cursor.execute("PRAGMA journal_mode = WAL")  # readers do not wait for a writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        writer = connection.get_execution_options().get("icsight_write")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def _private_file(path: Path) -> None:
    """The database holds password hashes: its folder 0700 when icsight makes it, the file
    0600 from its creation (never readable by others, not even for a moment)."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


_migrating = threading.Lock()


def current_revision(database: Database) -> str | None:
    """The migration the database is at (None: none yet)."""
    with database.reading() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def migrate(database: Database, accounts_file: Path | None = None) -> None:
    """Bring the schema to the newest migration. `accounts_file` is the accounts JSON the
    one-off import reads when it runs (default: `ICSIGHT_ACCOUNTS`'s file)."""
    if current_revision(database) == HEAD:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["accounts_file"] = accounts_file or default_accounts_file()
    # Alembic runs a migration through module-level proxies (alembic.context, alembic.op):
    # one migration at a time in a process.
    with _migrating, database.engine.connect().execution_options(**WRITE) as connection:
        if database.dialect == "postgresql":
            # Two processes starting at once: the second waits, then finds nothing to do.
            connection.exec_driver_sql("SELECT pg_advisory_lock(7406313)")
            connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if database.dialect == "postgresql":
                connection.rollback()  # after a failed migration: the unlock must run
                connection.exec_driver_sql("SELECT pg_advisory_unlock(7406313)")
                connection.commit()


_open: dict[str, Database] = {}
_opening = threading.Lock()


def open_database(url: str | None = None, accounts_file: Path | None = None,
                  shared: bool = True) -> Database:
    """The database at `url` (default: `database_url()`), migrated on its first opening in
    this process; later calls with the same URL share its engine (`shared=False`: an engine
    of its own, as another process would have)."""
    url = normalised_url(url or database_url())
    if not shared:
        database = Database(url, _engine(url))
        migrate(database, accounts_file)
        return database
    with _opening:
        if url not in _open:
            database = Database(url, _engine(url))
            migrate(database, accounts_file)
            _open[url] = database
        return _open[url]


def close_database(url: str) -> None:
    """Close the connections to `url` (tests drop their databases after)."""
    with _opening:
        database = _open.pop(normalised_url(url), None)
    if database is not None:
        database.engine.dispose()
