"""The population figures of the overview and the place profiles: the population pyramid (the
registered population by sex and 5-year age band, `icsight.charts.pyramid_chart`) and, on a
place's profile, the map of its neighbourhoods (LSOAs) by deprivation (`lsoa_map`).

The pyramid is drawn from the rows the services served this principal (the published table
below analyst: a withheld count is a row of the table saying so, never a bar), kept per build,
area and level of access as the indicator charts are (`icsight.web.views.charts`): drawing
costs vl-convert about a third of a second. The map is reference data only (MHCLG's IMD 2019
decile of each LSOA, no patient data), the same for everyone: drawn once per place.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd

from icsight.charts import lsoa_boundaries, lsoa_map, pyramid_chart
from icsight.indicators.population import PYRAMID_BANDS
from icsight.web.views.cache import KeptFigures
from icsight.web.views.charts import _figure

__all__ = ["CORE20_DECILES", "deprivation_map", "pyramid_figure"]

#: The IMD deciles of the most deprived 20% of England's neighbourhoods: NHS England's CORE20
#: (Core20PLUS5: "the most deprived 20% of the national population as identified by the
#: national Index of Multiple Deprivation").
CORE20_DECILES = (1, 2)
#: The sexes the pyramid draws, as the lake records them -> as the chart names them.
SEXES = {"female": "Female", "male": "Male"}

#: Pyramids of this many (build, area, access) kept in memory.
_PYRAMIDS = KeptFigures(limit=64)


def pyramid_figure(rows: list[dict], area: str, run_id: str, exact: bool) -> dict | None:
    """The pyramid of `area` from its `rows` (`AggregateService.population_pyramid`), kept per
    (`run_id`, area, `exact`); None when there are no rows (a run built before the pyramid
    was stored)."""
    if not rows:
        return None
    return _PYRAMIDS.get_or_make((run_id, area, exact), lambda: _pyramid(rows, area))


def _pyramid(rows: list[dict], area: str) -> dict:
    table = pd.DataFrame(rows)
    drawn = table[table.sex.isin(list(SEXES))]
    people = {(r.sex, r.age_band): r.people for r in drawn.itertuples()}
    # a band and sex with no one registered has no row (as a breakdown group with no one
    # has none): it is a bar of 0, not a withheld count
    cells = pd.DataFrame([{"age_band": band, "sex": name,
                           "people": people.get((sex, band), 0)}
                          for band in PYRAMID_BANDS for sex, name in SEXES.items()])
    day = dt.date.fromisoformat(str(table.period_end.iloc[0])[:10])
    title = f"{area}'s registered population, {day.day} {day:%B %Y}"
    figure = _figure("pyramid", "Population pyramid: age and sex", pyramid_chart(
        cells, title=title))
    others = table[~table.sex.isin(list(SEXES))]
    if len(others):
        # the pyramid has two sides; people recorded as neither are said, not drawn
        figure["description"] += (" People whose sex is recorded as neither female nor "
                                  "male are not drawn (they are counted in the area's "
                                  "population).")
    return figure


@functools.cache
def deprivation_map(place: str) -> dict | None:
    """`place`'s neighbourhoods (2011 LSOAs) shaded by IMD 2019 decile, most deprived darkest,
    with a column saying which are CORE20; and how many are. None for a place with no LSOA."""
    from icsight.model.reference import lsoas

    reference = lsoas().to_pandas()
    own = reference[reference.place == place]
    if own.empty:
        return None
    codes = set(own.lsoa_code)
    geo = lsoa_boundaries()
    boundaries = {**geo, "features": [f for f in geo["features"] if str(f["id"]) in codes]}
    deciles = own.set_index("lsoa_code").imd_decile.astype(int)
    chart = lsoa_map(pd.DataFrame({"lsoa_code": deciles.index, "value": deciles.to_numpy()}),
                     title=f"Deprivation of {place}'s neighbourhoods (IMD 2019 decile)",
                     boundaries=boundaries, decimals=0, darker="lower",
                     value_name="IMD 2019 decile (1 most deprived)")
    figure = _figure("deprivation-map", "Deprivation: map of neighbourhoods (LSOAs)", chart)
    core20 = {code for code, decile in deciles.items() if decile in CORE20_DECILES}
    code_at = figure["head"].index("Code")
    figure["head"] = [*figure["head"], "Most deprived 20% nationally (CORE20)"]
    figure["rows"] = [[*row, "Yes" if row[code_at] in core20 else "No"]
                      for row in figure["rows"]]
    figure["core20"] = len(core20)
    figure["lsoas"] = len(codes)
    return figure
