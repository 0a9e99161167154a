"""Reference geography for BLMK: places, PCNs, practices and LSOAs.

Read from the packaged copies of the files in `icsight/data/geography/` (provenance in that
folder's SOURCES.md): IMD 2019 by LSOA (MHCLG), ONS mid-2019 populations, the NHS Digital
practice-to-PCN mapping of January 2022 and Census 2021 ethnicity by LSOA (2021).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from icsight.model.schema import table

LA_TO_PLACE = {
    "E06000055": "Bedford Borough",
    "E06000056": "Central Bedfordshire",
    "E06000032": "Luton",
    "E06000042": "Milton Keynes",
}
PLACE_TO_LA = {v: k for k, v in LA_TO_PLACE.items()}


def unallocated_pcn(place: str) -> str:
    """The pseudo-PCN code for a place's practices that belong to no PCN."""
    return f"UNALLOCATED-{PLACE_TO_LA[place]}"


def data_path(*parts: str):
    """Path of a packaged reference-data file."""
    return resources.files("icsight").joinpath("data", *parts)


@cache
def _read_csv(*parts: str) -> pa.Table:
    with data_path(*parts).open("rb") as f:
        return pacsv.read_csv(
            f, convert_options=pacsv.ConvertOptions(strings_can_be_null=False)
        )


def _cast(name: str, columns: dict) -> pa.Table:
    return pa.table(columns).select(table(name).column_names).cast(table(name).schema)


@cache
def lsoas() -> pa.Table:
    """The 533 BLMK LSOAs (2011) with IMD 2019 rank, decile and quintile."""
    raw = _read_csv("geography", "blmk_lsoa_imd2019.csv")
    la = raw["lad19_code"].to_pylist()
    return _cast("lsoas", {
        "lsoa_code": raw["lsoa11_code"],
        "lsoa_name": raw["lsoa11_name"],
        "la_code": raw["lad19_code"],
        "place": [LA_TO_PLACE[c] for c in la],
        "imd_rank": raw["imd2019_rank"],
        "imd_decile": raw["imd2019_decile"],
        "imd_quintile": raw["imd2019_quintile"],
        "population_mid2019": raw["pop_total_mid2019"],
    })


@cache
def practices() -> pa.Table:
    """The 96 BLMK practices with their PCN and place."""
    raw = _read_csv("geography", "blmk_gp_practices_pcn_jan2022.csv")
    pcn = [
        c if c != "U" else unallocated_pcn(place)
        for c, place in zip(raw["pcn_code"].to_pylist(), raw["place"].to_pylist(), strict=True)
    ]
    return _cast("practices", {
        "practice_code": raw["practice_code"],
        "practice_name": raw["practice_name"],
        "postcode": raw["postcode"],
        "pcn_code": pcn,
        "place": raw["place"],
    })


@cache
def pcns() -> pa.Table:
    """The 23 PCNs, plus one `UNALLOCATED-<LA code>` row per place with practices outside a PCN."""
    raw = _read_csv("geography", "blmk_gp_practices_pcn_jan2022.csv")
    seen: dict[str, tuple[str, str]] = {}
    for code, name, place in zip(
        raw["pcn_code"].to_pylist(), raw["pcn_name"].to_pylist(), raw["place"].to_pylist(),
        strict=True,
    ):
        if code == "U":
            code, name = unallocated_pcn(place), f"Practices not in a PCN ({place})"
        seen.setdefault(code, (name, place))
    codes = sorted(seen)
    return _cast("pcns", {
        "pcn_code": codes,
        "pcn_name": [seen[c][0] for c in codes],
        "place": [seen[c][1] for c in codes],
    })


@cache
def places() -> pa.Table:
    """The four places with their local authority codes."""
    names = sorted(PLACE_TO_LA)
    return _cast("places", {"place": names, "la_code": [PLACE_TO_LA[n] for n in names]})


@cache
def lsoa_population_bands() -> pa.Table:
    """Mid-2019 LSOA populations in the six published age bands."""
    return _read_csv("geography", "blmk_lsoa_imd2019.csv").select(
        ["lsoa11_code", "lad19_code", "pop_0_4", "pop_5_17", "pop_18_39", "pop_40_64",
         "pop_65_79", "pop_80_plus"]
    )


@cache
def la_single_year_population() -> pa.Table:
    """Mid-2019 single-year-of-age populations (0..89, 90 = 90+) for the four authorities."""
    raw = _read_csv("geography", "blmk_la_population_sya_mid2019.csv")
    # The oldest row is published as "90+": read it as 90.
    ages = [int(str(a).rstrip("+")) for a in raw["age"].to_pylist()]
    return pa.table({"ltla19_code": raw["ltla19_code"], "age": ages,
                     "population": raw["population"]})


@cache
def la_projected_population(year: int) -> pa.Table:
    """ONS 2022-based subnational projections (persons, mid-year `year`, 2022-2047) by single
    year of age (0..89, 90 = 90+) for the four authorities, in the columns of
    `la_single_year_population`."""
    raw = _read_csv("geography", "blmk_snpp2022_persons.csv")
    rows = [(code, age, people) for code, age, people in zip(
        raw["AREA_CODE"].to_pylist(), raw["AGE_GROUP"].to_pylist(),
        raw[str(year)].to_pylist(), strict=True) if age != "All ages"]
    return pa.table({"ltla19_code": [r[0] for r in rows],
                     "age": [90 if r[1] == "90 and over" else int(r[1]) for r in rows],
                     "population": [float(r[2]) for r in rows]})


@cache
def lsoa21_ethnicity() -> pa.Table:
    """Census 2021 residents by ethnic group (5 groups) for the 583 LSOAs (2021)."""
    return _read_csv("geography", "blmk_lsoa21_imd2025.csv").select(
        ["lsoa21_code", "lad24_code", "eth_white", "eth_mixed", "eth_asian", "eth_black",
         "eth_other"]
    )


def reference_tables() -> dict[str, pa.Table]:
    """All reference tables of the canonical model, by name."""
    return {"places": places(), "pcns": pcns(), "practices": practices(), "lsoas": lsoas()}


def practice_place(code: str) -> str:
    t = practices()
    mask = pc.equal(t["practice_code"], code)
    return t.filter(mask)["place"][0].as_py()
