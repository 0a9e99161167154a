"""The indicator catalogue: complete definitions, consistent results, numbers checked against
plain SQL written from the published definitions."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.indicators.breakdown import COLUMNS, METHODS
from icsight.indicators.catalogue import PROGRAMMES, catalogue, compute, indicator
from icsight.indicators.definition import OWN_METHODS
from icsight.lake import ANALYTICS, zone_path
from icsight.model.reference import data_path

PERIOD_END = "2026-09-30"


def test_every_programme_has_indicators_and_every_definition_is_complete():
    cat = catalogue()
    assert len(cat) >= 30
    assert {i.programme for i in cat.values()} == set(PROGRAMMES)
    for ind in cat.values():
        for field in ("title", "description", "strategy", "numerator", "denominator", "source"):
            assert getattr(ind, field), f"{ind.id} has no {field}"
        assert ind.method in METHODS + OWN_METHODS
        assert ind.polarity in ("higher is better", "lower is better", "no polarity")


@pytest.fixture(scope="module")
def results(lake):
    return compute(lake, PERIOD_END)


def test_every_indicator_computes_in_the_tidy_shape(results):
    assert list(results.columns) == COLUMNS
    assert set(results.indicator_id) == set(catalogue())
    for ind_id, rows in results.groupby("indicator_id"):
        icb = rows[rows.breakdown == "icb"]
        assert len(icb) == 1 and icb.denominator.iloc[0] > 0, ind_id
        for breakdown in ("place", "sex", "imd_quintile"):
            part = rows[rows.breakdown == breakdown]
            # expected counts (observed-vs-expected indicators) are rounded to 2 decimals
            assert part.denominator.sum() == pytest.approx(icb.denominator.iloc[0],
                                                           abs=0.01 * len(part)), (ind_id,
                                                                                   breakdown)
            assert part.numerator.sum() == icb.numerator.iloc[0], (ind_id, breakdown)
        # standardised rates need 10+ events, life expectancy 5,000+ person-years
        shown = rows.dropna(subset=["value"])
        assert len(shown), ind_id
        if catalogue()[ind_id].method == "amount":  # a quantity, not a count: no interval
            assert shown[["lower_ci", "upper_ci"]].isna().all().all(), ind_id
        else:
            assert shown[["lower_ci", "upper_ci"]].notna().all().all(), ind_id
            assert (shown.lower_ci <= shown.value + 1e-9).all() and (
                shown.value <= shown.upper_ci + 1e-9).all(), ind_id
        hidden = rows[rows.value.isna()]
        assert catalogue()[ind_id].method in ("dsr", "life_expectancy") or hidden.empty, ind_id
        ind = catalogue()[ind_id]  # who counts and how, on every row
        assert (rows.denominator_basis == ind.denominator_basis).all(), ind_id
        if ind.method == "dsr":
            ages = rows[rows.breakdown == "age_band"]
            assert ages.method.str.startswith("DSR ESP2013 over the band's own ages").all()
            assert rows[rows.breakdown != "age_band"].method.nunique() == 1, ind_id
        else:
            assert rows.method.nunique() == 1 and rows.method.iloc[0], ind_id


def _icb(results, ind_id):
    row = results[(results.indicator_id == ind_id) & (results.breakdown == "icb")].iloc[0]
    return int(row.numerator), int(row.denominator)


def _sql(lake_dir, query: str):
    a = zone_path(lake_dir, ANALYTICS)
    return duckdb.sql(query.replace("{a}", str(a))).fetchone()


REG = """(SELECT *, year(DATE '2026-09-30') - year(month_of_birth)
          - CASE WHEN month(month_of_birth) > 9 THEN 1 ELSE 0 END AS age
          FROM '{a}/patients.parquet' WHERE registration_start <= DATE '2026-09-30'
          AND coalesce(registration_end, DATE '9999-01-01') > DATE '2026-09-30'
          AND coalesce(date_of_death, DATE '9999-01-01') > DATE '2026-09-30')"""


def test_rtt_52_weeks_matches_plain_sql(results, lake_dir):
    expected = _sql(lake_dir, """
        SELECT count(*) FILTER (WHERE DATE '2026-09-30' - clock_start > 364), count(*)
        FROM '{a}/rtt_pathways.parquet' r JOIN '{a}/patients.parquet' USING (patient_id)
        WHERE clock_start <= DATE '2026-09-30'
          AND (clock_stop IS NULL OR clock_stop > DATE '2026-09-30')""")
    assert _icb(results, "RTT_52WK") == expected


def test_bowel_screening_matches_plain_sql(results, lake_dir):
    expected = _sql(lake_dir, f"""
        WITH p AS (SELECT * FROM {REG} WHERE age BETWEEN 60 AND 74
                   AND patient_id NOT IN (SELECT patient_id FROM '{{a}}/screening.parquet'
                       WHERE programme = 'bowel' AND event = 'ceased'
                       AND date <= DATE '2026-09-30')),
        t AS (SELECT DISTINCT patient_id FROM '{{a}}/screening.parquet'
              WHERE programme = 'bowel' AND event = 'tested'
              AND date > DATE '2024-03-30' AND date <= DATE '2026-09-30')
        SELECT count(t.patient_id), count(*) FROM p LEFT JOIN t USING (patient_id)""")
    assert _icb(results, "SCREEN_BOWEL") == expected


def test_emergency_admission_rate_matches_plain_sql(results, lake_dir):
    # every emergency admission in the 12 months of a person registered when admitted (HES
    # counting), per the registered population on the period end
    expected = _sql(lake_dir, f"""
        SELECT (SELECT count(*) FROM '{{a}}/apc_spells.parquet' s
                JOIN '{{a}}/patients.parquet' p USING (patient_id)
                WHERE admission_method = 'emergency'
                AND admission_date > DATE '2025-09-30' AND admission_date <= DATE '2026-09-30'
                AND p.registration_start <= s.admission_date
                AND coalesce(p.registration_end, DATE '9999-01-01') >= s.admission_date
                AND coalesce(p.date_of_death, DATE '9999-01-01') >= s.admission_date),
               (SELECT count(*) FROM {REG})""")
    assert _icb(results, "EMERG_ADM_RATE") == expected


def test_cli_lists_and_shows_the_catalogue():
    runner = CliRunner()
    listed = runner.invoke(main, ["indicators", "list"])
    assert listed.exit_code == 0 and "SCREEN_CERVICAL" in listed.output
    shown = runner.invoke(main, ["indicators", "show", "cvdp007hyp"])
    assert shown.exit_code == 0 and "HYP_COD" in shown.output and "80%" in shown.output
    missing = runner.invoke(main, ["indicators", "show", "NOPE"])
    assert missing.exit_code == 2 and "indicators list" in missing.output


def test_unknown_indicator_is_refused(lake_dir, tmp_path):
    result = CliRunner().invoke(main, ["indicators", "--lake", str(lake_dir), "--id", "NOPE",
                                       "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "unknown indicator NOPE" in result.output


def test_indicator_lookup_is_case_insensitive():
    assert indicator("rtt_18wk").id == "RTT_18WK"
    with pytest.raises(KeyError):
        indicator("NOPE")


def test_emergency_cancer_presentations_match_plain_sql(results, lake_dir):
    expected = _sql(lake_dir, """
        SELECT count(*) FILTER (WHERE EXISTS (
                 SELECT 1 FROM '{a}/apc_spells.parquet' s WHERE s.patient_id = c.patient_id
                   AND s.admission_method = 'emergency' AND s.primary_diagnosis LIKE 'C%'
                   AND s.admission_date BETWEEN c.diagnosis_date - 30 AND c.diagnosis_date)),
               count(*)
        FROM '{a}/cancer_diagnoses.parquet' c JOIN '{a}/patients.parquet' USING (patient_id)
        WHERE c.diagnosis_date > DATE '2025-09-30' AND c.diagnosis_date <= DATE '2026-09-30'""")
    assert _icb(results, "CANCER_EMERGENCY_PRESENTATION") == expected


def test_elective_activity_against_baseline_matches_plain_sql(results, lake_dir):
    activity = """(SELECT patient_id, admission_date AS d FROM '{a}/apc_spells.parquet'
                   WHERE admission_method = 'elective'
                   UNION ALL SELECT patient_id, appointment_date FROM
                   '{a}/op_appointments.parquet' WHERE first_attendance
                   AND attended = 'attended')"""
    expected = _sql(lake_dir, f"""
        SELECT count(*) FILTER (WHERE d > DATE '2025-09-30' AND d <= DATE '2026-09-30'),
               count(*) FILTER (WHERE d BETWEEN DATE '2022-04-01' AND DATE '2023-03-31')
        FROM {activity} JOIN '{{a}}/patients.parquet' USING (patient_id)""")
    row = results[(results.indicator_id == "ELECTIVE_VS_BASELINE")
                  & (results.breakdown == "icb")].iloc[0]
    assert (row.numerator, row.denominator) == expected
    assert row.value == pytest.approx(100 * expected[0] / expected[1])


def test_premature_cvd_mortality_counts_match_plain_sql(results, lake_dir):
    deaths = _sql(lake_dir, """
        SELECT count(*) FROM '{a}/deaths.parquet' d JOIN '{a}/patients.parquet' p
          USING (patient_id)
        WHERE d.date_of_death > DATE '2025-09-30' AND d.date_of_death <= DATE '2026-09-30'
          AND d.underlying_cause LIKE 'I%' AND p.registration_start <= d.date_of_death
          AND year(d.date_of_death) - year(p.month_of_birth)
              - CASE WHEN month(p.month_of_birth) > month(d.date_of_death) THEN 1 ELSE 0 END
              < 75""")
    living = _sql(lake_dir, f"SELECT count(*) FROM {REG} WHERE age < 75")
    died = _sql(lake_dir, """
        SELECT count(*) FROM '{a}/deaths.parquet' d JOIN '{a}/patients.parquet' p
          USING (patient_id)
        WHERE d.date_of_death > DATE '2025-09-30' AND d.date_of_death <= DATE '2026-09-30'
          AND p.registration_start <= d.date_of_death
          AND year(d.date_of_death) - year(p.month_of_birth)
              - CASE WHEN month(p.month_of_birth) > month(d.date_of_death) THEN 1 ELSE 0 END
              < 75""")
    assert _icb(results, "PREM_MORT_CVD") == (deaths[0], living[0] + died[0])


DEM_COD = data_path("codelists", "dem_cod.csv")


def test_dementia_diagnosis_rate_matches_plain_sql_with_cfas2_rates(results, lake_dir):
    rates = """(SELECT * FROM (VALUES (65, 69, 0.012, 0.018), (70, 74, 0.030, 0.025),
                (75, 79, 0.052, 0.062), (80, 84, 0.106, 0.095), (85, 89, 0.128, 0.181),
                (90, 200, 0.171, 0.350)) AS r(lo, hi, male, female))"""
    expected = _sql(lake_dir, f"""
        WITH p AS (SELECT * FROM {REG} WHERE age >= 65),
        dem AS (SELECT DISTINCT patient_id FROM '{{a}}/clinical_events.parquet'
                WHERE date <= DATE '2026-09-30' AND snomed_code IN
                (SELECT code FROM read_csv('{DEM_COD}', all_varchar = true)))
        SELECT count(*) FILTER (WHERE patient_id IN (SELECT patient_id FROM dem)),
               sum(CASE WHEN sex = 'male' THEN r.male WHEN sex = 'female' THEN r.female
                        ELSE (r.male + r.female) / 2 END)
        FROM p JOIN {rates} r ON p.age BETWEEN r.lo AND r.hi""")
    row = results[(results.indicator_id == "DEMENTIA_DIAGNOSIS_RATE")
                  & (results.breakdown == "icb")].iloc[0]
    assert row.numerator == expected[0]
    assert row.denominator == pytest.approx(expected[1], abs=0.01)
    assert row.value == pytest.approx(100 * expected[0] / expected[1], rel=1e-4)
