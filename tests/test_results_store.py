"""`icsight build`: monthly series into the results store, with SPC, inequalities, provenance."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.engine import open_lake
from icsight.indicators.catalogue import indicator
from icsight.indicators.series import month_ends
from icsight.results import latest_run

# HF_ADM_DSR is there for its small cells: a 60,000-person lake has a handful of heart failure
# admissions a year per practice, so the suppression rules always have cells to act on (with the
# other two alone, whether any cell falls to 1-7 depends on the draws)
IDS = ["CVDP007HYP", "EMERG_ADM_RATE", "HF_ADM_DSR"]


def test_month_ends_are_calendar_month_ends():
    assert month_ends("2026-09-30", 3) == [dt.date(2026, 7, 31), dt.date(2026, 8, 31),
                                          dt.date(2026, 9, 30)]
    assert month_ends("2024-03-15", 2) == [dt.date(2024, 2, 29), dt.date(2024, 3, 15)]
    assert len(month_ends("2026-09-30", 36)) == 36


@pytest.fixture(scope="module")
def run(lake_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    args = ["build", "--lake", str(lake_dir), "--months", "4", "--out", str(out)]
    for i in IDS:
        args += ["--id", i]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return latest_run(out)


def test_values_for_every_month_match_a_single_month_computation(run, lake_dir):
    values = pd.read_parquet(run / "indicator_values.parquet")
    assert sorted(values.period_end.unique()) == [
        "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30"]
    assert set(values.indicator_id) == set(IDS)
    planning = open_lake(lake_dir, purpose="planning")  # the build's default purpose
    june = indicator("CVDP007HYP").compute(planning, "2026-06-30")
    stored = values[(values.indicator_id == "CVDP007HYP") & (values.period_end == "2026-06-30")]
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), june, check_dtype=False)
    provenance = json.loads((run / "provenance.json").read_text())
    assert provenance["purpose"] == "planning" and provenance["national_data_opt_out_applied"]


def test_planning_figures_leave_out_the_national_data_opt_out(lake, lake_dir):
    """Opted-out people count for their own direct care, never in planning figures."""
    opted_out = set(lake.table("patients").filter(lambda p: p.data_opt_out)
                    .patient_id.to_pandas())
    assert 0.03 < len(opted_out) / lake.table("patients").count().execute() < 0.08
    for purpose, expect_any in (("planning", False), ("research", False),
                                ("direct_care", True)):
        view = open_lake(lake_dir, purpose=purpose)
        for table in ("patients", "apc_spells", "clinical_events"):
            ids = set(view.table(table).patient_id.to_pandas())
            assert bool(ids & opted_out) == expect_any, (purpose, table)
    everyone = indicator("EMERG_ADM_RATE").compute(lake, "2026-09-30")
    planning = indicator("EMERG_ADM_RATE").compute(open_lake(lake_dir, purpose="planning"),
                                                   "2026-09-30")
    icb = [f[f.breakdown == "icb"].denominator.iloc[0] for f in (everyone, planning)]
    assert icb[1] < icb[0]


def test_spc_and_inequalities(run):
    spc = pd.read_parquet(run / "spc.parquet")
    icb = spc[(spc.indicator_id == "CVDP007HYP") & (spc.breakdown == "icb")]
    assert len(icb) == 4 and icb.short_series_warning.all()  # 4 points: trial limits
    assert (icb.lower_process_limit <= icb["mean"]).all()
    assert set(spc[spc.breakdown == "place"].group) == {
        "Bedford Borough", "Central Bedfordshire", "Luton", "Milton Keynes"}
    gaps = pd.read_parquet(run / "inequalities.parquet")
    values = pd.read_parquet(run / "indicator_values.parquet")
    sept = values[(values.indicator_id == "EMERG_ADM_RATE") & (values.period_end == "2026-09-30")
                  & (values.breakdown == "imd_quintile")].set_index("group").value
    row = gaps[(gaps.indicator_id == "EMERG_ADM_RATE") & (gaps.period_end == "2026-09-30")]
    assert row.gap_q5_minus_q1.iloc[0] == pytest.approx(sept["5"] - sept["1"])
    # emergency admissions are more common in deprived areas: a negative slope from decile 1
    assert row.sii.iloc[0] < 0 and row.rii.iloc[0] < 1
    assert row.sii_lower95_0cl.iloc[0] <= row.sii.iloc[0] <= row.sii_upper95_0cl.iloc[0]


def test_provenance(run, lake):
    prov = json.loads((run / "provenance.json").read_text())
    assert prov["indicators"] == IDS
    assert prov["data_snapshot"]["seed"] == lake.manifest["seed"]
    assert prov["data_snapshot"]["reference_date"] == "2026-09-30"
    assert prov["code_version"].startswith("0.1.0")
    assert set(prov["codelist_versions"]) >= {"hyp_cod", "hypres_cod"}
    assert len(prov["codelist_versions"]["hyp_cod"]) == 12
    assert prov["period_ends"][-1] == "2026-09-30"


def test_no_results_yet_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="icsight build"):
        latest_run(tmp_path)


def test_the_build_writes_the_whole_run_suppressed_once_and_says_so(run, tmp_path):
    from icsight.governance.disclosure import suppress
    from icsight.results import RUN_TABLES, read_latest
    from icsight.results.store import methods

    exact = pd.read_parquet(run / "indicator_values.parquet")
    hierarchy = pd.read_parquet(run / "hierarchy.parquet")
    published = pd.read_parquet(run / "published_values.parquet")
    # the whole table at once (every indicator and month), not one indicator at a time
    pd.testing.assert_frame_equal(published, suppress(exact, hierarchy=hierarchy,
                                                      methods=methods()))
    small = exact.numerator.between(1, 7)
    assert small.any(), "the fixture should have small cells for the rules to act on"
    assert published.suppressed[small].all()
    assert published.suppressed.any() and (published.numerator.dropna() % 5 == 0).all()
    assert "published_values" in RUN_TABLES
    pd.testing.assert_frame_equal(read_latest(run.parent, "published_values"), published)
    prov = json.loads((run / "provenance.json").read_text())["disclosure"]
    assert prov["table"] == "published_values.parquet"
    assert prov["rules"] == {"low": 1, "high": 7, "rounding": 5, "secondary": True,
                             "joint": True}
    assert (prov["cells"], prov["cells_suppressed"]) == (len(published),
                                                         int(published.suppressed.sum()))
    assert prov["seconds"] >= 0


def test_an_amount_builds_with_spc_and_a_gap_but_no_interval_nor_sii(lake_dir, tmp_path):
    """SABA_CARBON (kg CO2e per patient, method `amount`) goes through the whole build: SPC
    and the quintile gap from its values; no confidence interval, so no SII either."""
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["build", "--lake", str(lake_dir), "--months", "3",
                                       "--out", str(out), "--id", "SABA_CARBON"])
    assert result.exit_code == 0, result.output
    run = latest_run(out)
    values = pd.read_parquet(run / "indicator_values.parquet")
    icb = values[values.breakdown == "icb"]
    assert len(icb) == 3 and (icb.value > 0).all() and icb.lower_ci.isna().all()
    spc = pd.read_parquet(run / "spc.parquet")
    assert len(spc[spc.breakdown == "icb"]) == 3
    gaps = pd.read_parquet(run / "inequalities.parquet")
    assert gaps.gap_q5_minus_q1.notna().all() and gaps.sii.isna().all()


def test_one_indicators_rows_are_in_a_few_row_groups_not_the_whole_table(lake_dir, tmp_path,
                                                                         monkeypatch):
    """The value tables are written in row groups, indicator by indicator, so reading one
    indicator (with a filter on `indicator_id`) skips the groups whose statistics exclude it.
    (Small groups here: the test build is small.)"""
    import pyarrow.parquet as pq

    from icsight.results import store

    monkeypatch.setattr(store, "ROW_GROUP", 100)
    result = CliRunner().invoke(main, ["build", "--lake", str(lake_dir), "--months", "2",
                                       "--out", str(tmp_path), "--id", ",".join(IDS)])
    assert result.exit_code == 0, result.output
    for name in ("indicator_values", "published_values"):
        meta = pq.ParquetFile(latest_run(tmp_path) / f"{name}.parquet").metadata
        column = meta.schema.names.index("indicator_id")
        spans = [(meta.row_group(g).column(column).statistics.min,
                  meta.row_group(g).column(column).statistics.max)
                 for g in range(meta.num_row_groups)]
        assert meta.num_row_groups > 2, name
        for indicator_id in IDS:
            holding = [g for g, (lo, hi) in enumerate(spans) if lo <= indicator_id <= hi]
            assert 0 < len(holding) < meta.num_row_groups, (name, indicator_id)


def test_the_build_writes_the_population_pyramid_and_its_published_version(run):
    """The registered population on the last period end by area, sex and 5-year band: the
    same people as every indicator over the registered list (EMERG_ADM_RATE's denominator,
    all ages, opted-out people left out for planning), and published by the disclosure rules
    (`icsight.results.population`)."""
    from icsight.results import RUN_TABLES, read_latest
    from icsight.results.population import publish_population

    pyramid = pd.read_parquet(run / "population.parquet")
    assert set(pyramid.period_end) == {"2026-09-30"}
    assert set(pyramid.breakdown) == {"icb", "place"}
    values = pd.read_parquet(run / "indicator_values.parquet")
    rate = values[(values.indicator_id == "EMERG_ADM_RATE") & (values.period_end == "2026-09-30")
                  & values.breakdown.isin(["icb", "place"])]
    assert pyramid.groupby("group").people.sum().to_dict() == \
        rate.set_index("group").denominator.to_dict()
    published = pd.read_parquet(run / "published_population.parquet")
    pd.testing.assert_frame_equal(published, publish_population(pyramid))
    assert {"population", "published_population"} <= set(RUN_TABLES)
    pd.testing.assert_frame_equal(read_latest(run.parent, "published_population"), published)
    prov = json.loads((run / "provenance.json").read_text())["population_disclosure"]
    assert prov == {"period_end": "2026-09-30", "table": "published_population.parquet",
                    "cells": len(published),
                    "cells_suppressed": int(published.suppressed.sum())}
