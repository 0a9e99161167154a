"""icsight.stats.process_control (`spc`) reproduces NHSRplotthedots test vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from icsight.stats import process_control as S  # noqa: N812  (short alias for many helpers)

HERE = Path(__file__).resolve().parent / "acceptance"


def load(name):
    return json.loads((HERE / f"{name}.json").read_text())


HELPERS = {
    "seven_point_one_side_mean": lambda a: S.seven_point_one_side_mean(a["relative_to_mean"]),
    "seven_point_trend": lambda a: S.seven_point_trend(a["y"]),
    "part_of_seven_trend": lambda a: S.part_of_seven_trend(a["v"]),
    "two_in_three": lambda a: S.two_in_three(a["close_to_limits"], a["relative_to_mean"]),
    "part_of_two_in_three": lambda a: S.part_of_two_in_three(
        S.two_in_three(a["close_to_limits"], a["relative_to_mean"]), a["close_to_limits"]),
}


@pytest.mark.parametrize("case", load("spc_rule_helpers")["cases"],
                         ids=lambda c: f"{c['function']}-{len(json.dumps(c['args']))}")
def test_rule_helpers(case):
    got = HELPERS[case["function"]](case["args"])
    assert [int(v) for v in got] == [int(v) for v in case["expected"]]


def _digits(value) -> int:
    text = repr(value)
    return len(text.replace("-", "").replace(".", "").lstrip("0"))


@pytest.mark.parametrize("case", load("spc_xmr_limits")["cases"], ids=lambda c: c["id"])
def test_limits_and_flags(case):
    p = case.get("params", {})
    chart = S.spc(case["input"]["y"], case["input"].get("x"),
                  improvement_direction=p.get("improvement_direction", "increase"),
                  screen_outliers=p.get("screen_outliers", True),
                  fix_after_n_points=p.get("fix_after_n_points"))
    pts = chart.points
    exp = case["expected"]
    for key in ("mean_col", "lpl", "upl", "nlpl", "nupl"):
        if key in exp:
            got = pts["mean" if key == "mean_col" else key].iloc[0]
            # snapshot values are printed to a few significant figures: compare at that precision
            sig = min(_digits(exp[key]), 15)
            assert float(f"{got:.{sig}g}") == pytest.approx(exp[key], rel=10 ** (1 - sig),
                                                            abs=1e-12), key
    if "relative_to_mean_prefix" in exp:
        n = len(exp["relative_to_mean_prefix"])
        assert list(pts.relative_to_mean[:n]) == exp["relative_to_mean_prefix"]
    for key in ("outside_limits", "relative_to_mean", "close_to_limits", "special_cause_flag"):
        if key in exp:
            assert [type(v)(g) for v, g in zip(exp[key], pts[key], strict=True)] == exp[key]
    if "common_cause" in exp:
        assert (pts.point_type == "common_cause").sum() == exp["common_cause"]
    if "special_cause_points_1based" in exp:
        special = list(np.flatnonzero(pts.special_cause_flag) + 1)
        assert special == exp["special_cause_points_1based"]
        assert pts.point_type.iloc[exp["special_cause_points_1based"][0] - 1] == \
            exp["point_type_at_5"]


ICONS = load("spc_point_types_icons_assurance")


@pytest.mark.parametrize("case", ICONS["end_to_end_cases"], ids=lambda c: c["id"])
def test_point_types_and_icons(case):
    p, inp, exp = case["params"], case["input"], case["expected"]
    facets = inp.get("f")
    groups = sorted(set(facets)) if facets else [None]
    for g in groups:
        sel = [i for i in range(len(inp["y"])) if facets is None or facets[i] == g]
        chart = S.spc([inp["y"][i] for i in sel], [inp["x"][i] for i in sel],
                      improvement_direction=p["improvement_direction"], target=p.get("target"),
                      screen_outliers=p.get("screen_outliers", True))
        if "point_type_last_2" in exp:
            assert list(chart.points.point_type[-2:]) == exp["point_type_last_2"]
        if "variation_icon" in exp:
            assert chart.variation_icon == exp["variation_icon"]
        if "assurance_icon" in exp:
            assert chart.assurance_icon == exp["assurance_icon"]
        if "variation_icon_by_facet" in exp:
            assert chart.variation_icon == exp["variation_icon_by_facet"][str(g)]
        if "assurance_icon_by_facet" in exp:
            assert chart.assurance_icon == exp["assurance_icon_by_facet"][str(g)]


@pytest.mark.parametrize("case", ICONS["assurance_cases"], ids=lambda c: c["id"])
def test_assurance(case):
    p, inp = case["params"], case["input"]
    last = inp["rows_in_date_order"][-1] if "rows_in_date_order" in inp else inp
    got = S.assurance_type(p["target"], last["lpl"], last["upl"], p["improvement_direction"])
    assert got == case["expected"]["assurance_type"]


@pytest.mark.parametrize("case", ICONS["short_group_warning_cases"], ids=lambda c: c["id"])
def test_short_group_warnings(case):
    threshold = case["params"]["warning_threshold"]
    threshold = S.WARNING_THRESHOLD if threshold == "default" else threshold
    y = []
    rebase = []
    for size in case["input"]["group_sizes"]:
        if y:
            rebase.append(len(y))
        y.extend(np.sin(np.arange(size)))
    chart = S.spc(y, rebase=rebase, warning_threshold=threshold)
    flags = chart.points.groupby("rebase_group").short_group_warning.first().tolist()
    assert flags == case["expected"]["short_group_warning"]


def test_rebasing_starts_new_limits_and_excel_switches():
    y = [10, 11, 9, 10, 12, 10, 11, 9, 10, 11, 10, 12, 20, 21, 19, 20, 22, 20, 21, 19]
    one = S.spc(y)
    two = S.spc(y, rebase=[12])
    assert one.points["mean"].nunique() == 1
    assert list(two.points.groupby("rebase_group")["mean"].first()) == pytest.approx(
        [np.mean(y[:12]), np.mean(y[12:])])
    assert S.spc(y[:12], run_length=6).points.rule.isin(["common_cause", "shift",
                                                         "trend"]).all()
    with pytest.raises(ValueError, match="duplicate dates"):
        S.spc([1, 2], ["2024-01-01", "2024-01-01"])


def test_limits_of_values_with_no_moving_range_warn_of_nothing():
    """A group whose values are all missing but one has no moving range: its spread is none
    (screened: 0, as before) and numpy's "Mean of empty slice" warning is not raised."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        screened = S.xmr_limits([np.nan, 5.0, np.nan])
        unscreened = S.xmr_limits([np.nan, 5.0, np.nan], screen_outliers=False)
    assert screened["mean"] == 5.0 and screened["amr"] == 0.0
    assert screened["upl"] == screened["lpl"] == 5.0
    assert np.isnan(unscreened["amr"]) and np.isnan(unscreened["upl"])


def test_missing_values_are_common_cause_and_break_a_run():
    """A missing value (a group with no denominator that month) is on neither side of the mean:
    a group with no values has no signal, and a gap in a run of low points ends the run. Cast
    straight to an integer, NaN read as below the mean, and an all-missing group was a shift of
    special-cause concern."""
    empty = S.spc([np.nan] * 10).points
    assert (empty.relative_to_mean == 0).all()
    assert (empty.rule == "common_cause").all() and not empty.special_cause_flag.any()
    # six low points, a gap, then one more low point: no seven in a row below the mean
    values = [5.0, 5.4, 4.8, 5.3, 4.7, 5.2, 4.5, 4.2, 4.6, 4.3, 4.6, 4.2, np.nan, 4.4,
              5.1, 4.8, 5.3, 4.9]
    points = S.spc(values).points
    assert points.relative_to_mean.iloc[12] == 0
    assert not (points.rule == "shift").any(), points[["y", "relative_to_mean", "rule"]]
    # the same with the gap filled by a low value is a shift: the rule still fires
    filled = S.spc([4.4 if np.isnan(v) else v for v in values]).points
    assert (filled.rule.iloc[6:14] == "shift").all()
