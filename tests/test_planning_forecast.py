"""Short-term forecasts (icsight.planning.forecast): monthly series from the demand spec's tiny
lake counted by hand, MASE and interval coverage worked by hand, a series the seasonal naive
method forecasts exactly, the hand-over to the projection without a step, and series too short
to forecast.

statsforecast compiles its models with numba the first time they run (seconds, cached after), so
only two tests fit models, on one or two short series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.engine import open_lake
from icsight.planning.demand import baseline_rates
from icsight.planning.forecast import (
    SeriesError,
    backtest,
    backtest_summary,
    blend_weight,
    coverage,
    forecast,
    hand_over,
    mase,
    monthly_activity,
    monthly_projection,
    planning_forecast,
    seasonal_index,
)
from tests.demand_lake import DAY, demand_lake

MONTHS = pd.date_range("2021-10-01", periods=48, freq="MS")
SHAPE = np.array([120, 130, 150, 140, 110, 100, 95, 90, 100, 105, 110, 115], dtype=float)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    return demand_lake(tmp_path_factory.mktemp("plan-forecast") / "lake")


def _series(values, place="Luton", pod="ae", months=None) -> pd.DataFrame:
    months = MONTHS[:len(values)] if months is None else months
    return pd.DataFrame({"place": place, "pod": pod, "month": months,
                         "activity": np.asarray(values, dtype=float)})


def _seasonal(n=48) -> np.ndarray:
    """The same 12 months every year, except that the first year is 10 higher every month (so
    the in-sample seasonal differences are not all 0 and MASE can be scaled)."""
    values = np.tile(SHAPE, n // 12 + 1)[:n].copy()
    values[:12] += 10
    return values


# --- the series from the lake ------------------------------------------------------------

def test_monthly_series_count_by_the_baselines_rule_month_by_month(lake_dir):
    lake = open_lake(lake_dir)
    series = monthly_activity(lake, "2024-04-01", DAY)
    assert series.attrs["window"] == ("2024-04-01", "2025-03-31")
    assert len(series) == 4 * 13 * 12  # every place, point of delivery and month

    def month(place, pod, day):
        row = series[(series.place == place) & (series.pod == pod)
                     & (series.month == pd.Timestamp(day))]
        return float(row.activity.iloc[0])

    bedford = "Bedford Borough"
    # emergency spells of registered people: August (person 1) and October (person 5, alive
    # then); May's is of person 6 before registering, April's was admitted on 31 March
    assert [month(bedford, "non_elective", f"2024-{m:02d}-01") for m in (4, 5, 8, 10)] == \
        [0, 0, 1, 1]
    assert month(bedford, "non_elective_bed_days", "2024-08-01") == 5
    assert month(bedford, "elective_bed_days", "2025-03-01") == 2  # still in: nights to 31 March
    assert month("Luton", "non_elective", "2024-11-01") == 1
    # A&E: June (person 3) and 31 March 23:30 (person 1); person 8's sex is not recorded
    assert month(bedford, "ae", "2024-06-01") == 1 and month(bedford, "ae", "2025-03-01") == 1
    assert month(bedford, "ae", "2024-07-01") == 0
    # the 12 months add up to the demand baseline's activity, place by place
    rates = baseline_rates(lake, DAY)
    base = rates.groupby(["place", "pod"]).activity.sum()
    summed = series.groupby(["place", "pod"]).activity.sum()
    pd.testing.assert_series_equal(summed.sort_index(), base.sort_index(), check_names=False)


def test_part_months_at_either_end_are_left_out(lake_dir):
    series = monthly_activity(open_lake(lake_dir), "2024-04-15", "2025-03-30")
    assert series.attrs["window"] == ("2024-05-01", "2025-02-28")
    assert series.month.nunique() == 10


# --- MASE and coverage by hand -----------------------------------------------------------

def test_mase_by_hand_on_a_tiny_series():
    # season 2: in-sample seasonal differences 14-10, 22-20, 12-14, 24-22 -> mean |.| 10/4 = 2.5
    # errors |16-12|, |20-24| -> mean 4; MASE 4 / 2.5 = 1.6
    assert mase([16, 20], [12, 24], [10, 20, 14, 22, 12, 24], season=2) == pytest.approx(1.6)
    # a series that repeats exactly cannot be scaled
    assert np.isnan(mase([1], [1], [5, 6, 5, 6], season=2))


def test_interval_coverage_counted_by_hand():
    # 5 in [4, 6]; 10 on the lower end of [10, 12]; 15 above [14, 14]; 20 below [21, 25]
    assert coverage([5, 10, 15, 20], [4, 10, 14, 21], [6, 12, 14, 25]) == 0.5


def test_backtest_summary_pools_scaled_errors_over_origins_and_chooses_the_lowest():
    rows = []
    # origin 1 (scale 2): errors 2 and 4; origin 2 (scale 4): errors 4 and 0
    # model A: scaled 1, 2, 1, 0 -> MASE 1.0; model B: errors doubled -> MASE 2.0
    for model, factor in (("AutoETS", 1), ("AutoARIMA", 2)):
        for origin, scale, errors in ((1, 2.0, (2, 4)), (2, 4.0, (4, 0))):
            for h, error in enumerate(errors, start=1):
                rows.append({"place": "Luton", "pod": "ae", "model": model, "origin": origin,
                             "h": h, "actual": 100.0, "mean": 100.0 + factor * error,
                             "lo_80": 99.0, "hi_80": 100.0 + 3 * (h == 1),
                             "lo_95": 90.0, "hi_95": 110.0, "scale": scale})
    scores = backtest_summary(pd.DataFrame(rows)).set_index("model")
    assert scores.loc["AutoETS", "mase"] == pytest.approx(1.0)
    assert scores.loc["AutoARIMA", "mase"] == pytest.approx(2.0)
    assert scores.loc["AutoETS", "coverage_80"] == 1.0  # 100 in [99, 100] and in [99, 103]
    assert scores.loc["AutoETS", "coverage_95"] == 1.0 and scores.loc["AutoETS", "forecasts"] == 4
    assert scores.chosen.to_dict() == {"AutoETS": True, "AutoARIMA": False}


def test_seasonal_naive_is_exact_on_a_seasonal_series_and_is_chosen():
    checked = backtest(_series(_seasonal()), origins=6, horizon=12)
    naive = checked[checked.model == "SeasonalNaive"]
    assert len(naive) == 6 * 12 and naive.origin.nunique() == 6
    assert (naive["mean"] == naive.actual).all()
    # the first origin has fitted 48 - 12 - 5 = 31 months: the 19 seasonal differences are 12
    # of -10 (the first year was 10 higher) and 7 of 0 -> scale 120 / 19
    first = checked[checked.origin == checked.origin.min()]
    assert first.scale.iloc[0] == pytest.approx(120 / 19)
    scores = backtest_summary(checked).set_index("model")
    assert scores.loc["SeasonalNaive", "mase"] == 0.0
    assert scores.loc["SeasonalNaive", "chosen"]
    assert scores.chosen.sum() == 1
    assert set(scores.index) == {"SeasonalNaive", "AutoETS", "AutoARIMA"}


# --- the hand-over --------------------------------------------------------------------------

def test_the_blend_weight_rises_a_twelfth_a_month_from_month_13_to_24():
    assert blend_weight(np.array([1, 12, 13, 18, 24, 25, 36])).tolist() == \
        [0, 0, 1 / 12, 0.5, 1, 1, 1]


def _flat_forecast(level: float, months: int = 30) -> pd.DataFrame:
    return pd.DataFrame({"place": "Luton", "pod": "ae", "month": MONTHS[:months],
                         "h": np.arange(1, months + 1), "mean": level, "lo_80": level - 10,
                         "hi_80": level + 10, "lo_95": level - 20, "hi_95": level + 20})


def test_the_hand_over_has_no_step_by_hand():
    # the forecast stays at 100 a month, the projection at 124: months 13-24 rise by 2 a month
    projected = pd.DataFrame({"place": "Luton", "pod": "ae", "month": MONTHS[:30],
                              "projection_p10": 114.0, "projection_p50": 124.0,
                              "projection_p90": 134.0})
    path = hand_over(_flat_forecast(100.0), projected)
    assert path.path[:12].tolist() == [100.0] * 12
    assert path.path[12:24].tolist() == pytest.approx([102.0 + 2 * i for i in range(12)])
    assert path.path[24:].tolist() == [124.0] * 6
    assert np.abs(np.diff(path.path)).max() == pytest.approx(2.0)  # no jump anywhere
    assert path.path_lo_80[23] == 114.0 and path.path_hi_80[11] == 110.0
    assert path.path_lo_95[:12].tolist() == [80.0] * 12 and path.path_lo_95[12:].isna().all()


def test_the_projection_is_read_by_month_with_the_seasons_of_the_series():
    # 36 months from October, the same shape each year: the index is each calendar month's
    # activity / the mean (1365 / 12 = 113.75); December is 150, April 95, January 140
    series = _series(np.tile(SHAPE, 3))
    index = seasonal_index(series).set_index("calendar_month")["index"]
    assert index[12] == pytest.approx(150 / 113.75) and index[4] == pytest.approx(95 / 113.75)
    assert index.mean() == pytest.approx(1.0)
    # the projection: 1380 in the year around 30 June 2024, 2760 around 30 June 2025; the
    # middle of December 2024 (15 December, 168 days after 30 June 2024, of 365) is read off the
    # straight line: 1380 + 1380 x 168 / 365, / 12, x December's index
    summary = pd.DataFrame({"place": "Luton", "pod": "ae", "year": [2024, 2025],
                            "p10": [1380.0, 2760.0], "p50": [1380.0, 2760.0],
                            "p90": [1380.0, 2760.0]})
    months = pd.DatetimeIndex(["2024-12-01", "2026-01-01"])
    monthly = monthly_projection(summary, months, seasonal_index(series))
    expected = (1380 + 1380 * 168 / 365) / 12 * 150 / 113.75
    assert monthly.projection_p50[0] == pytest.approx(expected)
    # January 2026 is after the last mid-year: the last year's figure
    assert monthly.projection_p50[1] == pytest.approx(2760 / 12 * 140 / 113.75)


def test_a_planning_forecast_hands_over_without_a_step():
    series = pd.concat([_series(_seasonal(), pod="ae"),
                        _series(_seasonal() * 2, pod="non_elective")], ignore_index=True)
    years = range(2023, 2044)
    summary = pd.DataFrame([{"place": "Luton", "pod": pod, "year": y,
                             "p10": 1200.0 * k * 1.1 ** (y - 2023) * 0.9,
                             "p50": 1200.0 * k * 1.1 ** (y - 2023),
                             "p90": 1200.0 * k * 1.1 ** (y - 2023) * 1.1}
                            for pod, k in (("ae", 1), ("non_elective", 2)) for y in years])
    made = planning_forecast(series, summary, horizon=30, origins=2,
                             models=("SeasonalNaive",))
    for _, one in made.path.groupby("pod"):
        one = one.sort_values("h")
        f, p, path = (one[c].to_numpy() for c in ("mean", "projection_p50", "path"))
        assert path[:12] == pytest.approx(f[:12]) and path[23:] == pytest.approx(p[23:])
        # each month moves no more than the forecast or the projection moves, plus a twelfth of
        # the gap between them: nothing jumps at month 13 or month 25
        moves = np.abs(np.diff(path))
        bound = np.maximum(np.abs(np.diff(f)), np.abs(np.diff(p))) + np.abs(p - f)[:-1] / 12
        assert (moves <= bound + 1e-9).all()


# --- hostile input ---------------------------------------------------------------------------

def test_a_series_too_short_is_refused_naming_the_series():
    series = pd.concat([_series(_seasonal(48)),
                        _series(_seasonal(30), place="Milton Keynes", pod="maternity")])
    with pytest.raises(SeriesError, match=r"Milton Keynes, maternity has 30 months.*at least 41"):
        backtest(series, origins=6, horizon=12)
    with pytest.raises(SeriesError, match=r"Milton Keynes, maternity has 20 months.*at least 24"):
        forecast(_series(_seasonal(20), place="Milton Keynes", pod="maternity"))


def test_a_series_with_a_missing_month_is_refused_naming_the_series():
    gappy = _series(_seasonal(48)).drop(index=30)
    with pytest.raises(SeriesError, match="Luton, ae has missing or repeated months"):
        forecast(gappy)


def test_the_command_back_tests_forecasts_and_writes_both_tables(lake_dir, tmp_path):
    # the tiny lake's window is five years (April 2020 to March 2025), most months empty; one
    # origin keeps the model fitting short
    out, scores = tmp_path / "forecast.csv", tmp_path / "backtest.csv"
    done = CliRunner().invoke(main, ["plan", "forecast", "--lake", str(lake_dir), "--runs", "4",
                                     "--origins", "1", "--out", str(out),
                                     "--backtest-out", str(scores)])
    assert "Traceback" not in done.output, done.output
    assert done.exit_code == 0, done.output
    assert "Forecasts from Apr 2025" in done.output
    written, checked = pd.read_csv(out), pd.read_csv(scores)
    assert len(checked) == 4 * 13 * 3 and len(written) == 4 * 13 * 3 * 24
    assert (checked.groupby(["place", "pod"]).chosen.sum() == 1).all()
    assert (checked.forecasts == 12).all()
    chosen = written[written.chosen]
    assert len(chosen) == 4 * 13 * 24 and written[~written.chosen].path.isna().all()
    first_year = chosen[chosen.h <= 12]
    assert (first_year.path == first_year["mean"]).all()
    last = chosen[chosen.h == 24]
    assert np.allclose(last.path, last.projection_p50)
