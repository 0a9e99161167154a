"""The population pyramid's published table: the registered population by area, sex and 5-year
age band (`icsight.indicators.population.population_pyramid`) made safe for the public.

The cells are protected by the project's disclosure rules (`icsight.governance.disclosure`):
counts from 1 to 7 withheld, the rest rounded to 5, and secondary suppression to a fixed point
within every relation a reader could difference, treating every published count as exact:

- each sex and band: BLMK's cell is the sum of the places' cells (plus anyone at a practice
  with no place);
- each area: its population, published on the overview (the learning disability prevalence's
  denominator for BLMK and each place), is the sum of its cells;
- BLMK by sex: each sex's population, published as the indicators' sex breakdown, is the sum
  of BLMK's cells of that sex;
- BLMK aged 80 and over, published as the indicators' 80+ age band, is the sum of BLMK's
  80-84, 85-89 and 90+ cells.

(The indicators' other age bands, 0-17 to 60-79, split the 5-year bands, so no sum of cells
gives one of them.)
"""

from __future__ import annotations

import pandas as pd

from icsight.governance.disclosure import DisclosureRules, Relation, suppress_cells

__all__ = ["OLDEST", "publish_population"]

#: The pyramid bands that make up the indicators' published "80+" age band.
OLDEST = ("80-84", "85-89", "90+")


def publish_population(table: pd.DataFrame, rules: DisclosureRules | None = None
                       ) -> pd.DataFrame:
    """`table` (period_end, breakdown, group, sex, age_band, people) as published: `people`
    rounded, NaN where withheld, and `suppressed` saying which."""
    cells = table.reset_index(drop=True)
    counts = cells["people"].astype(float).tolist()
    rels: list[Relation] = []

    def total(rows: pd.Index) -> int:
        """A node for a total published elsewhere: the sum of `rows`' cells."""
        counts.append(float(cells.loc[rows, "people"].sum()))
        return len(counts) - 1

    for _, own in cells.groupby("period_end", sort=False):
        icb = own[own.breakdown == "icb"]
        places = own[own.breakdown == "place"]
        for (sex, band), row in icb.groupby(["sex", "age_band"], sort=False):
            kids = places[(places.sex == sex) & (places.age_band == band)].index
            if len(kids):
                rels.append(Relation(int(row.index[0]), tuple(int(i) for i in kids)))
        for _, area in own.groupby(["breakdown", "group"], sort=False):
            rels.append(Relation(total(area.index), tuple(int(i) for i in area.index)))
        for _, same_sex in icb.groupby("sex", sort=False):
            rels.append(Relation(total(same_sex.index), tuple(int(i) for i in same_sex.index)))
        old = icb[icb.age_band.isin(OLDEST)]
        if len(old):
            rels.append(Relation(total(old.index), tuple(int(i) for i in old.index)))
    # the totals are public already (the overview, the indicators' breakdowns): never hidden
    shown, hidden = suppress_cells(counts, rels, rules,
                                   frozenset(range(len(cells), len(counts))))
    n = len(cells)
    return cells.assign(people=shown[:n], suppressed=hidden[:n])
