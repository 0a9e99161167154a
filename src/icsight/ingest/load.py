"""The loader: validated, pseudonymised rows into the lake, atomically, once.

`ingest(lake_dir, sources)`:

1. **Sources**: files, folders (every file in them) and archives (`.zip`, `.gz`), expanded with
   limits so an archive bomb is refused before anything is written.
2. **Idempotent**: each file's SHA-256 is kept in the lake's ledger (`ingest/ledger.json`); a
   file already loaded is skipped and the report says so.
3. **Parsed** by the parser registered for the file's kind (`icsight.ingest.parsers`).
4. **Pseudonymised at the door**: an NHS number (modulus-11 checked) becomes the keyed
   HMAC-SHA256 pseudonym; a source without one is linked by its local identifier (system and
   value, pseudonymised the same way in its own namespace) and flagged unverified. NHS
   numbers, names, full dates of birth, addresses and postcodes go only to the identifiable
   zone.
5. **Validated** (`icsight.ingest.validate`) including dates against birth and death, and
   duplicates within the load and against the lake.
6. **Quarantined**: every rejected record, with file, row or resource, field, reason and the
   original payload, in the identifiable zone's `quarantine` table (payloads can hold
   identifiers).
7. **Incremental**: new rows append; a row whose key (e.g. `spell_id`, a patient) is already in
   the lake replaces it (a correction). Keyless tables (events) never duplicate a row.
8. **Atomic**: the new version of the lake is built beside it (unchanged files hard-linked) and
   swapped in by renames; a process killed at any point leaves the previous version readable.

Every load reconciles, per source and table: received = loaded + quarantined.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import signal
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from nhs_number import is_valid as nhs_number_valid

from icsight import __version__
from icsight.governance.pseudonymise import load_key, pseudonym
from icsight.ingest.parsers import parse
from icsight.ingest.records import Identity, Rejected, Row
from icsight.ingest.validate import check_values, convert, date_problem
from icsight.lake import (
    IDENTIFIABLE,
    MANIFEST,
    is_lake,
    new_version,
    read_manifest,
    recover,
    swap_in,
    table_path,
    write_manifest,
    write_table,
)
from icsight.model.reference import reference_tables
from icsight.model.schema import TABLES

LEDGER = Path("ingest") / "ledger.json"
QUARANTINE_SCHEMA = pa.schema([
    ("load_id", pa.string()), ("time", pa.string()), ("source", pa.string()),
    ("locator", pa.string()), ("table", pa.string()), ("field", pa.string()),
    ("reason", pa.string()), ("payload", pa.string()),
])
#: Archive limits: total uncompressed size, expansion ratio, number of members.
MAX_UNPACKED_BYTES = 2 * 1024**3
MAX_RATIO = 200
MAX_MEMBERS = 10_000
CRASH_ENV = "ICSIGHT_INGEST_KILL_AFTER"  # tests: kill the process after writing N files


class IngestError(RuntimeError):
    """A load that cannot go ahead (nothing was changed)."""


@dataclass
class Tally:
    received: int = 0
    loaded: int = 0
    replaced: int = 0
    quarantined: int = 0


@dataclass
class LoadReport:
    load_id: str
    lake: Path
    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # sources already loaded
    problems: list[Rejected] = field(default_factory=list)

    def tally(self, source: str, table: str) -> Tally:
        return self.tallies.setdefault((source, table or "-"), Tally())

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tallies.values())

    def rows(self) -> list[dict]:
        return [{"load_id": self.load_id, "source": s, "table": t, "received": v.received,
                 "loaded": v.loaded, "replaced": v.replaced, "quarantined": v.quarantined}
                for (s, t), v in sorted(self.tallies.items())]


# --- sources ---------------------------------------------------------------------------------

def _expand(sources: Iterable[Path], workdir: Path) -> list[Path]:
    files: list[Path] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            files.extend(sorted(p for p in source.rglob("*") if p.is_file()))
        elif source.is_file():
            files.append(source)
        else:
            raise IngestError(f"{source} does not exist; give files or folders to ingest")
    out = []
    for f in files:
        name = f.name.lower()
        if name.endswith(".zip"):
            out.extend(_unzip(f, workdir))
        elif name.endswith(".gz") and not name.endswith(".ndjson.gz"):
            out.append(_gunzip(f, workdir))
        else:
            out.append(f)
    return out


def _unzip(path: Path, workdir: Path) -> list[Path]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise IngestError(f"{path}: not a readable zip file ({e})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise IngestError(f"{path}: {len(members):,} files in the archive (limit "
                              f"{MAX_MEMBERS:,}); refused, nothing loaded")
        total = sum(m.file_size for m in members)
        packed = max(sum(m.compress_size for m in members), 1)
        if total > MAX_UNPACKED_BYTES or total / packed > MAX_RATIO:
            raise IngestError(f"{path}: would expand to {total:,} bytes ({total / packed:.0f}x "
                              "its size): refused as a possible zip bomb, nothing loaded")
        target = workdir / f"zip-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        out = []
        for m in members:
            dest = (target / m.filename).resolve()
            if not str(dest).startswith(str(target.resolve())):
                raise IngestError(f"{path}: member {m.filename!r} points outside the archive; "
                                  "refused, nothing loaded")
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(m) as src, open(dest, "wb") as dst:
                _copy_limited(src, dst, m.file_size, path)
            out.append(dest)
        return out


def _gunzip(path: Path, workdir: Path) -> Path:
    dest = workdir / path.name[:-3]
    packed = max(path.stat().st_size, 1)
    with gzip.open(path, "rb") as src, open(dest, "wb") as dst:
        _copy_limited(src, dst, min(MAX_UNPACKED_BYTES, packed * MAX_RATIO), path)
    return dest


def _copy_limited(src, dst, limit: int, path: Path) -> None:
    written = 0
    try:
        while chunk := src.read(1024 * 1024):
            written += len(chunk)
            if written > limit:
                raise IngestError(f"{path}: expands beyond {limit:,} bytes: refused as a "
                                  "possible archive bomb, nothing loaded")
            dst.write(chunk)
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise IngestError(f"{path}: the archive is damaged ({e}); nothing loaded") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


# --- identity --------------------------------------------------------------------------------

def _pseudonym(identity: Identity | None, key: bytes) -> tuple[int, bool] | str:
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


# --- the lake on disk ------------------------------------------------------------------------

def _read(lake: Path, name: str) -> pa.Table:
    path = table_path(lake, name)
    if path.is_file():
        return pq.read_table(path).cast(TABLES[name].schema)
    return TABLES[name].schema.empty_table()


def _new_lake(folder: Path) -> None:
    """An empty lake: reference tables and every other table empty, with its schema."""
    refs = reference_tables()
    for name, spec in TABLES.items():
        path = table_path(folder, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = refs[name].cast(spec.schema) if name in refs else spec.schema.empty_table()
        pq.write_table(table, path, compression="zstd")
    write_manifest(folder, {
        "icsight_version": __version__, "kind": "ingested",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})


# --- the load --------------------------------------------------------------------------------

def ingest(lake_dir: str | Path, sources: Iterable[str | Path], *, table: str | None = None,
           key: bytes | None = None, today: dt.date | None = None,
           progress: Callable[[str], None] | None = None) -> LoadReport:
    """Load `sources` into the lake at `lake_dir` (created if absent); returns the report."""
    lake = Path(lake_dir)
    recover(lake)
    if lake.exists() and not is_lake(lake):
        raise IngestError(f"{lake} exists but is not an icsight lake (no {MANIFEST}); give a "
                          "lake folder or a new path")
    key = key if key is not None else load_key()
    today = today or dt.date.today()
    step = progress or (lambda _label: None)
    started = dt.datetime.now(dt.UTC)
    load_id = started.strftime("%Y%m%dT%H%M%S%fZ")
    report = LoadReport(load_id, lake)
    ledger = _ledger(lake)
    with tempfile.TemporaryDirectory(prefix="icsight-ingest-") as work:
        files = _expand(sources, Path(work))
        fresh = []
        for f in files:
            digest = _sha256(f)
            if digest in ledger["files"]:
                report.skipped.append(f"{f} (loaded in {ledger['files'][digest]['load_id']})")
            else:
                fresh.append((f, digest))
        if not fresh:
            return report
        step("reading")
        staged = _stage(parse([f for f, _ in fresh], table), key, today, lake, report)
        step("writing")
        _commit(lake, staged, report, ledger, fresh, started)
    return report


@dataclass
class _Staged:
    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    origins: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    identifiers: dict[int, dict] = field(default_factory=dict)
    quarantine: list[dict] = field(default_factory=list)


def _stage(items: Iterable[Row | Rejected], key: bytes, today: dt.date, lake: Path,
           report: LoadReport) -> _Staged:
    staged = _Staged()
    rows = []
    for item in items:
        report.tally(item.source, item.table).received += 1
        if isinstance(item, Rejected):
            _quarantine(staged, report, item)
            continue
        rows.append(item)
    # Patients first, so events can be checked against birth and death in the same load.
    rows.sort(key=lambda r: r.table != "patients")
    people = _known_people(lake)
    for row in rows:
        outcome = _prepare(row, key, today, people)
        if isinstance(outcome, Rejected):
            _quarantine(staged, report, outcome)
            continue
        values, identifiers = outcome
        if row.table == "patients":
            people[values["patient_id"]] = (values["month_of_birth"], values["date_of_death"])
            if identifiers:
                staged.identifiers[values["patient_id"]] = identifiers
        staged.rows[row.table].append(values)
        staged.origins[row.table].append((row.source, row.locator, row.payload))
    return staged


def _prepare(row: Row, key: bytes, today: dt.date, people: dict):
    identity = _pseudonym(row.identity, key)
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


def _identifiers(row: Row, patient_id: int, verified: bool, today: dt.date):
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
    patients = _read(lake, "patients").select(["patient_id", "month_of_birth", "date_of_death"])
    return {p: (b, d) for p, b, d in zip(*(patients[c].to_pylist() for c in patients.column_names),
                                         strict=True)}


def _quarantine(staged: _Staged, report: LoadReport, item: Rejected) -> None:
    report.tally(item.source, item.table).quarantined += 1
    report.problems.append(item)
    staged.quarantine.append({"load_id": report.load_id, "source": item.source,
                              "locator": item.locator, "table": item.table,
                              "field": item.field, "reason": item.reason,
                              "payload": item.payload[:100_000]})


# --- merging and committing ------------------------------------------------------------------

def _merge(lake: Path, name: str, rows: list[dict], origins: list, staged: _Staged,
           report: LoadReport) -> pa.Table | None:
    """The table's new contents, or None if unchanged; duplicates go to quarantine."""
    spec = TABLES[name]
    incoming = pa.Table.from_pylist(rows, schema=spec.schema)
    key = list(spec.key) or spec.column_names
    existing = _read(lake, name)
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
            _quarantine(staged, report, Rejected(source, locator, ",".join(key),
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


def _commit(lake: Path, staged: _Staged, report: LoadReport, ledger: dict, fresh: list,
            started: dt.datetime) -> None:
    with new_version(lake, "ingest") as tmp:
        if lake.exists():
            shutil.copytree(lake, tmp, copy_function=os.link)  # hard links: cheap, untouched
        else:
            tmp.mkdir(parents=True)
            _new_lake(tmp)
        written = 0
        for name, rows in staged.rows.items():
            merged = _merge(lake if lake.exists() else tmp, name, rows, staged.origins[name],
                            staged, report)
            if merged is not None:
                _write(tmp, name, merged)
                written += 1
                _maybe_die(written)
        if staged.identifiers:
            people = pa.Table.from_pylist(list(staged.identifiers.values()),
                                          schema=TABLES["person_identifiers"].schema)
            existing = _read(tmp, "person_identifiers")
            con = duckdb.connect()
            con.register("existing", existing)
            con.register("people", people)
            merged = con.sql("""SELECT * FROM existing ANTI JOIN people USING (patient_id)
                                UNION ALL SELECT * FROM people""").fetch_arrow_table()
            _write(tmp, "person_identifiers", merged.cast(TABLES["person_identifiers"].schema))
            written += 1
            _maybe_die(written)
        _write_quarantine(tmp, staged.quarantine, started)
        _record(tmp, report, ledger, fresh, started)
        swap_in(tmp, lake)


def _write(folder: Path, name: str, table: pa.Table) -> None:
    write_table(folder, name, table)  # unlinks first: the old file is the live lake's too


def _maybe_die(written: int) -> None:
    limit = os.environ.get(CRASH_ENV)
    if limit and written >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)  # a real kill, as a crash or an operator would


def quarantine_path(lake: Path) -> Path:
    return table_path(lake, "quarantine", zone=IDENTIFIABLE)


def _write_quarantine(folder: Path, entries: list[dict], started: dt.datetime) -> None:
    if not entries:
        return
    when = started.isoformat(timespec="seconds")
    new = pa.Table.from_pylist([{**e, "time": when} for e in entries], schema=QUARANTINE_SCHEMA)
    path = quarantine_path(folder)
    old = pq.read_table(path) if path.is_file() else QUARANTINE_SCHEMA.empty_table()
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.concat_tables([old.cast(QUARANTINE_SCHEMA), new]), path,
                   compression="zstd")


def _ledger(lake: Path) -> dict:
    path = lake / LEDGER
    if path.is_file():
        return json.loads(path.read_text())
    return {"files": {}, "loads": []}


def _record(folder: Path, report: LoadReport, ledger: dict, fresh: list,
            started: dt.datetime) -> None:
    for f, digest in fresh:
        ledger["files"][digest] = {"load_id": report.load_id, "name": Path(f).name}
    ledger["loads"].append({"load_id": report.load_id,
                            "started": started.isoformat(timespec="seconds"),
                            "rows": report.rows(), "skipped": report.skipped})
    path = folder / LEDGER
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ledger, indent=1, default=str) + "\n")
    manifest = read_manifest(folder)
    manifest["last_load"] = report.load_id
    manifest["rows"] = {name: pq.ParquetFile(table_path(folder, name)).metadata.num_rows
                        for name in TABLES if table_path(folder, name).is_file()}
    write_manifest(folder, manifest)


def load_history(lake: str | Path) -> list[dict]:
    """Every load's reconciliation rows, oldest first (for `icsight ingest --report`)."""
    return [row for load in _ledger(Path(lake))["loads"] for row in load["rows"]]
