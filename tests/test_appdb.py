"""The application database, on SQLite and on PostgreSQL: the migrations build the schema the
models describe, the accounts JSON is imported once and left as it was, and the tables keep
their rules (one commentary per metric and month, saved views go with their account)."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from icsight.appdb import Accounts, close_database, open_database
from icsight.appdb.database import HEAD, MIGRATIONS, WRITE, normalised_url
from icsight.appdb.database import database_url as configured_url
from icsight.appdb.models import Account, Base, Commentary, SavedView
from icsight.cli import main
from icsight.governance import accounts as accounts_module
from icsight.governance.access import Role
from tests.accounts import PASSWORD
from tests.appdb import another_process

# --- the schema --------------------------------------------------------------------------------


def test_the_migrations_build_exactly_the_schema_the_models_describe(database_url):
    with open_database(database_url).engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_head_names_the_newest_migration():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_a_second_opening_finds_nothing_to_migrate_and_keeps_the_data(database_url):
    Accounts(database_url).add("ana", PASSWORD, "analyst")
    again = another_process(database_url)
    assert [a["user"] for a in again.list()] == ["ana"]
    with again.database.reading() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    assert revision == HEAD


def test_commentary_is_one_per_metric_and_month(database_url):
    engine = open_database(database_url).engine
    march = dt.date(2025, 3, 1)
    with Session(engine) as session:
        session.add(Commentary(metric_id="CVDP007HYP", month=march, author="ana",
                               text="Recovery after the winter dip."))
        session.commit()
        session.add(Commentary(metric_id="CVDP007HYP", month=dt.date(2025, 4, 1),
                               author="ana", text="Steady."))
        session.commit()
        session.add(Commentary(metric_id="CVDP007HYP", month=march, author="adm",
                               text="A second note on the same month."))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        rows = session.scalars(select(Commentary).order_by(Commentary.month)).all()
        assert [(c.month, c.author) for c in rows] == [(march, "ana"),
                                                       (dt.date(2025, 4, 1), "ana")]
        assert all(c.created_at is not None and c.updated_at is not None for c in rows)


def test_saved_views_go_with_their_account_and_keep_their_parameters(database_url):
    accounts = Accounts(database_url)
    accounts.add("ana", PASSWORD, "analyst")
    accounts.add("adm", PASSWORD, "admin")
    engine = accounts.database.engine
    parameters = {"programme": "cvd", "place": "Luton", "months": [1, 2, 3], "core20": True}
    with Session(engine) as session:
        session.add_all([SavedView(owner="ana", name="Luton CVD", parameters=parameters),
                         SavedView(owner="adm", name="Luton CVD", parameters={})])
        session.commit()
        session.add(SavedView(owner="ana", name="Luton CVD", parameters={}))
        with pytest.raises(IntegrityError):  # one view of a name per owner
            session.commit()
        session.rollback()
        session.add(SavedView(owner="ghost", name="x", parameters={}))
        with pytest.raises(IntegrityError):  # only accounts own views
            session.commit()
    accounts.delete("ana")
    with Session(engine) as session:
        left = session.scalars(select(SavedView)).all()
        assert [(v.owner, v.parameters) for v in left] == [("adm", {})]
    with Session(engine) as session:
        accounts.add("ana", PASSWORD, "analyst")
        session.add(SavedView(owner="ana", name="Luton CVD", parameters=parameters))
        session.commit()
        assert session.scalars(select(SavedView.parameters).where(
            SavedView.owner == "ana")).one() == parameters


def test_failed_sign_ins_through_two_engines_are_all_counted(database_url, monkeypatch):
    """Each engine is a separate pool of connections, as two web workers have: failures
    counted through both still lock the account at the fifth."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts_module, "_hasher", cheap)
    monkeypatch.setattr(accounts_module, "_DUMMY", cheap.hash("x"))
    first = Accounts(database_url)
    first.add("gp", PASSWORD, "clinician", practice_code="E81021")
    second = another_process(database_url)
    for n in range(4):
        assert (first if n % 2 else second).sign_in("gp", "wrong password!").principal is None
    assert second.sign_in("gp", "wrong password!").reason.startswith("wrong password 5 times")
    assert first.sign_in("gp", PASSWORD).reason == "account locked"


def test_parallel_changes_to_one_account_from_separate_engines_lose_nothing(database_url):
    """Four writers (four engines, as four processes) each end one account's sessions ten
    times at once: every change counts, which needs the write lock held from the read."""
    Accounts(database_url).add("gp", PASSWORD, "clinician", practice_code="E81021")
    writers = [another_process(database_url) for _ in range(4)]
    before = writers[0].version("gp")
    errors: list[BaseException] = []

    def bump(accounts: Accounts) -> None:
        try:
            for _ in range(10):
                accounts.end_sessions("gp")
        except BaseException as e:  # surfaced below: a thread's exception is otherwise lost
            errors.append(e)

    threads = [threading.Thread(target=bump, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert writers[0].version("gp") == before + 40
    for w in writers:
        w.database.engine.dispose()


# --- the one-off import of the accounts JSON ------------------------------------------------


def legacy_file(path: Path) -> Path:
    """An accounts file as icsight wrote it before the database: one account locked, one
    disabled, one clinician scoped to a PCN."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    digest = hasher.hash(PASSWORD)
    base = {"hash": digest, "practice_code": None, "pcn_code": None, "disabled": False,
            "failures": 0, "locked_until": None}
    users = {
        "ana": {**base, "role": "analyst", "version": 4503599627370000},
        "nurse": {**base, "role": "clinician", "pcn_code": "U12345", "version": 7,
                  "failures": 2},
        "off": {**base, "role": "admin", "disabled": True, "version": 3},
        "locked": {**base, "role": "public", "version": 9, "locked_until": 4_000_000_000.0},
    }
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps(users, indent=1) + "\n")
    os.chmod(path, 0o600)
    return path


def fresh_url(backend: str, tmp_path: Path, request) -> str:
    """An empty database not yet migrated (the `database_url` fixture's are migrated)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    server = request.getfixturevalue("postgres_server")
    name = server.create()
    request.addfinalizer(lambda: (close_database(server.url(name)), server.drop(name)))
    return server.url(name)


def test_the_accounts_json_is_imported_once_into_an_empty_database_and_left_untouched(
        backend, tmp_path, request):
    path = legacy_file(tmp_path / "conf" / "accounts.json")
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    url = fresh_url(backend, tmp_path, request)
    accounts = Accounts(open_database(url, accounts_file=path), clock=lambda: 3_000_000_000.0)
    listed = {a["user"]: a for a in accounts.list()}
    assert set(listed) == {"ana", "nurse", "off", "locked"}
    # everything carried over as it was: versions (so sessions survive), counts, locks, scope
    assert accounts.version("ana") == 4503599627370000 and accounts.version("nurse") == 7
    assert listed["nurse"]["failures"] == 2 and listed["nurse"]["pcn_code"] == "U12345"
    assert listed["off"]["disabled"] and listed["locked"]["locked"]
    assert not listed["ana"]["locked"]
    assert accounts.session_principal("ana", 4503599627370000).role == Role.ANALYST
    assert accounts.sign_in("ana", PASSWORD).principal is not None
    assert accounts.sign_in("off", PASSWORD).reason == "account disabled"
    assert accounts.sign_in("locked", PASSWORD).reason == "account locked"
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    # later starts import nothing more: an account deleted stays deleted, one added to the
    # file is not taken
    accounts.delete("nurse")
    users = json.loads(path.read_text())
    users["late"] = dict(users["ana"])
    path.write_text(json.dumps(users))
    close_database(url)
    again = Accounts(open_database(url, accounts_file=path))
    assert {a["user"] for a in again.list()} == {"ana", "off", "locked"}


def test_a_database_that_already_has_accounts_imports_nothing(backend, tmp_path, request):
    url = fresh_url(backend, tmp_path, request)
    database = open_database(url, accounts_file=tmp_path / "none.json", shared=False)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["accounts_file"] = legacy_file(tmp_path / "accounts.json")
    with database.engine.connect().execution_options(**WRITE) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")  # as if made before the import existed
        connection.commit()
    with Session(database.engine) as session:
        session.add(Account(name="adm", password_hash="$argon2id$x", role="admin",
                            disabled=False, session_version=1, failed_sign_ins=0))
        session.commit()
    database.engine.dispose()
    accounts = Accounts(open_database(url, accounts_file=tmp_path / "accounts.json"))
    assert [a["user"] for a in accounts.list()] == ["adm"]


@pytest.mark.parametrize("content", ['{"ana": {"role": "king", "hash": "x"}}', "[1, 2]",
                                     '{"ana": ', '{"gp": {"role": "clinician", "hash": "x"}}'])
def test_an_accounts_file_that_cannot_be_imported_stops_the_start_and_imports_it_when_fixed(
        backend, tmp_path, request, content):
    path = tmp_path / "accounts.json"
    path.write_text(content)
    url = fresh_url(backend, tmp_path, request)
    with pytest.raises(RuntimeError, match=f"cannot import the accounts file {path}"):
        open_database(url, accounts_file=path)
    unopened = create_engine(normalised_url(url))
    assert inspect(unopened).get_table_names() == []  # the whole upgrade was rolled back
    unopened.dispose()
    legacy_file(path)  # fixed: the next start imports it, nothing half-done in the way
    assert len(Accounts(open_database(url, accounts_file=path)).list()) == 4


# --- where it is --------------------------------------------------------------------------------


def test_the_default_database_is_a_sqlite_file_beside_the_accounts_file(tmp_path, monkeypatch):
    monkeypatch.delenv("ICSIGHT_DATABASE_URL", raising=False)
    monkeypatch.setenv("ICSIGHT_ACCOUNTS", str(tmp_path / "conf" / "accounts.json"))
    assert configured_url() == f"sqlite:///{tmp_path / 'conf' / 'icsight.db'}"
    made = CliRunner().invoke(main, ["users", "add", "ana", "--role", "analyst"],
                              input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    assert (tmp_path / "conf" / "icsight.db").is_file()
    assert not (tmp_path / "conf" / "accounts.json").exists()  # nothing written to the old file


@pytest.mark.parametrize("url", ["mysql://root@localhost/icsight", "not a url", "sqlite://",
                                 "sqlite:///:memory:", "sqlite:////proc/icsight/icsight.db",
                                 "postgresql://nobody@127.0.0.1:1/none"])
def test_a_database_that_cannot_be_opened_is_refused_clearly(url, monkeypatch):
    monkeypatch.setenv("ICSIGHT_DATABASE_URL", url)
    listed = CliRunner().invoke(main, ["users", "list"])
    assert listed.exit_code == 2, listed.output
    assert "cannot open the application database (ICSIGHT_DATABASE_URL)" in listed.output
    assert "Traceback" not in listed.output
