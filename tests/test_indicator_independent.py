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


_REGISTERED_ON = """
    SELECT * FROM '{a}/patients.parquet'
    WHERE registration_start <= DATE '2026-09-30'
      AND coalesce(registration_end, DATE '9999-01-01') > DATE '2026-09-30'
      AND coalesce(date_of_death, DATE '9999-01-01') > DATE '2026-09-30'"""


def _ours(lake, indicator_id):
    from icsight.indicators.catalogue import indicator

    ours = indicator(indicator_id).compute(lake, "2026-09-30")
    return ours[ours.breakdown == "practice"].set_index("group").sort_index()


def test_learning_disability_prevalence_recomputed_in_sql(lake, lake_dir):
    """LD_PREVALENCE: anyone registered with an LD_COD code by the period end, all ages."""
    a = zone_path(lake_dir, ANALYTICS)
    sql = f"""
    WITH p AS ({_REGISTERED_ON.format(a=a)}),
    ld AS (SELECT DISTINCT patient_id FROM '{a}/clinical_events.parquet'
           WHERE date <= DATE '2026-09-30'
             AND snomed_code IN ({_in(codelist('ld_cod_20241205').codes)}))
    SELECT practice_code AS "group", count(ld.patient_id) AS numerator, count(*) AS denominator
    FROM p LEFT JOIN ld USING (patient_id) GROUP BY 1
    """
    expected = duckdb.sql(sql).df().set_index("group").sort_index()
    ours = _ours(lake, "LD_PREVALENCE")
    assert len(expected) == len(ours) > 80
    assert expected.numerator.sum() > 100  # the generator writes LD_COD codes
    assert (expected.numerator == ours.numerator).all()
    assert (expected.denominator == ours.denominator).all()


def test_salbutamol_inhaler_carbon_and_device_share_recomputed_in_sql(lake, lake_dir):
    """SABA_CARBON and SABA_PMDI_SHARE from the medications file and the reference CSV:
    issues in the 12 months of valued salbutamol products to people registered when issued."""
    from icsight.model.reference import data_path

    a = zone_path(lake_dir, ANALYTICS)
    carbon = data_path("reference", "inhaler_carbon.csv")
    sql = f"""
    WITH c AS (SELECT bnf_code, kg_co2e_per_inhaler kg,
                      device_type LIKE 'pMDI%' OR device_type LIKE 'BAI%' AS pressurised
               FROM read_csv('{carbon}', all_varchar=true, header=true)
               WHERE level = 'product'),
    i AS (SELECT m.*, c.kg::DOUBLE kg, c.pressurised, p.practice_code
          FROM '{a}/medications.parquet' m JOIN c USING (bnf_code)
          JOIN '{a}/patients.parquet' p USING (patient_id)
          WHERE m.date > DATE '2025-09-30' AND m.date <= DATE '2026-09-30'
            AND p.registration_start <= m.date
            AND coalesce(p.registration_end, DATE '9999-01-01') >= m.date
            AND coalesce(p.date_of_death, DATE '9999-01-01') >= m.date)
    SELECT practice_code AS "group",
           sum(round(coalesce(quantity, 1) * kg * 1000))::BIGINT AS grams,
           count(*) FILTER (WHERE pressurised) AS pressurised, count(*) AS items
    FROM i GROUP BY 1
    """
    issues = duckdb.sql(sql).df().set_index("group").sort_index()
    listed = duckdb.sql(f"""SELECT practice_code AS "group", count(*) AS n
                            FROM ({_REGISTERED_ON.format(a=a)}) GROUP BY 1""").df()
    listed = listed.set_index("group").sort_index()

    carbon_ours = _ours(lake, "SABA_CARBON")
    grams = issues.grams.reindex(listed.index, fill_value=0)
    assert grams.sum() > 0
    assert (carbon_ours.numerator == grams).all()
    assert (carbon_ours.denominator == listed.n).all()
    assert (carbon_ours.value - grams / 1000 / listed.n).abs().max() < 1e-9

    share_ours = _ours(lake, "SABA_PMDI_SHARE")
    assert (share_ours.numerator == issues.pressurised.reindex(share_ours.index)).all()
    assert (share_ours.denominator == issues["items"].reindex(share_ours.index)).all()
    assert set(share_ours.index) == set(issues.index)
