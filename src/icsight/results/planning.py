"""Planning to 2043 in the results store: the population, the demand projection of each
packaged scenario, the capacity and staff it needs, what the mitigators save and, when asked,
the short-term forecasts (issue 14, point 5).

    <run id>/
      planning_population.parquet        ONS's 2022-based projection and the housing-led
                                         variant: residents by variant, place, year, single
                                         year of age and sex, 2023-2043 (public figures)
      planning_list_inflation.parquet    the lake's registered list on the build's last day
                                         beside ONS's residents, by place, five-year age
                                         band (the pyramid's) and sex
      planning_demand.parquet            p10 / p50 / p90 and mean over runs of each
                                         scenario's activity by area, point of delivery and
                                         year, beside the baseline year's activity
      planning_demand_runs.parquet       every run's activity by place (analysts: the
                                         figures the percentiles are taken over)
      planning_waterfall.parquet         baseline to horizon, one row per change factor
      planning_capacity.parquet          beds, theatre sessions, clinic slots and sessions,
                                         whole-time equivalents: p10 / p50 / p90 by area,
                                         measure and year
      planning_savings.parquet           what the mitigated scenario needs less than the
                                         principal one, run by run, then percentiles
      planning_forecasts.parquet         (a build with forecasts) every model's monthly
                                         forecast and the planning path handed over to the
                                         principal projection
      planning_backtest.parquet          (a build with forecasts) MASE and interval coverage
                                         per series and model, the chosen one marked
      published_planning_*.parquet       the tables as shown below analyst level

The projections start from the 12 months to the build's last period end (`baseline_rates`),
run 256 times from seed 1 for each packaged scenario (`principal`, `mitigated`); the two share
their seed, so run r of each draws the same future and the savings are paired run by run.

**Disclosure control (what is published).** ONS's projections are public already and published
as they are. The lake's own counts are the baseline year's activity by place and point of
delivery and the registered list: the baseline activity of the four places and BLMK (their
sum) goes through `governance.disclosure.suppress_cells` (1 to 7 withheld, secondary
suppression within BLMK = the places' sum, the rest rounded to 5). Where a place's baseline
of a point of delivery is withheld, so is every figure projected from it (each year's
percentiles, the waterfall, and the place's capacity, which several points of delivery feed),
since dividing a projection by its published growth factors would give the baseline back.
Projected activity is a model output, not a count of people: it is rounded to 5, and figures
from 1 to 7 are withheld, as the waiting-list trajectories are. The waterfall's levels are
rounded to 5 and its steps are the differences of the rounded levels, so they still add up.
The registered list is published as the build's published population pyramid cells
(`results.population`: the same people on the same day in the same five-year bands; persons
are its female and male cells summed, withheld where either is), so the list inflation shows
nothing the pyramid does not. The runs stay
with analysts. Forecasts are of activity at place level and are published rounded to 5 like
the projections; the back-test's scores are not counts.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from icsight.governance.disclosure import DisclosureRules, Relation, suppress_cells
from icsight.planning.capacity import capacity, packaged_assumptions, savings
from icsight.planning.demand import Projection, baseline_rates, packaged_scenario, project
from icsight.planning.demand.baseline import baseline_window
from icsight.planning.population import (
    BLMK,
    PLACES,
    PopulationError,
    list_inflation,
    projections,
)

__all__ = ["FILES", "RUNS", "SCENARIOS", "SEED", "publish_capacity", "publish_demand",
           "publish_list_inflation", "publish_waterfall", "withheld_areas", "write_planning"]

#: The packaged scenarios every build projects, the runs and the seed they share.
SCENARIOS = ("principal", "mitigated")
RUNS, SEED = 256, 1
#: table name -> (exact file, published file; None: analysts only)
FILES = {
    # ONS's figures are public: one file serves everyone
    "population": ("planning_population.parquet", "planning_population.parquet"),
    "list_inflation": ("planning_list_inflation.parquet",
                       "published_planning_list_inflation.parquet"),
    "demand": ("planning_demand.parquet", "published_planning_demand.parquet"),
    "demand_runs": ("planning_demand_runs.parquet", None),
    "waterfall": ("planning_waterfall.parquet", "published_planning_waterfall.parquet"),
    "capacity": ("planning_capacity.parquet", "published_planning_capacity.parquet"),
    "savings": ("planning_savings.parquet", "published_planning_savings.parquet"),
    "forecasts": ("planning_forecasts.parquet", "published_planning_forecasts.parquet"),
    "backtest": ("planning_backtest.parquet", "published_planning_backtest.parquet"),
}
_PERCENTILES = ("mean", "p10", "p50", "p90")


def write_planning(lake, as_of: dt.date, folder: Path, published_pyramid: pd.DataFrame,
                   runs: int = RUNS, seed: int = SEED, forecasts: bool = False,
                   forecast_jobs: int = 1) -> tuple[dict, Projection | None]:
    """Project every packaged scenario from the year to `as_of` and write the planning tables
    into `folder` (a run being written); returns what the provenance says and the principal
    projection (for the waiting lists' referrals), or a reason and None when the lake cannot
    give a baseline year to `as_of`. `published_pyramid`: the build's published population
    pyramid, which the published list inflation is summed from."""
    started = time.perf_counter()
    start, end = baseline_window(as_of)
    window = lake.data_window()
    first_day = start + dt.timedelta(days=1)
    if window is not None and first_day.isoformat() < window[0]:
        return {"skipped": f"the baseline year ({first_day} to {end}) starts before the "
                           f"lake's data ({window[0]} to {window[1]})"}, None
    rates = baseline_rates(lake, as_of)
    try:
        made = {name: project(rates, packaged_scenario(name), runs=runs, seed=seed)
                for name in SCENARIOS}
    except PopulationError as e:  # a baseline year outside ONS's figures
        return {"skipped": str(e)}, None
    assumptions = packaged_assumptions()
    needed = {name: capacity(p, assumptions) for name, p in made.items()}
    inflation = list_inflation(lake, as_of, bands="five-year")
    exact = {
        "population": projections(),
        "list_inflation": inflation,
        "demand": pd.concat([p.summary() for p in made.values()], ignore_index=True),
        "demand_runs": pd.concat([p.runs_frame().assign(scenario=p.scenario.name)
                                  for p in made.values()], ignore_index=True),
        "waterfall": pd.concat([p.waterfall() for p in made.values()], ignore_index=True),
        "capacity": pd.concat([c.summary() for c in needed.values()], ignore_index=True),
        "savings": savings(needed["principal"], needed["mitigated"]),
    }
    hidden = withheld_areas(exact["demand"])
    published = {
        "population": exact["population"],
        "list_inflation": publish_list_inflation(inflation, published_pyramid),
        "demand": publish_demand(exact["demand"], hidden),
        "waterfall": publish_waterfall(exact["waterfall"], hidden),
        "capacity": publish_capacity(exact["capacity"], hidden),
        "savings": publish_capacity(exact["savings"], hidden),
    }
    provenance = {
        "as_of": as_of.isoformat(), "purpose": lake.purpose.value,
        "baseline_window": list(made["principal"].window),
        "scenarios": {name: f"{p.scenario.name} v{p.scenario.version}"
                      for name, p in made.items()},
        "runs": runs, "seed": seed, "years": [made["principal"].years[0],
                                              made["principal"].years[-1]],
        "capacity_assumptions": f"{assumptions.name} v{assumptions.version}",
        "population_variants": sorted(exact["population"].variant.unique().tolist()),
        "registered_outside_places": inflation.attrs.get("registered_outside_places", 0),
        "baselines_withheld": sorted(f"{a}: {p}" for a, p in hidden),
    }
    if forecasts:
        provenance["forecasts"] = _forecasts(lake, made["principal"], exact, published,
                                             forecast_jobs)
    tables = {}
    for name, frame in exact.items():
        exact_file, published_file = FILES[name]
        frame.to_parquet(folder / exact_file, index=False)
        tables[name] = exact_file
        if published_file is not None and published_file != exact_file:
            published[name].to_parquet(folder / published_file, index=False)
    provenance["tables"] = tables
    provenance["published"] = {n: FILES[n][1] for n in published}
    provenance["disclosure"] = ("baseline activity by place and point of delivery: 1-7 "
                                "withheld, secondary suppression within BLMK, rounded to 5, "
                                "and everything projected from a withheld baseline withheld; "
                                "projected activity rounded to 5 (1-7 withheld); registered "
                                "list summed from the published population pyramid")
    provenance["seconds"] = round(time.perf_counter() - started, 1)
    return provenance, made["principal"]


def _forecasts(lake, principal: Projection, exact: dict, published: dict, jobs: int) -> dict:
    """Back-test, forecast and hand over every place and point of delivery's monthly series
    (`planning.forecast`) into `exact` and `published`; what the provenance says."""
    from icsight.planning.forecast import SeriesError, monthly_activity, planning_forecast

    try:
        series = monthly_activity(lake)
        made = planning_forecast(series, principal.summary(), n_jobs=jobs)
    except (SeriesError, ValueError) as e:
        return {"skipped": str(e)}
    chosen = made.scores.loc[made.scores.chosen, ["place", "pod", "model"]]
    written = made.forecasts.merge(chosen.assign(chosen=True), "left",
                                   ["place", "pod", "model"])
    written["chosen"] = written.chosen.eq(True)
    path = made.path[["place", "pod", "model", "month", "projection_p10", "projection_p50",
                      "projection_p90", "weight", "path", "path_lo_80", "path_hi_80"]]
    written = written.merge(path, "left", ["place", "pod", "model", "month"])
    exact["forecasts"], exact["backtest"] = written, made.scores
    published["forecasts"] = _rounded(written, [c for c in written.columns
                                                if written[c].dtype.kind == "f"
                                                and c != "weight"])
    published["backtest"] = made.scores
    return {"window": list(series.attrs["window"]), "series": len(chosen),
            "months_ahead": int(written.h.max()) if "h" in written else None,
            "models": sorted(written.model.unique().tolist())}


# --- disclosure control ------------------------------------------------------------------------

def withheld_areas(demand: pd.DataFrame, rules: DisclosureRules | None = None
                   ) -> set[tuple[str, str]]:
    """The (area, point of delivery) pairs whose baseline activity is not published: from 1
    to 7, or withheld to protect one that is within BLMK = the four places' sum."""
    base = demand.drop_duplicates(["place", "pod"])[["place", "pod", "baseline"]]
    counts: list[float] = []
    keys: list[tuple[str, str]] = []
    rels: list[Relation] = []
    for pod, rows in base.groupby("pod", sort=False):
        value = dict(zip(rows.place, rows.baseline, strict=True))
        first = len(counts)
        for area in (*PLACES, BLMK):
            counts.append(float(np.round(value.get(area, 0.0))))
            keys.append((area, pod))
        rels.append(Relation(first + len(PLACES), tuple(range(first, first + len(PLACES)))))
    if not counts:
        return set()
    _, hidden = suppress_cells(counts, rels, rules or DisclosureRules())
    return {key for key, h in zip(keys, hidden, strict=True) if h}


def _rounded(frame: pd.DataFrame, columns: list[str], rules: DisclosureRules | None = None
             ) -> pd.DataFrame:
    """`columns` rounded to `rules.rounding`, withheld (NaN) from `rules.low` to
    `rules.high`."""
    rules = rules or DisclosureRules()
    out = frame.copy()
    for column in columns:
        value = out[column].astype(float).round()
        small = (value >= rules.low) & (value <= rules.high)
        out[column] = ((value / rules.rounding).round() * rules.rounding).where(~small)
    return out


def _hide(frame: pd.DataFrame, hidden: set[tuple[str, str]], columns: list[str],
          by_area: bool = False) -> pd.DataFrame:
    """`columns` NaN on the rows of a withheld (area, point of delivery) pair (`by_area`:
    of any area with one)."""
    if by_area:
        areas = {area for area, _ in hidden}
        mask = frame.place.isin(areas)
    else:
        mask = pd.Series([(a, p) in hidden for a, p in zip(frame.place, frame.pod,
                                                           strict=True)], index=frame.index,
                         dtype=bool)
    out = frame.copy()
    out.loc[mask, columns] = np.nan
    out["suppressed"] = mask.to_numpy()
    return out


def publish_demand(demand: pd.DataFrame, hidden: set[tuple[str, str]] | None = None,
                   rules: DisclosureRules | None = None) -> pd.DataFrame:
    """The demand summary as published (see the module's docstring)."""
    hidden = withheld_areas(demand, rules) if hidden is None else hidden
    out = _rounded(demand, ["baseline", *_PERCENTILES], rules)
    return _hide(out, hidden, ["baseline", *_PERCENTILES])


def publish_waterfall(waterfall: pd.DataFrame, hidden: set[tuple[str, str]],
                      rules: DisclosureRules | None = None) -> pd.DataFrame:
    """The waterfall as published: levels rounded to 5, steps the differences of the rounded
    levels (so they add up), withheld where the baseline is."""
    rules = rules or DisclosureRules()
    out = waterfall.sort_values(["scenario", "place", "pod", "order"]).copy()
    out["level"] = (out["level"] / rules.rounding).round() * rules.rounding
    previous = out.groupby(["scenario", "place", "pod"], sort=False)["level"].shift(1)
    out["change"] = out["level"] - previous.fillna(0.0)
    out = _hide(out, hidden, ["change", "level"])
    return out.loc[waterfall.index]


def publish_capacity(table: pd.DataFrame, hidden: set[tuple[str, str]]) -> pd.DataFrame:
    """Capacity (or savings) as published: to one decimal place, and withheld for an area
    where the baseline of any point of delivery is withheld (each measure is fed by several:
    the simple rule that cannot miss one)."""
    columns = [c for c in ("baseline", *_PERCENTILES) if c in table]
    out = table.copy()
    out[columns] = out[columns].astype(float).round(1)
    return _hide(out, hidden, columns, by_area=True)


def publish_list_inflation(table: pd.DataFrame, published_pyramid: pd.DataFrame
                           ) -> pd.DataFrame:
    """The list inflation (in the pyramid's five-year bands) as published: each registered
    count is the published pyramid's cell of the same area, sex and band on the same day
    (persons: female plus male, as the pyramid shows no other sex), withheld where one is; the
    difference and ratio recomputed from it."""
    day = str(table.date.iloc[0]) if len(table) else None
    pyramid = published_pyramid[(published_pyramid.period_end.astype(str) == day)
                                & published_pyramid.breakdown.isin(["icb", "place"])].copy()
    pyramid["place"] = np.where(pyramid.breakdown == "icb", BLMK, pyramid.group)
    cells = pd.concat([pyramid, pyramid.assign(sex="persons")], ignore_index=True)
    # a sum with a withheld cell in it is withheld (min_count: NaN stays NaN)
    summed = cells.groupby(["place", "age_band", "sex"]).people.agg(
        lambda s: s.sum() if s.notna().all() else np.nan)
    out = table.copy()
    keys = pd.MultiIndex.from_frame(out[["place", "age_band", "sex"]])
    out["registered"] = summed.reindex(keys).to_numpy()
    out["difference"] = out.registered - out.residents
    out["ratio"] = out.registered / out.residents
    out["suppressed"] = out.registered.isna()
    return out
