"""Build the whole catalogue into the results store, with provenance.

    RESULTS/
      <run id>/                     one folder per build, never overwritten
        indicator_values.parquet    the tidy table: every indicator, month and breakdown
        spc.parquet                 XmR limits, point types and icons (ICB and places)
        inequalities.parquet        quintile gap, SII and RII per indicator and month
        hierarchy.parquet           practice -> PCN -> place, for disclosure control
        published_values.parquet    indicator_values small-number suppressed: what is served
                                    below analyst level (suppressed once per build)
        population.parquet          the registered population on the last period end by
                                    area (BLMK, places) x sex x 5-year age band: the pyramids
        published_population.parquet  population suppressed likewise (`results.population`)
        worklists.parquet           every practice's worklists, by pseudonymised patient, and
        worklist_summary.parquet    their shortfall against target (`results.worklists`)
        risk_scores.parquet         everyone's emergency admission risk (`results.risk`)
        waiting_list_*.parquet      each treatment function x provider's queue, simulated
                                    trajectories and expected waits, exact and published
                                    (`results.waiting_lists`)
        planning_*.parquet          population, demand, capacity (and forecasts) to 2043 by
                                    place, exact and published (`results.planning`)
      models/<version>.json         the risk model each run's scores came from
        provenance.json             data snapshot, code version, codelist versions, run time
      LATEST                        the id of the newest complete run

A run is written to a temporary folder and renamed into place when complete, so a failed build
never leaves a half-written run behind, and `LATEST` only ever names a complete one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from icsight import __version__
from icsight.governance.disclosure import DisclosureRules, protect_each, suppress
from icsight.indicators.breakdown import reference_frames
from icsight.indicators.catalogue import catalogue, indicator
from icsight.indicators.periods import periods_table
from icsight.indicators.population import population_pyramid
from icsight.indicators.series import month_ends, monthly_values
from icsight.model.reference import data_path
from icsight.results.planning import write_planning
from icsight.results.population import publish_population
from icsight.results.risk import write_risk_scores
from icsight.results.summaries import inequalities, spc_summary
from icsight.results.waiting_lists import write_waiting_lists
from icsight.results.worklists import lists_for, write_worklists

LATEST = "LATEST"


def _code_version() -> str:
    """icsight's version, with the git commit when running from a checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5, cwd=Path(__file__).parent, check=True)
        return f"{__version__}+{commit.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def _codelist_versions(names: set[str]) -> dict[str, str]:
    """The SHA-256 (first 12 hex) of each codelist file used: what exactly was counted."""
    out = {}
    for name in sorted(names):
        path = data_path("codelists", f"{name}.csv")
        if path.is_file():
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return out


#: Rows per Parquet row group of the run's value tables. Their rows come indicator by
#: indicator, so a request for one indicator (a page, an API call) reads the few groups
#: whose statistics can hold it instead of decoding the whole table.
ROW_GROUP = 8192


def build(lake, out_dir: str | Path, months: int = 36, as_of: str | None = None,
          ids: list[str] | None = None, progress: Callable[[str], None] | None = None,
          one_query: bool = True, worklists: bool = True, risk: bool | None = None,
          waiting_lists: bool = True, planning: bool | None = None,
          forecasts: bool = False) -> Path:
    """Compute every indicator (or `ids`) for `months` month ends; returns the run folder.

    Each indicator's series is one query (`one_query=False` recomputes month by month: the
    naive baseline the benchmark measures). `worklists`: also find the practices' worklists
    on the last period end (those of `ids` only, when given: `results.worklists`). `risk`:
    also score everyone's emergency admission risk (`results.risk`); by default only in a
    build of the whole catalogue, since training needs years of history a small lake or a
    partial build does not have. `waiting_lists`: also find and simulate each treatment
    function's waiting list at each provider (`results.waiting_lists`), its referrals grown
    by the principal demand projection when there is one. `planning`: also project the
    population, demand and capacity to 2043 (`results.planning`); by default in a build of
    the whole catalogue only, like `risk`. `forecasts`: with planning, also back-test and
    forecast every place's monthly activity (about a minute and a half on two cores)."""
    out_dir = Path(out_dir)
    chosen = [indicator(i) for i in ids] if ids else list(catalogue().values())
    ends = month_ends(as_of or lake.reference_date, months)
    started = dt.datetime.now(dt.UTC)
    run_id = started.strftime("%Y%m%dT%H%M%SZ")
    values, summaries = [], []
    # the parentage secondary suppression needs to protect practices within their PCN
    hierarchy = reference_frames(lake)[0]
    # SPC, inequalities and each indicator's own disclosure control (pandas and Python,
    # holding Python's lock) are made on a second thread while the database computes the
    # next indicator (releasing it): on two cores they overlap.
    with lake.sharing(), ThreadPoolExecutor(max_workers=1) as summarising:
        for ind in chosen:
            v = monthly_values(lake, ind, ends,
                               (lambda i=ind: progress(i.id)) if progress else None, one_query)
            values.append(v)
            summaries.append(summarising.submit(_summaries, v, ind, hierarchy))
        # the same periods table the indicators ran on, so the population margins they
        # shared are summed again rather than counted again
        pyramid = population_pyramid(lake, periods_table(ends, lake),
                                     reference_frames(lake)[0])
        done = [s.result() for s in summaries]
    charts, gaps = [d[0] for d in done], [d[1] for d in done]
    protected = np.concatenate([d[2] for d in done]) if done else np.zeros(0, bool)
    tmp = out_dir / f".{run_id}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        table = pd.concat(values, ignore_index=True)
        table.to_parquet(tmp / "indicator_values.parquet", row_group_size=ROW_GROUP)
        pd.concat(charts, ignore_index=True).to_parquet(tmp / "spc.parquet")
        pd.concat(gaps, ignore_index=True).to_parquet(tmp / "inequalities.parquet")
        hierarchy.to_parquet(tmp / "hierarchy.parquet")
        disclosure = _publish(table, hierarchy, tmp / "published_values.parquet", protected)
        pyramid.to_parquet(tmp / "population.parquet")
        published_pyramid = publish_population(pyramid, DisclosureRules())
        published_pyramid.to_parquet(tmp / "published_population.parquet")
        population = {"period_end": ends[-1].isoformat(),
                      "table": "published_population.parquet",
                      "cells": len(published_pyramid),
                      "cells_suppressed": int(published_pyramid.suppressed.sum())}
        provenance = {
            "run_id": run_id,
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "code_version": _code_version(),
            "data_snapshot": {k: lake.manifest.get(k) for k in
                              ("kind", "seed", "population_target", "reference_date",
                               "window_start", "created", "icsight_version")}
                             | {"lake": str(lake.path)},
            "period_ends": [d.isoformat() for d in ends],
            "purpose": lake.purpose.value,
            "national_data_opt_out_applied": lake.purpose.opt_out_applies,
            "indicators": [i.id for i in chosen],
            "codelist_versions": _codelist_versions({c for i in chosen for c in i.codelists}),
            "disclosure": disclosure,
            "population_disclosure": population,
        }
        if worklists:
            provenance["worklists"] = write_worklists(lake, ends[-1], tmp, lists_for(ids))
        projection = None
        if planning if planning is not None else not ids:
            provenance["planning"], projection = write_planning(
                lake, ends[-1], tmp, published_pyramid, forecasts=forecasts,
                forecast_jobs=_cores())
        if waiting_lists:
            provenance["waiting_lists"] = write_waiting_lists(lake, ends[-1], tmp,
                                                              projection=projection)
        if risk if risk is not None else not ids:
            provenance["risk"] = write_risk_scores(lake, ends[-1], tmp, out_dir)
        (tmp / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
        run = out_dir / run_id
        if run.exists():
            raise FileExistsError(f"{run} already exists; wait a second and build again")
        tmp.rename(run)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (out_dir / LATEST).write_text(run_id + "\n")
    return run


def _cores() -> int:
    """The cores this process may use (the forecasts fit their models side by side)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _summaries(values: pd.DataFrame, ind, hierarchy: pd.DataFrame
               ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """One indicator's SPC charts, inequality summaries and the rows its own disclosure
    control withholds (before the joint step across indicators: `_publish`)."""
    return (spc_summary(values, ind), inequalities(values, ind),
            protect_each(values, DisclosureRules(), hierarchy))


def methods() -> dict[str, tuple[str, float]]:
    """Each indicator's method and multiplier, to recompute values from published counts."""
    return {i.id: (i.method, i.multiplier) for i in catalogue().values()}


def _publish(table: pd.DataFrame, hierarchy: pd.DataFrame, path: Path,
             protected: np.ndarray | None = None) -> dict:
    """Suppress the whole table at once, so indicators that share a denominator are protected
    together (`icsight.governance.disclosure`), and say how in the provenance. `protected`:
    each indicator's own protection, worked out while the build ran (`protect_each`); the
    provenance's seconds are then those of the joint step and the published values only."""
    rules = DisclosureRules()
    started = dt.datetime.now(dt.UTC)
    published = suppress(table, rules, hierarchy=hierarchy, methods=methods(),
                         protected=protected)
    published.to_parquet(path, row_group_size=ROW_GROUP)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return {"table": path.name, "rules": dataclasses.asdict(rules),
            "cells": len(published), "cells_suppressed": int(published.suppressed.sum()),
            "seconds": round(seconds, 1)}


#: The tables a run holds, by name (each `<name>.parquet` in the run folder).
RUN_TABLES = ("indicator_values", "spc", "inequalities", "hierarchy", "published_values",
              "population", "published_population")


def read_latest(out_dir: str | Path, table: str = "indicator_values") -> pd.DataFrame:
    """One table of the newest complete run (`indicator_values`, `spc`, `inequalities`,
    `hierarchy`, `published_values`, `population`, `published_population`)."""
    if table not in RUN_TABLES:
        raise ValueError(f"unknown results table {table!r}; one of {', '.join(RUN_TABLES)}")
    return pd.read_parquet(latest_run(out_dir) / f"{table}.parquet")


def latest_run(out_dir: str | Path) -> Path:
    """The newest complete run in a results store."""
    out_dir = Path(out_dir)
    marker = out_dir / LATEST
    if not marker.is_file():
        raise FileNotFoundError(f"no results in {out_dir}; run `icsight build` first")
    return out_dir / marker.read_text().strip()
