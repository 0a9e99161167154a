"""Cancer waiting times and urgent community response recomputed in plain DuckDB SQL straight
from the lake's Parquet files, from the published definitions, as an analyst checking our
numbers would (issue 10), on the session's synthetic lake."""

from __future__ import annotations

import duckdb
import pytest

from icsight.indicators.catalogue import compute
from icsight.lake import ANALYTICS, zone_path

PERIOD_END = "2026-09-30"
MONTH = "d > DATE '2026-08-31' AND d <= DATE '2026-09-30'"

QUERIES = {
    # 28-day FDS: USC, breast symptomatic and screening referrals told in the month
    "CANCER_FDS_28D": f"""
        SELECT count(*) FILTER (WHERE d - referral_date <= 28), count(*)
        FROM (SELECT *, faster_diagnosis_date AS d FROM '{{a}}/cancer_pathways.parquet')
        JOIN '{{a}}/patients.parquet' USING (patient_id)
        WHERE route IN ('urgent_suspected_cancer', 'breast_symptomatic', 'screening')
          AND {MONTH}""",
    # 62-day combined: first treatments in the month, every route
    "CANCER_62D": f"""
        SELECT count(*) FILTER (WHERE d - referral_date <= 62), count(*)
        FROM (SELECT *, first_treatment_date AS d FROM '{{a}}/cancer_pathways.parquet')
        JOIN '{{a}}/patients.parquet' USING (patient_id)
        WHERE {MONTH}""",
    # 2-hour UCR: contacts in the month with the timing recorded
    "UCR_2HR": f"""
        SELECT count(*) FILTER (WHERE within_2_hours), count(*)
        FROM (SELECT *, start_date AS d FROM '{{a}}/community_contacts.parquet')
        JOIN '{{a}}/patients.parquet' USING (patient_id)
        WHERE service = 'urgent_community_response' AND within_2_hours IS NOT NULL
          AND {MONTH}""",
}


@pytest.fixture(scope="module")
def results(lake):
    return compute(lake, PERIOD_END, list(QUERIES))


@pytest.mark.parametrize("indicator_id", sorted(QUERIES))
def test_the_icb_figure_matches_plain_sql(results, lake_dir, indicator_id):
    a = zone_path(lake_dir, ANALYTICS)
    expected = duckdb.sql(QUERIES[indicator_id].replace("{a}", str(a))).fetchone()
    row = results[(results.indicator_id == indicator_id)
                  & (results.breakdown == "icb")].iloc[0]
    assert expected[1] > 0, "the synthetic lake should hold some in the month"
    assert (row.numerator, row.denominator) == expected
    assert row.value == pytest.approx(100 * expected[0] / expected[1])
