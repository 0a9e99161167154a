"""Alembic's environment for the application database: run on the connection
`icsight.appdb.database.migrate` passes in (there is no alembic.ini)."""

from __future__ import annotations

from alembic import context

from icsight.appdb.models import Base

connection = context.config.attributes["connection"]
# render_as_batch: SQLite alters a table by copying it, which batch mode does for us.
# transactional_ddl: SQLite, like PostgreSQL, can roll back a schema change; Alembic assumes
# otherwise and would commit each migration as it goes, leaving a failed upgrade half-done.
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
