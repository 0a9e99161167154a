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


def test_the_drawn_points_have_one_shape_and_colour_per_signal():
    """In the SVG itself: the seven points of the shift are drawn as diamonds in NHS Blue,
    the twelve before them as grey circles (a reader who cannot tell blue from grey can tell a
    diamond from a circle)."""
    svg = to_svg(spc_chart(_series(SHIFTED), title="Shapes", improvement="higher"))
    drawn: dict[str, set[tuple[str, str]]] = {}
    for label, path, fill in re.findall(
            r'<path aria-label="[^"]*signal: (\w+);[^"]*"[^>]* d="([^"]+)" fill="([^"]+)"', svg):
        drawn.setdefault(label, set()).add((path, fill))
    assert {k: len(v) for k, v in drawn.items()} == {"common_cause": 1,
                                                     "special_cause_improvement": 1}
    (circle, grey), = drawn["common_cause"]
    (diamond, blue), = drawn["special_cause_improvement"]
    assert circle != diamond and "A" in circle and "A" not in diamond  # an arc; straight sides
    assert (grey, blue) == (SIGNALS["common_cause"][2], SIGNALS["special_cause_improvement"][2])
    assert svg.count("signal: special_cause_improvement;") == 7


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


# --- funnel, deprivation gradient, pyramid, map -------------------------------------------

def _practices() -> pd.DataFrame:
    """Forty practices round 30%, one far above (60%) and one withheld."""
    sizes = [300 + 70 * i for i in range(40)]
    numerators = [round(0.3 * n) + (i % 3 - 1) for i, n in enumerate(sizes)]
    numerators[5] = round(0.6 * sizes[5])
    frame = pd.DataFrame({"group": [f"P{i:02d}" for i in range(40)], "numerator": numerators,
                          "denominator": sizes})
    frame["value"] = frame.numerator / frame.denominator * 100
    frame.loc[7, ["numerator", "value"]] = None
    return frame


def _data_of(chart, mark: str) -> list[dict]:
    spec = chart.to_dict()
    layer = next(layer for layer in spec["layer"] if layer["mark"]["type"] == mark)
    return spec["datasets"][(layer.get("data") or spec["data"])["name"]]


def test_the_funnel_plots_each_published_practice_with_the_stats_limits_and_position():
    from icsight.charts import funnel_chart
    from icsight.stats import funnel_limits, funnel_significance

    practices = _practices()
    chart = funnel_chart(practices, title="Funnel", unit="%")
    points = _data_of(chart, "point")
    assert len(points) == 39 and "P07" not in {p["area"] for p in points}
    shown = practices.dropna()
    expected = dict(zip(shown.group, funnel_significance(shown.numerator, shown.denominator),
                        strict=True))
    assert {p["area"]: p["position"] for p in points} == expected
    assert expected["P05"] == "High (0.001)"
    limits = pd.DataFrame(_data_of(chart, "line"))
    assert set(limits.line) == {"lower 95%", "upper 95%", "lower 99.8%", "upper 99.8%",
                                "overall"}
    wide = funnel_limits(shown.numerator, shown.denominator)
    assert limits[limits.line == "overall"].limit.iloc[0] == pytest.approx(
        wide.baseline.iloc[0])
    table = {row["Area"]: row for row in chart_table(chart)}
    assert table["P07"]["Value"] == WITHHELD and table["P05"]["Position"] == (
        "Above the 99.8% limit")
    layer = next(x for x in chart.to_dict()["layer"] if x["mark"]["type"] == "point")
    assert layer["encoding"]["shape"]["field"] == layer["encoding"]["color"]["field"]
    assert "1 area(s) withheld" in chart_description(chart)
    assert to_svg(chart).startswith("<svg")


def test_a_rate_funnel_uses_the_rate_limits_and_other_methods_have_none():
    from icsight.charts import funnel_chart

    rates = _practices().dropna().assign(value=lambda f: f.numerator / f.denominator * 1000)
    chart = funnel_chart(rates, title="Rate", unit="per 1,000", method="rate",
                         multiplier=1000)
    overall = [row for row in _data_of(chart, "line") if row["line"] == "overall"]
    assert overall[0]["limit"] == pytest.approx(
        rates.numerator.sum() / rates.denominator.sum() * 1000)
    with pytest.raises(ValueError, match="no funnel plot"):
        funnel_chart(rates, title="x", method="life_expectancy")


def _deciles(values: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame({"group": [str(d) for d in range(1, 11)],
                         "denominator": [5000.0] * 10, "value": values,
                         "lower_ci": [None if v is None else v - 2 for v in values],
                         "upper_ci": [None if v is None else v + 2 for v in values]})


def test_the_deprivation_gradient_draws_the_sii_from_the_stats_as_a_line():
    from icsight.charts import deprivation_chart
    from icsight.stats import sii

    values = [40 - 1.5 * i for i in range(10)]
    chart = deprivation_chart(_deciles(values), title="Gradient", unit="%")
    expected = sii([5000] * 10, value=[v / 100 for v in values],
                   lower_cl=[(v - 2) / 100 for v in values],
                   upper_cl=[(v + 2) / 100 for v in values], value_type=2, multiplier=100,
                   repetitions=1000, seed=1)["sii"]
    assert chart.to_dict()["usermeta"]["icsight"]["sii"] == pytest.approx(expected)
    # a straight gradient: the fitted line passes through every decile
    fitted = [row["fitted"] for row in _data_of(chart, "line")]
    assert fitted == pytest.approx(values, abs=1e-6)
    assert expected == pytest.approx(-15, abs=0.01)  # 10 equal deciles: 1.5 x 10 ranks
    assert "Slope index of inequality -15.0" in chart_description(chart)
    rows = chart_table(chart)
    assert [r["Value"] for r in rows] == [f"{v:.1f}%" for v in values]


def test_a_withheld_decile_is_no_bar_and_no_sii():
    from icsight.charts import deprivation_chart

    values: list[float | None] = [40 - 1.5 * i for i in range(10)]
    values[9] = None
    chart = deprivation_chart(_deciles(values), title="Gradient")
    assert len(_data_of(chart, "bar")) == 9
    assert not any(x["mark"]["type"] == "line" for x in chart.to_dict()["layer"])
    assert chart_table(chart)[9]["Value"] == WITHHELD
    assert "No slope index of inequality" in chart_description(chart)


def test_the_pyramid_puts_males_left_and_females_right_oldest_at_the_top():
    from icsight.charts import pyramid_chart

    bands = ["0-4", "5-9", "10-14", "90+"]
    rows = pd.DataFrame([{"age_band": b, "sex": s, "people": 100 * (i + 1) + (s == "Male")}
                         for i, b in enumerate(bands) for s in ("Male", "Female")])
    rows.loc[7, "people"] = None
    chart = pyramid_chart(rows, title="Pyramid")
    spec = chart.to_dict()
    data = spec["datasets"][spec["data"]["name"]]
    assert all((row["signed"] < 0) == (row["sex"] == "Male") for row in data)
    assert abs(next(r["signed"] for r in data if r["age_band"] == "5-9"
                    and r["sex"] == "Male")) == 201
    assert spec["encoding"]["y"]["sort"] == ["90+", "10-14", "5-9", "0-4"]
    table = chart_table(chart)
    assert table[0] == {"Age band": "0-4", "Female": "100", "Male": "101"}
    assert table[-1]["Female"] == WITHHELD
    with pytest.raises(ValueError, match="Male or Female"):
        pyramid_chart(rows.assign(sex="Unknown"), title="x")


def test_the_map_never_shades_a_withheld_lsoa():
    from icsight.charts import lsoa_boundaries, lsoa_map

    codes = [f["id"] for f in lsoa_boundaries()["features"]]
    assert len(codes) == len(set(codes)) == 533
    values = pd.DataFrame({"lsoa_code": codes[:3], "value": [12.5, None, 0.0]})
    chart = lsoa_map(values, title="Map", unit="%")
    spec = chart.to_dict()
    features = spec["data"]["values"]
    status = {f["id"]: f["properties"]["status"] for f in features}
    assert status[codes[0]] == status[codes[2]] == "published"
    assert status[codes[1]] == WITHHELD and status[codes[3]] == "no data"
    shaded = next(layer for layer in spec["layer"]
                  if layer["encoding"]["color"]["field"] == "properties.value")
    assert shaded["transform"] == [{"filter": "datum.properties.status == 'published'"}]
    others = next(layer for layer in spec["layer"] if layer is not shaded)
    assert others["encoding"]["color"]["legend"]["symbolStrokeColor"]
    assert next(f for f in features if f["id"] == codes[1])["properties"]["value"] is None
    table = {row["Code"]: row["Value"] for row in chart_table(chart)}
    assert table[codes[1]] == WITHHELD and table[codes[2]] == "0.0%"
    assert "1 withheld" in chart_description(chart)
    svg = to_svg(chart)
    assert svg.count("<path") > 533  # every LSOA drawn, as well as the legend


def test_a_map_of_deciles_shades_the_most_deprived_darkest_and_writes_whole_numbers():
    """The place profile's map: IMD deciles (1 the most deprived) written as whole numbers,
    the lowest darkest, over only the boundaries given, and no "withheld" or "no data" said
    of a map where every area has its value."""
    from icsight.charts import lsoa_boundaries, lsoa_map

    geo = lsoa_boundaries()
    three = {**geo, "features": geo["features"][:3]}
    codes = [f["id"] for f in three["features"]]
    values = pd.DataFrame({"lsoa_code": codes, "value": [1, 5, 10]})
    chart = lsoa_map(values, title="Deciles", boundaries=three, decimals=0, darker="lower",
                     value_name="IMD decile")
    spec = chart.to_dict()  # validated against the Vega-Lite schema
    assert len(spec["data"]["values"]) == 3
    shaded = next(layer for layer in spec["layer"]
                  if layer["encoding"]["color"]["field"] == "properties.value")
    assert shaded["encoding"]["color"]["scale"]["reverse"] is True
    assert shaded["encoding"]["color"]["title"] == "IMD decile"
    others = next(layer for layer in spec["layer"] if layer is not shaded)
    assert others["encoding"]["color"]["legend"] is None  # nothing withheld, nothing missing
    assert sorted(row["IMD decile"] for row in chart_table(chart)) == ["1", "10", "5"]
    assert chart_description(chart) == ("Map: Deciles. 3 BLMK neighbourhoods (LSOAs): 3 "
                                        "shaded, from 1 to 10, darker for lower values.")
    # by default the highest is darkest
    default = lsoa_map(values, title="Deciles", boundaries=three).to_dict()
    plain = next(layer for layer in default["layer"]
                 if layer["encoding"]["color"]["field"] == "properties.value")
    assert plain["encoding"]["color"]["scale"]["reverse"] is False
    with pytest.raises(ValueError, match="darker"):
        lsoa_map(values, title="x", boundaries=three, darker="deprived")
