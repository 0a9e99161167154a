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
from nhs_number import is_valid as nhs_number_valid

from icsight.governance.pseudonymise import pseudonym
from icsight.ingest.records import Identity, Rejected, Row
from icsight.ingest.report import LoadReport
from icsight.ingest.validate import check_values, convert, date_problem
from icsight.lake import table_path
from icsight.model.schema import TABLES

#: A quarantined payload is cut to this many characters (a hostile record can be huge).
MAX_PAYLOAD = 100_000


@dataclass
class Staged:
    """A load ready to commit: per table, the typed rows and where each came from
    (source, locator, payload, in the same order); the identifiable fields of each person;
    and the quarantine entries so far."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    origins: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    identifiers: dict[int, dict] = field(default_factory=dict)
    quarantine: list[dict] = field(default_factory=list)


def stage(items: Iterable[Row | Rejected], key: bytes, today: dt.date, lake: Path,
          report: LoadReport) -> Staged:
    """Validate and pseudonymise every parsed row; rejections go to quarantine. `lake` is
    read for the people it already holds, so events can be checked against their dates."""
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
    people = _known_people(lake)
    for row in rows:
        outcome = _prepare(row, key, today, people)
        if isinstance(outcome, Rejected):
            quarantine(staged, report, outcome)
            continue
        values, identifiers = outcome
        if row.table == "patients":
            people[values["patient_id"]] = (values["month_of_birth"], values["date_of_death"])
            if identifiers:
                staged.identifiers[values["patient_id"]] = identifiers
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
    """(patient_id, verified) or a reason the identity cannot be used."""
    if identity is None:
        return "no identity: give nhs_number, or local_id_system and local_id_value"
    if identity.nhs_number:
        number = identity.nhs_number.replace(" ", "")
        if not (number.isdigit() and len(number) == 10 and nhs_number_valid(number)):
            return f"{identity.nhs_number!r} is not a valid NHS number (modulus 11 check)"
        return pseudonym(key, number, "nhs"), True
    if identity.system and identity.value:
        return pseudonym(key, f"{identity.system}|{identity.value}", "local"), False
    return "no NHS number and no local identifier (system and value)"


def _prepare(row: Row, key: bytes, today: dt.date,
             people: dict) -> tuple[dict[str, Any], dict | None] | Rejected:
    """One row typed and pseudonymised (with, for a patient, their identifiable fields), or
    the first reason it cannot be loaded."""
    identity = pseudonymise(row.identity, key)
    if isinstance(identity, str):
        return Rejected(row.source, row.locator, "nhs_number", identity, row.payload, row.table)
    patient_id, verified = identity
    values = dict(row.values)
    if row.table == "patients":
        values.setdefault("care_home", False)
        values.setdefault("housebound", False)
        values.setdefault("data_opt_out", False)
        values["nhs_number_verified"] = verified
    typed, problems = check_values(row.table, values, today)
    if problems:
        field_, reason = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Rejected(row.source, row.locator, field_, reason + more, row.payload, row.table)
    born, died = ((typed["month_of_birth"], typed.get("date_of_death"))
                  if row.table == "patients" else people.get(patient_id, (None, None)))
    problem = date_problem(typed, born, died)
    if problem:
        return Rejected(row.source, row.locator, *problem, row.payload, row.table)
    typed["patient_id"] = patient_id
    identifiers = None
    if row.table == "patients":
        identifiers = _identifiers(row, patient_id, verified, today)
        if isinstance(identifiers, Rejected):
            return identifiers
    return typed, identifiers


def _identifiers(row: Row, patient_id: int, verified: bool, today: dt.date) -> dict | Rejected:
    """A patient's `person_identifiers` row (identifiable zone only), or why it is invalid."""
    spec = TABLES["person_identifiers"]
    out = {"patient_id": patient_id,
           "nhs_number": row.identity.nhs_number.replace(" ", "") if verified else None,
           "local_id_system": None if verified else row.identity.system,
           "local_id_value": None if verified else row.identity.value}
    for column in spec.columns:
        if column.name in row.identifiable:
            try:
                out[column.name] = convert(row.identifiable[column.name], column.type)
            except ValueError as e:
                return Rejected(row.source, row.locator, column.name, str(e), row.payload,
                                row.table)
    born = out.get("date_of_birth")
    if born is not None and born > today:
        return Rejected(row.source, row.locator, "date_of_birth", f"{born} is in the future",
                        row.payload, row.table)
    return out


def _known_people(lake: Path) -> dict[int, tuple]:
    """patient_id -> (month of birth, date of death) for everyone already in the lake."""
    patients = lake_table(lake, "patients").select(
        ["patient_id", "month_of_birth", "date_of_death"])
    return {p: (b, d) for p, b, d in zip(*(patients[c].to_pylist() for c in patients.column_names),
                                         strict=True)}
