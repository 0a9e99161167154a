"""Aggregates: the indicator catalogue and indicator values from the results store.

Values are small-number suppressed (`icsight.governance.disclosure.suppress`) for every role
below analyst; analysts see exact counts. Suppression runs over the whole run at once: every
breakdown of every indicator (so a breakdown asked for alone is protected against the others,
and indicators that share a denominator against each other), within the practice -> PCN ->
place parentage stored with the run, with values and intervals recomputed from the published
counts. `icsight build` writes that table into the run (`published_values.parquet`); a run
built before then is suppressed on first use and kept in memory, keyed by its folder (a run is
never rewritten), so no request pays for suppressing the whole table.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path

import pandas as pd

from icsight.governance.access import Principal, Role, authorise
from icsight.governance.disclosure import suppress
from icsight.services._json import records
from icsight.services.errors import NotFoundError

__all__ = ["AggregateService"]


class AggregateService:
    """Indicator catalogue and values, served to principals."""

    def __init__(self, results_dir: str | Path, audit_log: str | Path) -> None:
        self.results_dir = Path(results_dir)
        self.audit_log = Path(audit_log)

    def catalogue(self, who: Principal) -> list[dict]:
        """Every indicator's description and id."""
        authorise(who, "catalogue.read", self.audit_log)
        from icsight.indicators.catalogue import catalogue

        return [ind.describe() | {"id": ind.id} for ind in catalogue().values()]

    def indicator_values(self, who: Principal, indicator_id: str,
                         breakdown: str | None = None) -> list[dict]:
        """The latest build's values; small-number suppressed for everyone but analysts."""
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, indicator_id)
        run = self._latest_run()
        _check_opt_out_applied(run)
        wanted = indicator_id.upper()
        values = _exact(run, wanted) if full else _published(run, wanted)
        if values.empty:
            raise NotFoundError(f"no indicator {indicator_id!r} in the latest build")
        if breakdown:
            values = values[values.breakdown == breakdown]
        return records(values)

    def latest_values(self, who: Principal,
                      breakdowns: tuple[str, ...] = ("icb", "place")) -> list[dict]:
        """Every indicator's values in its latest period for `breakdowns` (the overview
        pages): small-number suppressed for everyone but analysts, as `indicator_values`."""
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, "latest values")
        run = self._latest_run()
        _check_opt_out_applied(run)
        return records(_latest_of_run(run.resolve(), full, tuple(breakdowns)))

    def variation(self, who: Principal) -> list[dict]:
        """Every indicator's SPC signal in its latest period, for the ICB and each place:
        the point type and the variation and assurance icons, without the values or limits.

        A signal is worked out from the exact series, so below analyst it is given only
        where the figure it describes is published: beside a withheld figure, "special cause
        of concern" would say something about the number withheld."""
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, "variation")
        run = self._latest_run()
        _check_opt_out_applied(run)
        return records(_signals_of_run(run.resolve(), full))

    def inequality_gaps(self, who: Principal) -> list[dict]:
        """Each indicator's inequality by deprivation in its latest period: the gap between
        the least and most deprived IMD quintiles (quintile 5 minus quintile 1, in the
        indicator's unit) and the slope and relative indices of inequality across the ten
        deciles (`icsight.results.summaries.inequalities`, PHEindicatormethods `phe_sii`).

        Analysts get the build's figures from the exact counts. Everyone else gets them worked
        out again from the published (rounded and suppressed) quintile and decile rows, so an
        inequality figure says nothing the published table does not; where a quintile or
        decile is withheld there is no gap or SII."""
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, "inequalities")
        run = self._latest_run()
        _check_opt_out_applied(run)
        return records(_gaps_of_run(run.resolve(), full))

    def new_signals(self, who: Principal) -> list[dict]:
        """What changed since the last period: each SPC chart (ICB and places) whose latest
        point is special cause of a different kind from the point before it (common cause
        to concern, improvement to concern...), with both point types. Below analyst, only
        where the latest figure is published (as `variation`)."""
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, "new signals")
        run = self._latest_run()
        _check_opt_out_applied(run)
        return records(_new_signals_of_run(run.resolve(), full))

    def population_pyramid(self, who: Principal, area: str = "BLMK") -> list[dict]:
        """The registered population of `area` (BLMK or a place) on the latest build's last
        period end by sex and 5-year age band (`icsight.results.population`): period_end,
        breakdown, group, sex, age_band, people and `suppressed`. Analysts get the exact
        counts; everyone else the published table (rounded, withheld where small or where a
        withheld count could be worked out from it: `people` is None there). Empty for an
        area the build has no one in, or a run built before the pyramid was stored."""
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, "population pyramid")
        run = self._latest_run()
        _check_opt_out_applied(run)
        table = _population_of_run(run.resolve(), full)
        return records(table[table.group == area])

    def build(self, who: Principal) -> dict:
        """What the latest build was: its id, when it finished, the code that made it and
        the periods it covers (no paths: they name the server's folders)."""
        authorise(who, "catalogue.read", self.audit_log)
        run = self._latest_run()
        try:
            provenance = json.loads((run / "provenance.json").read_text())
        except (OSError, ValueError):
            provenance = {}
        ends = provenance.get("period_ends") or [None]
        return {"run_id": provenance.get("run_id", run.name),
                "finished": provenance.get("finished"),
                "code_version": provenance.get("code_version"),
                "first_period_end": ends[0], "last_period_end": ends[-1],
                "purpose": provenance.get("purpose")}

    def build_marker(self) -> str | None:
        """Which build is served, as a key that changes with every new build (the latest-run
        marker's text and modification time), or None before the first: for keeping pages
        made from it (`icsight.web.views.cache`). Names no path and no figure."""
        from icsight.results.store import LATEST

        marker = self.results_dir / LATEST
        try:
            return f"{marker.read_text().strip()}@{marker.stat().st_mtime_ns}"
        except OSError:
            return None

    def _latest_run(self) -> Path:
        from icsight.results import latest_run

        try:
            return latest_run(self.results_dir)
        except FileNotFoundError:
            # Not the store's message: it names a server path (OWASP Error Handling).
            raise NotFoundError("no results yet: run `icsight build` first") from None


def _check_opt_out_applied(run: Path) -> None:
    """Serve aggregates only from a build that left out the national data opt-out: a build
    for direct care (`icsight build --purpose direct_care`) counts opted-out patients, and
    figures for planning, which is what every role here uses them for, must not (NHS
    England, "National data opt-out operational policy guidance")."""
    try:
        provenance = json.loads((run / "provenance.json").read_text())
    except (OSError, ValueError):
        provenance = {}
    if provenance.get("national_data_opt_out_applied") is not True:
        purpose = provenance.get("purpose", "an unknown purpose")
        raise NotFoundError(f"the latest build was made for {purpose}, with patients who "
                            "opted out; run `icsight build` (for planning, the default) to "
                            "publish figures")


def _rows(path: Path, indicator_id: str | None) -> pd.DataFrame:
    """A run table, or only one indicator's rows of it: a request reads what it serves, not
    the whole run (the filter is pushed down to the Parquet reader)."""
    if indicator_id is None:
        return pd.read_parquet(path)
    return _indicator_rows(path.resolve(), indicator_id).copy()


@functools.lru_cache(maxsize=256)
def _indicator_rows(path: Path, indicator_id: str) -> pd.DataFrame:
    """One indicator's rows of a run table, kept (a run is never rewritten): the indicator
    pages and downloads ask for the same few thousand rows again and again."""
    return pd.read_parquet(path, filters=[("indicator_id", "==", indicator_id)])


def _exact(run: Path, indicator_id: str | None = None) -> pd.DataFrame:
    return _rows(run / "indicator_values.parquet", indicator_id)


def _by_breakdown(run: Path, full: bool, breakdowns: tuple[str, ...]) -> pd.DataFrame:
    """Every indicator's rows for `breakdowns`: exact (`full`) or as published."""
    wanted = [("breakdown", "in", list(breakdowns))]
    stored = run / ("indicator_values.parquet" if full else "published_values.parquet")
    if stored.is_file():
        return pd.read_parquet(stored, filters=wanted)
    table = _suppressed_once(run)
    return table[table.breakdown.isin(breakdowns)]


@functools.lru_cache(maxsize=8)
def _latest_of_run(run: Path, full: bool, breakdowns: tuple[str, ...]) -> pd.DataFrame:
    """Kept per run (a run is never rewritten): the overview pages read these few hundred
    rows on every request, and finding them reads the whole table."""
    return _latest(_by_breakdown(run, full, breakdowns))


@functools.lru_cache(maxsize=8)
def _signals_of_run(run: Path, full: bool) -> pd.DataFrame:
    """Each indicator's latest SPC signals for the ICB and places, kept per run as
    `_latest_of_run` is (the overview and programme pages ask on every request)."""
    columns = ["indicator_id", "breakdown", "group", "period_end", "point_type",
               "variation_icon", "assurance_icon"]
    charts = _spc_table(run, columns)
    if charts.empty:
        return charts
    signals = _latest(charts)
    if not full:
        signals = _where_published(signals, _by_breakdown(run, False, ("icb", "place")))
    return signals


#: The population pyramid's columns, as served.
POPULATION_COLUMNS = ["period_end", "breakdown", "group", "sex", "age_band", "people",
                      "suppressed"]


@functools.lru_cache(maxsize=8)
def _population_of_run(run: Path, full: bool) -> pd.DataFrame:
    """The run's pyramid table, exact (`full`) or published, kept per run (the overview and
    every place profile ask for it); empty for a run built before it was stored."""
    path = run / ("population.parquet" if full else "published_population.parquet")
    if not path.is_file():
        return pd.DataFrame(columns=POPULATION_COLUMNS)
    table = pd.read_parquet(path)
    if full:
        table = table.assign(suppressed=False)
    return table.reindex(columns=POPULATION_COLUMNS)


def _spc_table(run: Path, columns: list[str]) -> pd.DataFrame:
    """`columns` of the run's SPC table; empty when the run has none, or charted nothing (a
    build too short for any chart writes a table with no columns at all)."""
    path = run / "spc.parquet"
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    table = pd.read_parquet(path)
    if not set(columns) <= set(table.columns):
        return pd.DataFrame(columns=columns)
    return table[columns]


#: The inequality figures served (those of `icsight.results.summaries.inequalities`).
GAP_COLUMNS = ["indicator_id", "period_end", "gap_q5_minus_q1", "sii", "sii_lower95_0cl",
               "sii_upper95_0cl", "rii", "rii_lower95_0cl", "rii_upper95_0cl"]


@functools.lru_cache(maxsize=8)
def _gaps_of_run(run: Path, full: bool) -> pd.DataFrame:
    """Each indicator's latest inequality figures: the build's own (`full`), or worked out
    from the published deprivation rows, kept per run."""
    if full:
        path = run / "inequalities.parquet"
        return _latest(pd.read_parquet(path).reindex(columns=GAP_COLUMNS)) if path.is_file() \
            else pd.DataFrame(columns=GAP_COLUMNS)
    from icsight.indicators.catalogue import catalogue
    from icsight.results.summaries import inequalities

    rows = _latest(_by_breakdown(run, False, ("imd_quintile", "imd_decile")))
    known = catalogue()
    out = []
    for indicator_id, own in rows.groupby("indicator_id"):
        if indicator_id not in known:
            continue
        # a withheld row has no value: leaving it out leaves its quintile or decile missing,
        # and then there is no gap or SII, rather than one worked from a blank
        shown = own[~own.suppressed.astype(bool)]
        out.append(inequalities(shown, known[indicator_id]) if not shown.empty else
                   pd.DataFrame({"indicator_id": [indicator_id],
                                 "period_end": [own.period_end.iloc[0]]}))
    if not out:
        return pd.DataFrame(columns=GAP_COLUMNS)
    return pd.concat(out, ignore_index=True).reindex(columns=GAP_COLUMNS)


@functools.lru_cache(maxsize=8)
def _new_signals_of_run(run: Path, full: bool) -> pd.DataFrame:
    """SPC charts whose latest point is special cause of a new kind, kept per run."""
    columns = ["indicator_id", "breakdown", "group", "period_end", "point_type"]
    spc = _spc_table(run, columns)
    if spc.empty:
        return pd.DataFrame(columns=[*columns, "previous_point_type"])
    spc = spc.sort_values(columns[:4])
    spc["previous_point_type"] = spc.groupby(columns[:3]).point_type.shift()
    latest = _latest(spc)
    changed = latest[(latest.point_type != "common_cause")
                     & (latest.point_type != latest.previous_point_type)
                     & latest.previous_point_type.notna()]
    if not full:
        changed = _where_published(changed, _by_breakdown(run, False, ("icb", "place")))
    return changed.reset_index(drop=True)


def _where_published(signals: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """`signals` without those whose indicator, breakdown, group and period have no published
    (unsuppressed) figure."""
    if signals.empty:
        return signals
    keys = ["indicator_id", "breakdown", "group", "period_end"]
    shown = published.loc[~published.suppressed.astype(bool), keys].astype(
        {"period_end": str})
    shown["period_end"] = shown.period_end.str[:10]
    kept = signals.assign(_day=signals.period_end.astype(str).str[:10]).merge(
        shown.rename(columns={"period_end": "_day"}).drop_duplicates(),
        on=["indicator_id", "breakdown", "group", "_day"])
    return kept.drop(columns="_day").reset_index(drop=True)


def _latest(table: pd.DataFrame) -> pd.DataFrame:
    """Each indicator's rows in its own latest period."""
    if table.empty:
        return table
    latest = table.groupby("indicator_id").period_end.transform("max")
    return table[table.period_end == latest].reset_index(drop=True)


_CACHE: dict[Path, pd.DataFrame] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_RUNS = 4  # runs kept in memory: the latest and a few it replaced


def _published(run: Path, indicator_id: str) -> pd.DataFrame:
    """One indicator's rows of the run's suppressed table: the one the build wrote, or, for a
    run built before that was stored, the whole table suppressed once and kept for this run."""
    stored = run / "published_values.parquet"
    if stored.is_file():
        return _rows(stored, indicator_id)
    table = _suppressed_once(run)
    return table[table.indicator_id == indicator_id]


def _suppressed_once(run: Path) -> pd.DataFrame:
    key = run.resolve()
    with _CACHE_LOCK:  # one suppression per run, even when requests arrive together
        if key not in _CACHE:
            while len(_CACHE) >= _CACHE_RUNS:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = _suppress_run(run)
        return _CACHE[key]


def _suppress_run(run: Path) -> pd.DataFrame:
    """Without the parentage (a run built before it was stored) practice and PCN rows are
    withheld below analyst level: they cannot be protected within their PCN."""
    from icsight.results.store import methods

    parentage = run / "hierarchy.parquet"
    hierarchy = pd.read_parquet(parentage) if parentage.is_file() else None
    return suppress(_exact(run), hierarchy=hierarchy, methods=methods())
