"""`icsight export`: write a synthetic lake out as source files (CSV extracts or FHIR NDJSON)
to exercise `icsight ingest`, recording the export in the audit log."""

from __future__ import annotations

from pathlib import Path

import click

from icsight.cli._console import console, fail
from icsight.cli._options import AppendFile, LakeFolder, OutputFolder

__all__ = ["export"]


def _is_export(folder: Path) -> bool:
    """Whether `folder` holds only what an export writes (CSV or NDJSON files)."""
    return all(f.is_file() and f.suffix in (".csv", ".ndjson") for f in folder.iterdir())


@click.command()
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="A synthetic lake (from `icsight synth`).")
@click.option("--out", "out_dir", required=True, type=OutputFolder(_is_export, "an export"),
              help="Folder to write the files to (new, empty, or an earlier export).")
@click.option("--format", "fmt", type=click.Choice(["csv", "fhir"]), default="csv",
              show_default=True, help="Per-table CSV extracts or UK Core FHIR NDJSON.")
@click.option("--sample", type=click.IntRange(1, 5_000_000), default=None,
              help="Only this many patients (1-5,000,000).")
@click.option("--audit-log", default="data/audit.jsonl", show_default=True,
              type=AppendFile(), help="Where the export is recorded.")
def export(lake_dir: Path, out_dir: Path, fmt: str, sample: int | None,
           audit_log: Path) -> None:
    """Write a synthetic lake out as source files (CSV extracts or FHIR NDJSON), with NHS
    numbers and names: synthetic data only, to exercise `icsight ingest`. The export of
    identifiable fields is recorded in the audit log."""
    import getpass

    from icsight.governance.audit import record
    from icsight.lake import LakeError, read_manifest
    from icsight.synth.export import write_csv, write_fhir

    try:
        synthetic = read_manifest(lake_dir).get("kind") == "synthetic"
    except LakeError:
        synthetic = False
    if not synthetic:
        # the files carry NHS numbers and names: never write them from a lake of real records
        fail(f"{lake_dir} is not a synthetic lake; export only writes synthetic data")
    files = (write_csv if fmt == "csv" else write_fhir)(lake_dir, out_dir, sample)
    record(audit_log, getpass.getuser(), "cli", "records.identifiable.export",
           f"{lake_dir} -> {out_dir}", f"{fmt}, {sample or 'all'} patients (synthetic)")
    console.print(f"[green]Wrote[/green] {len(files)} files to {out_dir}; load them with "
                  f"`icsight ingest {out_dir} --lake NEW_LAKE`")
