"""The `icsight` command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from icsight import __version__

# Piped or captured output gets a wide table, so sources and descriptions stay on one line.
console = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 200)


@click.group()
@click.version_option(__version__, prog_name="icsight")
def main() -> None:
    """icsight: population-health intelligence for Bedfordshire, Luton and Milton Keynes."""


@main.command()
@click.option("--population", type=int, default=None,
              help="People registered on the reference date (default: all of BLMK, 1,050,000).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--reference-date", default=None,
              help="Last day of the generated record, YYYY-MM-DD (default 2026-09-30).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Folder to write the lake to.")
@click.option("--check", "check_dir", type=click.Path(path_type=Path),
              help="Instead of generating, compare the lake in this folder with its targets.")
def synth(population, seed, reference_date, out_dir, check_dir) -> None:
    """Generate a synthetic BLMK population, or check one against published figures."""
    if check_dir is not None:
        sys.exit(_check(check_dir))
    if out_dir is None:
        raise click.UsageError("give --out DIR to generate, or --check DIR to check a lake")
    from icsight.synth import DEFAULT_REFERENCE_DATE
    from icsight.synth.context import BLMK_POPULATION
    from icsight.synth.generate import generate_lake

    population = population or BLMK_POPULATION
    if population < 1000:
        raise click.BadParameter("use at least 1,000 people", param_hint="--population")
    started = time.perf_counter()
    from icsight.synth import modules

    # One step per phase: people, conditions, each module's tables, writing.
    steps = 2 + len(modules()) + 1
    with _progress() as progress:
        task = progress.add_task("starting", total=steps)
        started_steps = []

        def step(label: str) -> None:
            # called as each phase starts: the previous one is then complete
            progress.update(task, description=f"generating {label}",
                            advance=1 if started_steps else 0)
            started_steps.append(label)

        manifest = generate_lake(out_dir, population, seed,
                                 reference_date or DEFAULT_REFERENCE_DATE, progress=step)
    rows = manifest["rows"]
    console.print(
        f"[green]Wrote[/green] {out_dir}: {rows['patients']:,} people "
        f"({population:,} registered on {manifest['reference_date']}), "
        f"{sum(rows.values()):,} rows in {time.perf_counter() - started:.1f} s"
    )
    console.print(f"Check it against published figures: icsight synth --check {out_dir}")


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description:<32}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=console, transient=False)


def _check(lake_dir: Path) -> int:
    from icsight.engine import LakeError, open_lake
    from icsight.synth.calibration import check

    try:
        lake = open_lake(lake_dir)
    except LakeError as e:
        console.print(f"[red]{e}[/red]")
        return 2
    rows = check(lake)
    table = Table(title=f"Calibration of {lake_dir} (reference date {lake.reference_date})")
    for col in ("target", "generated", "aim", "tolerance", "ok", "source"):
        table.add_column(col, overflow="fold")
    for r in rows:
        t = r.target
        table.add_row(t.description, f"{r.measured:.2f}", f"{t.target:g} {t.unit}",
                      f"±{t.tolerance:g}", "[green]yes[/green]" if r.ok else "[red]NO[/red]",
                      t.source)
    out.print(table)
    failed = [r.target.id for r in rows if not r.ok]
    if failed:
        console.print(f"[red]{len(failed)} of {len(rows)} outside tolerance:[/red] "
                      + ", ".join(failed))
        return 1
    console.print(f"[green]All {len(rows)} figures within tolerance.[/green]")
    return 0


@main.group(invoke_without_command=True)
@click.option("--lake", "lake_dir", type=click.Path(path_type=Path),
              help="The lake folder (from `icsight synth`).")
@click.option("--as-of", "as_of", default=None,
              help="Period end date YYYY-MM-DD (default: the lake's reference date).")
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="CSV file to write.")
@click.option("--id", "ids", multiple=True,
              help="Indicator id (repeatable); `all` for the whole catalogue. Default CVDP007HYP.")
@click.option("--backend", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="Engine to run the queries on.")
@click.option("--suppress", is_flag=True,
              help="Apply small-number suppression (1-7 hidden, counts rounded to 5) for "
                   "publication beyond analysts.")
@click.option("--purpose", type=click.Choice(["planning", "research", "direct_care", "all"]),
              default="planning", show_default=True,
              help="What the figures are for: planning and research leave out people with a "
                   "national data opt-out.")
@click.pass_context
def indicators(ctx, lake_dir, as_of, out_file, ids, backend, suppress, purpose) -> None:
    """Compute indicators with breakdowns to a CSV file; `list` and `show ID` describe them."""
    if ctx.invoked_subcommand is not None:
        return
    if lake_dir is None or out_file is None:
        raise click.UsageError("give --lake DIR and --out FILE.csv (or use `list` / `show ID`)")
    from icsight.engine import LakeError, open_lake

    try:
        lake = open_lake(lake_dir, backend=backend, purpose=purpose)
    except LakeError as e:
        console.print(f"[red]{e}[/red]")
        sys.exit(2)
    from icsight.indicators.catalogue import catalogue, compute

    chosen = list(catalogue()) if "all" in ids else [i.upper() for i in ids] or ["CVDP007HYP"]
    unknown = [i for i in chosen if i not in catalogue()]
    if unknown:
        raise click.BadParameter(f"unknown indicator {', '.join(unknown)}; see "
                                 "`icsight indicators list`", param_hint="--id")
    as_of = as_of or lake.reference_date
    with console.status(f"computing {len(chosen)} indicator(s) to {as_of}"):
        result = compute(lake, as_of, chosen)
    if suppress:
        from icsight.governance.disclosure import suppress as apply_suppression

        result = apply_suppression(result)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    _counts_as_written(result).to_csv(out_file, index=False)
    console.print(f"[green]Wrote[/green] {out_file}: {len(result)} rows")
    if suppress:
        console.print(f"{int(result.suppressed.sum())} cells suppressed")
    elif chosen == ["CVDP007HYP"]:
        _summary(result)
    else:
        _headlines(result)


@indicators.command("list")
def indicators_list() -> None:
    """Print the indicator catalogue."""
    from icsight.indicators.catalogue import PROGRAMMES, catalogue

    table = Table(title="icsight indicator catalogue")
    for col in ("id", "programme", "title", "unit", "polarity", "target"):
        table.add_column(col)
    for ind in sorted(catalogue().values(), key=lambda i: (i.programme, i.id)):
        target = "" if ind.target is None else f"{ind.target:g}"
        table.add_row(ind.id, PROGRAMMES[ind.programme], ind.title, ind.unit, ind.polarity,
                      target)
    out.print(table)


@indicators.command("show")
@click.argument("indicator_id")
def indicators_show(indicator_id) -> None:
    """Print one indicator's definition."""
    from icsight.indicators.catalogue import indicator

    try:
        ind = indicator(indicator_id)
    except KeyError as e:
        console.print(f"[red]{e.args[0]}[/red]")
        sys.exit(2)
    table = Table(title=f"{ind.id}: {ind.title}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in ind.describe().items():
        table.add_row(key, str(value))
    out.print(table)


def _counts_as_written(result):
    """Whole counts written as whole numbers even when an observed-against-expected indicator
    in the same table has a fractional (expected) denominator."""
    import pandas as pd

    out_ = result.copy()
    for column in ("numerator", "denominator"):
        if column in out_ and out_[column].dtype.kind == "f":
            values = [int(v) if v == v and float(v).is_integer() else v for v in out_[column]]
            out_[column] = pd.Series(values, index=out_.index, dtype=object)
    return out_


def _headlines(result) -> None:
    table = Table(title="Indicators for BLMK")
    for col in ("indicator", "numerator", "denominator", "value", "95% CI"):
        table.add_column(col)
    for r in result[result.breakdown == "icb"].itertuples():
        denominator = (f"{r.denominator:,.0f}" if float(r.denominator).is_integer()
                       else f"{r.denominator:,.2f}")
        table.add_row(r.indicator_id, f"{r.numerator:,}", denominator,
                      f"{r.value:.1f}", f"{r.lower_ci:.1f}-{r.upper_ci:.1f}")
    out.print(table)


@main.command()
@click.option("--lake", "lake_dir", required=True, type=click.Path(path_type=Path),
              help="The lake folder (from `icsight synth`).")
@click.option("--out", "out_dir", default="results", show_default=True,
              type=click.Path(path_type=Path), help="The results store folder.")
@click.option("--months", default=36, show_default=True, help="Month ends to compute.")
@click.option("--as-of", "as_of", default=None, help="Last period end (default: the lake's).")
@click.option("--id", "ids", multiple=True, help="Only these indicators (repeatable).")
@click.option("--backend", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="Engine to run the queries on.")
@click.option("--purpose", type=click.Choice(["planning", "research", "direct_care", "all"]),
              default="planning", show_default=True,
              help="What the figures are for: planning and research leave out people with a "
                   "national data opt-out.")
def build(lake_dir, out_dir, months, as_of, ids, backend, purpose) -> None:
    """Compute the whole indicator catalogue as monthly series into the results store."""
    from icsight.engine import LakeError, open_lake
    from icsight.indicators.catalogue import catalogue
    from icsight.results.store import build as build_results

    try:
        lake = open_lake(lake_dir, backend=backend, purpose=purpose)
    except LakeError as e:
        console.print(f"[red]{e}[/red]")
        sys.exit(2)
    n = len(ids) if ids else len(catalogue())
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("computing", total=n)

        def step(indicator_id: str) -> None:
            progress.update(task, description=f"computing {indicator_id}", advance=1)

        run = build_results(lake, out_dir, months, as_of, list(ids) or None, step)
    console.print(f"[green]Built[/green] {run}: {n} indicators x {months} months in "
                  f"{time.perf_counter() - started:.0f} s")


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--lake", "lake_dir", required=True, type=click.Path(path_type=Path),
              help="The lake to load into (created if it does not exist).")
@click.option("--table", default=None, help="Canonical table of CSV/Parquet files whose names "
              "do not say it.")
@click.option("--today", default=None, help="Date dates are checked against (default: today).")
@click.option("--report", "show_report", is_flag=True,
              help="Show the reconciliation of every load so far (no SOURCES needed).")
def ingest(sources, lake_dir, table, today, show_report) -> None:
    """Load FHIR (Bundles, NDJSON) and CSV/Parquet extracts into the lake: validated,
    pseudonymised, with bad records quarantined and every count reconciled."""
    import datetime as dt

    from icsight.ingest.load import IngestError, load_history
    from icsight.ingest.load import ingest as run

    if show_report and not sources:
        _reconciliation(load_history(lake_dir), "All loads")
        return
    if not sources:
        raise click.UsageError("give files or folders to ingest, or --report")
    try:
        with console.status("ingesting"):
            report = run(lake_dir, sources, table=table,
                         today=dt.date.fromisoformat(today) if today else None)
    except IngestError as e:
        console.print(f"[red]{e}[/red]")
        sys.exit(2)
    for skipped in report.skipped:
        console.print(f"[yellow]already loaded, skipped:[/yellow] {skipped}")
    _reconciliation(report.rows(), f"Load {report.load_id}")
    if report.quarantined:
        console.print(f"[yellow]{report.quarantined:,} records quarantined[/yellow], for "
                      "example:")
        for problem in report.problems[:5]:
            console.print(f"  {problem.message()}")
        console.print("Fix them at source and load the corrected file; the quarantine keeps "
                      "each record with its reason (identifiable zone).")


def _reconciliation(rows: list[dict], title: str) -> None:
    table = Table(title=f"{title}: received = loaded + quarantined")
    for column in ("source", "table", "received", "loaded", "replaced", "quarantined", "ok"):
        table.add_column(column, justify="left" if column in ("source", "table") else "right")
    for r in rows:
        balanced = r["received"] == r["loaded"] + r["quarantined"]
        table.add_row(Path(r["source"]).name, r["table"], f"{r['received']:,}",
                      f"{r['loaded']:,}", f"{r['replaced']:,}", f"{r['quarantined']:,}",
                      "yes" if balanced else "NO")
    out.print(table)


@main.command()
@click.option("--lake", "lake_dir", required=True, type=click.Path(path_type=Path),
              help="A synthetic lake (from `icsight synth`).")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder to write the files to.")
@click.option("--format", "fmt", type=click.Choice(["csv", "fhir"]), default="csv",
              show_default=True, help="Per-table CSV extracts or UK Core FHIR NDJSON.")
@click.option("--sample", type=int, default=None, help="Only this many patients.")
@click.option("--audit-log", default="data/audit.jsonl", show_default=True,
              type=click.Path(path_type=Path), help="Where the export is recorded.")
def export(lake_dir, out_dir, fmt, sample, audit_log) -> None:
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
        console.print(f"[red]{lake_dir} is not a synthetic lake; export only writes "
                      "synthetic data[/red]")
        sys.exit(2)
    files = (write_csv if fmt == "csv" else write_fhir)(lake_dir, out_dir, sample)
    record(audit_log, getpass.getuser(), "cli", "records.identifiable.export",
           f"{lake_dir} -> {out_dir}", f"{fmt}, {sample or 'all'} patients (synthetic)")
    console.print(f"[green]Wrote[/green] {len(files)} files to {out_dir}; load them with "
                  f"`icsight ingest {out_dir} --lake NEW_LAKE`")


@main.group()
def users() -> None:
    """Local accounts for the demo (argon2id hashes, kept outside the repository)."""


@users.command("add")
@click.argument("user")
@click.option("--role", type=click.Choice(["public", "analyst", "clinician", "admin"]),
              required=True)
@click.option("--practice", default=None, help="Clinicians: the practice ODS code.")
@click.option("--pcn", default=None, help="Clinicians: the PCN ODS code.")
@click.password_option()
def users_add(user, role, practice, pcn, password) -> None:
    """Create or replace an account."""
    from icsight.governance.accounts import AccountError, Accounts

    try:
        Accounts().add(user, password, role, practice, pcn)
    except (AccountError, ValueError) as e:
        console.print(f"[red]{e}[/red]")
        sys.exit(2)
    console.print(f"[green]Account {user} ({role}) saved[/green]")


@users.command("list")
def users_list() -> None:
    """Accounts, their roles and scopes (never the hashes)."""
    from icsight.governance.accounts import Accounts

    table = Table(title="icsight accounts")
    for column in ("user", "role", "practice_code", "pcn_code", "disabled"):
        table.add_column(column)
    for a in Accounts().list():
        table.add_row(a["user"], a["role"], a.get("practice_code") or "-",
                      a.get("pcn_code") or "-", "yes" if a.get("disabled") else "no")
    out.print(table)


@users.command("disable")
@click.argument("user")
def users_disable(user) -> None:
    """Stop an account signing in."""
    from icsight.governance.accounts import AccountError, Accounts

    try:
        Accounts().disable(user)
    except AccountError as e:
        console.print(f"[red]{e}[/red]")
        sys.exit(2)
    console.print(f"{user} disabled")


@main.command()
@click.option("--lake", "lake_dir", required=True, type=click.Path(path_type=Path))
@click.option("--results", "results_dir", required=True, type=click.Path(path_type=Path))
@click.option("--audit-log", default="data/audit.jsonl", show_default=True,
              type=click.Path(path_type=Path))
@click.option("--port", default=8000, show_default=True)
@click.option("--dev", is_flag=True, help="Allow cookies over plain HTTP (local use only).")
def serve(lake_dir, results_dir, audit_log, port, dev) -> None:
    """Serve the HTTP API (set ICSIGHT_SESSION_SECRET to 32+ random characters)."""
    import os

    import uvicorn

    from icsight.api.http import create_app
    from icsight.api.service import Service
    from icsight.governance.accounts import Accounts

    secret = os.environ.get("ICSIGHT_SESSION_SECRET", "")
    if len(secret) < 32:
        console.print("[red]set ICSIGHT_SESSION_SECRET to 32 or more random characters, e.g. "
                      "`export ICSIGHT_SESSION_SECRET=$(openssl rand -hex 32)`[/red]")
        sys.exit(2)
    app = create_app(Service(lake_dir, results_dir, audit_log), Accounts(), secret, dev=dev)
    uvicorn.run(app, host="127.0.0.1", port=port)


@main.group()
def audit() -> None:
    """The tamper-evident audit log of access to identifiable data."""


@audit.command("verify")
@click.argument("log", type=click.Path(path_type=Path))
def audit_verify(log) -> None:
    """Check the audit log's hash chain; exit 1 and say where if it was tampered with."""
    from icsight.governance.audit import verify

    verdict = verify(log)
    if verdict.ok:
        out.print(f"[green]Intact:[/green] {verdict.entries} entries, every hash and link holds")
        return
    out.print(f"[red]Tampered or damaged:[/red] {verdict.problem} "
              f"({verdict.entries} entries verified before it)")
    sys.exit(1)


def _summary(result) -> None:
    """A short reading of the headline and its biggest gaps, for the terminal."""
    table = Table(title="CVDP007HYP: hypertension treated to target")
    for col in ("breakdown", "group", "numerator", "denominator", "%", "95% CI"):
        table.add_column(col)
    shown = result[result["breakdown"].isin(["icb", "place", "imd_quintile", "age_band"])]
    for r in shown.itertuples():
        table.add_row(r.breakdown, str(r.group), f"{r.numerator:,}", f"{r.denominator:,}",
                      f"{r.value:.1f}", f"{r.lower_ci:.1f}-{r.upper_ci:.1f}")
    out.print(table)


if __name__ == "__main__":  # pragma: no cover
    main()
