"""What every chart shares: the palette, the SVG renderer and the text for a withheld value."""

from __future__ import annotations

import math

import altair as alt

__all__ = ["BLUE", "GREY", "ORANGE", "PURPLE", "WITHHELD", "number", "to_svg"]

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
