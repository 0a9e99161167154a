"""`icsight synth`: generate a synthetic BLMK population, or (`synth --check DIR`) compare one
with the published figures it was calibrated to."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.table import Table

from icsight.cli._console import console, fail, out, progress
from icsight.cli._options import ISO_DATE, LakeFolder, OutputFolder

__all__ = ["synth"]


#: More people than this would need more memory than the machines icsight is built for (about
#: five times BLMK's population).
MOST_PEOPLE = 5_000_000


def _is_lake(folder: Path) -> bool:
    from icsight.lake import is_lake

    return is_lake(folder)


def _modelled_from(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A reference date late enough for every service the generator models to have started:
    the record's five years must reach a service's launch (virtual wards, two-hour urgent
    community response) for its activity to be generated."""
    if value is None:
        return None
    from icsight.synth.community import UCR_FROM, VIRTUAL_WARDS_FROM

    first = max(UCR_FROM, VIRTUAL_WARDS_FROM)
    if value < first:
        raise click.BadParameter(f"{value} is before {first}, when services the generator "
                                 f"models began; give {first} or later", ctx, param)
    return value


@click.command()
@click.option("--population", type=click.IntRange(1000, MOST_PEOPLE), default=None,
              help="People registered on the reference date, 1,000-5,000,000 (default: all "
                   "of BLMK, 1,156,871, its published GP list then).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=1, show_default=True,
              help="Random seed (0-2147483647).")
@click.option("--reference-date", default=None, type=ISO_DATE, callback=_modelled_from,
              help="Last day of the generated record, YYYY-MM-DD, 2022-04-01 or later "
                   "(default 2026-09-30).")
@click.option("--out", "out_dir", type=OutputFolder(_is_lake, "a lake"),
              help="Folder to write the lake to (new, empty, or a lake to replace).")
@click.option("--check", "check_dir", type=LakeFolder(),
              help="Instead of generating, compare the lake in this folder with its targets "
                   "at the start, middle and end of its window.")
@click.option("--summary", is_flag=True,
              help="With --check: print only the count and the targets out of tolerance.")
def synth(population: int | None, seed: int, reference_date: str | None,
          out_dir: Path | None, check_dir: Path | None, summary: bool) -> None:
    """Generate a synthetic BLMK population, or check one against published figures."""
    if check_dir is not None:
        sys.exit(_check(check_dir, summary))
    if out_dir is None:
        raise click.UsageError("give --out DIR to generate, or --check DIR to check a lake")
    from icsight.synth import DEFAULT_REFERENCE_DATE
    from icsight.synth.context import BLMK_POPULATION

    population = population or BLMK_POPULATION
    _generate(out_dir, population, seed, reference_date or DEFAULT_REFERENCE_DATE)


def _generate(out_dir: Path, population: int, seed: int, reference_date: str) -> None:
    from icsight.governance.pseudonymise import PseudonymKeyError
    from icsight.lake import LakeError
    from icsight.synth import modules
    from icsight.synth.generate import generate_lake

    started = time.perf_counter()
    # One step per phase: people, conditions, each module's tables, writing.
    steps = 2 + len(modules()) + 1
    with progress() as bar:
        task = bar.add_task("starting", total=steps)
        started_steps = []

        def step(label: str) -> None:
            # called as each phase starts: the previous one is then complete
            bar.update(task, description=f"generating {label}",
                       advance=1 if started_steps else 0)
            started_steps.append(label)

        try:
            manifest = generate_lake(out_dir, population, seed, reference_date, progress=step)
        except (LakeError, PseudonymKeyError) as e:  # another writer, a full disk, a weak key
            fail(e)
    rows = manifest["rows"]
    console.print(
        f"[green]Wrote[/green] {out_dir}: {rows['patients']:,} people "
        f"({population:,} registered on {manifest['reference_date']}), "
        f"{sum(rows.values()):,} rows in {time.perf_counter() - started:.1f} s"
    )
    console.print(f"Check it against published figures: icsight synth --check {out_dir}")


def _check(lake_dir: Path, summary: bool = False) -> int:
    """Print the calibration table (or, with `summary`, a count and one line per target out of
    tolerance); the exit code: 0 all within tolerance at every date, 1 some not, 2 no lake."""
    from icsight.engine import LakeError, open_lake
    from icsight.synth.calibration import check

    try:
        lake = open_lake(lake_dir)
    except LakeError as e:
        console.print(f"[red]{e}[/red]")
        return 2
    rows = check(lake)
    if not summary:
        out.print(_calibration_table(rows, f"Calibration of {lake_dir} (reference date "
                                           f"{lake.reference_date})"))
    failed = [r for r in rows if not r.ok]
    if failed:
        console.print(f"[red]{len(failed)} of {len(rows)} outside tolerance[/red] (at the "
                      "start, middle or end of the window):")
        for r in failed:
            console.print(f"  {r.target.id}: {_values(r)} (aim {r.target.target:g} "
                          f"±{r.target.tolerance:g} {r.target.unit})", highlight=False)
        return 1
    console.print(f"[green]All {len(rows)} figures within tolerance at the start, middle and "
                  "end of the window.[/green]")
    return 0


def _calibration_table(rows, title: str) -> Table:
    shown = Table(title=title)
    for col in ("target", "start", "middle", "end", "drift", "aim", "tolerance", "ok", "source"):
        # fold rather than truncate: the source is the reference a reader needs in full
        shown.add_column(col, overflow="fold")
    for r in rows:
        t = r.target
        cells = [_cell(t, d, v) for d, v in r.over_window] or ["", "", _cell(t, None, r.measured)]
        drift = "" if len(r.over_window) < 2 else f"{r.drift:+.2f}"
        shown.add_row(t.description, *cells, drift, f"{t.target:g} {t.unit}", f"±{t.tolerance:g}",
                      "[green]yes[/green]" if r.ok else "[red]NO[/red]",
                      t.source + (f"; modelled trend: {t.trend}" if t.trend else ""))
    return shown


def _cell(target, day, value: float) -> str:
    text = f"{value:.2f}" + ("" if day is None else f" ({day})")
    return text if target.within(value) else f"[red]{text}[/red]"


def _values(row) -> str:
    return ", ".join(f"{v:.2f}" + ("" if d is None else f" on {d}") for d, v in row.values)
