"""Writing canonical tables into a lake folder (one being built, never the live one)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from icsight.lake.layout import table_path
from icsight.lake.lock import writing
from icsight.model.reference import reference_tables
from icsight.model.schema import IDENTIFIABLE, TABLES

#: Rows per row group of the identifiable zone: small groups sorted by patient, so reading one
#: patient's identifiers (a clinician opening a record) touches one group, not the whole file.
IDENTIFIABLE_ROW_GROUP = 100_000

__all__ = ["LakeWriter", "write_table"]


def write_table(lake: str | Path, name: str, table: pa.Table, zone: str | None = None) -> Path:
    """Write the whole of table `name` into the lake folder `lake`.

    An existing file is unlinked first rather than overwritten: in a version built from hard
    links it is the live lake's file too."""
    path = table_path(lake, name, zone)
    path.unlink(missing_ok=True)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        if _by_patient(name):
            table = table.sort_by("patient_id")
            pq.write_table(table, path, compression="zstd",
                           row_group_size=IDENTIFIABLE_ROW_GROUP)
        else:
            pq.write_table(table, path, compression="zstd")
    return path


def _by_patient(name: str) -> bool:
    """Identifiable tables are kept sorted by patient, in small row groups."""
    spec = TABLES.get(name)
    return spec is not None and spec.zone == IDENTIFIABLE and "patient_id" in spec.column_names


class LakeWriter:
    """Writes canonical tables into a new lake folder, piece by piece.

    Use it inside `icsight.lake.new_version`, which holds the lake's lock and makes every file
    private (as `icsight.synth.generate` does); a full disk is a `LakeFullError`.

    Reference tables are written first. Each piece is sorted by patient and date before it is
    appended (better compression and faster per-patient reads); tables nobody wrote are written
    empty, with their schema, so every lake has every table.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.counts: dict[str, int] = {name: 0 for name in TABLES}
        for name, table in reference_tables().items():
            self.write(name, table)

    def _path(self, name: str) -> Path:
        path = table_path(self.folder, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, name: str, table: pa.Table) -> None:
        spec = TABLES[name]
        table = table.cast(spec.schema)
        if "patient_id" in spec.column_names and "date" in spec.column_names:
            table = table.sort_by([("patient_id", "ascending"), ("date", "ascending")])
        elif _by_patient(name):
            table = table.sort_by("patient_id")
        with writing(self._path(name)):
            if name not in self.writers:
                self.writers[name] = pq.ParquetWriter(self._path(name), spec.schema,
                                                      compression="zstd")
            groups = IDENTIFIABLE_ROW_GROUP if _by_patient(name) else 1_000_000
            self.writers[name].write_table(table, row_group_size=groups)
        self.counts[name] += table.num_rows

    def close(self) -> dict[str, int]:
        """Finish every file; returns rows written per table."""
        for name, spec in TABLES.items():
            if name not in self.writers:
                with writing(self._path(name)):
                    pq.write_table(spec.schema.empty_table(), self._path(name),
                                   compression="zstd")
        for name, w in self.writers.items():
            with writing(self._path(name)):
                w.close()
        return dict(self.counts)
