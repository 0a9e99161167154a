"""Worklists reconcile with their indicators on a small synthetic lake: for every practice,
the rows that count towards the target are the indicator's shortfall (denominator minus
numerator where higher is better; the numerator where lower is better), computed here from the
indicator's own tidy output (`Indicator.compute`, the build's path), not from the list."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from icsight.indicators.catalogue import indicator
from icsight.synth import DEFAULT_REFERENCE_DATE
from icsight.worklists.catalogue import WORKLISTS, find_all, shortfall
from icsight.worklists.definition import ROW_COLUMNS


@pytest.fixture(scope="module")
def as_of():
    return DEFAULT_REFERENCE_DATE


@pytest.fixture(scope="module")
def every_row(lake, as_of):
    return find_all(lake, as_of)


WITH_INDICATOR = [wl for wl in WORKLISTS.values() if wl.indicator_id and wl.whole_shortfall]


@pytest.mark.parametrize("wl", WITH_INDICATOR, ids=lambda w: w.id)
def test_rows_counting_towards_target_are_the_indicator_shortfall(lake, as_of, every_row, wl):
    ind = indicator(wl.indicator_id)
    tidy = ind.compute(lake, as_of)
    practices = tidy[tidy.breakdown == "practice"].set_index("group")
    lower = ind.polarity == "lower is better"
    expected = (practices.numerator if lower else practices.denominator - practices.numerator)
    rows = every_row[(every_row.list_id == wl.id) & every_row.counts_towards_target]
    got = rows.groupby("practice_code").size()
    expected = expected[expected > 0].astype(int)
    assert expected.sum() > 0, "the synthetic lake should give this list some rows"
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_the_high_risk_list_is_part_of_the_not_at_target_list(every_row):
    high = every_row[every_row.list_id == "hypertension-high-risk"]
    whole = every_row[every_row.list_id == "hypertension-above-target"]
    assert len(high) > 0
    assert set(zip(high.patient_id, high.practice_code, strict=True)) <= set(
        zip(whole.patient_id, whole.practice_code, strict=True))
    assert high.reasons.str.contains("High cardiovascular risk").all()


def test_every_row_has_the_shared_columns_and_an_explained_priority(every_row):
    assert set(WORKLISTS) - {"learning-disability-health-check"} <= set(every_row.list_id)
    for column in ROW_COLUMNS:
        assert every_row[column].notna().all() or column == "days_overdue", column
    facts = every_row.facts.map(json.loads)
    assert facts.map(lambda f: isinstance(f, dict) and len(f) > 0).all()
    assert every_row.clinical_risk.between(0, 1).all()
    # the explanation ends with the score it explains
    ends = every_row.priority_explained.str.extract(r"= ([0-9.]+)$")[0].astype(float)
    assert (ends == every_row.priority).all()
    assert not every_row.duplicated(["list_id", "patient_id", "practice_code"]).any()


def test_shortfall_needs_and_fastest(lake, as_of, every_row):
    out = shortfall(lake, as_of, ["hypertension-above-target", "smi-health-checks"],
                    rows=every_row)
    assert len(out) > 0
    for r in out.itertuples():
        target = indicator(r.indicator_id).target
        # after `needed` more reach the standard the practice is at or above the target,
        # and one fewer would leave it below
        assert 100 * (r.numerator + r.needed) >= target * r.denominator
        if r.needed > 0:
            assert 100 * (r.numerator + r.needed - 1) < target * r.denominator
        assert len(r.fastest) == min(r.needed, r.rows_counting)
        mine = every_row[(every_row.list_id == r.list_id)
                         & (every_row.practice_code == r.practice_code)].set_index("patient_id")
        steps = mine.loc[r.fastest, "steps_to_standard"].tolist() if r.fastest else []
        assert steps == sorted(steps)  # fewest contacts first
