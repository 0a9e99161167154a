"""The `icsight` command line as a user meets it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from icsight.cli import main
from tests.lakes import TEST_KEY, make_lake, patient


def test_synth_writes_a_lake_and_says_what_next(tmp_path, monkeypatch):
    monkeypatch.setenv("ICSIGHT_PSEUDONYM_KEY", TEST_KEY.decode())
    out = tmp_path / "lake"
    result = CliRunner().invoke(main, ["synth", "--population", "2000", "--seed", "3",
                                       "--reference-date", "2025-03-31", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["reference_date"] == "2025-03-31"
    assert "icsight synth --check" in result.output


def test_synth_needs_somewhere_to_write():
    result = CliRunner().invoke(main, ["synth"])
    assert result.exit_code == 2
    assert "--out DIR" in result.output


def test_synth_rejects_a_tiny_population(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--population", "10", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--population" in result.output and "1000<=x<=5000000" in result.output


def test_indicators_explains_a_missing_lake(tmp_path):
    result = CliRunner().invoke(main, ["indicators", "--lake", str(tmp_path / "none"),
                                       "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "icsight synth --out" in result.output


def test_indicators_writes_the_tidy_csv(lake_dir, tmp_path):
    import pandas as pd

    out = tmp_path / "cvdp007hyp.csv"
    result = CliRunner().invoke(main, ["indicators", "--lake", str(lake_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, dtype={"group": str})
    assert list(df.columns) == ["indicator_id", "period_end", "breakdown", "group", "numerator",
                                "denominator", "value", "lower_ci", "upper_ci", "method",
                                "denominator_basis"]
    assert (df.period_end == "2026-09-30").all()
    # every breakdown partitions the same denominator
    for _, part in df.groupby("breakdown"):
        assert part.denominator.sum() == df[df.breakdown == "icb"].denominator.iloc[0]
    assert "hypertension treated to target" in result.output


def test_whole_counts_stay_whole_beside_expected_counts():
    import pandas as pd

    from icsight.cli.indicators import _counts_as_written

    mixed = pd.DataFrame({"numerator": [551, 8384], "denominator": [8019.0, 13400.65]})
    written = _counts_as_written(mixed).to_csv(index=False)
    assert "551,8019\n" in written and "8384,13400.65\n" in written


@pytest.mark.parametrize(("args", "named"), [
    (["indicators", "--lake", "LAKE", "--as-of", "31/03/2025", "--out", "x.csv"], "--as-of"),
    (["build", "--lake", "LAKE", "--months", "0", "--out", "r"], "--months"),
    (["build", "--lake", "LAKE", "--as-of", "2025-13-01", "--out", "r"], "--as-of"),
    (["synth", "--out", "A_FILE", "--population", "1000"], "--out"),
    (["synth", "--out", "A_FOLDER", "--population", "1000"], "--out"),
])
def test_bad_arguments_get_a_message_naming_them_not_a_traceback(tmp_path, args, named):
    (tmp_path / "A_FILE").write_text("not a lake")
    (tmp_path / "A_FOLDER").mkdir()
    (tmp_path / "A_FOLDER" / "notes.txt").write_text("someone's files")
    make_lake(tmp_path / "LAKE", [patient(1)], [])  # a real lake: only the named option is bad
    args = [str(tmp_path / a) if a in ("LAKE", "A_FILE", "A_FOLDER") else a for a in args]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2, done.output
    assert named in done.output and "Traceback" not in done.output
    assert (tmp_path / "A_FILE").read_text() == "not a lake"
    assert (tmp_path / "A_FOLDER" / "notes.txt").exists()
