"""FHIR R4 (UK Core shapes): Bundles (`.json`) and bulk NDJSON (`.ndjson`, `.ndjson.gz`).

Each resource is validated with the maintained `fhir.resources` models (its R4B package parses
R4), then mapped to the canonical model:

- **Patient** -> `patients` (and the identifiable zone): NHS number from the identifier with
  system `https://fhir.nhs.uk/Id/nhs-number`, else the first identifier (system and value) as an
  unverified local link; gender; birth date (only the month in analytics); the UK Core
  EthnicCategory extension; GP practice ODS code; deceased date; name, first address line and
  postcode to the identifiable zone only.
- **Condition** -> `clinical_events`: SNOMED CT code; onset, else recorded date.
- **Observation** -> `clinical_events`: SNOMED CT code and value. A blood pressure panel
  (SNOMED 75367002 or LOINC 85354-9) becomes a systolic (72313002) and a diastolic
  (1091811000000102) reading. LOINC-only codes map when icsight has a mapping
  (`data/reference/loinc_to_snomed.csv`: HbA1c, total cholesterol, creatinine, eGFR, BMI,
  weight, height, BP components) and are rejected otherwise; their value is converted from
  its UCUM unit to the unit icsight stores (HbA1c mmol/mol, cholesterol mmol/L, creatinine
  umol/L, weight kg, height m), and a missing or unknown unit is rejected naming it.
- **Procedure** -> `clinical_events`: SNOMED CT code; performed date.
- **Encounter** -> `clinical_events`: the SNOMED CT encounter type on the start date (hospital
  activity tables come from SUS/ECDS extracts, which carry what `apc_spells` and
  `ec_attendances` need: provider, admission method, department type, acuity).
- **MedicationRequest, MedicationStatement** -> `medications`: dm+d code (system
  `https://dmd.nhs.uk`, or a SNOMED CT id); authored or effective date; dispense quantity if
  given. RxNorm-only medicines are rejected.
- **Immunization** -> `vaccinations`: influenza, HPV and pneumococcal vaccines (recognised by
  the code's term) with a SNOMED CT or dm+d code. CVX-only codes are rejected.

Anything else is rejected with the reason (never dropped), so resources in = rows out +
rejections. References to patients are resolved across all the files of a load (`urn:uuid:`
full URLs and `Patient/<id>`); a reference to a patient not in the load is handed to staging,
which resolves it through the lake's record of references loaded before (or quarantines it).

A Patient carries only what it has: no gender, no ethnicity extension, no generalPractitioner,
no deceased[x], no name, no address, or no opt-out extension (`OPT_OUT_EXTENSION`, valueBoolean)
leaves the lake's value as it was (a new patient gets the defaults).

Identity conflicts are quarantined with the reason: two different NHS numbers on one Patient;
one full URL or `Patient/<id>` naming two different people in the load (both Patients, and the
resources that refer to them); two contained resources with one id; a reference to a
contained resource as the subject.

Registered as the `fhir` parser (`.json`, `.ndjson`, `.ndjson.gz`): all the FHIR files of a
load are read in one call, so that references resolve across them.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from icsight.ingest.parsers import Parser, fhir_xml, register
from icsight.ingest.parsers.fhir_xml import XmlError
from icsight.ingest.records import FHIR_REFERENCE, Identity, Rejected, Row
from icsight.ingest.validate import normalise_nhs_number, shown, snomed_problem
from icsight.model.reference import data_path
from icsight.model.schema import OPT_OUT_EXTENSION_URL

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"
DMD = "https://dmd.nhs.uk"
LOINC = "http://loinc.org"
ETHNIC_EXTENSION = "Extension-UKCore-EthnicCategory"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
#: icsight's Patient extension for the national data opt-out (valueBoolean). UK Core has none:
#: NHS England keeps opt-outs in its own service (NHS England, "National data opt-out
#: operational policy guidance"), so suppliers send the flag with this extension. A Patient
#: without it says nothing about the opt-out: an update keeps what the lake holds.
OPT_OUT_EXTENSION = OPT_OUT_EXTENSION_URL
_OPT_OUT_NAME = OPT_OUT_EXTENSION.rsplit("/", 1)[-1]
MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
BP_PANEL = {"75367002", "85354-9"}
SYSTOLIC, DIASTOLIC = "72313002", "1091811000000102"
UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class Conversion:
    """One LOINC code sent in one UCUM unit: the SNOMED CT concept icsight stores it as, in the
    unit icsight stores, and the conversion `(value - subtract) * multiply / divide`."""

    loinc_code: str
    loinc_name: str
    ucum_unit: str
    snomed_code: str
    snomed_term: str
    stored_unit: str
    subtract: float
    multiply: float
    divide: float

    def __call__(self, value: float) -> float:
        return round((value - self.subtract) * self.multiply / self.divide, 6)


@cache
def conversions() -> dict[tuple[str, str], Conversion]:
    """(LOINC code, UCUM unit) -> its mapping to SNOMED CT and the stored unit, from
    `src/icsight/data/reference/loinc_to_snomed.csv` (HbA1c, total cholesterol, creatinine,
    eGFR, BMI, weight, height and the BP components; sources and the conversions' published
    basis in that folder's SOURCES.md). The same SNOMED CT concept sent in a unit of that table
    is converted the same way."""
    with data_path("reference", "loinc_to_snomed.csv").open() as f:
        rows = list(csv.DictReader(f))
    return {(r["loinc_code"], r["ucum_unit"]): Conversion(
        r["loinc_code"], r["loinc_name"], r["ucum_unit"], r["snomed_code"], r["snomed_term"],
        r["stored_unit"], float(r["subtract"]), float(r["multiply"]), float(r["divide"]))
        for r in rows}


@cache
def loinc_to_snomed() -> dict[str, str]:
    """LOINC code -> the SNOMED CT concept icsight stores it as."""
    return {loinc: c.snomed_code for (loinc, _), c in conversions().items()}


@cache
def _by_concept() -> dict[str, dict[str, Conversion]]:
    """SNOMED CT concept -> UCUM unit -> conversion into the concept's stored unit."""
    out: dict[str, dict[str, Conversion]] = {}
    for (_, unit), c in conversions().items():
        out.setdefault(c.snomed_code, {}).setdefault(unit, c)
    return out
VACCINES = (("influenza", "influenza"), ("hpv", "papillomavirus"), ("hpv", "hpv"),
            ("pneumococcal", "pneumococcal"))
ETHNIC_GROUPS = {**{c: "White" for c in "ABC"}, **{c: "Mixed" for c in "DEFG"},
                 **{c: "Asian" for c in "HJKL"}, **{c: "Black" for c in "MNP"},
                 "R": "Other", "S": "Other", "Z": "Not stated"}
INGESTED = ("Patient", "Condition", "Observation", "Procedure", "Encounter",
            "MedicationRequest", "MedicationStatement", "Immunization")


@dataclass
class _Resource:
    source: str
    locator: str
    data: dict
    text: str


def parse_fhir(paths: Sequence[Path], max_line_bytes: int = MAX_LINE_BYTES
               ) -> Iterator[Row | Rejected]:
    """Canonical rows and rejections from FHIR files (all read before mapping, so references
    between files resolve)."""
    resources: list[_Resource] = []
    for path in paths:
        for item in _read(Path(path), max_line_bytes):
            if isinstance(item, Rejected):
                yield item
            else:
                resources.append(item)
    patients = _patient_index(resources)
    for resource in resources:
        try:
            mapped = list(_map(resource, patients))
        except Exception as e:  # one odd resource is one rejection, never a failed load
            mapped = [_reject(resource, "", f"could not be mapped ({type(e).__name__}: "
                                            f"{str(e)[:200]})")]
        yield from mapped


# --- reading ---------------------------------------------------------------------------------

def _read(path: Path, max_line_bytes: int) -> Iterator[_Resource | Rejected]:
    name = path.name.lower()
    if name.endswith(".ndjson") or name.endswith(".ndjson.gz"):
        yield from _ndjson(path, max_line_bytes)
        return
    try:
        raw = path.read_bytes()
    except OSError as e:
        yield Rejected(str(path), "file", "", f"cannot be read: {e}")
        return
    if name.endswith(".xml"):
        yield from _xml(str(path), raw)
        return
    text, problem = _decode(raw)
    if problem:
        yield Rejected(str(path), "file", "", problem)
        return
    yield from _from_text(str(path), "file", text)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError as e:
        return "", f"not valid UTF-8 at byte {e.start:,}; FHIR JSON must be UTF-8"


def _ndjson(path: Path, max_line_bytes: int) -> Iterator[_Resource | Rejected]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            number = 0
            while True:
                raw = f.readline(max_line_bytes + 1)
                if not raw:
                    return
                number += 1
                where = f"line {number}"
                if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                    while raw and not raw.endswith(b"\n"):
                        raw = f.readline(1024 * 1024)
                    yield Rejected(str(path), where, "", f"line is longer than "
                                   f"{max_line_bytes:,} bytes (the limit); skipped")
                    continue
                if not raw.strip():
                    continue
                text, problem = _decode(raw)
                if problem:
                    yield Rejected(str(path), where, "", problem, "")
                    continue
                yield from _from_text(str(path), where, text.strip())
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        yield Rejected(str(path), "file", "", f"cannot be read: {e}")


def _from_text(source: str, where: str, text: str) -> Iterator[_Resource | Rejected]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        yield Rejected(source, where, "", f"not valid JSON: {e}", text[:2000])
        return
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        yield Rejected(source, where, "resourceType", "not a FHIR resource (a JSON object "
                       "with a resourceType)", text[:2000])
        return
    if _depth(data) > MAX_DEPTH:
        yield Rejected(source, where, "", f"nested more than {MAX_DEPTH} levels deep",
                       text[:2000])
        return
    yield from _from_data(source, where, data, text)


def _from_data(source: str, where: str, data: dict, text: str,
               entries: list[tuple[dict | XmlError, str]] | None = None
               ) -> Iterator[_Resource | Rejected]:
    """A resource, or a Bundle's resources, from its FHIR JSON form. `entries` are a Bundle's
    entries when they were read apart (from XML: an entry that could not be read is an
    XmlError, rejected alone), each with the text kept as its payload."""
    if data["resourceType"] != "Bundle":
        yield _Resource(source, f"{where} {data['resourceType']}/{data.get('id', '?')}", data,
                        text)
        return
    problem = _validate(data, only_bundle=True)
    if problem:
        yield Rejected(source, f"{where} Bundle", *problem, text[:2000])
        return
    if entries is None:
        entries = [(e, "") for e in data.get("entry") or []]
    for i, (entry, entry_text) in enumerate(entries, start=1):
        if isinstance(entry, XmlError):
            yield Rejected(source, f"{where} entry {i} ({entry.where})", entry.field,
                           entry.reason, entry_text[:2000])
            continue
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or "resourceType" not in resource:
            yield Rejected(source, f"{where} entry {i}", "resource", "the entry has no "
                           "resource", json.dumps(entry)[:2000])
            continue
        resource = dict(resource)
        if isinstance(entry.get("fullUrl"), str):
            resource["_fullUrl"] = entry["fullUrl"]
        locator = f"{where} entry {i} {resource['resourceType']}/{resource.get('id', '?')}"
        yield _Resource(source, locator, resource,
                        entry_text or json.dumps(entry.get("resource")))


def _xml(source: str, raw: bytes) -> Iterator[_Resource | Rejected]:
    """A FHIR XML file (one resource or a Bundle) read into the FHIR JSON form and handed to
    the JSON path, so XML and JSON give the same rows (`fhir_xml` says how it is read)."""
    from lxml import etree

    try:
        root = fhir_xml.parse(raw)
        if fhir_xml.resource_type(root) != "Bundle":
            data = fhir_xml.to_json(root)
            yield from _from_data(source, "file", data, raw.decode("utf-8", "replace"))
            return
        bundle = fhir_xml.to_json(root, skip=frozenset({"entry"}))
    except XmlError as e:
        yield Rejected(source, e.where, e.field, e.reason, raw[:2000].decode("utf-8", "replace"))
        return
    entries: list[tuple[dict | XmlError, str]] = []
    for el in root.iterchildren(f"{{{fhir_xml.FHIR_NS}}}entry"):
        text = etree.tostring(el, encoding="unicode")
        try:
            entries.append((fhir_xml.entry_to_json(el, "entry"), text))
        except XmlError as e:
            entries.append((e, text))
    yield from _from_data(source, "file", bundle | {"entry": [e for e, _ in entries
                                                              if isinstance(e, dict)]},
                          raw[:2000].decode("utf-8", "replace"), entries)


def _depth(value, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level])
    return level


def _validate(data: dict, only_bundle: bool = False) -> tuple[str, str] | None:
    """(field path, reason) if `data` is not a valid R4 resource of its type."""
    from fhir.resources.R4B import get_fhir_model_class

    body = {k: v for k, v in data.items() if not k.startswith("_fullUrl")}
    if only_bundle:
        body = {k: v for k, v in body.items() if k != "entry"}
    try:
        model = get_fhir_model_class(body["resourceType"])
    except (KeyError, ValueError):
        return "resourceType", f"{body['resourceType']!r} is not a FHIR R4 resource type"
    try:
        model.model_validate(body)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        return field, f"invalid FHIR {body['resourceType']}: {first.get('msg', e)}"
    return None


# --- patients --------------------------------------------------------------------------------

@dataclass
class _Index:
    """Reference keys (`Patient/<id>`, full URLs) -> the patient's identity, and the keys that
    name two different people in this load (`conflicts`)."""

    identities: dict[str, Identity] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)


def _keys(r: _Resource) -> tuple[str, ...]:
    """The references that can name this Patient: `Patient/<id>` and its entry's full URL."""
    keys = [f"Patient/{r.data['id']}"] if r.data.get("id") else []
    if isinstance(r.data.get("_fullUrl"), str):
        keys.append(r.data["_fullUrl"])
    return tuple(keys)


def _patient_index(resources: list[_Resource]) -> _Index:
    """Every Patient's keys and identity. A key given to two different people (one full URL
    for two Patients, one id with two NHS numbers across files) is a conflict, and so are the
    keys of a Patient with two different NHS numbers: none of them can be trusted."""
    index = _Index()
    for r in resources:
        if r.data.get("resourceType") != "Patient":
            continue
        if len(_nhs_numbers(r)) > 1:
            index.conflicts.update(_keys(r))
            continue
        identity = _patient_identity(r)
        for key in _keys(r):
            if key in index.identities and index.identities[key] != identity:
                index.conflicts.add(key)
            index.identities.setdefault(key, identity)
    return index


def _nhs_numbers(r: _Resource) -> set[str]:
    """The Patient's NHS numbers, normalised (the same number written twice is one)."""
    return {normalise_nhs_number(str(i["value"])) for i in r.data.get("identifier") or []
            if isinstance(i, dict) and i.get("system") == NHS_NUMBER_SYSTEM and i.get("value")}


def _patient_identity(r: _Resource) -> Identity | None:
    identifiers = [i for i in r.data.get("identifier") or [] if isinstance(i, dict)]
    for i in identifiers:
        if i.get("system") == NHS_NUMBER_SYSTEM and i.get("value"):
            return Identity(nhs_number=normalise_nhs_number(str(i["value"])))
    for i in identifiers:
        if i.get("system") and i.get("value"):
            return Identity(system=str(i["system"]), value=str(i["value"]))
    if r.data.get("id"):
        return Identity(system=f"{Path(r.source).name}/Patient", value=str(r.data["id"]))
    return None


def _reference(r: _Resource) -> str | None:
    ref = (r.data.get("subject") or r.data.get("patient") or {})
    ref = ref.get("reference") if isinstance(ref, dict) else None
    return ref if isinstance(ref, str) and ref else None


def _subject(ref: str, patients: _Index) -> Identity:
    """The identity `ref` names in this load; a reference to a patient outside the load is
    handed on as such, for staging to resolve through the lake's record of earlier loads."""
    if ref in patients.identities:
        return patients.identities[ref]
    return Identity(system=FHIR_REFERENCE, value=ref)


def _contained_problem(r: _Resource) -> str | None:
    """Why the resource's contained resources cannot be told apart, or None."""
    ids = [c.get("id") for c in r.data.get("contained") or [] if isinstance(c, dict)]
    repeated = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if repeated:
        return f"two contained resources share the id {repeated[0]!r}"
    return None


# --- mapping ---------------------------------------------------------------------------------

def _map(r: _Resource, patients: _Index) -> Iterator[Row | Rejected]:
    kind = r.data["resourceType"]
    problem = _validate(r.data)  # first, so a broken resource is reported as broken
    if problem:
        yield _reject(r, *problem)
        return
    if kind not in INGESTED:
        yield _reject(r, "resourceType", f"{kind} resources are not ingested (icsight loads "
                      f"{', '.join(INGESTED)})")
        return
    contained = _contained_problem(r)
    if contained:
        yield _reject(r, "contained", contained)
        return
    if kind == "Patient":
        yield _patient(r, patients)
        return
    ref = _reference(r)
    if ref is None:
        yield _reject(r, "subject", "no reference to the patient it is about")
        return
    if ref.startswith("#"):
        yield _reject(r, "subject", f"refers to a contained resource ({shown(ref)}), "
                      "which names no person icsight can link")
        return
    if ref in patients.conflicts:
        yield _reject(r, "subject", f"refers to {shown(ref)}, which names two different "
                      "patients in this load (both quarantined)")
        return
    mapper = {"Condition": _condition, "Observation": _observation, "Procedure": _procedure,
              "Encounter": _encounter, "MedicationRequest": _medication,
              "MedicationStatement": _medication, "Immunization": _immunization}[kind]
    for item in mapper(r, _subject(ref, patients)):
        yield dataclasses.replace(item, links=(ref,)) if isinstance(item, Row) else item


def _reject(r: _Resource, field: str, reason: str) -> Rejected:
    table = {"Patient": "patients", "MedicationRequest": "medications",
             "MedicationStatement": "medications", "Immunization": "vaccinations",
             "Condition": "clinical_events", "Observation": "clinical_events",
             "Procedure": "clinical_events", "Encounter": "clinical_events"}.get(
        r.data.get("resourceType"), "")
    return Rejected(r.source, r.locator, field, reason, r.text[:4000], table)


def _row(r: _Resource, table: str, identity: Identity, values: dict,
         identifiable: dict | None = None) -> Row:
    return Row(table, values, identity, r.source, r.locator, r.text[:4000], identifiable or {})


def _codings(concept) -> list[dict]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict) and c.get("code")]


def _snomed(concept) -> str | None:
    for c in _codings(concept):
        if c.get("system") == SNOMED and not snomed_problem(str(c["code"])):
            return str(c["code"])
    return None


def _product(concept) -> str | None:
    """A dm+d (or SNOMED CT) product code from a medicine's or vaccine's codings."""
    return next((str(c["code"]) for c in _codings(concept) if c.get("system") in (DMD, SNOMED)
                 and not snomed_problem(str(c["code"]))), None)


def _describe(concept) -> str:
    codes = _codings(concept)
    if not codes:
        return "has no code"
    return "is coded only as " + ", ".join(
        f"{_system_name(c.get('system'))} {c['code']}" for c in codes)


def _system_name(system) -> str:
    names = {"http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
             "http://hl7.org/fhir/sid/cvx": "CVX", LOINC: "LOINC", SNOMED: "SNOMED CT",
             DMD: "dm+d"}
    return names.get(system, str(system))


def _date(value) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None  # a year or year-month alone is not a date icsight can place
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _patient(r: _Resource, patients: _Index) -> Row | Rejected:
    d = r.data
    if len(_nhs_numbers(r)) > 1:
        return _reject(r, "identifier", "two different NHS numbers on one Patient")
    clash = next((k for k in _keys(r) if k in patients.conflicts), None)
    if clash:
        return _reject(r, "id", f"{shown(clash)} names two different patients in this load "
                       "(another NHS number or identifier under the same id or full URL)")
    identity = _patient_identity(r)
    born = _date(d.get("birthDate"))
    if born is None:
        return _reject(r, "birthDate", "no full birth date (YYYY-MM-DD)")
    values = {"month_of_birth": born.replace(day=1)}
    if "gender" in d:  # FHIR's other and unknown are icsight's unknown
        values["sex"] = d["gender"] if d["gender"] in ("female", "male") else "unknown"
    opt_out = _opt_out(d)
    if isinstance(opt_out, str):  # an opt-out that cannot be read must not be lost or cleared
        return _reject(r, "extension", opt_out)
    values |= _ethnicity(d) | _practice(d) | _death(d) | opt_out
    identifiable = {"date_of_birth": born}
    name = next((n for n in d.get("name") or [] if isinstance(n, dict)), None)
    if name is not None:
        identifiable |= {"given_name": (name.get("given") or [None])[0],
                         "family_name": name.get("family")}
    address = next((a for a in d.get("address") or [] if isinstance(a, dict)), None)
    if address is not None:
        identifiable |= {"address_line": (address.get("line") or [None])[0],
                         "postcode": address.get("postalCode")}
    return Row("patients", values, identity, r.source, r.locator, r.text[:4000], identifiable,
               links=_keys(r))


# A Patient carries only the fields it has (records.Row): each helper returns {} when the
# resource says nothing, so an update keeps what the lake holds.

def _ethnicity(d: dict) -> dict:
    ethnic = [c for e in d.get("extension") or [] if isinstance(e, dict)
              and ETHNIC_EXTENSION in str(e.get("url"))
              for c in _codings(e.get("valueCodeableConcept"))]
    if not ethnic:
        return {}
    category = str(ethnic[0]["code"]) if str(ethnic[0]["code"]) in ETHNIC_GROUPS else "Z"
    return {"ethnicity_category": category, "ethnicity_group": ETHNIC_GROUPS[category]}


def _practice(d: dict) -> dict:
    practice = next((str(g["identifier"]["value"]) for g in d.get("generalPractitioner") or []
                     if isinstance(g, dict) and isinstance(g.get("identifier"), dict)
                     and g["identifier"].get("system") == ODS_SYSTEM
                     and g["identifier"].get("value")), None)
    return {"practice_code": practice} if practice else {}


def _death(d: dict) -> dict:
    if "deceasedDateTime" in d:
        died = _date(d.get("deceasedDateTime"))
        return {"date_of_death": died, "registration_end": died}
    if d.get("deceasedBoolean") is False:
        return {"date_of_death": None}
    return {}


def _opt_out(d: dict) -> dict | str:
    """{} when the Patient has no opt-out extension, the flag when it has one, or why it
    cannot be read: a wrong type (valueString "true", valueBoolean 1), two that disagree, or
    a URL that names the extension but is not exactly its URL (a retired or foreign copy).
    The Patient is then quarantined: guessing could clear an opt-out the supplier meant to
    keep, and ignoring a mistyped URL could lose one they meant to set."""
    extensions = [e for e in d.get("extension") or [] if isinstance(e, dict)]
    if any(_OPT_OUT_NAME in str(e.get("url")) and e.get("url") != OPT_OUT_EXTENSION
           for e in extensions):
        return f"an opt-out extension with a URL other than {OPT_OUT_EXTENSION}"
    flags = [e.get("valueBoolean", e) for e in extensions if e.get("url") == OPT_OUT_EXTENSION]
    if not flags:
        return {}
    if not all(isinstance(f, bool) for f in flags) or len(set(flags)) > 1:
        return ("national data opt-out extension without one valueBoolean (true or false): "
                "send it once, as valueBoolean")
    return {"data_opt_out": flags[0]}


def _condition(r: _Resource, identity: Identity) -> Iterator[Row | Rejected]:
    code = _snomed(r.data.get("code"))
    if code is None:
        yield _reject(r, "code", f"the condition {_describe(r.data.get('code'))}; icsight "
                      "stores SNOMED CT")
        return
    day = _date(r.data.get("onsetDateTime")) or _date(r.data.get("recordedDate"))
    if day is None:
        yield _reject(r, "onsetDateTime", "no onset or recorded date")
        return
    yield _row(r, "clinical_events", identity, {"date": day, "snomed_code": code})


def _observation(r: _Resource, identity: Identity) -> Iterator[Row | Rejected]:
    d = r.data
    day = _date(d.get("effectiveDateTime")) or _date((d.get("effectivePeriod") or {})
                                                     .get("start")) or _date(d.get("issued"))
    if day is None:
        yield _reject(r, "effectiveDateTime", "no effective date")
        return
    codes = {str(c["code"]) for c in _codings(d.get("code"))}
    if codes & BP_PANEL:
        readings = [(_observable(c.get("code")), (c.get("valueQuantity") or {}).get("value"))
                    for c in d.get("component") or [] if isinstance(c, dict)]
        readings = [(code, value) for code, value in readings
                    if code in (SYSTOLIC, DIASTOLIC) and isinstance(value, int | float)]
        if not readings:
            yield _reject(r, "component", "a blood pressure panel without systolic and "
                          "diastolic values")
            return
        for code, value in readings:
            yield _row(r, "clinical_events", identity,
                       {"date": day, "snomed_code": code, "numeric_value": float(value)})
        return
    code, loinc = _observable_from(d.get("code"))
    if code is None:
        yield _reject(r, "code", f"the observation {_describe(d.get('code'))}; icsight stores "
                      "SNOMED CT and has no mapping for it")
        return
    quantity = d.get("valueQuantity") if isinstance(d.get("valueQuantity"), dict) else {}
    value = quantity.get("value")
    value = float(value) if isinstance(value, int | float) else None
    if value is not None and code in _by_concept():
        converted = _in_stored_unit(code, loinc, quantity, value)
        if isinstance(converted, tuple):
            yield _reject(r, *converted)
            return
        value = converted
    yield _row(r, "clinical_events", identity, {
        "date": day, "snomed_code": code, "numeric_value": value})


def _in_stored_unit(code: str, loinc: str | None, quantity: dict, value: float
                    ) -> float | tuple[str, str]:
    """`value` in the unit icsight stores for `code`, or (field, reason) when its unit is
    missing or not one icsight converts. A SNOMED CT-coded value without a unit is taken as
    already in the stored unit (GP systems record these concepts in one unit); a LOINC-coded
    one must say its unit, since LOINC codes are sent in several."""
    units = _by_concept()[code]
    known = ", ".join(sorted(units))
    stored = next(iter(units.values())).stored_unit
    name = f"LOINC {loinc}" if loinc else f"SNOMED CT {code}"
    unit, problem = _ucum(quantity)
    if problem:
        return "valueQuantity.system", f"{problem}; icsight reads UCUM units ({known})"
    if unit is None:
        if loinc is None:
            return value
        return "valueQuantity.code", (f"{name} has no unit; icsight converts {known} (UCUM) "
                                      f"to {stored}")
    conversion = (conversions().get((loinc, unit)) if loinc else None) or units.get(unit)
    if conversion is None:
        return "valueQuantity.code", (f"unit {shown(unit)} is not one icsight converts for "
                                      f"{name} ({units[next(iter(units))].snomed_term}): "
                                      f"give {known} (UCUM)")
    return conversion(value)


def _ucum(quantity: dict) -> tuple[str | None, str]:
    """(the UCUM unit code of a Quantity, or None if it has none; a problem, or "")."""
    system, code, text = quantity.get("system"), quantity.get("code"), quantity.get("unit")
    if code is not None:
        if system not in (None, UCUM):
            return None, f"the unit system is {shown(str(system))}, not UCUM ({UCUM})"
        return str(code), ""
    return (str(text), "") if text is not None else (None, "")


def _observable(concept) -> str | None:
    return _observable_from(concept)[0]


def _observable_from(concept) -> tuple[str | None, str | None]:
    """(the SNOMED CT concept, the LOINC code it was mapped from or None)."""
    code = _snomed(concept)
    if code:
        return code, None
    for c in _codings(concept):
        if c.get("system") == LOINC and str(c["code"]) in loinc_to_snomed():
            return loinc_to_snomed()[str(c["code"])], str(c["code"])
    return None, None


def _procedure(r: _Resource, identity: Identity) -> Iterator[Row | Rejected]:
    code = _snomed(r.data.get("code"))
    day = _date(r.data.get("performedDateTime")) or _date(
        (r.data.get("performedPeriod") or {}).get("start"))
    if code is None:
        yield _reject(r, "code", f"the procedure {_describe(r.data.get('code'))}; icsight "
                      "stores SNOMED CT")
    elif day is None:
        yield _reject(r, "performedDateTime", "no performed date")
    else:
        yield _row(r, "clinical_events", identity, {"date": day, "snomed_code": code})


def _encounter(r: _Resource, identity: Identity) -> Iterator[Row | Rejected]:
    types = r.data.get("type") or []
    code = next((c for t in types for c in [_snomed(t)] if c), None)
    day = _date((r.data.get("period") or {}).get("start"))
    if code is None:
        yield _reject(r, "type", "the encounter has no SNOMED CT type")
    elif day is None:
        yield _reject(r, "period.start", "no start date")
    else:
        yield _row(r, "clinical_events", identity, {"date": day, "snomed_code": code})


def _medication(r: _Resource, identity: Identity) -> Iterator[Row | Rejected]:
    d = r.data
    concept = d.get("medicationCodeableConcept")
    code = _product(concept)
    if code is None:
        yield _reject(r, "medicationCodeableConcept", f"the medicine {_describe(concept)}; "
                      "icsight stores dm+d")
        return
    day = (_date(d.get("authoredOn")) or _date(d.get("effectiveDateTime"))
           or _date((d.get("effectivePeriod") or {}).get("start")) or _date(d.get("dateAsserted")))
    if day is None:
        yield _reject(r, "authoredOn", "no date the medicine was prescribed or taken")
        return
    quantity = ((d.get("dispenseRequest") or {}).get("quantity") or {}).get("value")
    yield _row(r, "medications", identity, {
        "date": day, "dmd_code": code, "bnf_code": None,
        "quantity": float(quantity) if isinstance(quantity, int | float) else None})


def _immunization(r: _Resource, identity: Identity) -> Iterator[Row | Rejected]:
    d = r.data
    concept = d.get("vaccineCode")
    code = _product(concept)
    if code is None:
        yield _reject(r, "vaccineCode", f"the vaccine {_describe(concept)}; icsight stores "
                      "SNOMED CT or dm+d")
        return
    terms = " ".join([str((concept or {}).get("text") or "")]
                     + [str(c.get("display") or "") for c in _codings(concept)]).lower()
    vaccine = next((name for name, word in VACCINES if word in terms), None)
    if vaccine is None:
        yield _reject(r, "vaccineCode", "not an influenza, HPV or pneumococcal vaccine (the "
                      "programmes icsight reports)")
        return
    day = _date(d.get("occurrenceDateTime"))
    if day is None:
        yield _reject(r, "occurrenceDateTime", "no date given")
        return
    dose = next((p.get("doseNumberPositiveInt") for p in d.get("protocolApplied") or []
                 if isinstance(p, dict) and p.get("doseNumberPositiveInt")), None)
    yield _row(r, "vaccinations", identity, {"date": day, "vaccine": vaccine,
                                             "snomed_code": code, "dose_number": dose})


def _parse_load(paths: Sequence[Path], _table: str | None) -> Iterator[Row | Rejected]:
    return parse_fhir(paths)  # resources name their own table; --table does not apply


# Every FHIR file of a load at once: references to patients resolve across files.
register(Parser("fhir", (".json", ".ndjson", ".ndjson.gz", ".xml"), _parse_load,
                whole_load=True))
