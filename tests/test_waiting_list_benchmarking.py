"""Benchmarking waiting lists between providers (`planning.waiting_lists.benchmarking`) and
`icsight plan providers`, on a hand-made lake whose answers are worked by hand below.

The lake on 30 June 2026 (a month end, so the series uses month ends):

* ophthalmology (130) at RX1: five people waiting 7, 14, 21, 28 and 140 days; three waiting on
  31 March 2026 were treated or validated in the three months after it (admitted 15 April,
  admitted 20 May, a non-admitted stop on 1 May, the day the patient died: validation), one
  more started 1 April and was seen (non-admitted, alive) on 30 June; one stopped on 31 March
  itself (not in the window); two were waiting on 30 June 2025 and treated 1 August 2025.
  Diagnostic waits on RX1's pathways: one since 1 June 2026 (29 days), one since 1 May 2026
  (60 days), one from 1 March 2026 with its test on 15 May 2026.
* neurology (400) at RX1: one pathway from 10 April 2020, in the lake's first month.
* dermatology (330) at three providers, for the funnel: RA1 and RA2 each 200 waiting, 100 of
  them 7 days and 100 of them 200 days; RA3 100 waiting, 20 of them 7 days and 80 of them
  200 days. The pooled share within 18 weeks is (100 + 100 + 20) / 500 = 44%, and RA3's 20%
  lies below the 99.8% limit for a list of 100 (44% - about 3 standard errors of
  sqrt(0.44 x 0.56 / 100) = 5.0 points, near 29%): outside on purpose.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.optimize import brentq
from scipy.special import ndtri

from icsight.cli import main
from icsight.engine import open_lake
from icsight.planning.waiting_lists.benchmarking import benchmark, month_ends
from tests.rtt import pathway, rtt_lake

AS_OF = "2026-06-30"
DAY = dt.date(2026, 6, 30)


def _ago(days: int) -> str:
    return (DAY - dt.timedelta(days=days)).isoformat()


def _pathways() -> tuple[list[dict], dict[int, str]]:
    rows = []

    def add(start, stop=None, status=None, provider="RX1", function="130", **extra):
        row = pathway(len(rows) + 1, start, stop, status, provider, function)
        for key, value in extra.items():
            row[key] = dt.date.fromisoformat(value) if value else None
        rows.append(row)

    for waited in (7, 14, 21, 28, 140):  # open on 30 June 2026
        add(_ago(waited))
    add("2026-01-05", "2026-04-15", "admitted")
    add("2026-01-05", "2026-05-20", "admitted")
    add("2026-01-05", "2026-05-01", "non_admitted")  # died that day: validated
    died = {len(rows): "2026-05-01"}
    add("2025-12-01", "2026-03-31", "admitted")  # stopped on the window's first day: before it
    add("2026-04-01", "2026-06-30", "non_admitted")  # seen, alive: treated, on the last day
    add("2025-05-01", "2025-08-01", "admitted")  # waiting a year before
    add("2025-05-01", "2025-08-01", "admitted")
    # diagnostic waits on RX1's pathways (their RTT clocks open, in another function)
    add("2026-06-01", None, None, function="100", diagnostic_wait_start="2026-06-01")
    add("2026-05-01", None, None, function="100", diagnostic_wait_start="2026-05-01")
    add("2026-02-01", None, None, function="100", diagnostic_wait_start="2026-03-01",
        diagnostic_test_date="2026-05-15")
    add("2020-04-10", "2020-05-20", function="400")  # in the lake's first month
    for provider, within, over in (("RA1", 100, 100), ("RA2", 100, 100), ("RA3", 20, 80)):
        for _ in range(within):
            add(_ago(7), provider=provider, function="330")
        for _ in range(over):
            add(_ago(200), provider=provider, function="330")
    return rows, died


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    rows, died = _pathways()
    return rtt_lake(tmp_path_factory.mktemp("bench") / "lake", rows, AS_OF, died)


@pytest.fixture(scope="module")
def result(lake_dir):
    return benchmark(open_lake(lake_dir), services=["130", "330", "DIAG", "107"])


def _row(result, service, provider) -> pd.Series:
    p = result.providers
    return p[(p.service == service) & (p.provider_code == provider)].iloc[0]


def test_month_ends_follow_the_calendar():
    assert month_ends(dt.date(2026, 6, 30), 3) == [dt.date(2026, 4, 30), dt.date(2026, 5, 31),
                                                  dt.date(2026, 6, 30)]
    # not a month end: the same day of each month, clipped to a short month
    assert month_ends(dt.date(2026, 3, 30), 2) == [dt.date(2026, 2, 28), dt.date(2026, 3, 30)]


def test_waits_are_the_hand_worked_order_statistics(result):
    row = _row(result, "130", "RX1")
    assert row.list_size == 5
    # waits 7, 14, 21, 28, 140 days: half have waited no longer than the 3rd (21 days), 92%
    # no longer than the 5th (ceil(0.92 x 5) = 5): 140 days
    assert row.median_wait_weeks == pytest.approx(3.0)
    assert row.p92_wait_weeks == pytest.approx(20.0)
    assert row.within_standard == 4 and row.percent_within_standard == pytest.approx(80.0)
    assert row.service_name == "Ophthalmology" and row.standard == "18 weeks"


def test_clock_stop_rates_per_100_waiting_a_month(result):
    row = _row(result, "130", "RX1")
    # on 31 March: the 140-day wait (from 10 February) and the three from 5 January
    assert row.list_at_stop_start == 4
    # stops after 31 March to 30 June: admitted 15 April and 20 May, seen 30 June; the death
    assert row.treated_stops == 3 and row.other_stops == 1
    assert row.treated_per_100 == pytest.approx(100 * 3 / 3 / 4)  # 25.0
    assert row.other_per_100 == pytest.approx(100 / 3 / 4)  # 8.33
    assert row.stops_per_100 == pytest.approx(100 * 4 / 3 / 4)


def test_growth_over_twelve_months(result):
    row = _row(result, "130", "RX1")
    assert row.list_a_year_ago == 2  # the two from 1 May 2025
    assert row.growth_12m == 3 and row.growth_12m_percent == pytest.approx(150.0)


def test_monthly_series_counts_each_month_end(result):
    s = result.series
    rx1 = s[(s.service == "130") & (s.provider_code == "RX1")].set_index("period_end")
    assert len(rx1) == 24 and rx1.index[0] == dt.date(2024, 7, 31)
    # 30 April 2026: the 140-day wait (79 days then), the two from 5 January still open
    # (115 days) and the one from 1 April: 4, all within 18 weeks
    assert rx1.loc[dt.date(2026, 4, 30), ["waiting", "within_standard"]].tolist() == [4, 4]
    # 31 May: the 140-day wait and the one from 1 April
    assert rx1.loc[dt.date(2026, 5, 31), ["waiting", "within_standard"]].tolist() == [2, 2]
    assert rx1.loc[dt.date(2026, 6, 30), "percent_within_standard"] == pytest.approx(80.0)
    # an empty month has no share: neither a point nor a limit
    empty = rx1.loc[dt.date(2024, 7, 31)]
    assert empty.waiting == 0 and math.isnan(empty.percent_within_standard)


def test_spc_limits_are_the_xmr_limits_of_the_series(result):
    s = result.series
    ra3 = s[(s.service == "330") & (s.provider_code == "RA3")].dropna(
        subset=["percent_within_standard"]).sort_values("period_end")
    values = ra3.percent_within_standard.to_numpy()
    # worked from the XmR definition: mean -/+ 2.66 x mean moving range (screened)
    mr = abs(pd.Series(values).diff().dropna())
    mr = mr[mr < 3.267 * mr.mean()]
    assert ra3["mean"].iloc[-1] == pytest.approx(values.mean())
    assert ra3["upl"].iloc[-1] == pytest.approx(values.mean() + 2.66 * mr.mean())
    assert _row(result, "330", "RA3").variation == ra3.variation.iloc[-1]


def _wilson_upper(p: float, n: float, z: float) -> float:
    return (p + z * z / (2 * n) + z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (
        1 + z * z / n)


def test_funnel_puts_the_provider_outside_the_99_8_limit(result):
    assert _row(result, "330", "RA3").funnel_position == "Low (0.001)"
    assert _row(result, "330", "RA1").funnel_position == "Not significant"
    f = result.funnel[result.funnel.service == "330"]
    assert f.pooled_percent.iloc[0] == pytest.approx(44.0)
    # the lower 99.8% limit at a list size n is the share whose Wilson upper bound is the
    # pooled 44%: solved here by root finding, independently of icsight.stats
    z = ndtri(0.999)
    row = f.iloc[(f.list_size - 100).abs().argmin()]
    n = row.list_size
    expected = brentq(lambda p: _wilson_upper(p, n, z) - 0.44, 1e-9, 0.44)
    assert row.lower_99_8 == pytest.approx(100 * expected, abs=1e-6)
    assert 20.0 < 100 * brentq(lambda p: _wilson_upper(p, 100, z) - 0.44, 1e-9, 0.44) < 44.0


def test_diagnostics_count_waits_for_a_test(result):
    row = _row(result, "DIAG", "RX1")
    # waiting 29 and 60 days on 30 June; the 6-week standard counts under 42 days
    assert row.list_size == 2 and row.within_standard == 1
    assert row.median_wait_weeks == pytest.approx(29 / 7)
    assert row.p92_wait_weeks == pytest.approx(60 / 7)
    assert row.standard == "6 weeks"
    # the test on 15 May, of the one person waiting on 31 March
    assert row.list_at_stop_start == 1 and row.treated_stops == 1
    assert row.treated_per_100 == pytest.approx(100 / 3)


def test_a_service_with_no_pathways_has_no_rows(result):
    assert "107" not in set(result.providers.service)
    assert set(result.providers.service) == {"130", "330", "DIAG"}


def test_a_day_outside_the_lake_is_refused(lake_dir):
    with pytest.raises(ValueError, match="outside the lake's data"):
        benchmark(open_lake(lake_dir), "2030-01-31")


def test_cli_shows_and_writes_the_providers(lake_dir, tmp_path):
    out, series = tmp_path / "providers.csv", tmp_path / "series.csv"
    done = CliRunner().invoke(main, [
        "plan", "providers", "--lake", str(lake_dir), "--as-of", AS_OF,
        "--treatment-function", "330", "--purpose", "direct_care", "--out", str(out),
        "--series-out", str(series)])
    assert done.exit_code == 0, done.output
    assert "RA3" in done.output and "Low (0.001)" in done.output
    frame = pd.read_csv(out, dtype={"service": str})
    assert frame.provider_code.tolist() == ["RA1", "RA2", "RA3"]
    assert frame.list_size.tolist() == [200, 200, 100]
    assert frame.percent_within_standard.tolist() == pytest.approx([50.0, 50.0, 20.0])
    assert len(pd.read_csv(series)) == 3 * 24


def test_cli_says_when_there_are_no_pathways(lake_dir):
    done = CliRunner().invoke(main, [
        "plan", "providers", "--lake", str(lake_dir), "--treatment-function", "107",
        "--purpose", "direct_care"])
    assert done.exit_code != 0 and "Traceback" not in done.output
    assert "no pathways for 107" in done.output



def test_clock_stops_before_the_lakes_data_are_not_known(lake_dir):
    # the lake's data start on 1 April 2020: on 30 April the 3 months of clock stops (and the
    # year before) reach back before it, so they are not known, while the list is
    early = benchmark(open_lake(lake_dir), "2020-04-30", services=["400"])
    row = _row(early, "400", "RX1")
    assert row.list_size == 1 and row.median_wait_weeks == pytest.approx(20 / 7)
    for column in ("treated_stops", "list_at_stop_start", "stops_per_100", "list_a_year_ago"):
        assert math.isnan(row[column]), column
    assert early.series.period_end.tolist() == [dt.date(2020, 4, 30)]
