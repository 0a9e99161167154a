"""What the rooms of ingestion hand each other: canonical rows still carrying the source's
identity, rejections that say exactly what was wrong and where, and the error that stops a
load before anything is written.

They live here, apart from the loader, so that parsers, sources, staging and commit can all use
them without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The local identifier system of a FHIR reference to a patient outside the load's files
#: (`Identity(system=FHIR_REFERENCE, value="Patient/<id>")`): staging resolves it through the
#: lake's record of references loaded before, or quarantines the row.
FHIR_REFERENCE = "urn:icsight:fhir-reference"


@dataclass(frozen=True)
class Identity:
    """Who a row is about, as the source identified them (before pseudonymisation).

    `nhs_number` when the source had one (10 digits, unchecked here: the loader validates it);
    otherwise the source's local identifier (`system`, `value`), e.g. a hospital number or a
    Synthea UUID. The loader pseudonymises the NHS number, or failing that `system|value`, and
    flags the person as unverified in the second case."""

    nhs_number: str | None = None
    system: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Row:
    """One row for canonical table `table` (a name from `icsight.model.schema`).

    `values` maps column names to Python values (`datetime.date` for dates, `bool`, `int`,
    `float`, `str`, or None); it has no `patient_id`: `identity` says who the row is about
    and the loader fills the pseudonym in. For `patients`, identifiable fields (names, full
    date of birth, address, postcode, NHS number) go in `identifiable` and only ever reach
    the identifiable zone. `source` is the file, `locator` where in it ("row 12",
    "line 3", "entry 4 Observation/bp-1"), `payload` the original text of the record.

    **A row carries only the fields its record has.** A column missing from `values` (and,
    for a patient, from `identifiable`) is one the record says nothing about: an update keeps
    the lake's value and only a new person gets the default. A column present with None (an
    empty CSV cell in a column the file has) is an explicit blank. So a CSV without a
    `data_opt_out` column, or a FHIR Patient without the opt-out extension, never clears an
    opt-out (`carries`).

    `links` are the FHIR references that name this person: for a Patient its `Patient/<id>`
    and full URL, for another resource the reference it gave to its subject. Staging checks
    them against the lake's record of earlier loads (one reference, one person)."""

    table: str
    values: dict[str, Any]
    identity: Identity | None
    source: str
    locator: str
    payload: str = ""
    identifiable: dict[str, Any] = field(default_factory=dict)
    links: tuple[str, ...] = ()

    def carries(self, column: str) -> bool:
        """Whether the record says something (perhaps an explicit blank) about `column`."""
        return column in self.values or column in self.identifiable


@dataclass(frozen=True)
class Rejected:
    """A record that cannot be loaded: where it was, which field, why, and the original text."""

    source: str
    locator: str
    field: str
    reason: str
    payload: str = ""
    table: str = ""  # the canonical table it was meant for, when known

    def message(self) -> str:
        where = f"{self.source}, {self.locator}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class IngestError(RuntimeError):
    """A load that cannot go ahead (nothing was changed)."""
