"""The map of BLMK's four places (icsight.charts.place_map): each place's value is the value
given for it, a withheld place is grey and never shaded (never a colour of 0), a place with
no row is white, the table beside it lists every place, and the text alternative names the
values."""

from __future__ import annotations

import pandas as pd

from icsight.charts import WITHHELD, chart_description, chart_meta, chart_table, to_svg
from icsight.charts.maps import NO_DATA_FILL, WITHHELD_FILL, place_boundaries, place_map

PLACES = ["Bedford Borough", "Central Bedfordshire", "Luton", "Milton Keynes"]


def _square(code: str, name: str, x: float, y: float, side: float) -> dict:
    ring = [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]
    return {"type": "Feature", "id": code, "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"lad_code": code, "lad_name": name}}


def _areas(spec: dict) -> list[dict]:
    """The features the map's area layers draw (with the labels' layer beside them, the
    areas' data sits on their own layers)."""
    layer = _layer(spec, "properties.value")
    return (layer.get("data") or spec["data"])["values"]


def _layer(spec: dict, field: str) -> dict:
    return next(layer for layer in spec["layer"]
                if layer.get("encoding", {}).get("color", {}).get("field") == field)


def test_the_packaged_boundaries_are_blmks_four_places():
    features = place_boundaries()["features"]
    assert sorted(f["id"] for f in features) == ["E06000032", "E06000042", "E06000055",
                                                 "E06000056"]
    # the ONS names, each the build's place but Bedford ("Bedford Borough" in the build)
    assert sorted(f["properties"]["lad_name"] for f in features) == [
        "Bedford", "Central Bedfordshire", "Luton", "Milton Keynes"]
    chart = place_map(pd.DataFrame({"place": PLACES, "value": [1.0, 2.0, 3.0, 4.0]}),
                      title="Every place")
    assert [row["Value"] for row in chart_table(chart)] == ["1.0", "2.0", "3.0", "4.0"]
    # every place shaded: no key to grey or white areas there are none of
    assert _layer(chart.to_dict(), "properties.status")["encoding"]["color"]["legend"] is None


def test_withheld_is_grey_never_a_shade_and_the_table_lists_every_place():
    # Luton withheld (no value), Milton Keynes published as 0.0 (a real 0 is shaded),
    # Central Bedfordshire not in the frame at all
    values = pd.DataFrame({"place": ["Bedford Borough", "Luton", "Milton Keynes"],
                           "value": [61.25, None, 0.0]})
    chart = place_map(values, title="Blood pressure", unit="%")
    spec = chart.to_dict()
    features = {f["properties"]["name"]: f["properties"] for f in _areas(spec)}
    assert features["Bedford Borough"] == {"code": "E06000055", "name": "Bedford Borough",
                                           "value": 61.25, "status": "published"}
    assert features["Luton"]["value"] is None and features["Luton"]["status"] == WITHHELD
    assert features["Milton Keynes"]["status"] == "published"
    assert features["Milton Keynes"]["value"] == 0.0
    assert features["Central Bedfordshire"]["status"] == "no data"
    # the blues shade only published places; withheld and no data have their own fills
    shaded = _layer(spec, "properties.value")
    assert shaded["transform"] == [{"filter": "datum.properties.status == 'published'"}]
    others = _layer(spec, "properties.status")
    assert others["transform"] == [{"filter": "datum.properties.status != 'published'"}]
    assert others["encoding"]["color"]["scale"] == {"domain": [WITHHELD, "no data"],
                                                    "range": [WITHHELD_FILL, NO_DATA_FILL]}
    assert others["encoding"]["color"]["legend"] is not None  # a key to the grey and white
    assert chart_table(chart) == [
        # 61.25 to one place, as Python rounds it (half to even)
        {"Place": "Bedford Borough", "Value": "61.2%"},
        {"Place": "Central Bedfordshire", "Value": "no data"},
        {"Place": "Luton", "Value": WITHHELD},
        {"Place": "Milton Keynes", "Value": "0.0%"}]
    words = chart_description(chart)
    assert "Bedford Borough 61.2%; Milton Keynes 0.0%" in words
    assert "Withheld to protect privacy (grey): Luton." in words
    assert "1 with no data (white)" in words
    assert "Office for National Statistics" in chart_meta(chart)["attribution"]
    svg = to_svg(chart)
    assert svg.count("<path") >= 4 and "Luton" in svg  # every place drawn and named


def test_labels_sit_at_each_places_centre_in_ink_that_reads_on_its_fill():
    # two hand-made squares: A from (0, 0) side 2, centre (1, 1); B from (10, 0) side 4,
    # centre (12, 2). A is the lowest value (lightest blue: dark ink), B the highest
    # (darkest blue: white ink)
    geo = {"type": "FeatureCollection",
           "features": [_square("A1", "Alpha", 0, 0, 2), _square("B1", "Beta", 10, 0, 4)]}
    chart = place_map(pd.DataFrame({"place": ["Alpha", "Beta"], "value": [5.0, 9.0]}),
                      title="Two", boundaries=geo)
    spec = chart.to_dict()
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    labels = {row["name"]: row for row in text["data"]["values"]}
    assert (labels["Alpha"]["longitude"], labels["Alpha"]["latitude"]) == (1.0, 1.0)
    assert (labels["Beta"]["longitude"], labels["Beta"]["latitude"]) == (12.0, 2.0)
    assert labels["Alpha"]["ink"] == "#231F20" and labels["Beta"]["ink"] == "#FFFFFF"
    assert chart_table(chart) == [{"Place": "Alpha", "Value": "5.0"},
                                  {"Place": "Beta", "Value": "9.0"}]
