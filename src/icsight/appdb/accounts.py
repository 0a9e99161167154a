"""The local accounts, kept in the application database (`icsight.governance.accounts` has
their rules; this module only reads and writes them)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import delete, insert, select, update

from icsight.appdb.database import Database, open_database
from icsight.appdb.models import Account
from icsight.governance.accounts import AccountStore

__all__ = ["Accounts"]

#: The account fields of `AccountStore` and the columns that hold them.
COLUMNS = {"hash": Account.password_hash, "role": Account.role,
           "practice_code": Account.practice_code, "pcn_code": Account.pcn_code,
           "disabled": Account.disabled, "version": Account.session_version,
           "failures": Account.failed_sign_ins, "locked_until": Account.locked_until}


class Accounts(AccountStore):
    """Local accounts in the application database (default: the one `ICSIGHT_DATABASE_URL`
    names, migrated when first opened)."""

    def __init__(self, database: Database | str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.database = database if isinstance(database, Database) else open_database(database)
        self.clock = clock

    def _load(self) -> dict[str, dict]:
        with self.database.reading() as connection:
            return _accounts(connection, select(Account.name, *COLUMNS.values()))

    def _account(self, user: str) -> dict | None:
        with self.database.reading() as connection:
            return _accounts(connection, select(Account.name, *COLUMNS.values())
                             .where(Account.name == user)).get(user)

    @contextmanager
    def _update(self) -> Iterator[dict[str, dict]]:
        """Every account, read and written back in one transaction under the write lock; only
        the accounts the block added, changed or removed are written."""
        with self.database.writing() as connection:
            before = _accounts(connection, select(Account.name, *COLUMNS.values()))
            users = {name: dict(account) for name, account in before.items()}
            yield users
            for name in before.keys() - users.keys():
                connection.execute(delete(Account).where(Account.name == name))
            for name, account in users.items():
                values = {COLUMNS[k].key: account.get(k) for k in COLUMNS}
                values["disabled"] = bool(values["disabled"])
                values["failed_sign_ins"] = values["failed_sign_ins"] or 0
                if name not in before:
                    connection.execute(insert(Account).values(name=name, **values))
                elif account != before[name]:
                    connection.execute(update(Account).where(Account.name == name)
                                       .values(**values))


def _accounts(connection, query) -> dict[str, dict]:
    return {row.name: {field: getattr(row, column.key) for field, column in COLUMNS.items()}
            for row in connection.execute(query)}
