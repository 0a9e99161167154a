"""The application database for tests, on SQLite and on PostgreSQL: every test that asks for
`database_url` (or `module_database_url`) runs once on each.

PostgreSQL is a throwaway server of Debian's `postgresql` package (`make postgres` installs
it; `make test` runs that first), started once per test session (once per xdist worker) on a
free port in a temporary folder and stopped at the end. The server refuses to run as root, so
when the tests do (as in a container) it runs as `nobody` through `runuser`. Each test gets a
database of its own, dropped after it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from icsight.appdb import Accounts, close_database, open_database

BACKENDS = ("sqlite", "postgresql")
SERVER_USER = "nobody"  # any unprivileged account will do; this one exists on every Debian


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's programs (Debian keeps them off the PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if not found:
        pytest.fail("PostgreSQL is not installed: `make postgres` installs Debian's package "
                    "(make test does it first)")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A PostgreSQL server in its own folder, for the length of a test session."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="icsight-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # postgres will not start as root: hand the folder over
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self.as_user = ["runuser", "-u", SERVER_USER, "--"]

    def _run(self, *args: str | Path) -> None:
        done = subprocess.run([*self.as_user, *map(str, args)], capture_output=True, text=True,
                              cwd=self.root, check=False)
        if done.returncode:
            log = self.root / "server.log"
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}"
                               + (log.read_text()[-2000:] if log.exists() else ""))

    def start(self) -> None:
        # fsync off and no durable commits: a throwaway server, faster on a busy machine.
        self._run(self.bin / "initdb", "-D", self.data, "-U", "icsight", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l",
                  self.root / "server.log", "-w", "start")

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://icsight@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="icsight",
                               dbname="postgres", autocommit=True)

    def create(self) -> str:
        name = f"t{uuid.uuid4().hex[:16]}"
        with self.admin() as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return name

    def drop(self, name: str) -> None:
        with self.admin() as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def another_process(url: str, **kwargs) -> Accounts:
    """The accounts at `url` through an engine of their own, as `icsight users ...` in another
    process would see them."""
    return Accounts(open_database(url, shared=False), **kwargs)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """Which database the test runs on (every test using one runs on both)."""
    return request.param


def _new_database(backend: str, folder: Path, request) -> Iterator[str]:
    """A fresh, migrated database's URL; no accounts JSON is imported into it."""
    if backend == "sqlite":
        url, name, server = f"sqlite:///{folder / 'icsight.db'}", "", None
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.create()
        url = server.url(name)
    open_database(url, accounts_file=folder / "no-accounts.json")
    try:
        yield url
    finally:
        close_database(url)
        if server is not None:
            server.drop(name)


@pytest.fixture
def database_url(backend, tmp_path, request) -> Iterator[str]:
    """A fresh application database for one test, on each backend in turn."""
    yield from _new_database(backend, tmp_path, request)


@pytest.fixture(scope="module")
def module_database_url(backend, tmp_path_factory, request) -> Iterator[str]:
    """A fresh application database shared by one module's tests, on each backend in turn."""
    yield from _new_database(backend, tmp_path_factory.mktemp("appdb"), request)
