"""The generator writes no row twice (issue 11 point 3).

Event and medicine rows carry no time or record id, so two identical rows cannot be told apart
from one row sent twice, and ingestion refuses the second as a duplicate. So the generator
writes one row per fact, and the demo's own FHIR export loads with nothing quarantined.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from icsight.lake import table_path
from icsight.model.schema import TABLES
from icsight.synth import primary_care
from icsight.synth.primary_care import ALCOHOL, first_of_identical, one_issue_per_day
from tests.generated import Generated


def test_identical_rows_keep_only_their_first_and_the_order():
    person = np.array([7, 3, 7, 7, 3, 7])
    day = np.array([10, 10, 10, 10, 10, 11])
    code = np.array([1, 1, 1, 2, 1, 1])
    value = np.array([np.nan, 140.0, np.nan, np.nan, 140.0, np.nan])
    keep = first_of_identical(person, day, code, value)
    # rows 2 and 4 repeat rows 0 and 1 exactly (a missing value equals a missing value); row 3
    # differs in its code and row 5 in its day
    assert keep.tolist() == [True, True, False, True, False, True]


def test_a_different_value_on_the_same_day_is_a_second_reading():
    keep = first_of_identical(np.array([1, 1, 1]), np.array([5, 5, 5]),
                              np.array([0, 0, 0]), np.array([142.0, 138.0, 142.0]))
    assert keep.tolist() == [True, True, False]


def test_nothing_to_keep_from_nothing():
    assert first_of_identical(np.array([], np.int64), np.array([], float)).tolist() == []
    keep, quantity = one_issue_per_day(*(np.array([], np.int64),) * 3, np.array([], float))
    assert keep.tolist() == [] and quantity.tolist() == []


def test_same_day_issues_of_one_product_are_one_issue_of_their_total():
    person = np.array([4, 9, 4, 4, 4, 9])
    day = np.array([20, 20, 20, 21, 20, 20])
    product = np.array([0, 0, 0, 0, 1, 0])
    quantity = np.array([1.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    keep, total = one_issue_per_day(person, day, product, quantity)
    # person 4's two issues of product 0 on day 20 become one of 3; person 9's two become one
    # of 2; another day or another product stays its own issue
    assert keep.tolist() == [True, True, False, True, True, False]
    assert total.tolist() == [3.0, 2.0, 1.0, 1.0]
    assert total.sum() == quantity.sum()  # no inhaler lost


@pytest.mark.parametrize("seed", range(5))
def test_rows_kept_and_totals_agree_with_counting_by_hand(seed):
    """Against a plain reading of the rule, on rows where repeats are common (negative days,
    missing values and wide person ids included)."""
    rng = np.random.default_rng(seed)
    n = 3_000
    person = rng.integers(0, 40, n) * 1_000_003
    day = rng.integers(-20_000, -19_990, n)
    code = rng.integers(0, 3, n).astype(np.int16)
    value = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 3, n).astype(float))
    seen, expected = set(), []
    for row in zip(person, day, code, np.nan_to_num(value, nan=-1.0), strict=True):
        expected.append(row not in seen)
        seen.add(row)
    assert first_of_identical(person, day, code, value).tolist() == expected
    totals: dict[tuple, float] = {}
    for row, q in zip(zip(person, day, code, strict=True), value + 10, strict=True):
        totals[row] = totals.get(row, 0.0) + (0.0 if np.isnan(q) else q)
    keep, total = one_issue_per_day(person, day, code, np.nan_to_num(value + 10))
    assert keep.sum() == len(totals)
    assert total.tolist() == list(totals.values())  # in the order the issues first appear


@pytest.fixture(scope="module")
def primary():
    return Generated(20_000, seed=7, modules=[primary_care])


def _repeated(g: Generated, name: str, columns: list[str]) -> int:
    keys = ", ".join(columns)
    return g.sql(f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {name}))"
                 f" FROM {name}")


def test_primary_care_writes_no_row_twice(primary):
    assert _repeated(primary, "clinical_events", TABLES["clinical_events"].column_names) == 0
    assert _repeated(primary, "medications", TABLES["medications"].column_names) == 0
    # same-day issues of one product are merged, not just identical ones dropped
    assert _repeated(primary, "medications", ["patient_id", "date", "dmd_code"]) == 0
    # and repeat readings at one visit are still written when they differ
    assert primary.sql("""SELECT count(*) FROM (SELECT patient_id, date FROM clinical_events
                          WHERE snomed_code = '271649006' GROUP BY ALL HAVING count(*) > 1)"""
                       ) > 100


def test_smi_checks_do_not_pile_up_on_the_last_day_of_a_record(primary):
    # alcohol intake is only recorded at the SMI checks, once a year: a year's checks after the
    # person left or died are not written, so nobody has two readings on one day
    assert primary.sql(f"""SELECT count(*) FROM (SELECT patient_id, date FROM clinical_events
                           WHERE snomed_code = '{ALCOHOL}' GROUP BY ALL HAVING count(*) > 1)"""
                       ) == 0
    # people who died with SMI still have the checks of their years alive
    assert primary.sql(f"""SELECT count(DISTINCT e.patient_id) FROM clinical_events e
                           JOIN patients p USING (patient_id)
                           WHERE e.snomed_code = '{ALCOHOL}' AND p.date_of_death IS NOT NULL
                           """) > 0


def test_no_table_of_a_generated_lake_holds_a_row_twice(lake_dir):
    """Every table, by its key (keyed tables) or its whole row (event tables)."""
    con = duckdb.connect()
    repeated = {}
    for name, spec in TABLES.items():
        path = table_path(lake_dir, name)
        if not path.is_file():
            continue
        keys = ", ".join(f'"{c}"' for c in (spec.key or spec.column_names))
        repeated[name] = con.sql(f"""SELECT count(*) - (SELECT count(*) FROM
                                     (SELECT DISTINCT {keys} FROM '{path}')) FROM '{path}'
                                  """).fetchone()[0]
    assert repeated["clinical_events"] == 0 and "medications" in repeated
    assert {name: n for name, n in repeated.items() if n} == {}
