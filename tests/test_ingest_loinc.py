"""LOINC-coded observations (issue 10, point 4): HbA1c, total cholesterol, eGFR, creatinine,
BMI, weight and height mapped to the SNOMED CT concepts icsight's indicators use, their values
converted from the UCUM unit sent to the unit stored; a missing or unknown unit quarantined
naming the file, the row and the field."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from icsight.indicators.programmes.mhlda import CHECK_CODELISTS
from icsight.ingest.load import ingest, quarantine_path
from icsight.ingest.parsers.fhir import conversions, loinc_to_snomed, parse_fhir
from icsight.ingest.records import Rejected, Row
from icsight.ingest.validate import snomed_problem
from icsight.lake import ANALYTICS, zone_path
from icsight.model.codelists import codelist
from icsight.model.reference import data_path
from icsight.synth.primary_care import BMI, CHOLESTEROL, HBA1C
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def _luhn_ok(code: str) -> bool:
    """LOINC's check digit: the mod 10 (Luhn) algorithm over the digits (LOINC Users' Guide,
    "Calculating Mod 10 check digits")."""
    digits = [int(c) for c in code.replace("-", "")]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def test_the_mapping_file_holds_valid_codes_and_one_stored_unit_per_concept():
    with data_path("reference", "loinc_to_snomed.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(conversions())  # no (LOINC, unit) twice
    stored: dict[str, set] = {}
    for r in rows:
        assert _luhn_ok(r["loinc_code"]), r["loinc_code"]
        assert not snomed_problem(r["snomed_code"]), r["snomed_code"]
        assert float(r["multiply"]) > 0 and float(r["divide"]) > 0
        stored.setdefault(r["snomed_code"], set()).add(r["stored_unit"])
    assert all(len(units) == 1 for units in stored.values())
    # the seven observables of the issue, each mapped
    names = " ".join(r["loinc_name"] for r in rows).lower()
    for word in ("hemoglobin a1c", "cholesterol", "creatinine", "glomerular", "body mass",
                 "body weight", "body height"):
        assert word in names


def _check_codes(check: str) -> set[str]:
    """The SNOMED CT codes the SMI health checks count for `check` (their own codelists)."""
    return {code for name in CHECK_CODELISTS[check] for code in codelist(name).codes}


def test_the_snomed_concepts_are_the_ones_the_model_and_indicators_use():
    assert loinc_to_snomed()["4548-4"] == HBA1C and HBA1C in _check_codes("glucose")
    assert (loinc_to_snomed()["2093-3"] == CHOLESTEROL
            and CHOLESTEROL in _check_codes("cholesterol"))
    assert loinc_to_snomed()["39156-5"] == BMI and BMI in _check_codes("bmi")


def _obs(loinc: str | None, value, unit: str | None = None, system: str | None = UCUM,
         snomed: str | None = None, unit_text: str | None = None, i: int = 1) -> dict:
    coding = ([{"system": LOINC, "code": loinc}] if loinc else []) + (
        [{"system": "http://snomed.info/sct", "code": snomed}] if snomed else [])
    quantity = {"value": value}
    if unit is not None:
        quantity["code"] = unit
        if system is not None:
            quantity["system"] = system
    if unit_text is not None:
        quantity["unit"] = unit_text
    return {"resourceType": "Observation", "id": f"o{i}", "status": "final",
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-05-01",
            "code": {"coding": coding}, "valueQuantity": quantity}


def _one(tmp_path, resource: dict) -> Row | Rejected:
    f = tmp_path / "one.json"
    f.write_text(json.dumps(resource))
    (item,) = parse_fhir([f])
    return item


@pytest.mark.parametrize("loinc, value, unit, snomed, expected", [
    # HbA1c by the IFCC-NGSP master equation: 6.5% is the diagnostic 48 mmol/mol (WHO 2011)
    ("4548-4", 6.5, "%", HBA1C, (6.5 - 2.15) * 10.929),
    ("4548-4", 7.0, "%", HBA1C, (7.0 - 2.15) * 10.929),  # 53 mmol/mol
    ("4548-4", 48, "mmol/mol", HBA1C, 48.0),
    ("59261-8", 53, "mmol/mol", HBA1C, 53.0),
    ("17856-6", 6.5, "%", HBA1C, (6.5 - 2.15) * 10.929),
    ("2093-3", 193.35, "mg/dL", CHOLESTEROL, 193.35 / 38.67),  # 5.0 mmol/L
    ("14647-2", 5.2, "mmol/L", CHOLESTEROL, 5.2),
    ("2160-0", 1.0, "mg/dL", "1000731000000107", 88.42),
    ("14682-9", 80, "umol/L", "1000731000000107", 80.0),
    ("62238-1", 58, "mL/min/{1.73_m2}", "1011481000000105", 58.0),
    ("98979-8", 91, "mL/min/{1.73_m2}", "1011481000000105", 91.0),
    ("39156-5", 24.1, "kg/m2", BMI, 24.1),
    ("29463-7", 154, "[lb_av]", "27113001", 154 * 0.45359237),
    ("29463-7", 70500, "g", "27113001", 70.5),
    ("3141-9", 70.5, "kg", "27113001", 70.5),
    ("8302-2", 170, "cm", "50373000", 1.7),
    ("8302-2", 70, "[in_i]", "50373000", 1.778),
    ("8302-2", 1.62, "m", "50373000", 1.62),
])
def test_loinc_values_are_stored_as_snomed_in_the_stored_unit(tmp_path, loinc, value, unit,
                                                              snomed, expected):
    row = _one(tmp_path, _obs(loinc, value, unit))
    assert isinstance(row, Row), row
    assert row.values["snomed_code"] == snomed
    assert row.values["numeric_value"] == pytest.approx(expected, abs=1e-6)


def test_worked_values_match_the_published_tables():
    """NGSP/IFCC: 6.5% = 48 mmol/mol and 7.0% = 53 mmol/mol; 193 mg/dL cholesterol = 5.0
    mmol/L; creatinine 1.13 mg/dL = 100 umol/L."""
    c = conversions()
    assert round(c[("4548-4", "%")](6.5)) == 48 and round(c[("4548-4", "%")](7.0)) == 53
    assert round(c[("2093-3", "mg/dL")](193), 1) == 5.0
    assert round(c[("2160-0", "mg/dL")](1.13)) == 100


def test_the_unit_may_come_as_the_unit_text_when_no_code_is_sent(tmp_path):
    row = _one(tmp_path, _obs("29463-7", 154, unit_text="[lb_av]"))
    assert isinstance(row, Row) and row.values["numeric_value"] == pytest.approx(69.8532, 1e-4)


def test_a_snomed_coded_value_in_another_unit_is_converted_and_one_without_a_unit_kept(
        tmp_path):
    converted = _one(tmp_path, _obs(None, 6.5, "%", snomed=HBA1C))
    assert converted.values["numeric_value"] == pytest.approx(47.54115)
    kept = _one(tmp_path, _obs(None, 48, None, snomed=HBA1C))  # as GP systems and export send
    assert kept.values["numeric_value"] == 48.0


@pytest.mark.parametrize("resource, field, says", [
    (_obs("4548-4", 48, "mmol/L"), "valueQuantity.code",
     "unit mmol/L is not one icsight converts for LOINC 4548-4"),
    (_obs("2093-3", 190, "mg/100mL"), "valueQuantity.code", "give mg/dL, mmol/L (UCUM)"),
    (_obs("29463-7", 154, "lb"), "valueQuantity.code", "give [lb_av], g, kg (UCUM)"),
    (_obs("8302-2", 170, None), "valueQuantity.code", "LOINC 8302-2 has no unit"),
    (_obs("8302-2", 170, "cm", system="http://example.org/units"), "valueQuantity.system",
     "not UCUM"),
    (_obs(None, 0.08, "mmol/L", snomed="1000731000000107"), "valueQuantity.code",
     "unit mmol/L is not one icsight converts for SNOMED CT 1000731000000107"),
    (_obs("33914-3", 60, "mL/min/{1.73_m2}"), "code", "LOINC 33914-3"),  # MDRD: not mapped
])
def test_a_missing_or_unknown_unit_is_quarantined_naming_the_field(tmp_path, resource, field,
                                                                   says):
    item = _one(tmp_path, resource)
    assert isinstance(item, Rejected), item
    assert item.field == field and says in item.reason
    assert item.source.endswith("one.json") and "Observation/o1" in item.locator
    assert item.table == "clinical_events"


def test_a_load_quarantines_an_unknown_unit_with_file_row_and_field(tmp_path):
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-03-14",
               "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
                               "value": "9434765919"}]}
    f = tmp_path / "labs.ndjson"
    lines = [patient, _obs("4548-4", 6.5, "%", i=1), _obs("4548-4", 6.5, "g/dL", i=2),
             _obs("2160-0", 1.0, "mg/dL", i=3)]
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    report = ingest(tmp_path / "lake", [f], key=TEST_KEY, today=TODAY)
    for row in report.rows():
        assert row["received"] == row["loaded"] + row["quarantined"]
    quarantine = pq.read_table(quarantine_path(tmp_path / "lake")).to_pandas()
    assert len(quarantine) == 1
    q = quarantine.iloc[0]
    assert q.source.endswith("labs.ndjson") and q.locator.startswith("line 3")
    assert q.field == "valueQuantity.code" and "unit g/dL" in q.reason
    events = pq.read_table(zone_path(tmp_path / "lake", ANALYTICS)
                           / "clinical_events.parquet").to_pandas()
    assert sorted(zip(events.snomed_code, events.numeric_value.round(3), strict=True)) == [
        ("1000731000000107", 88.42), (HBA1C, 47.541)]
