"""Accounts and a served lake for access tests: shared by the access and API tests."""

from __future__ import annotations

import pandas as pd
import pytest

from icsight.appdb import Accounts
from icsight.lake import table_path
from icsight.services import Service
from tests.shared import shared_build

PASSWORD = "correct horse battery staple"
SECRET = "3c9e1f7a52b84d06e9a1c7f3b5d2e8a4f60b9c1d7e3a5f28"  # random-looking, test-only


@pytest.fixture(scope="module")
def access_results(lake_dir, tmp_path_factory):
    """A results store and the service over the test lake: CVDP007HYP, and LD_PREVALENCE,
    whose practice counts are small in a 60,000-person lake (about 3 people a practice on the
    learning disability register), so suppression always has work to do. The store is built
    once per run and shared (the services only read it); each module has its own service and
    audit log."""
    tmp = tmp_path_factory.mktemp("access")
    results = shared_build(tmp_path_factory, lake_dir, 2, ("CVDP007HYP", "LD_PREVALENCE"))
    patients = pd.read_parquet(table_path(lake_dir, "patients"))
    current = patients[patients.registration_end.isna() & patients.date_of_death.isna()]
    practices = current.practice_code.value_counts().index
    mine, theirs = practices[0], practices[1]
    own = int(current[current.practice_code == mine].patient_id.iloc[0])
    other = int(current[current.practice_code == theirs].patient_id.iloc[0])
    service = Service(lake_dir, results, tmp / "audit.jsonl")
    return {"service": service, "mine": mine, "theirs": theirs, "own": own, "other": other,
            "tmp": tmp}


@pytest.fixture(scope="module")
def setting(access_results, module_database_url):
    """`access_results` and four accounts (one per role), on each database in turn."""
    accounts = Accounts(module_database_url)
    accounts.add("ana", PASSWORD, "analyst")
    accounts.add("cli", PASSWORD, "clinician", practice_code=access_results["mine"])
    accounts.add("adm", PASSWORD, "admin")
    accounts.add("pub", PASSWORD, "public")
    return {**access_results, "accounts": accounts}


