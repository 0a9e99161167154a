"""FHIR R4 XML ingestion (issue 10, point 4): the same rows and the same lake as the equivalent
JSON; hostile XML (entities, DTDs, malformed, deep) quarantined naming the file, where in it,
the field and the reason, never a crashed load or a fetched file."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from icsight.ingest.load import ingest, quarantine_path
from icsight.ingest.parsers import parser_for
from icsight.ingest.parsers.fhir import parse_fhir
from icsight.ingest.records import Rejected, Row
from icsight.lake import ANALYTICS, zone_path
from tests.lakes import TEST_KEY

SAMPLES = Path(__file__).parent / "fixtures" / "fhir-samples"
TODAY = dt.date(2026, 11, 22)
FHIR = "http://hl7.org/fhir"
XHTML = "http://www.w3.org/1999/xhtml"
NHS = "https://fhir.nhs.uk/Id/nhs-number"


# --- FHIR JSON to XML, by the specification's rules, to make the XML twin of a JSON file -----

def to_xml(resource: dict) -> etree._Element:
    """The FHIR XML form of a FHIR JSON resource (HL7 FHIR R4, XML and JSON representations)."""
    el = etree.Element(f"{{{FHIR}}}{resource['resourceType']}", nsmap={None: FHIR})
    _fill(el, resource, is_resource=True)
    return el


def _fill(el, obj: dict, is_resource: bool = False) -> None:
    local = etree.QName(el).localname
    for attr in ("id", "url"):
        if attr in obj and not (attr == "id" and is_resource) and \
                (attr == "id" or local in ("extension", "modifierExtension")):
            el.set(attr, obj[attr])
    names = [k.lstrip("_") for k in obj if k != "resourceType"]
    for key in dict.fromkeys(names):
        if key in ("id", "url") and el.get(key) is not None:
            continue
        value, extra = obj.get(key), obj.get(f"_{key}")
        values = value if isinstance(value, list) else [value]
        extras = extra if isinstance(extra, list) else [extra] * len(values)
        if value is None:
            values = [None] * (len(extra) if isinstance(extra, list) else 1)
            extras = extra if isinstance(extra, list) else [extra]
        for v, x in zip(values, extras, strict=True):
            if key == "div":
                el.append(etree.fromstring(v))
                continue
            child = etree.SubElement(el, f"{{{FHIR}}}{key}")
            if key in ("resource", "contained"):
                child.append(to_xml(v))
            elif isinstance(v, dict):
                _fill(child, v)
            elif v is not None:
                child.set("value", "true" if v is True else "false" if v is False else str(v))
            if isinstance(x, dict):
                if "id" in x:
                    child.set("id", x["id"])
                for e in x.get("extension", []):
                    _fill(etree.SubElement(child, f"{{{FHIR}}}extension"), e)


def xml_twin(json_file: Path, folder: Path) -> Path:
    out = folder / (json_file.stem + ".xml")
    out.write_bytes(etree.tostring(to_xml(json.loads(json_file.read_text())),
                                   xml_declaration=True, encoding="UTF-8"))
    return out


def _key(item) -> tuple:
    if isinstance(item, Row):
        return ("row", item.table, item.locator, tuple(sorted(item.values.items())),
                item.identity, tuple(sorted(item.identifiable.items())), item.links)
    return ("rejected", item.locator, item.field, item.reason, item.table)


# --- the same records as JSON ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["UKCore-Bundle-NEWS2Observations-Example",
                                  "UKCore-Condition-BleedingFromEar-Example"])
def test_the_uk_core_xml_originals_give_what_their_json_twins_give(name):
    """NHS England's own XML and JSON of one example: the same rows and rejections."""
    from_json = [_key(i) for i in parse_fhir([SAMPLES / "uk-core" / f"{name}.json"])]
    from_xml = [_key(i) for i in parse_fhir([SAMPLES / "uk-core" / "xml" / f"{name}.xml"])]
    assert from_xml == from_json and from_json


def test_synthea_bundles_as_xml_give_the_same_records_as_json(tmp_path):
    """Four Synthea bundles (every resource type, extensions on primitives, narratives,
    contained resources) written as XML by the specification's rules: identical records."""
    for json_file in sorted(SAMPLES.glob("synthea/*.json")):
        xml_file = xml_twin(json_file, tmp_path)
        from_json = [_key(i) for i in parse_fhir([json_file])]
        from_xml = [_key(i) for i in parse_fhir([xml_file])]
        assert len(from_xml) == len(from_json) > 100
        assert from_xml == from_json, json_file.name


def _bundle() -> dict:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female",
               "birthDate": "1950-03-14",
               "identifier": [{"system": NHS, "value": "9434765919"}],
               "name": [{"family": "Able", "given": ["Alice", "Ann"]}],
               "address": [{"line": ["1 Test Street"], "postalCode": "LU1 1AA"}],
               "generalPractitioner": [{"identifier": {
                   "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                   "value": "E81021"}}],
               "text": {"status": "generated",
                        "div": f'<div xmlns="{XHTML}"><p>Alice <b>Able</b></p></div>'}}

    def obs(i, loinc, value, unit):
        return {"resourceType": "Observation", "id": f"o{i}", "status": "final",
                "subject": {"reference": "urn:uuid:p1"},
                "effectiveDateTime": "2024-05-01T10:00:00+01:00",
                "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org",
                                  "code": unit}}
    resources = [patient, obs(1, "4548-4", 6.5, "%"), obs(2, "2093-3", 193.35, "mg/dL"),
                 obs(3, "8302-2", 170, "cm"), obs(4, "29463-7", 154, "[lb_av]"),
                 obs(5, "2160-0", 1.1, "mg/dL"), obs(6, "39156-5", 24.1, "kg/m2"),
                 obs(7, "4548-4", 48, "mmol/L"),  # a unit icsight does not convert: quarantined
                 {"resourceType": "Condition", "id": "c1", "subject": {"reference": "urn:uuid:p1"},
                  "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
                  "onsetDateTime": "2019-02-03",
                  "_onsetDateTime": {"extension": [{"url": "https://example.org/x",
                                                    "valueString": "patient reported"}]}},
                 {"resourceType": "Immunization", "id": "i1", "status": "completed",
                  "patient": {"reference": "urn:uuid:p1"}, "occurrenceDateTime": "2024-10-01",
                  "vaccineCode": {"text": "Influenza vaccine", "coding": [
                      {"system": "http://snomed.info/sct", "code": "39114911000001105"}]},
                  "protocolApplied": [{"doseNumberPositiveInt": 1}]}]
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}


def _tables(lake: Path) -> dict:
    out = {}
    for zone in (ANALYTICS, "identifiable"):
        for f in sorted(zone_path(lake, zone).glob("*.parquet")):
            if f.stem in ("quarantine",):
                continue
            t = pq.read_table(f).to_pandas()
            out[f"{zone}/{f.stem}"] = t.sort_values(list(t.columns)).reset_index(drop=True)
    return out


def test_a_load_of_xml_builds_the_same_lake_as_the_same_load_of_json(tmp_path):
    (tmp_path / "json").mkdir()
    (tmp_path / "xml").mkdir()
    json_file = tmp_path / "json" / "bundle.json"
    json_file.write_text(json.dumps(_bundle()))
    xml_file = xml_twin(json_file, tmp_path / "xml")
    assert b"<Patient" in xml_file.read_bytes() and b"{" not in xml_file.read_bytes()
    reports = {}
    for kind, f in (("json", json_file), ("xml", xml_file)):
        reports[kind] = ingest(tmp_path / f"lake-{kind}", [f], key=TEST_KEY, today=TODAY)
        for row in reports[kind].rows():
            assert row["received"] == row["loaded"] + row["quarantined"]
    assert reports["xml"].quarantined == reports["json"].quarantined == 1
    a, b = _tables(tmp_path / "lake-json"), _tables(tmp_path / "lake-xml")
    assert a.keys() == b.keys() and "analytics/clinical_events" in a
    for name in a:
        assert a[name].equals(b[name]), name
    events = a["analytics/clinical_events"]
    assert len(events) == 7  # six observations and the condition
    quarantine = pq.read_table(quarantine_path(tmp_path / "lake-xml")).to_pandas()
    assert quarantine.field.tolist() == ["valueQuantity.code"]
    assert quarantine.source.str.endswith("bundle.xml").all()
    assert "unit mmol/L is not one icsight converts for LOINC 4548-4" in quarantine.reason.iloc[0]
    assert "entry 8 Observation/o7" in quarantine.locator.iloc[0]


# --- hostile XML -----------------------------------------------------------------------------

def _one(tmp_path, text: str | bytes, name: str = "x.xml") -> Rejected:
    f = tmp_path / name
    f.write_bytes(text.encode() if isinstance(text, str) else text)
    items = list(parse_fhir([f]))
    assert len(items) == 1 and isinstance(items[0], Rejected), items
    assert items[0].source == str(f) and items[0].locator and items[0].reason
    return items[0]


OBSERVATION = (f'<Observation xmlns="{FHIR}"><id value="o1"/><status value="final"/>'
               '<code><coding><system value="http://loinc.org"/><code value="29463-7"/>'
               '</coding></code><subject><reference value="Patient/p1"/></subject>'
               '<effectiveDateTime value="2024-05-01"/>'
               '<valueQuantity><value value="{v}"/><system value="http://unitsofmeasure.org"/>'
               '<code value="kg"/></valueQuantity></Observation>')


def test_xml_files_are_read_by_the_fhir_parser():
    assert parser_for(Path("a/Bundle.XML")).kind == "fhir"


def test_entities_are_never_expanded_nor_files_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                        for i in range(1, 10))
              + f']><Patient xmlns="{FHIR}"><id value="&lol9;"/></Patient>')
    external = (f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]>'
                f'<Patient xmlns="{FHIR}"><id value="&x;"/></Patient>')
    remote = ('<?xml version="1.0"?><!DOCTYPE Patient SYSTEM "http://127.0.0.1:9/x.dtd">'
              f'<Patient xmlns="{FHIR}"><id value="p"/></Patient>')
    for text in (laughs, external, remote):
        started = time.monotonic()
        problem = _one(tmp_path, text)
        assert time.monotonic() - started < 5
        # refused at the DOCTYPE, or by libxml2's entity amplification limit before it
        assert ("DOCTYPE" in problem.reason or "entity" in problem.reason), problem.reason
        assert problem.locator == "line 1"
        assert "TOP-SECRET" not in problem.reason + problem.field


@pytest.mark.parametrize("text, where, field, says", [
    (OBSERVATION.format(v="70")[:-20], "line 1", "", "not well-formed XML (line 1, column"),
    (b"\xff\xfe<\x00P\x00", "line 1", "", "not well-formed XML"),
    ("", "line 1", "", "not well-formed XML"),
    ('<Patient xmlns="http://example.org/not-fhir"/>', "line 1", "Patient",
     "not in the FHIR namespace"),
    (OBSERVATION.format(v="seventy"), "line 1", "Observation.valueQuantity.value",
     "'seventy' is not a decimal number"),
    (OBSERVATION.format(v="70").replace("<status", '<colour value="red"/><status'), "line 1",
     "Observation.colour", "element <colour> is not part of Observation"),
    (OBSERVATION.format(v="70").replace("<id ", '<id other="1" '), "line 1",
     "Observation.id@other", "attribute 'other'"),
    (f'<Bundle xmlns="{FHIR}"><type value="collection"/><entry><resource><Nonsense/>'
     '</resource></entry></Bundle>', "file entry 1 (line 1)", "entry.resource",
     "'Nonsense' is not a FHIR R4 resource type"),
])
def test_malformed_xml_is_rejected_naming_where_and_the_field(tmp_path, text, where, field,
                                                              says):
    problem = _one(tmp_path, text)
    assert problem.locator == where and problem.field == field and says in problem.reason


def test_a_broken_entry_is_rejected_alone_and_the_rest_of_the_bundle_is_read(tmp_path):
    good = OBSERVATION.format(v="70")
    bad = OBSERVATION.format(v="1e")
    text = (f'<Bundle xmlns="{FHIR}"><type value="collection"/>'
            f'<entry><resource>{good}</resource></entry>\n'
            f'<entry><resource>{bad}</resource></entry></Bundle>')
    f = tmp_path / "b.xml"
    f.write_text(text)
    second, first = parse_fhir([f])  # what cannot be read comes first, then the mapped rows
    assert isinstance(first, Row) and first.values["numeric_value"] == 70.0
    assert isinstance(second, Rejected) and second.locator == "file entry 2 (line 2)"
    assert second.field == "entry.resource.valueQuantity.value"
    assert "<Observation" in second.payload


def test_deep_nesting_is_rejected_not_a_recursion_error(tmp_path):
    depth = 5000
    text = (f'<Patient xmlns="{FHIR}">' + '<extension url="u">' * depth
            + "</extension>" * depth + "</Patient>")
    problem = _one(tmp_path, text)
    assert "deep" in problem.reason or "not well-formed" in problem.reason


def test_an_xml_load_reconciles_and_quarantines_with_reasons(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.xml").write_text(
        f'<Patient xmlns="{FHIR}"><id value="p1"/><identifier><system value="{NHS}"/>'
        '<value value="9434765919"/></identifier><birthDate value="1950-03-14"/></Patient>')
    (tmp_path / "in" / "obs.xml").write_text(OBSERVATION.format(v="70"))
    (tmp_path / "in" / "broken.xml").write_text("<Patient")
    report = ingest(tmp_path / "lake", [tmp_path / "in"], key=TEST_KEY, today=TODAY)
    for row in report.rows():
        assert row["received"] == row["loaded"] + row["quarantined"]
    assert report.quarantined == 1
    quarantine = pq.read_table(quarantine_path(tmp_path / "lake")).to_pandas()
    assert quarantine.source.str.endswith("broken.xml").all()
    events = pq.read_table(zone_path(tmp_path / "lake", ANALYTICS)
                           / "clinical_events.parquet").to_pandas()
    assert events.numeric_value.tolist() == [70.0]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300) | st.text(max_size=300).map(
    lambda t: f'<Patient xmlns="{FHIR}">{t}</Patient>'.encode()))
def test_arbitrary_bytes_as_xml_are_rejections_never_exceptions(tmp_path, data):
    f = tmp_path / "h.xml"
    f.write_bytes(data)
    for item in parse_fhir([f]):
        assert isinstance(item, Row | Rejected)
        if isinstance(item, Rejected):
            assert item.locator and item.reason
