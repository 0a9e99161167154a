"""Waiting lists compared between providers for the fragile services
(`icsight.planning.waiting_lists.benchmarking`), served to everyone: analysts get the exact
figures, everyone else the published ones.

**What is published** (below analyst), by the disclosure rules every aggregate follows
(`icsight.governance.disclosure`: counts from 1 to 7 withheld, others rounded to the nearest
5, zero shown):

* each provider's counts (people waiting, waiting within the standard, the list at the start
  of the clock-stop window and a year before, treated and other clock stops) go through
  `suppress_cells` together, with "waiting = within + over the standard" as a relation, so
  the people over the standard (never published) are protected as a residual too;
* every share, rate and growth is worked out again from the published counts, and the funnel
  and each provider's SPC chart are drawn from them (`benchmarking.assess`), so nothing shown
  comes from a withheld count;
* the median and 92nd-percentile waits are published in whole weeks (rounded down), and only
  when the list's size is published: the 92nd percentile of a short list is one person's wait;
* each month of the SPC series is protected the same way as the provider's counts (waiting
  and within the standard); a withheld month is a row of the chart's table saying so.

Months and providers are protected one at a time: the differences between one month's
published list and the next are not (the same limitation as the indicators' series).

The lake is opened for planning (people with a national data opt-out left out) and the
figures are worked out once per lake and day, then kept: working them out reads every
pathway of the services (seconds on the default lake).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd

from icsight.governance.access import Principal, Role, authorise
from icsight.governance.disclosure import Relation, suppress_cells
from icsight.governance.purpose import Purpose
from icsight.planning.waiting_lists.benchmarking import (
    FRAGILE_SERVICES,
    Benchmarks,
    assess,
    benchmark,
    definition,
)
from icsight.services._json import records
from icsight.services.engines import Engines
from icsight.services.errors import NotFoundError

__all__ = ["ProviderBenchmarkService"]

#: A provider's counts protected together; `waiting = within + over` (over is the residual).
_COUNTS = ("list_size", "within_standard", "list_at_stop_start", "list_a_year_ago",
           "treated_stops", "other_stops")
_WAITS = ("median_wait_weeks", "p92_wait_weeks")


class ProviderBenchmarkService:
    """The fragile services' waiting lists by provider, from the lake opened for planning."""

    def __init__(self, engines: Engines, audit_log: str | Path) -> None:
        self.engines = engines
        self.audit_log = Path(audit_log)
        self._kept: dict[tuple, Benchmarks] = {}
        self._lock = threading.Lock()

    def benchmarks(self, who: Principal, service: str | None = None) -> dict:
        """The benchmarks on the lake's reference date: `as_of`, the `services` (code, name,
        standard, target, note; one when `service` is given), and rows of `providers`,
        `series` (monthly, with SPC limits and signals) and `funnel` (limits by list size).
        Exact for analysts, published for everyone else (the module's docstring says how).
        An unknown `service` is not found (checked before access, so not audited)."""
        if service is not None and service not in FRAGILE_SERVICES:
            raise NotFoundError(f"no benchmarks for service {service!r}: one of "
                                f"{', '.join(FRAGILE_SERVICES)}")
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, "provider benchmarks")
        codes = [service] if service else list(FRAGILE_SERVICES)
        try:
            exact = self._exact()
        except ValueError as e:  # a lake with no reference date: say so, never fail
            return {"as_of": None, "exact": full, "unavailable": str(e),
                    "services": [_service(code) for code in codes], "providers": [],
                    "series": [], "funnel": []}
        result = exact if full else _published(exact)

        def only(frame: pd.DataFrame) -> list[dict]:
            part = frame[frame.service.isin(codes)]
            if "period_end" in part:  # dates as ISO text, whatever type the frame holds
                part = part.assign(period_end=part.period_end.astype(str).str[:10])
            return records(part)

        return {"as_of": result.as_of.isoformat(), "exact": full, "unavailable": None,
                "services": [_service(code) for code in codes],
                "providers": only(result.providers), "series": only(result.series),
                "funnel": only(result.funnel)}

    def _exact(self) -> Benchmarks:
        with self.engines.use(Purpose.PLANNING) as lake:
            key = (str(lake.reference_date), lake.manifest.get("created"))
            with self._lock:
                if key not in self._kept:
                    self._kept = {key: benchmark(lake)}  # one lake: keep its latest only
                return self._kept[key]


def _service(code: str) -> dict:
    d = definition(code)
    return {"code": d.code, "name": d.name, "standard": d.standard,
            "target_percent": d.target_percent, "note": d.note}


def _published(exact: Benchmarks) -> Benchmarks:
    """The benchmarks worked out again from the published counts."""
    providers = exact.providers.copy()
    for col in _COUNTS:
        providers[col] = providers[col].astype(float)
    hidden = np.zeros(len(providers), bool)
    for i, row in enumerate(providers.itertuples()):
        counts = [getattr(row, c) for c in _COUNTS]
        present = [j for j, v in enumerate(counts) if v == v]  # a year ago may be missing
        shown, hide = suppress_cells([counts[j] for j in present], _relation(present))
        for j, value in zip(present, shown, strict=True):
            providers.iat[i, providers.columns.get_loc(_COUNTS[j])] = value
        hidden[i] = hide[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        size, within = providers.list_size, providers.within_standard
        providers["percent_within_standard"] = np.where(size > 0, 100 * within / size, np.nan)
        start = providers.list_at_stop_start
        per = np.where(start > 0, 100 / providers.stop_months / start, np.nan)
        providers["treated_per_100"] = providers.treated_stops * per
        providers["other_per_100"] = providers.other_stops * per
        providers["stops_per_100"] = (providers.treated_stops + providers.other_stops) * per
        then = providers.list_a_year_ago
        providers["growth_12m"] = size - then
        providers["growth_12m_percent"] = np.where(then > 0, 100 * (size - then) / then, np.nan)
    for col in _WAITS:
        providers[col] = np.where(hidden, np.nan, np.floor(providers[col]))
    series = exact.series[["service", "provider_code", "period_end", "waiting",
                           "within_standard"]].copy().astype({"waiting": float,
                                                              "within_standard": float})
    for i, row in enumerate(series.itertuples()):
        shown, _ = suppress_cells([row.waiting, row.within_standard], [Relation(0, (1,))])
        series.iat[i, 3], series.iat[i, 4] = shown
    with np.errstate(divide="ignore", invalid="ignore"):
        series["percent_within_standard"] = np.where(
            series.waiting > 0, 100 * series.within_standard / series.waiting, np.nan)
    return assess(exact.as_of, providers, series)


def _relation(present: list[int]) -> list[Relation]:
    """waiting (position 0) = within the standard (1) + over it: by position among the
    counts present."""
    if 0 in present and 1 in present:
        return [Relation(present.index(0), (present.index(1),))]
    return []
