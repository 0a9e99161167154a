"""The indicator catalogue: complete definitions, consistent results, numbers checked against
plain SQL written from the published definitions."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.indicators.breakdown import COLUMNS, METHODS
from icsight.indicators.catalogue import PROGRAMMES, catalogue, compute, indicator

PERIOD_END = "2026-09-30"


def test_every_programme_has_indicators_and_every_definition_is_complete():
    cat = catalogue()
    assert len(cat) >= 30
    assert {i.programme for i in cat.values()} == set(PROGRAMMES)
    for ind in cat.values():
        for field in ("title", "description", "strategy", "numerator", "denominator", "source"):
            assert getattr(ind, field), f"{ind.id} has no {field}"
        assert ind.method in METHODS
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
            assert part.denominator.sum() == icb.denominator.iloc[0], (ind_id, breakdown)
            assert part.numerator.sum() == icb.numerator.iloc[0], (ind_id, breakdown)
        assert (rows.lower_ci <= rows.value + 1e-9).all() and (rows.value <= rows.upper_ci
                                                               + 1e-9).all()


def _icb(results, ind_id):
    row = results[(results.indicator_id == ind_id) & (results.breakdown == "icb")].iloc[0]
    return int(row.numerator), int(row.denominator)


def _sql(lake_dir, query: str):
    a = lake_dir / "analytics"
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
    expected = _sql(lake_dir, f"""
        SELECT (SELECT count(*) FROM '{{a}}/apc_spells.parquet' s JOIN {REG} p
                USING (patient_id) WHERE admission_method = 'emergency'
                AND admission_date > DATE '2025-09-30'
                AND admission_date <= DATE '2026-09-30'),
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
