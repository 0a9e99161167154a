"""`--id A,B` is the same as `--id A --id B` wherever `--id` is taken (issue 10, point 4)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.results import latest_run
from tests.lakes import event, make_lake, patient

A, B = "CVDP007HYP", "EMERG_ADM_RATE"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("ids")
    lake = make_lake(root / "lake", [patient(1), patient(2, sex="male")],
                     [event(1, "2024-05-01", "38341003")])
    manifest = json.loads((lake / "manifest.json").read_text())
    (lake / "manifest.json").write_text(json.dumps(manifest | {"kind": "synthetic"}))
    return lake


def _indicators(lake, out, *ids: str) -> pd.DataFrame:
    args = ["indicators", "--lake", str(lake), "--out", str(out)]
    for i in ids:
        args += ["--id", i]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)


def test_indicators_takes_a_comma_list_as_it_takes_repeated_ids(tiny, tmp_path):
    repeated = _indicators(tiny, tmp_path / "repeated.csv", A, B)
    listed = _indicators(tiny, tmp_path / "listed.csv", f"{A.lower()}, {B}")
    assert set(listed.indicator_id) == {A, B}
    pd.testing.assert_frame_equal(listed, repeated)
    mixed = _indicators(tiny, tmp_path / "mixed.csv", f"{A},{B}", A)  # A twice: computed once
    pd.testing.assert_frame_equal(mixed, repeated)


def test_build_takes_a_comma_list(tiny, tmp_path):
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["build", "--lake", str(tiny), "--months", "1",
                                       "--out", str(out), "--id", f"{A},{B}"])
    assert result.exit_code == 0, result.output
    values = pd.read_parquet(latest_run(out) / "indicator_values.parquet")
    assert set(values.indicator_id) == {A, B}


@pytest.mark.parametrize("given, says", [
    (f"{A},,{B}", "empty indicator id"), (f"{A},", "empty indicator id"),
    (",", "empty indicator id"), (f"{A},NOPE", "unknown indicator NOPE"),
])
def test_a_bad_comma_list_is_refused_in_one_line(tiny, tmp_path, given, says):
    for command in (["indicators", "--out", str(tmp_path / "x.csv")],
                    ["build", "--out", str(tmp_path / "r"), "--months", "1"]):
        result = CliRunner().invoke(main, [*command, "--lake", str(tiny), "--id", given])
        assert result.exit_code == 2, result.output
        assert says in result.output and "Traceback" not in result.output


def test_show_takes_one_id_only():
    result = CliRunner().invoke(main, ["indicators", "show", f"{A},{B}"])
    assert result.exit_code == 2 and "one indicator id, not 2" in result.output
