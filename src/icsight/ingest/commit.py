"""Commit: a staged load merged into the lake's next version, which is swapped in whole.

`commit` builds the next version beside the lake (`icsight.lake.new_version`; unchanged files
are hard links, so this is cheap), and in it:

* **merges** each table's staged rows with the lake's: new rows append; a row whose key (e.g.
  `spell_id`, a patient) is already there replaces it, as a correction; in keyless tables
  (events) a row identical to one in the lake or earlier in the load is a duplicate and goes
  to quarantine;
* writes the load's **quarantine** entries to the identifiable zone (payloads can hold
  identifiers), the **ledger** and the **manifest** (last load, row counts);
* **swaps** the version in by renames (`icsight.lake.swap_in`). A process killed at any point
  before the swap leaves the previous lake as it was, byte for byte.

Every table file goes through `icsight.lake.write_table` (which unlinks before writing, as a
hard-linked file is the live lake's too).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from icsight import __version__
from icsight.ingest.ledger import record_load, write_ledger
from icsight.ingest.records import Rejected
from icsight.ingest.report import LoadReport
from icsight.ingest.stage import (
    FHIR_LINKS,
    FHIR_LINKS_SCHEMA,
    Staged,
    fhir_links,
    lake_table,
    quarantine,
)
from icsight.lake import (
    IDENTIFIABLE,
    new_version,
    read_manifest,
    swap_in,
    table_path,
    write_manifest,
    write_table,
)
from icsight.model.reference import reference_tables
from icsight.model.schema import TABLES

#: The quarantine table: not part of the canonical model, so its schema and zone are here.
QUARANTINE = "quarantine"
QUARANTINE_SCHEMA = pa.schema([
    ("load_id", pa.string()), ("time", pa.string()), ("source", pa.string()),
    ("locator", pa.string()), ("table", pa.string()), ("field", pa.string()),
    ("reason", pa.string()), ("payload", pa.string()),
])


def quarantine_path(lake: Path) -> Path:
    """The quarantine file of the lake at `lake` (in the identifiable zone)."""
    return table_path(lake, QUARANTINE, zone=IDENTIFIABLE)


def commit(lake: Path, staged: Staged, report: LoadReport, ledger: dict,
           fresh: list[tuple[Path, str]], started: dt.datetime) -> None:
    """Merge `staged` into the lake at `lake` (created if absent) and swap the result in;
    `fresh` (file, SHA-256) and the report go into `ledger`."""
    with new_version(lake, "ingest") as tmp:
        if lake.exists():
            shutil.copytree(lake, tmp, copy_function=os.link)  # hard links: cheap, untouched
        else:
            tmp.mkdir(parents=True)
            _new_lake(tmp)
        for name, rows in staged.rows.items():
            merged = _merge(lake if lake.exists() else tmp, name, rows, staged.origins[name],
                            staged, report)
            if merged is not None:
                write_table(tmp, name, merged)
        if staged.identifiers:
            write_table(tmp, "person_identifiers", _merge_identifiers(tmp, staged.identifiers))
        if staged.links:
            write_table(tmp, FHIR_LINKS, _merge_links(tmp, staged.links), zone=IDENTIFIABLE)
        _write_quarantine(tmp, staged.quarantine, started)
        record_load(ledger, report.load_id, started, report.rows(), report.skipped, fresh)
        write_ledger(tmp, ledger)
        _update_manifest(tmp, report.load_id)
        swap_in(tmp, lake)


def _new_lake(folder: Path) -> None:
    """An empty lake: reference tables and every other table empty, with its schema."""
    refs = reference_tables()
    for name, spec in TABLES.items():
        table = refs[name].cast(spec.schema) if name in refs else spec.schema.empty_table()
        write_table(folder, name, table)
    write_manifest(folder, {
        "icsight_version": __version__, "kind": "ingested",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})


def _merge(lake: Path, name: str, rows: list[dict], origins: list, staged: Staged,
           report: LoadReport) -> pa.Table | None:
    """The table's new contents, or None if unchanged; duplicates go to quarantine."""
    spec = TABLES[name]
    incoming = pa.Table.from_pylist(rows, schema=spec.schema)
    key = list(spec.key) or spec.column_names
    existing = lake_table(lake, name)
    con = duckdb.connect()
    con.register("incoming", incoming.append_column("_i", pa.array(range(len(rows)))))
    con.register("existing", existing)
    keys = ", ".join(f'"{k}"' for k in key)
    # Within the load: the last row for a key wins (corrections in the same load); in keyless
    # tables the first of identical rows is kept and repeats are duplicates.
    direction = "DESC" if spec.key else "ASC"  # keyed: the last is the correction
    order = con.sql(f"""SELECT _i, row_number() OVER (PARTITION BY {keys}
                                                      ORDER BY _i {direction}) AS n
                        FROM incoming""").fetchall()
    repeat = {i for i, n in order if n > 1}
    same = " AND ".join(f'i."{k}" IS NOT DISTINCT FROM e."{k}"' for k in key)
    in_lake = {i for (i,) in con.sql(
        f"SELECT _i FROM incoming i SEMI JOIN existing e ON {same}").fetchall()}
    keep = []
    for i in range(len(rows)):
        source, locator, payload = origins[i]
        tally = report.tally(source, name)
        if i in repeat or (not spec.key and i in in_lake):
            where = "in this load" if i in repeat else "already in the lake"
            quarantine(staged, report, Rejected(source, locator, ",".join(key),
                                                f"duplicate of a row {where}", payload, name))
            continue
        keep.append(i)
        tally.loaded += 1
        tally.replaced += i in in_lake
    if not keep:
        return None
    con.register("kept", incoming.take(keep))
    if spec.key:
        merged = con.sql(f"""SELECT * FROM existing ANTI JOIN kept USING ({keys})
                             UNION ALL SELECT * FROM kept""").fetch_arrow_table()
    else:
        merged = con.sql("SELECT * FROM existing UNION ALL SELECT * FROM kept"
                         ).fetch_arrow_table()
    return merged.cast(spec.schema)


def _merge_identifiers(folder: Path, identifiers: dict[int, dict]) -> pa.Table:
    """`person_identifiers` with this load's people replacing their earlier rows."""
    schema = TABLES["person_identifiers"].schema
    people = pa.Table.from_pylist(list(identifiers.values()), schema=schema)
    con = duckdb.connect()
    con.register("existing", lake_table(folder, "person_identifiers"))
    con.register("people", people)
    merged = con.sql("""SELECT * FROM existing ANTI JOIN people USING (patient_id)
                        UNION ALL SELECT * FROM people""").fetch_arrow_table()
    return merged.cast(schema)


def _merge_links(folder: Path, links: dict[str, int]) -> pa.Table:
    """The FHIR reference record (identifiable zone) with this load's new references added;
    staging never hands on a reference the lake already holds (that is a conflict or a
    repeat), so this only appends."""
    new = pa.Table.from_pylist([{"reference": r, "patient_id": p} for r, p in links.items()],
                               schema=FHIR_LINKS_SCHEMA)
    return pa.concat_tables([fhir_links(folder), new])


def _write_quarantine(folder: Path, entries: list[dict], started: dt.datetime) -> None:
    """Append the load's quarantine entries, stamped with its start time, to the quarantine."""
    if not entries:
        return
    when = started.isoformat(timespec="seconds")
    new = pa.Table.from_pylist([{**e, "time": when} for e in entries], schema=QUARANTINE_SCHEMA)
    path = quarantine_path(folder)
    old = pq.read_table(path) if path.is_file() else QUARANTINE_SCHEMA.empty_table()
    write_table(folder, QUARANTINE, pa.concat_tables([old.cast(QUARANTINE_SCHEMA), new]),
                zone=IDENTIFIABLE)


def _update_manifest(folder: Path, load_id: str) -> None:
    """Record the load and every table's row count in the version's manifest."""
    manifest = read_manifest(folder)
    manifest["last_load"] = load_id
    manifest["rows"] = {name: pq.ParquetFile(table_path(folder, name)).metadata.num_rows
                        for name in TABLES if table_path(folder, name).is_file()}
    write_manifest(folder, manifest)
