"""Shared fixtures: small synthetic lakes, built once per test session."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def lake_dir(tmp_path_factory):
    """A 60,000-person synthetic lake (every table), generated once for the session."""
    out = tmp_path_factory.mktemp("lake") / "blmk"
    generate_lake(out, population=60_000, seed=11, reference_date=DEFAULT_REFERENCE_DATE,
                  key=TEST_KEY)
    return out


@pytest.fixture(scope="session")
def lake(lake_dir):
    from icsight.engine import open_lake

    return open_lake(lake_dir)
