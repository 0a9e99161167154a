"""What every chart shares: the palette, the SVG renderer and the text for a withheld value."""

from __future__ import annotations

import math

import altair as alt

AXIS = {"labelFontSize": 11, "titleFontSize": 12}

__all__ = ["BLUE", "GREY", "ORANGE", "PURPLE", "WITHHELD", "chart_description", "chart_table",
           "fmt", "number", "to_svg", "with_table"]

# NHS identity colours (NHS England, "NHS identity guidelines: colours"), chosen so each
# has at least 3:1 contrast on white, as WCAG 2.2 1.4.11 asks of graphical objects.
BLUE = "#005EB8"  # NHS Blue: special cause improvement, as Making Data Count draws it
ORANGE = "#B65300"  # a darkened NHS Orange (the published #ED8B00 has 2.3:1): concern
PURPLE = "#330072"  # NHS Purple: special cause with no better direction
GREY = "#768692"  # NHS Mid Grey: common cause variation
DARK = "#231F20"  # NHS Black: lines and text

#: How a value that small-number suppression withholds is written in every chart's table.
WITHHELD = "withheld"


def number(value: object) -> float | None:
    """`value` as a float, or None when it is missing (None or NaN): a withheld value."""
    if value is None:
        return None
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def to_svg(chart: alt.TopLevelMixin) -> str:
    """`chart` drawn as SVG on the server by vl-convert (Vega's own renderer, with no browser):
    the same drawing vega-embed makes in a browser from the same spec. The SVG has no style
    attributes and names no other host, so it may sit inline in a page under the pages'
    Content-Security-Policy."""
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_dict())


def fmt(value: float | None, unit: str = "") -> str:
    """A value as the tables print it, to one decimal place with its unit; "" when missing."""
    if value is None:
        return ""
    return f"{value:,.1f}" + (unit if unit.startswith("%") else (f" {unit}" if unit else ""))


def with_table(chart: alt.TopLevelMixin, *, kind: str, title: str, table: list[dict],
               description: str, **extra: object) -> alt.TopLevelMixin:
    """`chart` with its title, its text alternative (Vega writes `description` as the drawing's
    accessible label) and its data table's rows kept in the spec's `usermeta`, so that the
    page, the report and the tests all read the table the chart was drawn from."""
    return chart.properties(
        title=title, description=description,
        usermeta={"icsight": {"kind": kind, "table": table, "description": description,
                              **extra}})


def chart_table(chart: alt.TopLevelMixin) -> list[dict]:
    """The rows of the data table printed beside `chart` (any chart this package makes): one
    dict per row, its keys the column headings in order."""
    return list(chart.to_dict()["usermeta"]["icsight"]["table"])


def chart_description(chart: alt.TopLevelMixin) -> str:
    """`chart`'s text alternative: what it shows and its latest signal, in words."""
    return str(chart.to_dict()["usermeta"]["icsight"]["description"])
