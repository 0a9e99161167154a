"""Generate a whole synthetic lake, with progress bars, written atomically.

The lake is written into a temporary folder beside the target and swapped in at the end, so a
run that fails or is killed leaves any previous lake at `out` as it was.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from icsight import __version__
from icsight.governance.pseudonymise import load_key
from icsight.lake import LakeWriter, is_lake, new_version, swap_in, write_manifest
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

    with new_version(out, "synth") as tmp:
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
        write_manifest(tmp, manifest)
        swap_in(tmp, out)
    step("done")
    return manifest


def _refuse_to_clobber(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not is_lake(out):
        raise FileExistsError(
            f"{out} exists and is not an icsight lake; choose an empty or new folder"
        )


