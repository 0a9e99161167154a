"""What the rooms of ingestion hand each other: canonical rows still carrying the source's
identity, rejections that say exactly what was wrong and where, and the error that stops a
load before anything is written.

They live here, apart from the loader, so that parsers, sources, staging and commit can all use
them without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    "line 3", "entry 4 Observation/bp-1"), `payload` the original text of the record."""

    table: str
    values: dict[str, Any]
    identity: Identity | None
    source: str
    locator: str
    payload: str = ""
    identifiable: dict[str, Any] = field(default_factory=dict)


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
