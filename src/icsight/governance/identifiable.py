"""The one reader of the identifiable zone: who patients are (`person_identifiers`).

Nothing else in icsight reads the identifiable zone. Reading takes a `Grant`, and only
`authorise_identifiable` makes one: it asks `icsight.governance.access.authorise`, which allows
the action or raises `AccessDeniedError`, and audits either way (a denial, or the view, list or
export with its purpose). So identifiers cannot be read without an authorised principal and an
audit entry saying who read what, and why.

Only the rows asked for are read: the patient ids are pushed down into DuckDB's Parquet scan,
which skips row groups whose statistics exclude them and materialises the other columns only
for matching rows, so one patient's record does not decode the whole file into memory (pyarrow's
own `filters=` materialised far more, and was slower than reading everything).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from icsight.governance.access import IDENTIFIABLE_ACTIONS, Principal, authorise
from icsight.lake import table_path
from icsight.model.schema import TABLES

__all__ = ["Grant", "authorise_identifiable", "read_identifiers"]

TABLE = "person_identifiers"
_ISSUED = object()  # proof that a Grant came from authorise_identifiable
_CONNECTION = duckdb.connect()  # each read takes its own cursor: safe across threads
# File order, as a whole-file read filtered in pandas gave it.
_QUERY = ("SELECT * EXCLUDE (file_row_number) FROM read_parquet($path, file_row_number = true) "
          "WHERE patient_id IN (SELECT patient_id FROM wanted) ORDER BY file_row_number")


@dataclass(frozen=True)
class Grant:
    """Permission, already audited, for one principal to read identifiers for one action."""

    who: Principal
    action: str
    resource: str
    _issued: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._issued is not _ISSUED:
            raise TypeError("a Grant is made only by authorise_identifiable")


def authorise_identifiable(who: Principal, action: str, audit_log: str | Path,
                           resource: str, practice_code: str | None,
                           pcn_code: str | None) -> Grant:
    """Authorise (and audit) `who` for the identifiable `action` on `resource`, for patients
    registered at `practice_code` in `pcn_code`; raise `AccessDeniedError` (audited) if not."""
    if action not in IDENTIFIABLE_ACTIONS:
        raise ValueError(f"{action!r} is not an action on identifiable data")
    authorise(who, action, audit_log, resource, practice_code, pcn_code)
    return Grant(who, action, resource, _ISSUED)


def read_identifiers(lake_dir: str | Path, patient_ids: Iterable[int],
                     grant: Grant) -> pa.Table:
    """The `person_identifiers` rows of `patient_ids` (in file order), under `grant`."""
    if not isinstance(grant, Grant):
        raise TypeError("reading identifiers needs a Grant from authorise_identifiable")
    ids = sorted({int(i) for i in patient_ids})
    if not ids:
        return TABLES[TABLE].schema.empty_table()
    cursor = _CONNECTION.cursor()
    try:
        cursor.register("wanted", pa.table({"patient_id": pa.array(ids, pa.int64())}))
        found = cursor.execute(_QUERY, {"path": str(table_path(lake_dir, TABLE))})
        return found.to_arrow_table()
    finally:
        cursor.close()
