"""Staging: parsed rows checked, pseudonymised and sorted into what each table will receive.

`stage` takes the parsers' rows and rejections and, touching nothing on disk but reading the
lake's patients, returns a `Staged` load:

* **pseudonymised at the door**: an NHS number (modulus-11 checked) becomes the keyed
  HMAC-SHA256 pseudonym; a source without one is linked by its local identifier (system and
  value, pseudonymised the same way in its own namespace) and flagged unverified. NHS numbers,
  names, full dates of birth, addresses and postcodes are kept apart, for the identifiable
  zone only (`person_identifiers`);
* **validated** (`icsight.ingest.validate`): types, codes, allowed values, and dates against
  the person's birth and death (from this load or the lake);
* **quarantined**: every rejection becomes a quarantine entry, counted in the load's report.

Duplicates are found later, in `icsight.ingest.commit`, where the lake's rows are at hand.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from icsight.governance.pseudonymise import pseudonym
from icsight.ingest.records import FHIR_REFERENCE, Identity, Rejected, Row
from icsight.ingest.report import LoadReport
from icsight.ingest.validate import (
    EARLIEST,
    check_values,
    convert,
    date_problem,
    nhs_number_problem,
    normalise_nhs_number,
    shown,
)
from icsight.lake import IDENTIFIABLE, table_path
from icsight.model.schema import TABLES

#: A quarantined payload is cut to this many characters (a hostile record can be huge).
MAX_PAYLOAD = 100_000


#: The identifiable zone's record of FHIR references already loaded (reference -> pseudonym),
#: so a later load's references to those patients resolve, and a reused Patient id is caught.
FHIR_LINKS = "fhir_patient_links"
FHIR_LINKS_SCHEMA = pa.schema([("reference", pa.string()), ("patient_id", pa.int64())])
#: What a new patient gets for a field its record does not carry.
PATIENT_DEFAULTS = {"care_home": False, "housebound": False, "data_opt_out": False,
                    "sex": "unknown", "ethnicity_category": "Z", "ethnicity_group": "Not stated"}


@dataclass
class Staged:
    """A load ready to commit: per table, the typed rows and where each came from
    (source, locator, payload, in the same order); the identifiable fields of each person;
    the FHIR references first seen in this load (`links`) and those refused (`conflicts`);
    and the quarantine entries so far."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    origins: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    identifiers: dict[int, dict] = field(default_factory=dict)
    quarantine: list[dict] = field(default_factory=list)
    links: dict[str, int] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)


class _People:
    """Who the lake and this load already hold: each person's latest patients row and
    identifiers (so an update fills in what its record does not carry), and the FHIR
    references loaded before. Rows are looked up by index, not all turned into dicts."""

    def __init__(self, lake: Path):
        self.patients = lake_table(lake, "patients")
        self.row = {p: i for i, p in enumerate(self.patients["patient_id"].to_pylist())}
        self.ids = lake_table(lake, "person_identifiers")
        self.id_row = {p: i for i, p in enumerate(self.ids["patient_id"].to_pylist())}
        links = fhir_links(lake)
        self.links = dict(zip(links["reference"].to_pylist(), links["patient_id"].to_pylist(),
                              strict=True))
        self.staged: dict[int, dict] = {}
        self.staged_ids: dict[int, dict] = {}

    def patient(self, pid: int) -> dict | None:
        if pid in self.staged:
            return self.staged[pid]
        i = self.row.get(pid)
        return None if i is None else self.patients.slice(i, 1).to_pylist()[0]

    def identifiers(self, pid: int) -> dict | None:
        if pid in self.staged_ids:
            return self.staged_ids[pid]
        i = self.id_row.get(pid)
        return None if i is None else self.ids.slice(i, 1).to_pylist()[0]

    def dates(self, pid: int) -> tuple:
        """(month of birth, date of death), or (None, None) for someone unknown."""
        row = self.patient(pid)
        return (row["month_of_birth"], row["date_of_death"]) if row else (None, None)


def fhir_links(lake: Path) -> pa.Table:
    """The lake's FHIR references loaded before (reference, patient_id); empty if none."""
    path = table_path(lake, FHIR_LINKS, zone=IDENTIFIABLE)
    return (pq.read_table(path).cast(FHIR_LINKS_SCHEMA) if path.is_file()
            else FHIR_LINKS_SCHEMA.empty_table())


def stage(items: Iterable[Row | Rejected], key: bytes, today: dt.date, lake: Path,
          report: LoadReport) -> Staged:
    """Validate and pseudonymise every parsed row; rejections go to quarantine. `lake` is
    read for the people it already holds (their dates, their fields an update does not
    carry, the FHIR references loaded before)."""
    staged = Staged()
    rows = []
    for item in items:
        report.tally(item.source, item.table).received += 1
        if isinstance(item, Rejected):
            quarantine(staged, report, item)
            continue
        rows.append(item)
    # Patients first, so events can be checked against birth and death in the same load.
    rows.sort(key=lambda r: r.table != "patients")
    people = _People(lake)
    for row in rows:
        try:
            outcome = _prepare(row, key, today, people, staged)
        except Exception as e:  # one odd row is one quarantined row, never a failed load
            outcome = _reject(row, "", f"could not be staged ({type(e).__name__}: "
                                       f"{str(e)[:200]})")
        if isinstance(outcome, Rejected):
            quarantine(staged, report, outcome)
            continue
        values, identifiers = outcome
        if row.table == "patients":
            people.staged[values["patient_id"]] = values
            people.staged_ids[values["patient_id"]] = identifiers
            staged.identifiers[values["patient_id"]] = identifiers
            for ref in row.links:
                if ref not in people.links:
                    staged.links[ref] = values["patient_id"]
        staged.rows[row.table].append(values)
        staged.origins[row.table].append((row.source, row.locator, row.payload))
    return staged


def quarantine(staged: Staged, report: LoadReport, item: Rejected) -> None:
    """Put a rejected record in the load's quarantine and count it against its source."""
    report.tally(item.source, item.table).quarantined += 1
    report.problems.append(item)
    staged.quarantine.append({"load_id": report.load_id, "source": item.source,
                              "locator": item.locator, "table": item.table,
                              "field": item.field, "reason": item.reason,
                              "payload": item.payload[:MAX_PAYLOAD]})


def lake_table(lake: Path, name: str) -> pa.Table:
    """Table `name` of the lake (or version) at `lake` with its canonical schema; empty if the
    lake has no file for it yet."""
    path = table_path(lake, name)
    if path.is_file():
        return pq.read_table(path).cast(TABLES[name].schema)
    return TABLES[name].schema.empty_table()


def pseudonymise(identity: Identity | None, key: bytes) -> tuple[int, bool] | str:
    """(patient_id, verified) or a reason the identity cannot be used. NHS numbers are
    normalised first (`normalise_nhs_number`), so one number in any script or spacing is one
    person; the reason never repeats the number (reasons are printed)."""
    if identity is None:
        return "no identity: give nhs_number, or local_id_system and local_id_value"
    if identity.nhs_number:
        problem = nhs_number_problem(normalise_nhs_number(identity.nhs_number))
        if problem:
            return f"the NHS number {problem}: not a valid NHS number"
        return pseudonym(key, normalise_nhs_number(identity.nhs_number), "nhs"), True
    if identity.system and identity.value:
        return pseudonym(key, f"{identity.system}|{identity.value}", "local"), False
    return "no NHS number and no local identifier (system and value)"


def _reject(row: Row, field_: str, reason: str) -> Rejected:
    return Rejected(row.source, row.locator, field_, reason, row.payload, row.table)


def _identify(row: Row, key: bytes, people: _People,
              staged: Staged) -> tuple[int, bool] | Rejected:
    """Who `row` is about, with FHIR references checked: a reference loaded before as
    someone else, or one whose Patient was refused, is quarantined; a reference to a patient
    outside the load resolves through the lake's record of references, or is quarantined."""
    refused = next((ref for ref in row.links if ref in staged.conflicts), None)
    if refused:
        return _reject(row, "subject", f"refers to {shown(refused)}, whose Patient was "
                                       "quarantined for an identity conflict")
    identity = row.identity
    if identity is not None and identity.system == FHIR_REFERENCE and not identity.nhs_number:
        pid = staged.links.get(identity.value, people.links.get(identity.value))
        if pid is None:
            return _reject(row, "subject", f"refers to {shown(identity.value)}, a patient "
                                           "in neither this load nor an earlier one: load "
                                           "the Patient first, or with it")
        return pid, True
    outcome = pseudonymise(identity, key)
    if isinstance(outcome, str):
        return _reject(row, "nhs_number", outcome)
    if row.table == "patients":
        for ref in row.links:
            before = staged.links.get(ref, people.links.get(ref))
            if before is not None and before != outcome[0]:
                staged.conflicts.add(ref)
                return _reject(row, "id", f"{shown(ref)} was loaded before as a different person "
                                          "(another NHS number or identifier): one FHIR "
                                          "Patient id must stay one person")
    return outcome


def _patient_values(row: Row, verified: bool, before: dict | None) -> dict:
    """The patient's values: the record's own, and for what it does not carry the lake's (or
    this load's earlier) values, or the defaults for someone new. For someone known, a blank
    in a required column says nothing (so a blank never clears an opt-out; only `false`
    does); for someone new it stays blank and is refused as missing."""
    required = {c.name for c in TABLES["patients"].columns if not c.nullable}
    given = dict(row.values)
    if before is not None:
        given = {k: v for k, v in given.items() if k not in required or not _blank(v)}
    base = ({k: v for k, v in before.items() if k != "patient_id"} if before is not None
            else PATIENT_DEFAULTS)
    return {**base, **given, "nhs_number_verified": verified}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _prepare(row: Row, key: bytes, today: dt.date, people: _People,
             staged: Staged) -> tuple[dict[str, Any], dict | None] | Rejected:
    """One row typed and pseudonymised (with, for a patient, their identifiable fields), or
    the first reason it cannot be loaded."""
    identity = _identify(row, key, people, staged)
    if isinstance(identity, Rejected):
        return identity
    patient_id, verified = identity
    values = dict(row.values)
    if row.table == "patients":
        values = _patient_values(row, verified, people.patient(patient_id))
    typed, problems = check_values(row.table, values, today)
    if problems:
        field_, reason = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return _reject(row, field_, reason + more)
    born, died = ((typed["month_of_birth"], typed.get("date_of_death"))
                  if row.table == "patients" else people.dates(patient_id))
    problem = date_problem(typed, born, died)
    if problem:
        return _reject(row, *problem)
    typed["patient_id"] = patient_id
    identifiers = None
    if row.table == "patients":
        identifiers = _identifiers(row, typed, verified, today, people.identifiers(patient_id))
        if isinstance(identifiers, Rejected):
            return identifiers
    return typed, identifiers


def _identifiers(row: Row, typed: dict, verified: bool, today: dt.date,
                 before: dict | None) -> dict | Rejected:
    """A patient's `person_identifiers` row (identifiable zone only), or why it is invalid:
    the record's fields, and the earlier values of those it does not carry."""
    spec = TABLES["person_identifiers"]
    out = {c.name: None for c in spec.columns} | (before or {})
    out |= {"patient_id": typed["patient_id"],
            "nhs_number": normalise_nhs_number(row.identity.nhs_number) if verified else None,
            "local_id_system": None if verified else row.identity.system,
            "local_id_value": None if verified else row.identity.value}
    for column in spec.columns:
        if column.name in row.identifiable:
            try:
                out[column.name] = convert(row.identifiable[column.name], column.type)
            except ValueError as e:
                return _reject(row, column.name, str(e))
    born = out.get("date_of_birth")
    problem = None
    if born is not None and born > today:
        problem = f"{born} is in the future"
    elif born is not None and born < EARLIEST:
        problem = f"{born} is before {EARLIEST.year}"
    elif born is not None and typed.get("date_of_death") and typed["date_of_death"] < born:
        problem = f"{born} is after the date of death {typed['date_of_death']}"
    return _reject(row, "date_of_birth", problem) if problem else out
