"""Board reports' figures: each metric's monthly ICB series up to a period, its Making Data
Count signal in that period, its inequality summary, and the programme lead's commentary.

A board paper is public, so its figures are the build's published (small-number suppressed)
table unless an analyst asks for exact ones (`published=False`). The signals follow the rule
of the web pages (`AggregateService.variation`): worked out from the exact series, exactly as
`icsight build` writes `spc.parquet` (`icsight.results.summaries.spc_summary`, run on the
series up to the period, so a paper for an earlier month shows that month's signal), and
given only where the figure it describes is published. The chart (`icsight.charts.spc_chart`)
is drawn from `series`, the values the reader may see, so nothing drawn on a public chart
comes from a withheld or unrounded number.

Commentary is read from the application database's `Commentary` table (the latest text of
each metric and month), through `commentary_for_month`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from icsight.appdb.database import Database
from icsight.appdb.models import Commentary
from icsight.governance.access import Principal, authorise
from icsight.services.errors import NotFoundError

__all__ = ["MetricFigures", "ReportService", "commentary_for_month", "month_of"]

#: The columns of a metric's series handed to a report (published or exact alike).
SERIES_COLUMNS = ["period_end", "value", "lower_ci", "upper_ci", "numerator", "denominator",
                  "suppressed"]


@dataclass
class MetricFigures:
    """One metric's figures for a board paper: the ICB series up to the period (oldest
    first; withheld values None), the Making Data Count signal in the period (None: none may
    be shown), and the inequality summary in the period."""

    indicator_id: str
    in_build: bool
    series: list[dict] = field(default_factory=list)
    variation_icon: str | None = None
    assurance_icon: str | None = None
    inequality: dict | None = None


def month_of(period_end: str) -> str:
    """A period end (2025-03-31) as the month a reader names it by (2025-03)."""
    return str(period_end)[:7]


class ReportService:
    """The figures of board papers, served to principals from the latest build."""

    def __init__(self, results_dir: str | Path, audit_log: str | Path) -> None:
        self.results_dir = Path(results_dir)
        self.audit_log = Path(audit_log)

    def periods(self, who: Principal) -> list[str]:
        """The months (YYYY-MM) the latest build covers, oldest first."""
        authorise(who, "catalogue.read", self.audit_log)
        return [month_of(end) for end in self._provenance()[1].get("period_ends", [])]

    def period_end(self, who: Principal, month: str) -> str:
        """The build's period end in `month` (YYYY-MM); NotFoundError naming the months the
        build has when it has none in it."""
        months = self.periods(who)
        if month not in months:
            shown = f"{months[0]} to {months[-1]}" if months else "none"
            raise NotFoundError(f"the latest build has no period {month}; its periods are "
                                f"{shown} ({len(months)} months)")
        return self._provenance()[1]["period_ends"][months.index(month)]

    def metric_figures(self, who: Principal, indicator_ids: Iterable[str], month: str,
                       published: bool = True) -> dict[str, MetricFigures]:
        """Each indicator's figures for a paper on `month`: published unless `published` is
        False and `who` is an analyst (anyone else asking for exact figures is refused)."""
        exact_wanted = not published
        authorise(who, "aggregates.unsuppressed" if exact_wanted else "aggregates.suppressed",
                  self.audit_log, f"board report {month}")
        end = self.period_end(who, month)
        run, provenance = self._provenance()
        if provenance.get("national_data_opt_out_applied") is not True:
            raise NotFoundError("the latest build was made with patients who opted out; run "
                                "`icsight build` (for planning, the default) to publish "
                                "figures")
        ids = [i.upper() for i in indicator_ids]
        shown = _table(run, "indicator_values" if exact_wanted else "published_values", ids)
        exact = shown if exact_wanted else _table(run, "indicator_values", ids)
        return {i: self._figures(i, shown, exact, end, exact_wanted) for i in ids}

    def _figures(self, indicator_id: str, shown: pd.DataFrame, exact: pd.DataFrame,
                 end: str, exact_wanted: bool) -> MetricFigures:
        from icsight.indicators.catalogue import catalogue
        from icsight.results.summaries import inequalities, spc_summary

        ind = catalogue()[indicator_id]
        mine = shown[(shown.indicator_id == indicator_id) & (shown.period_end <= end)]
        icb = mine[mine.breakdown == "icb"].sort_values("period_end")
        if icb.empty:
            return MetricFigures(indicator_id, in_build=False)
        series = [_row(r) for r in icb[SERIES_COLUMNS].to_dict("records")]
        figures = MetricFigures(indicator_id, in_build=True, series=series)
        latest = icb[icb.period_end == end]
        if not latest.empty and (exact_wanted or not bool(latest.suppressed.iloc[0])) \
                and not pd.isna(latest.value.iloc[0]):
            whole = exact[(exact.indicator_id == indicator_id) & (exact.breakdown == "icb")
                          & (exact.period_end <= end)]
            signal = spc_summary(whole.sort_values("period_end"), ind)
            if not signal.empty:
                figures.variation_icon = signal.variation_icon.iloc[-1]
                figures.assurance_icon = signal.assurance_icon.iloc[-1] or None
        month = mine[(mine.period_end == end)
                     & mine.breakdown.isin(["imd_quintile", "imd_decile"])]
        if not exact_wanted:
            month = month[~month.suppressed.astype(bool) & month.numerator.notna()]
        if not month.empty:
            gaps = inequalities(month, ind)
            figures.inequality = _row(gaps.iloc[-1].to_dict())
        return figures

    def _provenance(self) -> tuple[Path, dict]:
        from icsight.results import latest_run

        try:
            run = latest_run(self.results_dir)
        except FileNotFoundError:
            raise NotFoundError("no results yet: run `icsight build` first") from None
        try:
            return run, json.loads((run / "provenance.json").read_text())
        except (OSError, ValueError):
            return run, {}


def _table(run: Path, name: str, ids: list[str]) -> pd.DataFrame:
    """The run's `name` table for `ids` only (pushed down to the Parquet reader), with the
    period ends as ISO text."""
    path = run / f"{name}.parquet"
    if not path.is_file():
        raise NotFoundError(f"the latest build has no {name} table; run `icsight build` again")
    table = pd.read_parquet(path, filters=[("indicator_id", "in", ids)])
    if "suppressed" not in table:
        table["suppressed"] = False
    return table.assign(period_end=table.period_end.astype(str).str[:10])


def _row(row: dict) -> dict:
    """A row with missing numbers as None and NumPy scalars as Python's."""
    out = {}
    for key, value in row.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        out[key] = value
    return out


def commentary_for_month(database: Database, metric_ids: Iterable[str],
                         month: str) -> dict[str, dict]:
    """The latest commentary on each of `metric_ids` for `month` (YYYY-MM): metric id ->
    its text, author and when it was last changed; metrics with none are left out."""
    first = dt.date.fromisoformat(f"{month}-01")
    ids = [i.upper() for i in metric_ids]
    query = select(Commentary.metric_id, Commentary.text, Commentary.author,
                   Commentary.updated_at).where(Commentary.metric_id.in_(ids),
                                                Commentary.month == first)
    with database.reading() as connection:
        return {row.metric_id: {"text": row.text, "author": row.author,
                                "updated_at": row.updated_at}
                for row in connection.execute(query)}

