"""`icsight plan providers`: the providers of each fragile service compared."""

from __future__ import annotations

from pathlib import Path

import click

from icsight.cli._console import console, fail, out
from icsight.cli._options import (
    ISO_DATE,
    CsvFile,
    LakeFolder,
    Text,
    check_window,
    opened_lake,
    purpose_option,
)
from icsight.cli.plan._group import _percent, plan

#: A treatment function code of the NHS Data Dictionary (three digits), or DIAG for the
#: diagnostic tests (`icsight.planning.waiting_lists.benchmarking`)
TREATMENT_FUNCTION = Text("CODE", r"[0-9]{3}|DIAG",
                          "a treatment function code: give three digits (e.g. 130 for "
                          "ophthalmology) or DIAG for diagnostic tests")



@plan.command("providers")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake with the referral-to-treatment pathways.")
@click.option("--as-of", "as_of", default=None, type=ISO_DATE,
              help="The day to compare providers on (default: the lake's last day).")
@click.option("--treatment-function", "functions", multiple=True, type=TREATMENT_FUNCTION,
              help="A treatment function code (130 ophthalmology ...), or DIAG for diagnostic "
                   "tests; repeat for more (default: the strategy's fragile services).")
@click.option("--out", "out_file", default=None, type=CsvFile(),
              help="Write one row per service and provider (waits, clock-stop rates, growth, "
                   "funnel position, SPC variation) as CSV.")
@click.option("--series-out", "series_file", default=None, type=CsvFile(),
              help="Write each provider's monthly share within the standard with its SPC "
                   "mean, limits and signals as CSV.")
@purpose_option
def providers_command(lake_dir: Path, as_of: str | None, functions: tuple[str, ...],
                      out_file: Path | None, series_file: Path | None, purpose: str) -> None:
    """Compare providers' waiting lists for the fragile services (ophthalmology, dermatology,
    neurology, audiology, vascular surgery, diagnostics): list size, median and 92nd
    percentile waits, the share within the standard with its funnel position and SPC
    variation, clock stops a month per 100 waiting and growth over 12 months."""
    from icsight.planning.waiting_lists.benchmarking import benchmark

    lake = opened_lake(lake_dir, purpose)
    day = check_window(lake, as_of)
    try:
        result = benchmark(lake, day, services=list(functions) or None)
    except ValueError as e:  # a day outside the lake's data: the message says which
        fail(e)
    if not len(result.providers):
        fail(f"{lake_dir} has no pathways for {', '.join(functions) or 'the fragile services'}"
             f" open or stopped around {day}; check the lake's rtt_pathways table")
    _show_providers(result.providers, day)
    for frame, path in ((result.providers, out_file), (result.series, series_file)):
        if path is not None:
            frame.to_csv(path, index=False)
            console.print(f"[green]Wrote[/green] {path} ({len(frame):,} rows)")


def _tenths(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # no one waiting: no wait, no rate


def _show_providers(frame, day: str) -> None:
    from rich.table import Table

    from icsight.charts import VARIATION_TEXT

    table = Table(title=f"Waiting lists by provider on {day}")
    for name in ("Service", "Provider", "Waiting", "Median wk", "92% wk", "Within standard",
                 "Funnel", "Variation", "Stops/100/month", "12-month growth"):
        table.add_column(name, justify="left" if name in ("Service", "Provider", "Funnel",
                                                          "Variation") else "right")
    for row in frame.itertuples(index=False):
        growth = "-" if row.growth_12m_percent != row.growth_12m_percent \
            else f"{row.growth_12m_percent:+.1f}%"
        stops = _tenths(row.stops_per_100)
        table.add_row(f"{row.service_name} ({row.service})", row.provider_code,
                      f"{row.list_size:,.0f}", _tenths(row.median_wait_weeks),
                      _tenths(row.p92_wait_weeks),
                      f"{_percent(row.percent_within_standard)} ({row.standard})",
                      row.funnel_position or "-",
                      VARIATION_TEXT.get(row.variation, "-") if row.variation else "-",
                      stops, growth)
    out.print(table)
    console.print("Median and 92% wk: half (92%) of those waiting have waited no longer; "
                  "Funnel: against the service's pooled share within the standard (95% and "
                  "99.8% limits); Variation: the latest month on the provider's SPC chart; "
                  "Stops: clock stops a month per 100 waiting, over the last 3 months.")
