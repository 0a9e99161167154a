"""Choropleth maps of BLMK: its LSOAs (2011, the areas the lake's IMD 2019 deprivation uses,
`lsoa_map`) and its four places (the local authorities Bedford, Central Bedfordshire, Luton
and Milton Keynes, `place_map`). Each area is shaded by its value on a single-hue scale, as
the ONS and Fingertips maps shade them. An area whose value is withheld is drawn in light grey
with a dark outline and listed as "withheld" in the table and the legend: it is never a colour
of 0.

The boundaries are Office for National Statistics LSOA (December 2011) generalised clipped
boundaries, and the local authorities dissolved from them, simplified for the web (see
`src/icsight/data/geography/boundaries/SOURCES.md`), packaged reference data read once; the
values come from the caller.
"""

from __future__ import annotations

import json
from functools import cache

import altair as alt
import pandas as pd

from icsight.charts._common import DARK, WITHHELD, fmt, number, with_table
from icsight.model.reference import LA_TO_PLACE

__all__ = ["BOUNDARIES", "PLACE_BOUNDARIES", "lsoa_boundaries", "lsoa_map",
           "place_boundaries", "place_map"]

BOUNDARIES = ("geography", "boundaries", "blmk_lsoa2011.geojson")
PLACE_BOUNDARIES = ("geography", "boundaries", "blmk_local_authorities.geojson")
WITHHELD_FILL = "#D8DDE0"  # NHS Pale Grey: not a step of the value scale
NO_DATA_FILL = "#FFFFFF"
ATTRIBUTION = ("Boundaries: Office for National Statistics, OGL v3.0. Contains OS data "
               "© Crown copyright and database right 2016. GeoJSON by Martin Chorley "
               "(CC BY 4.0), simplified.")
PLACE_ATTRIBUTION = ("Boundaries: Office for National Statistics, OGL v3.0. Contains OS data "
                     "© Crown copyright and database right 2016. GeoJSON by Martin Chorley "
                     "(CC BY 4.0), joined into local authorities and simplified.")


@cache
def lsoa_boundaries() -> dict:
    """The 533 BLMK LSOA (2011) boundaries as GeoJSON, each feature's `id` its LSOA code."""
    return _read(BOUNDARIES)


@cache
def place_boundaries() -> dict:
    """BLMK's four places (local authorities) as GeoJSON, each feature's `id` its local
    authority code (`icsight.model.reference.LA_TO_PLACE` names its place) and
    `properties.lad_name` its ONS name."""
    return _read(PLACE_BOUNDARIES)


def _read(parts: tuple[str, ...]) -> dict:
    from icsight.model.reference import data_path

    geo = json.loads(data_path(*parts).read_text(encoding="utf-8"))
    for feature in geo["features"]:
        feature["geometry"] = _rewound(feature["geometry"])
    return geo


def _rewound(geometry: dict) -> dict:
    """`geometry` with each ring reversed: the file follows RFC 7946 (outer rings
    anticlockwise), and Vega's d3-geo takes the opposite, drawing an anticlockwise ring as
    the whole sphere minus the area."""
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring[::-1] for ring in
                                                   geometry["coordinates"]]}
    if geometry["type"] == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [[ring[::-1] for ring in polygon]
                                                        for polygon in geometry["coordinates"]]}
    return geometry


def lsoa_map(values: pd.DataFrame, *, title: str, unit: str = "",
             boundaries: dict | None = None, decimals: int = 1, darker: str = "higher",
             value_name: str = "Value") -> alt.LayerChart:
    """A map of `values` (columns `lsoa_code`, `value`; a missing value is withheld) over the
    LSOA boundaries: published values shaded, withheld areas grey and named so, areas with no
    row white.

    `decimals` is how values are written (0 for a decile); `darker="lower"` shades the lowest
    values darkest (IMD deciles, where 1 is the most deprived, as MHCLG's maps shade them);
    `value_name` heads the table's value column."""
    if darker not in ("higher", "lower"):
        raise ValueError(f"darker must be 'higher' or 'lower', not {darker!r}")
    geo = boundaries if boundaries is not None else lsoa_boundaries()
    given = {str(code): number(v) for code, v in zip(values["lsoa_code"], values["value"],
                                                     strict=True)}
    features = []
    for feature in geo["features"]:
        code = str(feature.get("id") or feature["properties"].get("lsoa11_code"))
        status = ("published" if given.get(code) is not None
                  else WITHHELD if code in given else "no data")
        props = feature.get("properties", {})
        features.append({"type": "Feature", "geometry": feature["geometry"], "id": code,
                         "properties": {"code": code, "name": props.get("lsoa11_name", code),
                                        "value": given.get(code), "status": status}})
    base = alt.Chart(alt.Data(values=features)).project(type="mercator")
    tooltip = [alt.Tooltip("properties.name:N", title="Area"),
               alt.Tooltip("properties.value:Q", title=value_name, format=f",.{decimals}f"),
               alt.Tooltip("properties.status:N", title="Status")]
    shaded = base.mark_geoshape(stroke="#FFFFFF", strokeWidth=0.3).encode(
        color=alt.Color("properties.value:Q",
                        title=unit.strip() or (value_name if value_name != "Value" else "value"),
                        # from a quarter of the way along: the lightest blues are
                        # too near the white of "no data" and the grey of "withheld"
                        scale=alt.Scale(scheme=alt.SchemeParams(name="blues",
                                                                extent=[0.25, 1]),
                                        reverse=darker == "lower"),
                        legend=alt.Legend(orient="right")),
        tooltip=tooltip).transform_filter("datum.properties.status == 'published'")
    unshaded = any(f["properties"]["status"] != "published" for f in features)
    others = _unshaded(base, tooltip, unshaded)
    chart = alt.layer(others, shaded).resolve_scale(color="independent").properties(
        width=480, height=480)

    def shown(value: float | None) -> str:
        if decimals == 1 or value is None:
            return fmt(value, unit)
        return f"{value:,.{decimals}f}" + (unit if unit.startswith("%") else
                                           (f" {unit}" if unit else ""))

    table = [{"LSOA": f["properties"]["name"], "Code": f["properties"]["code"],
              value_name: shown(f["properties"]["value"])
              if f["properties"]["status"] == "published" else f["properties"]["status"]}
             for f in sorted(features, key=lambda f: f["properties"]["name"])]
    published = [f["properties"]["value"] for f in features
                 if f["properties"]["status"] == "published"]
    withheld = sum(f["properties"]["status"] == WITHHELD for f in features)
    description = f"Map: {title}. {len(features)} BLMK neighbourhoods (LSOAs)"
    missing = len(features) - len(published) - withheld
    parts = []
    if published:
        parts.append(f"{len(published)} shaded, from {shown(min(published))} to "
                     f"{shown(max(published))}, darker for {darker} values")
    # a map of reference data (deprivation) withholds nothing: it says only what it shows
    if withheld or not published:
        parts.append(f"{withheld} withheld to protect privacy (grey)")
    if missing or not published:
        parts.append(f"{missing} with no data (white)")
    description += ": " + "; ".join(parts) + "."
    return with_table(chart, kind="map", title=title, table=table, description=description,
                      attribution=ATTRIBUTION).configure_view(stroke=None)


def place_map(values: pd.DataFrame, *, title: str, unit: str = "",
              boundaries: dict | None = None) -> alt.LayerChart:
    """A map of `values` (columns `place`, `value`; a missing value is withheld; places named
    as the build names them, "Bedford Borough") over BLMK's four places: published values
    shaded, withheld places grey and named so, places with no row white. Each place is
    labelled with its name on the map."""
    geo = boundaries if boundaries is not None else place_boundaries()
    given = {str(place): number(v) for place, v in zip(values["place"], values["value"],
                                                       strict=True)}
    features = []
    for feature in geo["features"]:
        props = feature.get("properties", {})
        code = str(feature.get("id") or props.get("lad_code"))
        # the place as the build names it (the ONS name "Bedford" is the place "Bedford
        # Borough"); a boundary of some other area goes by its own name
        name = LA_TO_PLACE.get(code) or str(props.get("lad_name") or code)
        status = ("published" if given.get(name) is not None
                  else WITHHELD if name in given else "no data")
        features.append({"type": "Feature", "geometry": feature["geometry"], "id": code,
                         "properties": {"code": code, "name": name, "value": given.get(name),
                                        "status": status}})
    published = [f["properties"]["value"] for f in features
                 if f["properties"]["status"] == "published"]
    labels = _labels(features, published)
    unshaded = any(f["properties"]["status"] != "published" for f in features)
    chart = alt.layer(*_choropleth(unit, unshaded),
                      alt.Chart(alt.Data(values=labels)).project(type="mercator").mark_text(
                          fontSize=12, fontWeight="bold").encode(
                          longitude="longitude:Q", latitude="latitude:Q", text="name:N",
                          color=alt.Color("ink:N", scale=None)),
                      data=alt.Data(values=features)).resolve_scale(
                          color="independent").properties(width=420, height=420)
    table = [{"Place": f["properties"]["name"],
              "Value": fmt(f["properties"]["value"], unit)
              if f["properties"]["status"] == "published" else f["properties"]["status"]}
             for f in sorted(features, key=lambda f: f["properties"]["name"])]
    withheld = [f["properties"]["name"] for f in features
                if f["properties"]["status"] == WITHHELD]
    ranked = sorted((f for f in features if f["properties"]["status"] == "published"),
                    key=lambda f: -f["properties"]["value"])
    description = f"Map of {title} across BLMK's {len(features)} places"
    if ranked:
        description += ", darker for higher values: " + "; ".join(
            f"{f['properties']['name']} {fmt(f['properties']['value'], unit)}" for f in ranked)
    description += "."
    if withheld:
        description += f" Withheld to protect privacy (grey): {', '.join(sorted(withheld))}."
    missing = len(features) - len(ranked) - len(withheld)
    if missing:
        description += f" {missing} with no data (white)."
    return with_table(chart, kind="map", title=title, table=table, description=description,
                      attribution=PLACE_ATTRIBUTION).configure_view(stroke=None)


def _choropleth(unit: str, unshaded: bool) -> list[alt.Chart]:
    """The place map's two layers of areas, shaded as `lsoa_map` shades its LSOAs: published
    values on the blues, and the others grey (withheld) or white (no data) in a legend of
    their own with a dark outline. Layered with `resolve_scale(color="independent")` over
    the features as the layer's own data, which the spec then holds once, not once a layer
    (the labels have their own). The legend of the unshaded is left out when every area is
    shaded: a key to nothing on the map only gets in the way."""
    base = alt.Chart().project(type="mercator")
    tooltip = [alt.Tooltip("properties.name:N", title="Area"),
               alt.Tooltip("properties.value:Q", title="Value", format=",.1f"),
               alt.Tooltip("properties.status:N", title="Status")]
    shaded = base.mark_geoshape(stroke="#FFFFFF", strokeWidth=0.3).encode(
        color=alt.Color("properties.value:Q", title=unit.strip() or "value",
                        # from a quarter of the way along: the lightest blues are
                        # too near the white of "no data" and the grey of "withheld"
                        scale=alt.Scale(scheme=alt.SchemeParams(name="blues",
                                                                extent=[0.25, 1])),
                        legend=alt.Legend(orient="right")),
        tooltip=tooltip).transform_filter("datum.properties.status == 'published'")
    return [_unshaded(base, tooltip, unshaded), shaded]


def _unshaded(base: alt.Chart, tooltip: list, legend: bool) -> alt.Chart:
    """The areas with no shade: withheld in grey, no data in white, each with a dark
    outline, in a legend of their own (left out when `legend` is false: a key to nothing on
    the map only gets in the way)."""
    return base.mark_geoshape(stroke=DARK, strokeWidth=0.4).encode(
        color=alt.Color("properties.status:N", title="Not shaded",
                        scale=alt.Scale(domain=[WITHHELD, "no data"],
                                        range=[WITHHELD_FILL, NO_DATA_FILL]),
                        legend=alt.Legend(orient="right", symbolStrokeColor=DARK)
                        if legend else None),
        tooltip=tooltip).transform_filter("datum.properties.status != 'published'")


def _labels(features: list[dict], published: list[float]) -> list[dict]:
    """Each area's name at the centre of its largest ring, dark on the light fills and white
    on the darker half of the blues (the scale runs from the lowest published value to the
    highest), so the name stays readable on its own fill."""
    low, high = (min(published), max(published)) if published else (0.0, 0.0)
    out = []
    for f in features:
        longitude, latitude = _centre(f["geometry"])
        value = f["properties"]["value"]
        dark_fill = (f["properties"]["status"] == "published" and high > low
                     and (value - low) / (high - low) > 0.5)
        out.append({"name": f["properties"]["name"], "longitude": longitude,
                    "latitude": latitude, "ink": "#FFFFFF" if dark_fill else DARK})
    return out


def _centre(geometry: dict) -> tuple[float, float]:
    """The centroid of a geometry's largest outer ring (the shoelace formula on longitude
    and latitude: near enough at this scale for placing a label)."""
    polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                else geometry["coordinates"])
    best = (0.0, 0.0, 0.0)  # (area, x, y)
    for polygon in polygons:
        ring = polygon[0]
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if area and abs(area) > abs(best[0]):
            best = (area, cx / (3 * area), cy / (3 * area))
    return best[1], best[2]
