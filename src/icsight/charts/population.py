"""The population pyramid: people in 5-year age bands by sex, males to the left and females
to the right, as the Office for National Statistics draws its population pyramids ("Population
pyramids", ONS population estimates). Counts are drawn as given; a withheld count is a row of
the table saying so, and no bar.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from icsight.charts._common import AXIS, BLUE, PURPLE, WITHHELD, number, with_table

__all__ = ["pyramid_chart"]

#: Each sex -> (side: -1 left, +1 right; colour). The side and the labels say which is which.
SIDES = {"Male": (-1, BLUE), "Female": (1, PURPLE)}


def _band_start(band: str) -> int:
    match = re.match(r"\d+", str(band))
    return int(match.group()) if match else -1


def pyramid_chart(rows: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """A population pyramid of `rows` (columns `age_band` such as "0-4" ... "90+", `sex`
    "Male"/"Female", `people`): the oldest band at the top."""
    frame = pd.DataFrame({"age_band": rows["age_band"].astype(str),
                          "sex": rows["sex"].astype(str).str.capitalize(),
                          "people": [number(v) for v in rows["people"]]})
    unknown = set(frame["sex"]) - set(SIDES)
    if unknown:
        raise ValueError(f"sex must be Male or Female, not {', '.join(sorted(unknown))}")
    bands = sorted(frame["age_band"].unique(), key=_band_start, reverse=True)
    shown = frame.dropna(subset=["people"]).copy()
    shown["signed"] = [p * SIDES[s][0] for p, s in zip(shown["people"], shown["sex"],
                                                       strict=True)]
    chart = alt.Chart(shown).mark_bar().encode(
        y=alt.Y("age_band:N", sort=bands, title="Age band (years)"),
        x=alt.X("signed:Q", title="People (males left, females right)",
                axis=alt.Axis(labelExpr="format(abs(datum.value), ',')")),
        color=alt.Color("sex:N", scale=alt.Scale(domain=list(SIDES),
                                                 range=[c for _, c in SIDES.values()]),
                        legend=alt.Legend(title="Sex", orient="bottom")),
        tooltip=[alt.Tooltip("age_band:N", title="Age band"), alt.Tooltip("sex:N"),
                 alt.Tooltip("people:Q", title="People", format=",.0f")],
    ).properties(width=480, height=max(160, 18 * len(bands)))
    table = []
    for band in reversed(bands):  # the table reads youngest first
        row = {"Age band": band}
        for sex in ("Female", "Male"):
            match = frame[(frame.age_band == band) & (frame.sex == sex)]["people"]
            value = match.iloc[0] if len(match) else None
            row[sex] = WITHHELD if value is None or value != value else f"{value:,.0f}"
        table.append(row)
    totals = shown.groupby("sex")["people"].sum()
    description = (f"Population pyramid of {title}: {len(bands)} age bands, "
                   f"{totals.get('Female', 0):,.0f} females and {totals.get('Male', 0):,.0f} "
                   "males shown.")
    if shown["people"].any():
        top = shown.loc[shown["people"].idxmax()]
        description += f" The largest bar is {top.sex.lower()}s aged {top.age_band}."
    withheld = len(frame) - len(shown)
    if withheld:
        description += f" {withheld} count(s) withheld to protect privacy."
    return with_table(chart, kind="pyramid", title=title, table=table,
                      description=description).configure_view(stroke=None).configure_axis(
        **AXIS)
