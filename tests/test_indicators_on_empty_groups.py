"""Indicators on a lake with one 65-year-old and no events: nobody of their ages (HPV at 14,
cervical screening at 25-64) and no numerator anywhere. Each answers with its tidy columns,
never an error: a practice's own extract, or a build of a small lake, can hold no one a rule
counts. (HPV_BY_14 failed here: pandas cannot outer-merge Arrow-backed keys with an empty
side; every indicator went through the same margins, so two stand for all, to keep the
suite's time.)"""

from __future__ import annotations

import pytest

from icsight.engine import open_lake
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import COLUMNS
from tests.lakes import make_lake, patient


@pytest.fixture(scope="module")
def lone_adult(tmp_path_factory):
    folder = make_lake(tmp_path_factory.mktemp("lone") / "lake", [patient(1)], [])
    return open_lake(folder)


@pytest.mark.parametrize("indicator_id", ["HPV_BY_14", "SCREEN_CERVICAL"])
def test_an_indicator_with_nobody_to_count_answers_with_its_columns(lone_adult, indicator_id):
    tidy = catalogue()[indicator_id].compute(lone_adult, "2025-03-31")
    assert list(tidy.columns) == list(COLUMNS)
    assert (tidy.numerator.fillna(0) == 0).all()
