"""Planning to 2043 (issue 14, point 5): the population projections, demand with its p10 /
p50 / p90 by scenario, area, point of delivery and year, the waterfall of change factors, the
beds, sessions, slots and staff each scenario needs, what the mitigators save, the short-term
forecasts and their back-test, and the build's provenance; all from the latest build's
results store (`services.projections`).

Below analyst every figure is the published one (the lake's small counts withheld, the rest
rounded to 5; ONS's projections as ONS publishes them). Analysts get the exact figures, or the
published ones with `?published=true`, and alone get the Monte Carlo runs the percentiles are
taken over (anyone else: 403, audited), so a percentile can be checked by hand.

Filters are query parameters. A value from a fixed list (an area, a point of delivery, a
population variant) or out of range (a year) is a 422 naming the parameter, before any data
is read; a scenario or capacity measure the build does not have is a 404 naming the ones it
has. This is the planning results' router; `routers.planning` is the planning extracts'.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from icsight.api.deps import Services
from icsight.api.security import Who
from icsight.api.tables import Table, TablePage, respond
from icsight.planning.demand import POD_IDS
from icsight.planning.population import BLMK, FIRST_YEAR, LAST_YEAR, ONS, PLACES, VARIANTS
from icsight.services import NotFoundError
from icsight.services._json import records

router = APIRouter(prefix="/planning", tags=["planning to 2043"])

# --- parameters --------------------------------------------------------------------------------

AreaName = Literal[(BLMK, *PLACES)]  # type: ignore[valid-type]
PlaceName = Literal[PLACES]  # type: ignore[valid-type]
PodId = Literal[POD_IDS]  # type: ignore[valid-type]
VariantId = Literal[tuple(VARIANTS)]  # type: ignore[valid-type]

_AREAS = ", ".join((BLMK, *PLACES))
Area = Annotated[AreaName | None, Query(
    description=f"One area: {_AREAS} (BLMK is the four places' sum). Default: all five.",
    examples=["Luton"])]
Place = Annotated[PlaceName | None, Query(
    description=f"One place: {', '.join(PLACES)}. Default: all four.",
    examples=["Milton Keynes"])]
Pod = Annotated[PodId | None, Query(
    description="One point of delivery by its id (docs/planning-demand.md): "
                f"{', '.join(POD_IDS)}. Default: all.", examples=["non_elective"])]
Scenario = Annotated[str | None, Query(
    max_length=40, description="One scenario: principal (ONS 2022-based growth, no "
                               "mitigation) or mitigated (the strategy's mitigators), in any "
                               "case. Default: both.", examples=["mitigated"])]
Year = Annotated[int | None, Query(
    ge=FIRST_YEAR, le=LAST_YEAR, description=f"One mid-year, {FIRST_YEAR}-{LAST_YEAR}. "
                                             "Default: every year.", examples=[LAST_YEAR])]
Variant = Annotated[VariantId | None, Query(
    description="One population projection: "
                + "; ".join(f"{key} ({name})" for key, name in VARIANTS.items())
                + ". Default: both.", examples=[ONS])]
Measure = Annotated[str | None, Query(
    max_length=60, description="One capacity measure by its id: beds_occupied, beds, "
                               "theatre_sessions, clinic_slots_first, clinic_slots_follow_up, "
                               "clinic_sessions, or wte:<staff group> (such as "
                               "wte:nurses_and_midwives). Default: all.",
    examples=["beds"])]
Published = Annotated[bool, Query(
    description="Analysts: the published figures (as the public sees them) instead of the "
                "exact ones. Everyone else always gets the published figures.")]


def _answers(example: dict, what: str = "table") -> dict:
    """What the OpenAPI document says an operation answers: a page of rows like `example`
    (JSON, or CSV with ?format=csv), 404 and 422."""
    page = {"rows": [example], "total": 1, "limit": 1000, "offset": 0, "next": None,
            "previous": None}
    return {200: {"description": f"A page of the {what} as JSON, or as CSV with ?format=csv "
                                 "(the same rows and values; a withheld value is an empty "
                                 "cell)",
                  "content": {"application/json": {"example": page}, "text/csv": {}}},
            404: {"description": "No results yet, a build without planning tables (or "
                                 "forecasts), or a scenario or measure the build does not "
                                 "have (named in `detail`)"},
            422: {"description": "A filter, limit, offset or format that is not allowed: "
                                 "`detail[].loc` names the parameter"}}


# --- operations --------------------------------------------------------------------------------

@router.get("/population", response_model=TablePage, summary="Population projections to 2043",
            responses=_answers({"variant": "ons-2022", "place": "Luton",
                                "la_code": "E06000032", "year": 2043, "age": 80,
                                "sex": "female", "people": 1234.567}, "residents"))
def population(who: Who, services: Services, table: Table, variant: Variant = None,
               place: Place = None, year: Year = None) -> Response:
    """Residents by population projection (`variant`), place, mid-year, single year of age
    (90: 90 and over) and sex, 2023-2043: ONS's 2022-based subnational projection and the
    housing-led variant (docs/planning-population.md). ONS's figures are public already:
    the same for everyone (JSON or CSV)."""
    rows = services.projections.population(who, variant, place, year)
    return respond(table, rows, "planning-population")


@router.get("/pyramid", response_model=TablePage,
            summary="Population pyramid: two years by five-year band and sex",
            responses=_answers({"year": 2043, "age_band": "80-84", "sex": "female",
                                "people": 9876.543}, "pyramid"))
def pyramid(who: Who, services: Services, table: Table,
            place: Annotated[AreaName, Query(
                description=f"The area: {_AREAS} (BLMK: the places summed).",
                examples=["Bedford Borough"])] = BLMK,
            variant: Annotated[VariantId, Query(
                description="The population projection: " + ", ".join(VARIANTS) + ".",
                examples=[ONS])] = ONS,
            from_year: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR,
                                            description="The first year of the two.",
                                            examples=[FIRST_YEAR])] = FIRST_YEAR,
            to_year: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR,
                                          description="The second year of the two.",
                                          examples=[LAST_YEAR])] = LAST_YEAR) -> Response:
    """Residents of one area by five-year band (90 and over in one) and sex in two years
    (by default 2023 and 2043): the population pyramid the planning pages draw, from ONS's
    projection or the housing-led variant (JSON or CSV)."""
    frame = services.projections.pyramid(who, place, variant, (from_year, to_year))
    return respond(table, records(frame), "planning-pyramid", list(frame.columns))


@router.get("/list-inflation", response_model=TablePage,
            summary="Registered list against ONS residents (list inflation)",
            responses=_answers({"date": "2026-09-30", "place": "BLMK", "age_band": "80-84",
                                "sex": "persons", "registered": 26345.0,
                                "residents": 25010.3, "difference": 1334.7, "ratio": 1.053,
                                "suppressed": False}, "list inflation"))
def list_inflation(who: Who, services: Services, table: Table, place: Area = None,
                   published: Published = False) -> Response:
    """The lake's registered list on the build's last day beside ONS's residents, by area,
    five-year band and sex (persons: both): the difference and the ratio of registered to
    residents. Below analyst the registered counts are the published population pyramid's
    cells (withheld where one is; JSON or CSV)."""
    rows = services.projections.list_inflation(who, place, published)
    return respond(table, rows, "planning-list-inflation")


@router.get("/demand", response_model=TablePage,
            summary="Demand to 2043: p10, p50 and p90 by scenario, area, point of delivery "
                    "and year",
            responses=_answers({"scenario": "Principal", "place": "BLMK",
                                "pod": "non_elective",
                                "point_of_delivery": "Non-elective admissions",
                                "unit": "admissions", "year": 2043, "baseline": 6355.0,
                                "mean": 7345.0, "p10": 7150.0, "p50": 7345.0, "p90": 7540.0,
                                "suppressed": False}, "demand projection"))
def demand(who: Who, services: Services, table: Table, scenario: Scenario = None,
           place: Area = None, pod: Pod = None, year: Year = None,
           published: Published = False) -> Response:
    """Each scenario's projected activity by area, point of delivery and mid-year: the mean
    and the p10, p50 and p90 over the Monte Carlo runs (numpy's linear percentiles; BLMK's
    are taken over the runs' totals of the four places, never summed from the places'
    percentiles), beside the baseline year's activity. Below analyst: rounded to 5, 1 to 7
    withheld, and everything projected from a withheld baseline withheld (JSON or CSV)."""
    rows = services.projections.demand(who, scenario, place, pod, published)
    return respond(table, _in_year(rows, year), "planning-demand")


@router.get("/demand/runs", response_model=TablePage,
            summary="Demand: every Monte Carlo run (analysts only)",
            responses={**_answers({"scenario": "Principal", "run": 1, "year": 2043,
                                   "place": "Luton", "pod": "ae", "activity": 6905.0},
                                  "runs"),
                       403: {"description": "Not an analyst (audited)"}})
def runs(who: Who, services: Services, table: Table, scenario: Scenario = None,
         place: Place = None, pod: Pod = None, year: Year = None) -> Response:
    """Every run's activity by scenario, place, point of delivery and mid-year: the figures
    the percentiles of /planning/demand are taken over (BLMK is not listed: it is the places'
    sum within each run). Run r of both scenarios draws the same future. Analysts only;
    anyone else is refused with 403, and the refusal is audited (JSON or CSV)."""
    rows = services.projections.runs(who, scenario, place, pod, year)
    return respond(table, rows, "planning-demand-runs")


@router.get("/waterfall", response_model=TablePage,
            summary="Waterfall: baseline to 2043, one step per change factor",
            responses=_answers({"scenario": "Mitigated", "place": "BLMK",
                                "pod": "non_elective", "horizon": 2043, "order": 4,
                                "step": "mitigator: Avoidable emergency admissions",
                                "change": -950.0, "level": 6395.0, "suppressed": False},
                               "waterfall"))
def waterfall(who: Who, services: Services, table: Table, scenario: Scenario = None,
              place: Area = None, pod: Pod = None, published: Published = False) -> Response:
    """From the baseline year to the horizon, one row per change factor in the order applied
    (demographic growth, health status, non-demographic growth, each mitigator, random
    variation): `change` is what the step adds (the mean over runs) and `level` the level
    after it. Below analyst the levels are rounded to 5 and the steps are their differences,
    so they still add up (JSON or CSV)."""
    rows = services.projections.waterfall(who, scenario, place, pod, published)
    return respond(table, rows, "planning-waterfall")


@router.get("/capacity", response_model=TablePage,
            summary="Beds, theatre sessions, clinic slots and staff needed to 2043",
            responses=_answers({"scenario": "Principal", "place": "BLMK", "measure": "beds",
                                "label": "General and acute beds at 92% occupancy",
                                "unit": "beds", "year": 2043, "baseline": 120.4,
                                "mean": 141.2, "p10": 137.9, "p50": 141.1, "p90": 144.6,
                                "suppressed": False}, "capacity"))
def capacity(who: Who, services: Services, table: Table, scenario: Scenario = None,
             place: Area = None, measure: Measure = None, year: Year = None,
             published: Published = False) -> Response:
    """What each scenario's demand needs by area, measure and mid-year: general and acute
    beds occupied and at the target occupancy, theatre sessions, outpatient slots and
    sessions, and whole-time equivalents by staff group from the documented ratios
    (docs/planning-capacity.md); p10, p50 and p90 over the runs. Below analyst: to one
    decimal place, withheld for an area with any withheld baseline (JSON or CSV)."""
    rows = services.projections.capacity(who, scenario, place, measure, published)
    return respond(table, _in_year(rows, year), "planning-capacity")


@router.get("/savings", response_model=TablePage,
            summary="What the mitigated scenario saves against the principal one",
            responses=_answers({"scenario": "Mitigated", "against": "Principal",
                                "place": "BLMK", "measure": "beds",
                                "label": "General and acute beds at 92% occupancy",
                                "unit": "beds", "year": 2043, "mean": 9.8, "p10": 6.1,
                                "p50": 9.7, "p90": 13.4, "suppressed": False}, "savings"))
def savings(who: Who, services: Services, table: Table, place: Area = None,
            measure: Measure = None, year: Year = None,
            published: Published = False) -> Response:
    """What the mitigated scenario needs less than the principal one, by area, capacity
    measure and mid-year: the two are paired run by run (run r of each draws the same
    future), then p10, p50 and p90 taken over the differences (JSON or CSV)."""
    rows = services.projections.savings(who, place, measure, published)
    return respond(table, _in_year(rows, year), "planning-savings")


@router.get("/forecasts", response_model=TablePage,
            summary="Short-term monthly forecasts handed over to the projection",
            responses=_answers({"place": "Luton", "pod": "ae", "model": "AutoETS",
                                "month": "2027-03-31", "h": 6, "forecast": 2015.0,
                                "lo_80": 1890.0, "hi_80": 2140.0, "chosen": True,
                                "path": 2010.0}, "forecasts"))
def forecasts(who: Who, services: Services, table: Table, place: Place = None,
              pod: Pod = None,
              chosen_only: Annotated[bool, Query(
                  description="Only the model the back-test chose for each series.")] = False,
              published: Published = False) -> Response:
    """Each place and point of delivery's monthly activity forecast for 24 months by every
    model (ETS, ARIMA and the seasonal-naive baseline), the back-test's chosen one marked,
    with the planning path that hands over to the principal projection without a step
    (docs/planning-forecast.md). Only a build made with forecasts has them (JSON or CSV)."""
    rows = services.projections.forecasts(who, place, pod, chosen_only, published)
    return respond(table, rows, "planning-forecasts")


@router.get("/backtest", response_model=TablePage,
            summary="Forecast back-test: MASE and interval coverage",
            responses=_answers({"place": "Luton", "pod": "ae", "model": "AutoETS",
                                "mase": 0.82, "coverage_80": 0.79, "chosen": True},
                               "back-test"))
def backtest(who: Who, services: Services, table: Table, place: Place = None,
             pod: Pod = None) -> Response:
    """The rolling-origin back-test of each series and model: the mean absolute scaled
    error (MASE, below 1 beats the seasonal-naive forecast) and how often the 80% interval
    held the actual month, the chosen model marked. Scores, not counts: the same for
    everyone (JSON or CSV)."""
    return respond(table, services.projections.backtest(who, place, pod),
                   "planning-backtest")


@router.get("/build", summary="How the planning tables were made (provenance)",
            responses={200: {"description": "The build's planning provenance", "content": {
                "application/json": {"example": {
                    "as_of": "2026-09-30", "baseline_window": ["2025-09-30", "2026-09-30"],
                    "scenarios": {"principal": "Principal v2026-12-03.1",
                                  "mitigated": "Mitigated v2026-12-03.1"},
                    "runs": 256, "seed": 1, "years": [2023, 2043],
                    "capacity_assumptions": "BLMK capacity assumptions v2026-12-03.1",
                    "population_variants": ["housing-led", "ons-2022"]}}}},
                404: {"description": "No results yet, or a build without planning tables"}})
def build(services: Services) -> dict:
    """What the latest build says of its planning tables: the baseline year, each scenario's
    name and version, the runs and their seed, the years, the capacity assumptions' version,
    the population variants, the baselines withheld from the published tables, the
    disclosure control applied, and the forecasts' window and models when it made them."""
    said = services.projections.build()
    if not said:
        raise NotFoundError("the latest build has no planning tables; build the whole "
                            "catalogue again (or `icsight build --planning`)")
    return said


def _in_year(rows: list[dict], year: int | None) -> list[dict]:
    """The rows of one mid-year (None: all); the service filters by everything else."""
    return rows if year is None else [r for r in rows if r.get("year") == year]
