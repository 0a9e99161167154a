"""Every command and option of `icsight`, fed hostile values: each is refused with a short
message naming it and saying what to do, never a traceback (issue 9).

The commands and their parameters are discovered from the click tree, so a command added later
is walked too. Values are chosen by the parameter's type; `ICSIGHT_DEBUG=1` makes the CLI's
safety net re-raise, so an error nobody explained fails the test instead of being tidied away.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from icsight.cli import UNEXPECTED, _options, main
from tests.accounts import SECRET
from tests.lakes import TEST_KEY, event, make_lake, patient

LONG = "x" * 5000
# Required values, by parameter name, for the parameters a case does not attack.
VALID_TEXT = {"ids": "CVDP007HYP", "indicator_id": "CVDP007HYP", "table": "patients",
              "user": "alice", "practice": "E81021", "pcn": "U12345",
              "password": "correct horse battery staple 42", "practice_code": "E81021",
              "list_id": "hypertension-no-bp", "scenario_name": "principal",
              "demand_scenario": "principal", "functions": "130"}
# Options a command needs although click does not mark them required.
NEEDS = {"indicators": ("lake_dir", "out_file"), "synth": ("out_dir",)}


def _commands(group: click.Group = main, path: tuple[str, ...] = ()
              ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group, info_name="icsight")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                yield (*path, name), command
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _params(command: click.Command) -> list[click.Parameter]:
    """The parameters that take a value (flags and --help/--version have none to attack)."""
    return [p for p in command.params
            if not (isinstance(p, click.Option) and (p.is_flag or p.is_eager))]


CASES = [(path, p.name) for path, command in _commands() for p in _params(command)]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """A tiny lake (data 2020-04-01 to 2025-03-31), a results store, a file, someone's
    folder, and a folder and a file nobody may read."""
    root = tmp_path_factory.mktemp("hostile")
    lake = make_lake(root / "lake", [patient(1), patient(2, sex="male")],
                     [event(1, "2024-05-01", "38341003")])
    manifest = json.loads((lake / "manifest.json").read_text())
    (lake / "manifest.json").write_text(json.dumps(manifest | {"kind": "synthetic"}))
    (root / "results").mkdir()
    (root / "results" / "LATEST").write_text("run\n")
    (root / "notes.txt").write_text("someone's notes")
    (root / "folder").mkdir()
    (root / "folder" / "notes.txt").write_text("someone's files")
    (root / "empty").mkdir()
    (root / "locked").mkdir()
    (root / "damaged").mkdir()
    (root / "damaged" / "manifest.json").write_text('{"kind": "synth')
    (root / "listed").mkdir()
    (root / "listed" / "manifest.json").write_text('["not", "a", "manifest"]')
    (root / "drop").mkdir()
    (root / "drop" / "bad\udcfe.csv").write_text("nhs_number\n")
    (root / "locked.csv").write_text("nhs_number\n")
    return {"root": root, "lake": lake}


@pytest.fixture
def hostile_env(world, monkeypatch):
    """Accounts, audit and keys inside the test's folder; `serve` never starts a server; the
    locked paths unreadable even to root (tests here may run as root, which chmod 000 does not
    stop)."""
    root = world["root"]
    monkeypatch.setenv("ICSIGHT_DEBUG", "1")
    monkeypatch.setenv("ICSIGHT_ACCOUNTS", str(root / "accounts.json"))
    monkeypatch.setenv("ICSIGHT_PSEUDONYM_KEY", TEST_KEY.decode())
    monkeypatch.setenv("ICSIGHT_SESSION_SECRET", SECRET)
    monkeypatch.chdir(root)
    import uvicorn

    def no_server(*_, **__):
        raise AssertionError("serve accepted a hostile value and started a server")

    monkeypatch.setattr(uvicorn, "run", no_server)
    real_access = os.access
    locked = (str(root / "locked"), str(root / "locked.csv"))

    def access(path, mode, *args, **kwargs):
        if str(path).startswith(locked):
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(_options.os, "access", access)
    return root


def _valid(param: click.Parameter, world: dict[str, Path], n: int) -> str:
    """A value this parameter accepts, so a case fails only on the value it attacks."""
    kind, root = param.type, world["root"]
    if isinstance(kind, _options.LakeFolder):
        return str(world["lake"])
    if isinstance(kind, _options.OutputFolder):
        return str(root / f"new-{n}")
    if isinstance(kind, _options.CsvFile):
        return str(root / f"out-{n}.csv")
    if isinstance(kind, _options.OutputFile):
        return str(root / f"out-{n}{kind.suffix}")
    if isinstance(kind, _options.AppendFile):
        return str(root / "audit.jsonl")
    if isinstance(kind, (_options.InputPath, _options.InputFile)):
        return str(root / "notes.txt")
    if isinstance(kind, click.Path):
        return str(root / ("results" if kind.dir_okay else "notes.txt"))
    if isinstance(kind, _options.IsoDate):
        return "2025-03-31"
    if isinstance(kind, click.FloatRange):
        low, high = kind.min if kind.min is not None else 0, kind.max if kind.max is not None \
            else 1
        return str((low + high) / 2)
    if isinstance(kind, click.Choice):
        return str(kind.choices[0])
    if isinstance(kind, click.IntRange):
        return str(param.default if param.default is not None else kind.min or 1)
    return VALID_TEXT.get(param.name, "x")


def _hostile(param: click.Parameter, root: Path) -> list[str]:
    """Values no parameter of this type should take."""
    kind = param.type
    common = ["", "   ", LONG, "bad\udcff"]  # the last: a name whose bytes are not UTF-8
    if isinstance(kind, _options.IsoDate):
        return [*common, "31/03/2025", "2025-02-30", "2025-13-01", "0001-01-01", "9999-12-31",
                "1899-12-31", "20250331", "2025-W01-1", "２０２５-０３-３１", "2025-3-1",
                "yesterday"]
    if isinstance(kind, click.IntRange):
        low = [] if kind.min is None else [str(kind.min - 1), str(kind.min - 10**6)]
        return [*common, *low, "-1", "99999999999999999999999", "1.5", "1e3", "abc", "٣x"]
    if isinstance(kind, click.FloatRange):
        return [*common, "abc", "nan", "inf", "-inf", "1e400", "-1", "1.5", "99999999",
                *([] if kind.min is None else [str(kind.min)] if kind.min_open else []),
                *([] if kind.max is None else [str(kind.max)] if kind.max_open else [])]
    if isinstance(kind, click.Choice):
        return [*common, "nope", "dück", kind.choices[0].upper() + "!"]
    paths = {
        _options.LakeFolder: ["missing", "notes.txt", "folder", "empty", "locked", "ünïcödé",
                              "notes.txt/inside", "damaged", "listed"],
        _options.OutputFolder: ["notes.txt", "folder", "locked", "notes.txt/inside"],
        _options.CsvFile: ["folder", "README.md", "trailing.csv/", "notes.txt/x.csv",
                           "locked/x.csv", "ünïcödé.txt"],
        _options.OutputFile: ["folder", "README.txt", "notes.txt/x", "locked/x",
                              "ünïcödé.txt"],
        _options.AppendFile: ["folder", "notes.txt/x.jsonl", "locked.csv", "locked/a.jsonl"],
        _options.InputPath: ["missing", "locked.csv", "locked", "ünïcödé", "drop"],
        _options.InputFile: ["missing", "locked.csv", "folder", "ünïcödé"],
    }
    for path_type, names in paths.items():
        if isinstance(kind, path_type):
            # joined as text: pathlib would drop a trailing slash
            return [*common, *(f"{root}/{n}" for n in names)]
    if isinstance(kind, click.Path):
        wrong = "notes.txt" if not kind.file_okay else "folder" if not kind.dir_okay else ""
        return [*common, str(root / "missing"), *([str(root / wrong)] if wrong else [])]
    if isinstance(kind, (click.types.StringParamType, _options.Text)):
        return [*common, "line\nbreak", "nul\x00byte"]
    raise AssertionError(f"{param.name}: no hostile values for type {kind!r}; add them here")


def _argv(path: tuple[str, ...], command: click.Command, attacked: click.Parameter,
          value: str, world: dict[str, Path], n: int) -> list[str]:
    options, arguments = [], []
    for p in command.params:
        if p is attacked:
            target = arguments if isinstance(p, click.Argument) else options
            target += [value] if isinstance(p, click.Argument) else [p.opts[0], value]
        elif p.required or p.name in NEEDS.get(" ".join(path), ()):
            target = arguments if isinstance(p, click.Argument) else options
            target += [_valid(p, world, n)] if isinstance(p, click.Argument) \
                else [p.opts[0], _valid(p, world, n)]
    return [*path, *options, *arguments]


def _names(param: click.Parameter) -> list[str]:
    if isinstance(param, click.Argument):
        return [param.human_readable_name, param.name.upper()]
    return list(param.opts)


def _says_what_to_do(output: str) -> bool:
    return bool(re.search(r"--help|\b(give|use|run|set|check|create|choose|see)\b", output))


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{' '.join(p)}:{n}" for p, n in CASES])
def test_every_option_refuses_hostile_values_naming_itself(path, name, world, hostile_env):
    command = dict(_commands())[path]
    param = next(p for p in command.params if p.name == name)
    for n, value in enumerate(_hostile(param, world["root"])):
        argv = _argv(path, command, param, value, world, n)
        done = CliRunner().invoke(main, argv, catch_exceptions=False)
        shown = f"icsight {' '.join(a[:60] for a in argv)}\n{done.output}"
        assert done.exit_code == 2, shown
        assert "Traceback" not in done.output, shown
        assert len(done.output) < 700 and len(done.output.strip().splitlines()) <= 6, shown
        assert any(n in done.output for n in _names(param)), shown
        assert _says_what_to_do(done.output), shown
        assert LONG not in done.output, "a 5,000-character value is echoed back whole"


def test_every_command_is_walked():
    walked = {" ".join(p) for p, _ in _commands()}
    assert {"synth", "indicators", "indicators show", "build", "ingest", "export", "serve",
            "users add", "audit verify"} <= walked
    # every value-taking parameter has a type the walker knows how to attack
    for path, command in _commands():
        for p in _params(command):
            assert _hostile(p, Path("/nowhere")), (path, p.name)


@pytest.mark.parametrize("command", ["indicators", "build"])
@pytest.mark.parametrize("as_of", ["2019-01-01", "2031-01-01", "2020-03-31", "2025-04-01"])
def test_a_date_outside_the_lake_s_data_is_refused_with_the_window(command, as_of, world,
                                                                     hostile_env, tmp_path):
    out = str(tmp_path / ("x.csv" if command == "indicators" else "results"))
    done = CliRunner().invoke(main, [command, "--lake", str(world["lake"]), "--as-of", as_of,
                                     "--out", out], catch_exceptions=False)
    assert done.exit_code == 2, done.output
    assert "--as-of" in done.output and "2020-04-01 to 2025-03-31" in done.output
    assert not Path(out).exists()


def test_build_months_reaching_before_the_data_is_refused_with_how_many_fit(world,
                                                                            hostile_env,
                                                                            tmp_path):
    # 2020-04-01 to 2025-03-31 holds 60 month ends; the 61st would be 2020-03-31
    done = CliRunner().invoke(main, ["build", "--lake", str(world["lake"]), "--months", "61",
                                     "--out", str(tmp_path / "r")], catch_exceptions=False)
    assert done.exit_code == 2, done.output
    assert "--months" in done.output and "--months 60 or fewer" in done.output
    assert not (tmp_path / "r").exists()


def test_an_ingested_lake_s_window_is_the_span_of_its_records(tmp_path):
    from icsight.engine import open_lake

    lake = make_lake(tmp_path / "lake", [patient(1)], [event(1, "2021-06-15", "38341003"),
                                                       event(1, "2024-02-29", "38341003")])
    (lake / "manifest.json").write_text(json.dumps({"kind": "ingested"}))
    assert open_lake(lake).data_window() == ("2021-06-15", "2024-02-29")
    empty = make_lake(tmp_path / "empty", [patient(1)], [])
    (empty / "manifest.json").write_text(json.dumps({"kind": "ingested"}))
    assert open_lake(empty).data_window() is None


@pytest.mark.parametrize("args", [
    ["synth", "--reference-date", "2015-06-30", "--out", "OUT"],
    ["ingest", "--today", "2099-01-01", "--lake", "OUT", "SOURCE"],
])
def test_dates_outside_what_a_command_can_use_are_refused(args, world, hostile_env):
    root = world["root"]
    args = [str(root / "fresh") if a == "OUT" else str(root / "notes.txt") if a == "SOURCE"
            else a for a in args]
    done = CliRunner().invoke(main, args, catch_exceptions=False)
    assert done.exit_code == 2 and args[1] in done.output, done.output
    assert re.search(r"\b(give|or later|earlier)\b", done.output)


def _explode(error: Exception):
    def explode(*_, **__):
        raise error
    return explode


def test_an_unexpected_error_is_one_line_naming_the_command_without_identifiers(monkeypatch):
    import icsight.indicators.catalogue as catalogue

    monkeypatch.delenv("ICSIGHT_DEBUG", raising=False)
    monkeypatch.setattr(catalogue, "catalogue",
                        _explode(RuntimeError("patient 943 476 5919 broke\nsecond line")))
    done = CliRunner().invoke(main, ["indicators", "list"], catch_exceptions=False)
    assert done.exit_code == UNEXPECTED
    assert done.output.strip().count("\n") == 0, done.output
    assert "icsight indicators list failed: RuntimeError" in done.output
    assert "ICSIGHT_DEBUG=1" in done.output
    assert "943 476 5919" not in done.output and "second line" not in done.output


def test_a_failed_write_says_which_file_and_what_to_check(monkeypatch):
    import icsight.indicators.catalogue as catalogue

    monkeypatch.delenv("ICSIGHT_DEBUG", raising=False)
    monkeypatch.setattr(catalogue, "catalogue",
                        _explode(OSError(28, "No space left on device", "/lake/x.parquet")))
    done = CliRunner().invoke(main, ["indicators", "list"], catch_exceptions=False)
    assert done.exit_code == UNEXPECTED
    assert "No space left on device (/lake/x.parquet)" in done.output
    assert "free space" in done.output and "Traceback" not in done.output


def test_icsight_debug_shows_the_traceback(monkeypatch):
    import icsight.indicators.catalogue as catalogue

    monkeypatch.setenv("ICSIGHT_DEBUG", "1")
    monkeypatch.setattr(catalogue, "catalogue", _explode(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        CliRunner().invoke(main, ["indicators", "list"], catch_exceptions=False)


def test_quarantined_records_reach_the_console_without_identifiers(tmp_path, monkeypatch):
    monkeypatch.setenv("ICSIGHT_PSEUDONYM_KEY", TEST_KEY.decode())
    source = tmp_path / "patients.csv"
    source.write_text(
        "nhs_number,sex,month_of_birth,ethnicity_group,ethnicity_category,lsoa_code,"
        "practice_code,registration_start,registration_end,date_of_death,given_name,"
        "family_name,date_of_birth,address_line,postcode\n"
        "1234567890,female,1950-03-01,White,A,E01017540,E81021,2001-01-01,,,Zelda,Quint,"
        "1950-03-14,1 Test Street,LU1 1AA\n"
        "9434765919,female,1950-03-01,White,A,E01017540,E81021,2001-01-01,,,Alice,Able,"
        "1950-13-14,1 Test Street,LU1 1AA\n"
        "9434765870,female,Yvonne Smith,White,A,E01017540,E81021,2001-01-01,,,Yvonne,Smith,"
        "1950-03-14,2 Test Street,LU1 1AB\n")
    done = CliRunner().invoke(main, ["ingest", str(source), "--lake", str(tmp_path / "lake"),
                                     "--today", "2025-06-30"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "3 records quarantined" in done.output
    for identifier in ("1234567890", "9434765919", "9434765870", "Zelda", "Quint", "Alice",
                       "Yvonne", "Smith", "1950-13-14", "LU1"):
        assert identifier not in done.output, identifier
    assert "nhs_number" in done.output and "date_of_birth" in done.output


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30) | st.dates().map(str) | st.from_regex(r"\d{4}-\d{2}-\d{2}",
                                                                    fullmatch=True))
def test_a_date_is_taken_only_as_a_real_yyyy_mm_dd_day_from_1900_to_2099(text):
    import datetime as dt

    try:
        taken = _options.ISO_DATE.convert(text, None, None)
    except click.BadParameter as refused:
        assert "YYYY-MM-DD" in refused.message or "give" in refused.message
        assert len(refused.message) < 160
        return
    day = dt.date.fromisoformat(taken)
    assert taken == text and day.isoformat() == text
    assert dt.date(1900, 1, 1) <= day <= dt.date(2099, 12, 31)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\d{10}", fullmatch=True), st.text(max_size=20),
       st.sampled_from(["'{}'", '"{}"', "{}", "{} and more"]))
def test_a_quarantine_reason_never_reaches_the_console_with_a_number_in_it(number, words, form):
    from icsight.cli.ingest import _without_identifiers
    from icsight.ingest.records import Rejected

    reason = f"{words} {form.format(number)} {words}"
    for field in ("nhs_number", "snomed_code", "free_text", None):
        shown = _without_identifiers(Rejected("x.csv", "row 2", field, reason, "", "patients"))
        assert number not in shown and "x.csv, row 2" in shown
