"""Snapshot what icsight computes, to prove that a refactor changed nothing.

    python tools/behaviour.py snapshot OUT [--src SRC] [--population 60000]
    python tools/behaviour.py compare BEFORE AFTER

`snapshot` drives the `icsight` command exactly as a user would (generate, check, build 36
months, export and ingest), with the code in `SRC` (default: this checkout's `src`), and writes
a fingerprint of everything that came out: every lake table's rows, the calibration table,
every indicator value, SPC and inequality row of the build, and the ingestion results.
`compare` prints what differs between two snapshots, table by table and figure by figure, and
exits 1 if anything does.

To compare a refactor with the commit before it, run the snapshot twice with the same Python:

    git worktree add ../before <commit>
    python tools/behaviour.py snapshot /tmp/before --src ../before/src
    python tools/behaviour.py snapshot /tmp/after
    python tools/behaviour.py compare /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent.parent
KEY = "behaviour-snapshot-key-0123456789abcdef-not-a-secret"
#: Columns that legitimately differ between two runs of the same code (clock, paths, hashes of
#: time-stamped files), left out of the fingerprint.
VOLATILE = {"loaded_at", "load_id", "created", "run_id", "started", "finished", "file",
            "source_file", "path", "received_at", "time"}


def icsight(src: Path, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(src), ICSIGHT_PSEUDONYM_KEY=KEY, COLUMNS="200")
    done = subprocess.run([sys.executable, "-c", "from icsight.cli import main; main()", *args],
                          env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"icsight {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def table_rows(path: Path) -> pd.DataFrame:
    frame = pq.read_table(path).to_pandas()
    frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE])
    if "source" in frame.columns:  # a source file's name, not the folder a snapshot put it in
        frame["source"] = frame["source"].map(lambda v: Path(v).name if isinstance(v, str)
                                              else v)
    return frame.sort_values(list(frame.columns), ignore_index=True, na_position="first") \
        if len(frame.columns) else frame


def fingerprint_folder(folder: Path) -> dict[str, dict]:
    """Per Parquet file under `folder`: its row count and a hash of its sorted rows. A results
    store's run folder (named by the time of the run) is left out of the name."""
    out = {}
    for path in sorted(folder.rglob("*.parquet")):
        rows = table_rows(path)
        hashed = pd.util.hash_pandas_object(rows.astype(str), index=False)
        name = path.relative_to(folder)
        if re.fullmatch(r"\d{8}T\d{6}Z", name.parts[0]):
            name = Path(*name.parts[1:])
        out[str(name)] = {"rows": len(rows), "hash": f"{int(hashed.sum()) % 2**64:016x}"}
    return out


def calibration_figures(text: str) -> list[tuple[str, str, str]]:
    """(target, measured, aim) of each row of the calibration table: the figures, without the
    wording of their sources."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) >= 3 and cells[1]:
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def without_timings(text: str) -> str:
    """Console output with times, paths and run ids blanked."""
    text = re.sub(r"\d+(\.\d+)? ?s\b", "<t>", text)
    text = re.sub(r"/\S+", "<path>", text)
    return re.sub(r"\b\d{8}T\d{6}\S*", "<run>", text)


def snapshot(out: Path, src: Path, population: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lake, results = out / "lake", out / "results"
    icsight(src, "synth", "--out", str(lake), "--population", str(population), "--seed", "11")
    check = icsight(src, "synth", "--check", str(lake))
    icsight(src, "build", "--lake", str(lake), "--months", "36", "--out", str(results))
    icsight(src, "export", "--lake", str(lake), "--format", "fhir", "--sample", "400",
            "--out", str(out / "fhir"), "--audit-log", str(out / "audit.jsonl"))
    icsight(src, "export", "--lake", str(lake), "--format", "csv", "--sample", "400",
            "--out", str(out / "csv"), "--audit-log", str(out / "audit.jsonl"))
    loaded = icsight(src, "ingest", str(out / "fhir"), str(out / "csv"), "--lake",
                     str(out / "ingested"), "--today", "2026-10-01")
    report = icsight(src, "ingest", "--report", "--lake", str(out / "ingested"))
    (out / "snapshot.json").write_text(json.dumps({
        "lake": fingerprint_folder(lake), "results": fingerprint_folder(results),
        "ingested": fingerprint_folder(out / "ingested"),
        "calibration": without_timings(check), "ingest": without_timings(loaded),
        "report": without_timings(report)}, indent=1))
    print(f"snapshot written to {out / 'snapshot.json'}")


def compare(before: Path, after: Path) -> int:
    a = json.loads((before / "snapshot.json").read_text())
    b = json.loads((after / "snapshot.json").read_text())
    for snap, folder in ((a, before), (b, after)):  # fingerprint again where the files are
        for part in ("lake", "results", "ingested"):
            if (folder / part).is_dir():
                snap[part] = fingerprint_folder(folder / part)
    differences = 0
    for part in ("lake", "results", "ingested"):
        for name in sorted(set(a[part]) | set(b[part])):
            left, right = a[part].get(name), b[part].get(name)
            if left != right:
                differences += 1
                print(f"{part}/{name}: {left} -> {right}")
                if left and right and part == "results":
                    describe_results(before / "results", after / "results", name)
    for left, right in zip(calibration_figures(a["calibration"]),
                           calibration_figures(b["calibration"]), strict=False):
        if left[1:] != right[1:]:
            differences += 1
            print(f"calibration: {left} -> {right}")
    for part in ("ingest", "report"):
        if a[part] != b[part]:
            differences += 1
            print(f"{part} output differs")
    print("identical" if not differences else f"{differences} differences")
    return 1 if differences else 0


def describe_results(before: Path, after: Path, name: str) -> None:
    """Which indicators' values changed, and by how much."""
    left = table_rows(next(before.glob(f"*/{name}")))
    right = table_rows(next(after.glob(f"*/{name}")))
    if "indicator_id" not in left.columns:
        return
    keys = [c for c in ("indicator_id", "period_end", "breakdown", "group") if c in left.columns]
    merged = left.merge(right, on=keys, how="outer", suffixes=("_before", "_after"),
                        indicator=True)
    values = [c[:-len("_before")] for c in merged.columns if c.endswith("_before")]
    differs = merged._merge != "both"
    for column in values:
        left, right = merged[f"{column}_before"], merged[f"{column}_after"]
        if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
            same = np.isclose(left.astype(float), right.astype(float), rtol=1e-12, atol=0,
                              equal_nan=True)
        else:
            same = left.astype(object).fillna("<none>") == right.astype(object).fillna("<none>")
        differs |= ~same
    for indicator_id, rows in merged.groupby("indicator_id"):
        changed = differs[rows.index]
        if changed.any():
            print(f"  {indicator_id}: {int(changed.sum())} of {len(rows)} rows differ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    snap.add_argument("--src", type=Path, default=HERE / "src")
    snap.add_argument("--population", type=int, default=60_000)
    comp = sub.add_parser("compare")
    comp.add_argument("before", type=Path)
    comp.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "snapshot":
        snapshot(args.out, args.src.resolve(), args.population)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
