"""Planning to 2043 from the results store (`icsight.results.planning`): the population,
demand with its uncertainty, the waterfall of change factors, capacity and staff, what the
mitigators save and the short-term forecasts.

Figures are aggregates: everyone sees the published tables (the lake's small counts withheld,
the rest rounded to 5; ONS's projections as ONS publishes them); analysts see the exact ones,
as for the indicators (`aggregates.suppressed` / `aggregates.unsuppressed`). The Monte Carlo
runs the percentiles are taken over are served to analysts only, so anyone checking a p90 can
re-aggregate it from the runs.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from icsight.governance.access import Principal, Role, authorise
from icsight.planning.demand import POD_IDS, point_of_delivery
from icsight.planning.population import BLMK, FIRST_YEAR, LAST_YEAR, PLACES
from icsight.results.planning import FILES
from icsight.services._json import records
from icsight.services._results import BuildTables
from icsight.services.errors import NotFoundError

__all__ = ["AREAS", "TABLES", "PlanningResultsService", "pod_label"]

#: the tables a caller may ask for by name (the runs only by analysts)
TABLES = tuple(FILES)
#: BLMK first, then the four places, as every planning page lists them
AREAS = (BLMK, *PLACES)


@functools.lru_cache(maxsize=32)
def _table(run: Path, name: str, exact: bool) -> pd.DataFrame:
    """One planning table of a run (a run is never rewritten: kept per folder)."""
    exact_file, published_file = FILES[name]
    path = run / (exact_file if exact or published_file is None else published_file)
    if not path.is_file():
        if name in ("forecasts", "backtest"):
            raise NotFoundError("the latest build has no forecasts; build again with "
                                "`icsight build --forecasts`")
        raise NotFoundError("the latest build has no planning tables; build the whole "
                            "catalogue again (or `icsight build --planning`)")
    return pd.read_parquet(path)


def _pick(frame: pd.DataFrame, **wanted: object) -> pd.DataFrame:
    """The rows of `frame` whose columns equal each given value (None: any)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in wanted.items():
        if value is not None:
            mask &= frame[column] == value
    return frame[mask]


class PlanningResultsService(BuildTables):
    """The latest build's planning tables, served to principals."""

    def build(self) -> dict:
        """What the build said of its planning tables (baseline window, scenarios, runs,
        seed, assumptions); {} when it made none."""
        return self._provenance("planning")

    def _frame(self, who: Principal, name: str, published: bool = False) -> pd.DataFrame:
        exact = self._exact(who, f"planning {name}", published)
        return _table(self._run(), name, exact)

    # --- tables ----------------------------------------------------------------------------
    def population(self, who: Principal, variant: str | None = None,
                   place: str | None = None, year: int | None = None) -> list[dict]:
        """Residents by variant, place, year, single year of age and sex (ONS's 2022-based
        projection and the housing-led variant): public figures, the same for everyone."""
        _check_area(place, places_only=True)
        _check_year(year)
        frame = self._frame(who, "population", published=True)
        return records(_pick(frame, variant=variant, place=place, year=year))

    def pyramid(self, who: Principal, place: str = BLMK, variant: str = "ons-2022",
                years: tuple[int, int] = (FIRST_YEAR, LAST_YEAR)) -> pd.DataFrame:
        """Residents by five-year band (90 and over in one) and sex in two years, for one
        area (BLMK: the places summed): columns year, age_band, sex, people."""
        _check_area(place)
        for year in years:
            _check_year(year)
        frame = self._frame(who, "population", published=True)
        frame = frame[(frame.variant == variant) & frame.year.isin(years)]
        if frame.empty:
            raise NotFoundError(f"no population variant {variant!r}")
        if place != BLMK:
            frame = frame[frame.place == place]
        lowest = (frame.age.clip(upper=90) // 5) * 5
        band = [f"{a}-{a + 4}" if a < 90 else "90+" for a in lowest]
        out = (frame.assign(age_band=band, _low=lowest)
               .groupby(["year", "_low", "age_band", "sex"], as_index=False).people.sum()
               .sort_values(["year", "sex", "_low"]).drop(columns="_low"))
        return out.reset_index(drop=True)

    def list_inflation(self, who: Principal, place: str | None = None,
                       published: bool = False) -> list[dict]:
        """The lake's registered list on the build's last day beside ONS's residents, by
        area, five-year band and sex."""
        _check_area(place)
        frame = self._frame(who, "list_inflation", published)
        return records(_pick(frame, place=place))

    def demand(self, who: Principal, scenario: str | None = None, place: str | None = None,
               pod: str | None = None, published: bool = False) -> list[dict]:
        """p10 / p50 / p90 and mean over runs of activity by scenario, area, point of
        delivery and year, beside the baseline year's."""
        _check_area(place)
        _check_pod(pod)
        frame = self._frame(who, "demand", published)
        return records(_pick(frame, scenario=_scenario(frame, scenario), place=place,
                             pod=pod))

    def runs(self, who: Principal, scenario: str | None = None, place: str | None = None,
             pod: str | None = None, year: int | None = None) -> list[dict]:
        """Every Monte Carlo run's activity by place (analysts only): what the percentiles
        are taken over (BLMK is the places' sum within each run)."""
        if who.role != Role.ANALYST:
            authorise(who, "aggregates.unsuppressed", self.audit_log, "planning runs")
        _check_area(place, places_only=True)
        _check_pod(pod)
        _check_year(year)
        frame = self._frame(who, "demand_runs")
        return records(_pick(frame, scenario=_scenario(frame, scenario), place=place,
                             pod=pod, year=year))

    def waterfall(self, who: Principal, scenario: str | None = None,
                  place: str | None = None, pod: str | None = None,
                  published: bool = False) -> list[dict]:
        """Baseline to the horizon, one row per change factor in the order applied (means
        over runs, which add up)."""
        _check_area(place)
        _check_pod(pod)
        frame = self._frame(who, "waterfall", published)
        return records(_pick(frame, scenario=_scenario(frame, scenario), place=place,
                             pod=pod).sort_values(["scenario", "place", "pod", "order"]))

    def capacity(self, who: Principal, scenario: str | None = None,
                 place: str | None = None, measure: str | None = None,
                 published: bool = False) -> list[dict]:
        """Beds, theatre sessions, clinic slots and sessions and whole-time equivalents each
        scenario needs: p10 / p50 / p90 by area, measure and year."""
        _check_area(place)
        frame = self._frame(who, "capacity", published)
        _check_measure(frame, measure)
        return records(_pick(frame, scenario=_scenario(frame, scenario), place=place,
                             measure=measure))

    def savings(self, who: Principal, place: str | None = None, measure: str | None = None,
                published: bool = False) -> list[dict]:
        """What the mitigated scenario needs less than the principal one, paired run by run:
        p10 / p50 / p90 by area, measure and year."""
        _check_area(place)
        frame = self._frame(who, "savings", published)
        _check_measure(frame, measure)
        return records(_pick(frame, place=place, measure=measure))

    def forecasts(self, who: Principal, place: str | None = None, pod: str | None = None,
                  chosen_only: bool = False, published: bool = False) -> list[dict]:
        """Every model's monthly forecast (or the back-test's chosen model's only) with the
        planning path handed over to the principal projection."""
        _check_area(place, places_only=True)
        _check_pod(pod)
        frame = self._frame(who, "forecasts", published)
        if chosen_only:
            frame = frame[frame.chosen]
        return records(_pick(frame, place=place, pod=pod))

    def backtest(self, who: Principal, place: str | None = None, pod: str | None = None
                 ) -> list[dict]:
        """The back-test's MASE and interval coverage per series and model, the chosen model
        marked (scores, not counts: the same for everyone)."""
        _check_area(place, places_only=True)
        _check_pod(pod)
        frame = self._frame(who, "backtest", published=True)
        return records(_pick(frame, place=place, pod=pod))


def _scenario(frame: pd.DataFrame, scenario: str | None) -> str | None:
    """A scenario asked for by name, any case ("principal" or "Principal"); NotFoundError
    naming the ones there are for another."""
    if scenario is None:
        return None
    names = {str(s).lower(): s for s in frame.scenario.unique()}
    if scenario.lower() not in names:
        raise NotFoundError(f"no scenario {scenario!r}; one of {', '.join(names.values())}")
    return names[scenario.lower()]


def _check_area(area: str | None, places_only: bool = False) -> None:
    allowed = PLACES if places_only else AREAS
    if area is not None and area not in allowed:
        raise NotFoundError(f"no area {area!r}; one of {', '.join(allowed)}")


def _check_pod(pod: str | None) -> None:
    if pod is not None and pod not in POD_IDS:
        raise NotFoundError(f"no point of delivery {pod!r}; one of {', '.join(POD_IDS)}")


def _check_year(year: int | None) -> None:
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFoundError(f"no year {year}; the projections run {FIRST_YEAR}-{LAST_YEAR}")


def _check_measure(frame: pd.DataFrame, measure: str | None) -> None:
    measures = list(dict.fromkeys(frame.measure))
    if measure is not None and measure not in measures:
        raise NotFoundError(f"no capacity measure {measure!r}; one of {', '.join(measures)}")


def pod_label(pod: str) -> str:
    """The name a planner uses for a point of delivery id."""
    return point_of_delivery(pod).label
