"""CVDP007HYP recomputed independently, in plain DuckDB SQL straight from the Parquet files,
as an analyst checking our numbers would, and compared with the Ibis result."""

from __future__ import annotations

import duckdb

from icsight.indicators.programmes.cvdprevent import cvdp007hyp
from icsight.lake import ANALYTICS, zone_path
from icsight.model.codelists import codelist, home_diastolic_bp, home_systolic_bp


def _in(codes) -> str:
    return ",".join(f"'{c}'" for c in codes)


def test_independent_sql_agrees_by_practice(lake, lake_dir):
    a = zone_path(lake_dir, ANALYTICS)
    sql = f"""
    WITH p AS (
      SELECT *, year(DATE '2026-09-30') - year(month_of_birth)
                - CASE WHEN month(month_of_birth) > 9 THEN 1 ELSE 0 END AS age
      FROM '{a}/patients.parquet'
      WHERE registration_start <= DATE '2026-09-30'
        AND coalesce(registration_end, DATE '9999-01-01') > DATE '2026-09-30'
        AND coalesce(date_of_death, DATE '9999-01-01') > DATE '2026-09-30'),
    e AS (SELECT * FROM '{a}/clinical_events.parquet' WHERE date <= DATE '2026-09-30'),
    reg AS (
      SELECT patient_id FROM e GROUP BY patient_id
      HAVING max(date) FILTER (WHERE snomed_code IN ({_in(codelist('hyp_cod').codes)}))
           > coalesce(max(date) FILTER (WHERE snomed_code IN
                      ({_in(codelist('hypres_cod').codes)})), DATE '1800-01-01')),
    s AS (SELECT patient_id, date, min(numeric_value) v,
                 bool_and(snomed_code IN ({_in(home_systolic_bp().codes)})) h
          FROM e WHERE snomed_code IN ({_in(codelist('systolic_bp_qof').codes)})
           AND numeric_value >= 50 AND date > DATE '2025-09-30' GROUP BY ALL),
    d AS (SELECT patient_id, date, min(numeric_value) v,
                 bool_and(snomed_code IN ({_in(home_diastolic_bp().codes)})) h
          FROM e WHERE snomed_code IN ({_in(codelist('diastolic_bp_qof').codes)})
           AND numeric_value >= 20 AND date > DATE '2025-09-30' GROUP BY ALL),
    bp AS (SELECT patient_id, arg_max(s.v, date) sbp, arg_max(d.v, date) dbp,
                  arg_max(s.h AND d.h, date) home
           FROM s JOIN d USING (patient_id, date) GROUP BY patient_id),
    j AS (SELECT p.practice_code,
            coalesce(sbp <= CASE WHEN home THEN (CASE WHEN age >= 80 THEN 145 ELSE 135 END)
                                 ELSE (CASE WHEN age >= 80 THEN 150 ELSE 140 END) END
                     AND dbp <= CASE WHEN home THEN 85 ELSE 90 END, false) ok
          FROM p JOIN reg USING (patient_id) LEFT JOIN bp USING (patient_id)
          WHERE age >= 18)
    SELECT practice_code AS "group", count(*) FILTER (WHERE ok) AS numerator,
           count(*) AS denominator FROM j GROUP BY 1
    """
    expected = duckdb.sql(sql).df().set_index("group").sort_index()
    ours = cvdp007hyp(lake, "2026-09-30")
    ours = ours[ours.breakdown == "practice"].set_index("group").sort_index()
    assert len(expected) == len(ours) > 80
    assert (expected.numerator == ours.numerator).all()
    assert (expected.denominator == ours.denominator).all()
