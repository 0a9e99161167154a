"""Shared fixtures: small synthetic lakes, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from icsight.synth import DEFAULT_REFERENCE_DATE
from icsight.synth.generate import generate_lake
from tests.accounts import access_results, setting  # noqa: F401 - fixtures for the access tests
from tests.appdb import (  # noqa: F401 - the application database, on SQLite and PostgreSQL
    backend,
    database_url,
    module_database_url,
    postgres_server,
)
from tests.lakes import TEST_KEY
from tests.sessions import served, world  # noqa: F401 - fixtures for the session tests
from tests.shared import shared_folder


@pytest.fixture(scope="session")
def lake_dir(tmp_path_factory):
    """A 60,000-person synthetic lake (every table), generated once for the run and read by
    both xdist workers (`shared_lake`): tests only read it, and copy it to change it."""
    return shared_lake(tmp_path_factory, "lake", population=60_000, seed=11,
                       reference_date=DEFAULT_REFERENCE_DATE)


def shared_lake(tmp_path_factory, name: str, *, population: int, seed: int,
                reference_date: str) -> Path:
    """The lake `generate_lake` makes from these arguments (and `TEST_KEY`), generated once
    for the run and read by every worker (`tests.shared.shared_folder`). Read-only: a test
    that changes a lake must change a copy."""
    return shared_folder(
        tmp_path_factory, f"lake-{name}-{population}-{seed}-{reference_date}",
        lambda out: generate_lake(out, population=population, seed=seed,
                                  reference_date=reference_date, key=TEST_KEY), name="blmk")


@pytest.fixture(scope="session")
def lake(lake_dir):
    from icsight.engine import open_lake

    return open_lake(lake_dir)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under `--dist loadgroup`, each module's tests run on one worker unless a test names
    its own group (the browser tests, the Spark engine's specs): a module-scoped fixture (a
    generated population, a build, a Spark session) is then made once per run, not once on
    each worker that happens to receive one of its tests."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        group = marker.args[0] if marker and marker.args else item.module.__name__
        if marker is None:
            item.add_marker(pytest.mark.xdist_group(group))
        if hasattr(item, "_id"):
            # pytest 9.2 keeps the node id in `_id`; pytest-xdist 3.8 writes its group suffix
            # to `_nodeid`, which pytest no longer reads, so the groups would be ignored
            from _pytest.nodeid import NodeId

            item._id = NodeId.parse(f"{item.nodeid}@{group}")
