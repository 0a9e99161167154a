"""The whole catalogue on Spark gives the same numbers as on DuckDB (the same Ibis queries)."""

from __future__ import annotations

import pytest

from icsight.engine import open_lake
from icsight.indicators.catalogue import catalogue, compute
from icsight.synth.generate import generate_lake
from tests.lakes import TEST_KEY, assert_absent_only_for_want_of_events


@pytest.fixture(scope="module")
def small_lake(tmp_path_factory):
    out = tmp_path_factory.mktemp("spark") / "lake"
    generate_lake(out, 3000, seed=21, reference_date="2026-09-30", key=TEST_KEY)
    return out


def test_catalogue_on_spark_matches_duckdb(small_lake):
    duck = compute(open_lake(small_lake), "2026-09-30")
    spark_lake = open_lake(small_lake, backend="spark")
    spark = compute(spark_lake, "2026-09-30")
    assert set(spark.indicator_id) == set(duck.indicator_id)
    # On 3,000 people a month can hold no first cancer treatment (about 3 a month per 10,000)
    # or no first autism assessment appointment at all: then CANCER_62D or AUTISM_13WK has no
    # denominator on either engine, which the lake confirms (the month's events, by table).
    assert_absent_only_for_want_of_events(set(catalogue()) - set(duck.indicator_id),
                                          small_lake, "2026-09-01", "2026-09-30")
    keys = ["indicator_id", "breakdown", "group"]
    merged = duck.merge(spark, on=keys, how="outer", suffixes=("_duckdb", "_spark"),
                        indicator=True)
    assert (merged._merge == "both").all(), merged[merged._merge != "both"][keys]
    for col in ("numerator", "denominator"):
        differ = merged[merged[f"{col}_duckdb"] != merged[f"{col}_spark"]]
        assert differ.empty, differ[keys].head()
    assert (merged.value_duckdb - merged.value_spark).abs().max() < 1e-9
