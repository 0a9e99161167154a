"""Small-number suppression: 1-7 hidden, rounding to 5, values hidden with their counts, and
no suppressed cell recoverable from the total."""

from __future__ import annotations

import math

import pandas as pd

from icsight.governance.disclosure import DisclosureRules, suppress


def table(rows):
    return pd.DataFrame(rows, columns=["indicator_id", "period_end", "breakdown", "group",
                                       "numerator", "denominator", "value", "lower_ci",
                                       "upper_ci"])


def test_small_counts_hidden_with_their_values_and_others_rounded():
    t = table([
        ("X", "2026-09-30", "icb", "BLMK", 103, 212, 48.6, 41.9, 55.3),
        ("X", "2026-09-30", "sex", "female", 5, 101, 5.0, 2.1, 11.1),
        ("X", "2026-09-30", "sex", "male", 98, 111, 88.3, 81.0, 93.0),
    ])
    out = suppress(t).set_index("group")
    assert math.isnan(out.loc["female", "numerator"]) and math.isnan(out.loc["female", "value"])
    assert out.loc["BLMK", "numerator"] == 105 and out.loc["BLMK", "denominator"] == 210
    assert out.loc["BLMK", "value"] == 48.6  # values come from the exact counts


def test_a_single_suppressed_cell_cannot_be_recovered_from_the_total():
    t = table([
        ("X", "2026-09-30", "icb", "BLMK", 300, 600, 50, 46, 54),
        ("X", "2026-09-30", "place", "Luton", 3, 40, 7.5, 2.6, 19.9),
        ("X", "2026-09-30", "place", "Bedford Borough", 60, 160, 37.5, 30, 45),
        ("X", "2026-09-30", "place", "Milton Keynes", 110, 200, 55, 48, 62),
        ("X", "2026-09-30", "place", "Central Bedfordshire", 127, 200, 63.5, 56.6, 69.9),
    ])
    out = suppress(t).set_index("group")
    assert out.loc["Luton"].suppressed and out.loc["Bedford Borough"].suppressed
    assert not out.loc["Milton Keynes"].suppressed
    visible = out[(out.breakdown == "place") & ~out.suppressed].numerator.sum()
    # the total minus the visible cells no longer gives any single hidden cell
    assert out.loc["BLMK", "numerator"] - visible == 65


def test_zero_is_published_and_rules_are_configurable():
    t = table([("X", "2026-09-30", "icb", "BLMK", 0, 12, 0.0, 0.0, 24.2)])
    assert suppress(t).numerator.iloc[0] == 0
    strict = suppress(t, DisclosureRules(low=1, high=15, rounding=10))
    assert strict.suppressed.iloc[0]  # denominator 12 is now small


def test_cli_suppresses_on_request(lake_dir, tmp_path):
    from click.testing import CliRunner

    from icsight.cli import main

    out = tmp_path / "public.csv"
    result = CliRunner().invoke(main, ["indicators", "--lake", str(lake_dir), "--suppress",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    published = pd.read_csv(out)
    shown = published.dropna(subset=["numerator"])
    assert (shown.numerator % 5 == 0).all() and (shown.denominator % 5 == 0).all()
    assert published.suppressed.any()  # some practice-level cells are small in a 60k lake
    assert published[published.suppressed].value.isna().all()
