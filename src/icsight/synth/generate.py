"""Generate a whole synthetic lake, with progress bars, written atomically.

The lake is written into a temporary folder beside the target and swapped in at the end, so a
run that fails or is killed leaves any previous lake at `out` as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from icsight import __version__
from icsight.engine.lake import MANIFEST, swap_in
from icsight.governance.pseudonymise import load_key
from icsight.model.reference import reference_tables
from icsight.model.schema import ANALYTICS, IDENTIFIABLE, TABLES
from icsight.synth import RECORD_MODULES, modules
from icsight.synth.conditions import assign_conditions
from icsight.synth.context import SynthContext, date_of, day
from icsight.synth.people import build_population

Progress = Callable[[str], None]


def generate_lake(out: str | Path, population: int, seed: int, reference_date: str,
                  key: bytes | None = None, progress: Progress | None = None) -> dict:
    """Generate a synthetic BLMK lake at `out`; returns its manifest."""
    out = Path(out)
    _refuse_to_clobber(out)
    step = progress or (lambda _label: None)
    started = time.perf_counter()
    ctx = SynthContext(seed=seed, reference_date=day(reference_date),
                       population_target=population)
    step("people")
    build_population(ctx, key if key is not None else load_key())
    step("conditions")
    assign_conditions(ctx)

    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        writer = LakeWriter(tmp)
        for module in modules():
            name = module.__name__.rsplit(".", 1)[-1]
            if name in ("people", "conditions") or name in RECORD_MODULES:
                step(name)
                # Each module's tables are written as soon as they are made, so memory holds
                # one module's output at a time, not the whole lake.
                for table_name, table in module.generate(ctx).items():
                    writer.write(table_name, table)
        step("writing")
        counts = writer.close()
        manifest = {
            "icsight_version": __version__,
            "kind": "synthetic",
            "seed": seed,
            "population_target": population,
            "reference_date": str(date_of(ctx.reference_date)),
            "window_start": str(date_of(ctx.window_start)),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 1),
            "rows": counts,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        swap_in(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    step("done")
    return manifest


class LakeWriter:
    """Writes canonical tables into a lake folder, piece by piece.

    Each piece is sorted by patient and date before it is appended (better compression and
    faster per-patient reads); tables nobody wrote are written empty, with their schema.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.counts: dict[str, int] = {name: 0 for name in TABLES}
        for name, table in reference_tables().items():
            self.write(name, table)

    def _path(self, name: str) -> Path:
        zone = IDENTIFIABLE if TABLES[name].zone == IDENTIFIABLE else ANALYTICS
        path = self.folder / zone / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, name: str, table: pa.Table) -> None:
        spec = TABLES[name]
        table = table.cast(spec.schema)
        if "patient_id" in spec.column_names and "date" in spec.column_names:
            table = table.sort_by([("patient_id", "ascending"), ("date", "ascending")])
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(self._path(name), spec.schema,
                                                  compression="zstd")
        self.writers[name].write_table(table, row_group_size=1_000_000)
        self.counts[name] += table.num_rows

    def close(self) -> dict[str, int]:
        for name, spec in TABLES.items():
            if name not in self.writers:
                pq.write_table(spec.schema.empty_table(), self._path(name), compression="zstd")
        for w in self.writers.values():
            w.close()
        return dict(self.counts)


def _refuse_to_clobber(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise FileExistsError(
            f"{out} exists and is not an icsight lake; choose an empty or new folder"
        )


