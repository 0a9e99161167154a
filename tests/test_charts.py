"""The charts (icsight.charts): each spec holds the data it is given with the right encodings,
its table equals its plotted data, withheld values are never plotted, and it draws as SVG."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from icsight.charts import (
    WITHHELD,
    assurance_icon_svg,
    chart_description,
    chart_table,
    spc_chart,
    spc_points,
    to_svg,
    variation_icon_svg,
)
from icsight.charts.spc import SIGNALS
from icsight.stats import spc


def _series(values: list[float | None], start: str = "2024-01-31") -> pd.DataFrame:
    return pd.DataFrame({"period_end": pd.date_range(start, periods=len(values), freq="ME"),
                         "value": values})


#: Twelve points wobbling round 10, then seven in a row above the mean: a shift.
STEADY = [10, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, 9]
SHIFTED = [*STEADY, 12, 12.5, 12, 12.5, 12, 12.5, 12]


def _layers(chart) -> list[dict]:
    return chart.to_dict()["layer"]


def _point_layer(chart) -> dict:
    return next(layer for layer in _layers(chart)
                if layer["mark"]["type"] == "point")


def _data(chart, layer: dict) -> list[dict]:
    spec = chart.to_dict()
    return spec["datasets"][(layer.get("data") or spec["data"])["name"]]


def test_a_shift_above_the_mean_is_improvement_when_higher_is_better_and_concern_when_lower():
    higher = spc_points(_series(SHIFTED), improvement="higher")
    lower = spc_points(_series(SHIFTED), improvement="lower")
    assert list(higher["rule"][-7:]) == ["shift"] * 7
    assert set(higher["signal"][-7:]) == {"special_cause_improvement"}
    assert set(lower["signal"][-7:]) == {"special_cause_concern"}
    assert set(higher["signal"][:12]) == {"common_cause"}
    # the statistics are icsight.stats.spc's, not recomputed
    expected = spc(SHIFTED, improvement_direction="increase").points
    assert list(higher["point_type"]) == list(expected["point_type"])
    assert higher["upl"].iloc[0] == pytest.approx(expected["upl"].iloc[0])


def test_points_are_shaped_and_coloured_by_their_signal():
    chart = spc_chart(_series(SHIFTED), title="Shift", unit="%", improvement="higher")
    layer = _point_layer(chart)
    shape, colour = layer["encoding"]["shape"], layer["encoding"]["color"]
    assert shape["field"] == colour["field"] == "signal"
    shapes = dict(zip(shape["scale"]["domain"], shape["scale"]["range"], strict=True))
    colours = dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True))
    assert len(set(shapes.values())) == len(SIGNALS) == len(set(colours.values()))
    plotted = {row["signal"] for row in _data(chart, layer)}
    assert plotted == {"common_cause", "special_cause_improvement"}
    assert shapes["common_cause"] != shapes["special_cause_improvement"]
    # the same spec draws on the server
    svg = to_svg(chart)
    assert svg.startswith("<svg") and "Shift" in svg


def test_rebasing_starts_a_new_mean_and_limits_segment():
    values = [*STEADY, 20, 21, 19, 20, 21, 19, 20, 21, 19, 20, 21, 19]
    series = _series(values)
    rebase = str(series["period_end"][12].date())
    chart = spc_chart(series, title="Rebased", rebase=[rebase])
    data = pd.DataFrame(_data(chart, _point_layer(chart)))
    assert list(data["segment"].unique()) == [1, 2]
    first, second = data[data.segment == 1], data[data.segment == 2]
    assert first["mean"].nunique() == second["mean"].nunique() == 1
    assert first["mean"].iloc[0] == pytest.approx(10)
    assert second["mean"].iloc[0] == pytest.approx(20)
    assert first["upl"].iloc[0] < second["lpl"].iloc[0]
    # the mean and limit lines are drawn per segment, so they break at the rebase
    lines = [layer for layer in _layers(chart) if layer["mark"]["type"] == "line"]
    assert all(layer["encoding"]["detail"]["field"] == "segment" for layer in lines)
    # without the rebase, one mean for all: (10 x 12 + 20 x 12) / 24
    plain = spc_points(series)
    assert plain["mean"].nunique() == 1 and plain["mean"].iloc[0] == pytest.approx(15)


def test_the_table_rows_equal_the_plotted_data_and_withheld_values_are_not_plotted():
    values: list[float | None] = list(SHIFTED)
    values[3] = None  # withheld by small-number suppression
    series = _series(values)
    chart = spc_chart(series, title="Withheld", unit="%", target=11)
    table = chart_table(chart)
    plotted = _data(chart, _point_layer(chart))
    assert len(table) == len(values) and len(plotted) == len(values) - 1
    assert table[3]["Value"] == WITHHELD and table[3]["Mean"] == ""
    withheld_day = str(series["period_end"][3].date())
    assert withheld_day not in {row["period_end"] for row in plotted}
    shown = [row for row in table if row["Value"] != WITHHELD]
    for row, point in zip(shown, plotted, strict=True):
        assert row["Value"] == f"{point['value']:,.1f}"
        assert row["Mean"] == f"{point['mean']:,.1f}"
        assert row["Upper process limit"] == f"{point['upl']:,.1f}"
        assert row["Variation"] == SIGNALS[point["signal"]][0]
    assert "1 period(s) withheld" in chart_description(chart)


def test_the_target_is_a_line_and_the_description_names_the_latest_signal_and_assurance():
    chart = spc_chart(_series(SHIFTED), title="Target", unit="%", target=5)
    rules = [layer for layer in _layers(chart) if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1 and _data(chart, rules[0]) == [{"target": 5.0, "label": "Target 5"}]
    text = chart_description(chart)
    assert "Special cause improvement: higher" in text
    assert "Consistently meets the target" in text
    assert chart.to_dict()["description"] == text
    assert spc_chart(_series(SHIFTED), title="No target").to_dict()["layer"][-1]["mark"][
        "type"] == "point"


def test_the_svg_has_no_style_attribute_and_names_no_other_host():
    svg = to_svg(spc_chart(_series(SHIFTED), title="Policy", target=11))
    assert "style=" not in svg
    hosts = set(re.findall(r"https?://[^\"' ]+", svg))
    assert hosts <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_no_published_value_gives_an_empty_chart_that_says_so():
    chart = spc_chart(_series([None, None]), title="Nothing")
    assert chart_description(chart) == "Nothing: no published values to chart."
    assert [row["Value"] for row in chart_table(chart)] == [WITHHELD, WITHHELD]
    assert to_svg(chart).startswith("<svg")


@pytest.mark.parametrize(("icon", "text", "letter"), [
    ("improvement_high", "Special cause improvement: higher", "H"),
    ("concern_low", "Special cause concern: lower", "L"),
    ("neutral_high", "Special cause variation: higher", "H"),
])
def test_variation_icons_have_a_letter_and_text(icon, text, letter):
    svg = variation_icon_svg(icon)
    assert f'aria-label="{text}"' in svg and f"<title>{text}</title>" in svg
    assert re.search(rf">{letter}</text>", svg)


def test_improvement_and_concern_icons_differ_in_more_than_colour():
    improvement, concern = variation_icon_svg("improvement_high"), variation_icon_svg(
        "concern_high")
    marks = [re.findall(r">([^<]+)</text>", svg) for svg in (improvement, concern)]
    assert marks[0] != marks[1]


@pytest.mark.parametrize(("icon", "text", "letter"), [
    ("pass", "Consistently meets the target", "P"),
    ("fail", "Consistently misses the target", "F"),
    ("inconsistent", "May or may not meet the target", "?"),
    (None, "No target to assure", "-"),
])
def test_assurance_icons_have_a_letter_and_text(icon, text, letter):
    svg = assurance_icon_svg(icon)
    assert f'aria-label="{text}"' in svg and f">{letter}</text>" in svg


def test_improvement_must_be_a_known_direction():
    with pytest.raises(ValueError, match="improvement must be one of"):
        spc_chart(_series(STEADY), title="x", improvement="up")
