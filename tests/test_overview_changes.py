"""The overview's inequality gap and "what changed since the last period", from hand-made
runs: the gap the public sees is worked from the published quintile rows (never the exact
ones), and a new special-cause signal is one whose latest point is special cause of a kind
the point before was not, shown to the public only beside a published figure."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from icsight.governance.access import ANONYMOUS, Principal, Role
from icsight.services.aggregates import AggregateService

ANALYST = Principal("ana", Role.ANALYST)
MONTHS = ["2026-07-31", "2026-08-31", "2026-09-30"]


def _run(folder: Path, values: pd.DataFrame, published: pd.DataFrame,
         spc: pd.DataFrame | None = None, gaps: pd.DataFrame | None = None) -> Path:
    """A results store with one complete run of the given tables."""
    run = folder / "run-1"
    run.mkdir(parents=True)
    (run / "provenance.json").write_text(json.dumps(
        {"run_id": "run-1", "national_data_opt_out_applied": True,
         "period_ends": MONTHS}))
    values.to_parquet(run / "indicator_values.parquet")
    published.to_parquet(run / "published_values.parquet")
    if spc is not None:
        spc.to_parquet(run / "spc.parquet")
    if gaps is not None:
        gaps.to_parquet(run / "inequalities.parquet")
    (folder / "LATEST").write_text("run-1")
    return folder


def _row(breakdown: str, group: str, value: float, numerator: float, denominator: float,
         period_end: str = MONTHS[-1], suppressed: bool = False,
         indicator_id: str = "CVDP007HYP") -> dict:
    return {"indicator_id": indicator_id, "breakdown": breakdown, "group": group,
            "period_end": period_end, "value": value, "numerator": numerator,
            "denominator": denominator, "lower_ci": math.nan, "upper_ci": math.nan,
            "suppressed": suppressed, "method": "proportion (Wilson)"}


def test_the_public_gap_is_the_published_quintiles_difference(tmp_path):
    # exact: quintile 1 (most deprived) 52 of 100, quintile 5 (least) 71 of 100: gap 19.0
    exact = pd.DataFrame([_row("imd_quintile", "1", 52.0, 52, 100),
                          _row("imd_quintile", "5", 71.0, 71, 100)])
    # published: counts rounded to 5 and values worked from them: 50 and 70, gap 20.0
    published = pd.DataFrame([_row("imd_quintile", "1", 50.0, 50, 100),
                              _row("imd_quintile", "5", 70.0, 70, 100)])
    gaps = pd.DataFrame([{"indicator_id": "CVDP007HYP", "period_end": MONTHS[-1],
                          "gap_q5_minus_q1": 19.0, "sii": math.nan}])
    service = AggregateService(_run(tmp_path / "r", exact, published, gaps=gaps),
                               tmp_path / "audit.jsonl")
    public = service.inequality_gaps(ANONYMOUS)
    assert [(g["indicator_id"], g["gap_q5_minus_q1"]) for g in public] == [("CVDP007HYP", 20.0)]
    analyst = service.inequality_gaps(ANALYST)
    assert [(g["indicator_id"], g["gap_q5_minus_q1"]) for g in analyst] == [("CVDP007HYP", 19.0)]


def test_no_public_gap_beside_a_withheld_quintile(tmp_path):
    rows = [_row("imd_quintile", "1", math.nan, math.nan, math.nan, suppressed=True),
            _row("imd_quintile", "5", 70.0, 70, 100)]
    service = AggregateService(_run(tmp_path / "r", pd.DataFrame(rows), pd.DataFrame(rows)),
                               tmp_path / "audit.jsonl")
    (gap,) = service.inequality_gaps(ANONYMOUS)
    assert gap["gap_q5_minus_q1"] is None


def test_the_public_sii_needs_every_decile_published(tmp_path):
    deciles = [_row("imd_decile", str(d), 40.0 + 2 * d, 40 + 2 * d, 100) for d in range(1, 11)]
    whole = AggregateService(_run(tmp_path / "a", pd.DataFrame(deciles),
                                  pd.DataFrame(deciles)), tmp_path / "audit.jsonl")
    (gap,) = whole.inequality_gaps(ANONYMOUS)
    # rates rise by 2 points a decile from most to least deprived: a slope of about 20
    # points from the bottom of the social gradient to the top, positive
    assert gap["sii"] == pytest.approx(20.0, abs=2.0)
    deciles[3] = _row("imd_decile", "4", math.nan, math.nan, math.nan, suppressed=True)
    holed = AggregateService(_run(tmp_path / "b", pd.DataFrame(deciles),
                                  pd.DataFrame(deciles)), tmp_path / "audit.jsonl")
    (gap,) = holed.inequality_gaps(ANONYMOUS)
    assert gap["sii"] is None


def _spc(group: str, types: list[str], breakdown: str = "place") -> list[dict]:
    return [{"indicator_id": "CVDP007HYP", "breakdown": breakdown, "group": group,
             "period_end": month, "point_type": kind, "value": 60.0, "mean": 60.0,
             "lower_process_limit": 50.0, "upper_process_limit": 70.0,
             "variation_icon": "common_cause", "assurance_icon": None,
             "short_series_warning": False}
            for month, kind in zip(MONTHS, types, strict=True)]


def _new_signals_by_hand(spc: pd.DataFrame) -> set[tuple[str, str, str]]:
    """Read from the definition: the latest point is special cause, and the point before
    it was of another kind."""
    out = set()
    for (breakdown, group), chart in spc.groupby(["breakdown", "group"]):
        chart = chart.sort_values("period_end")
        latest, before = chart.point_type.iloc[-1], chart.point_type.iloc[-2]
        if latest != "common_cause" and latest != before:
            out.add((breakdown, group, latest))
    return out


def test_new_signals_are_new_kinds_of_special_cause(tmp_path):
    spc = pd.DataFrame(
        _spc("Luton", ["common_cause", "common_cause", "special_cause_concern"])
        + _spc("Bedford", ["special_cause_concern"] * 3)  # not new
        + _spc("Milton Keynes", ["common_cause", "special_cause_improvement",
                                 "special_cause_concern"])  # improvement to concern: new
        + _spc("Central Bedfordshire", ["special_cause_concern", "special_cause_concern",
                                        "common_cause"])  # back to common cause: not a signal
        + _spc("BLMK", ["common_cause", "common_cause", "special_cause_neutral_high"], "icb"))
    areas = ["Luton", "Bedford", "Milton Keynes", "Central Bedfordshire"]
    values = pd.DataFrame([_row("place", a, 60.0, 60, 100) for a in areas]
                          + [_row("icb", "BLMK", 60.0, 240, 400)])
    # the public table withholds Luton's latest figure
    published = values.copy()
    published.loc[published.group == "Luton", ["value", "numerator", "suppressed"]] = \
        [math.nan, math.nan, True]
    service = AggregateService(_run(tmp_path / "r", values, published, spc=spc),
                               tmp_path / "audit.jsonl")
    expected = _new_signals_by_hand(spc)
    assert expected == {("place", "Luton", "special_cause_concern"),
                        ("place", "Milton Keynes", "special_cause_concern"),
                        ("icb", "BLMK", "special_cause_neutral_high")}
    found = {(r["breakdown"], r["group"], r["point_type"])
             for r in service.new_signals(ANALYST)}
    assert found == expected
    public = {(r["breakdown"], r["group"], r["point_type"])
              for r in service.new_signals(ANONYMOUS)}
    assert public == expected - {("place", "Luton", "special_cause_concern")}
    mk = next(r for r in service.new_signals(ANALYST) if r["group"] == "Milton Keynes")
    assert mk["previous_point_type"] == "special_cause_improvement"


def test_a_run_without_charts_has_no_new_signals(tmp_path):
    values = pd.DataFrame([_row("icb", "BLMK", 60.0, 60, 100)])
    service = AggregateService(_run(tmp_path / "r", values, values), tmp_path / "audit.jsonl")
    assert service.new_signals(ANONYMOUS) == []
    assert service.inequality_gaps(ANALYST) == []


def test_the_overview_shows_the_gap_and_what_changed(tmp_path):
    from fastapi.testclient import TestClient

    from icsight.api.app import create_app
    from icsight.appdb import Accounts
    from icsight.services import Service
    from tests.accounts import SECRET

    spc = pd.DataFrame(
        _spc("Luton", ["common_cause", "common_cause", "special_cause_concern"])
        + _spc("Milton Keynes", ["common_cause", "common_cause", "special_cause_improvement"]))
    rows = [_row("place", "Luton", 60.0, 60, 100), _row("place", "Milton Keynes", 60.0, 60, 100),
            _row("icb", "BLMK", 60.0, 120, 200),
            _row("imd_quintile", "1", 50.0, 50, 100), _row("imd_quintile", "5", 70.0, 70, 100)]
    published = pd.DataFrame(rows)
    published.loc[published.group == "Luton", ["value", "numerator", "suppressed"]] = \
        [math.nan, math.nan, True]
    results = _run(tmp_path / "r", pd.DataFrame(rows), published, spc=spc)
    app = create_app(Service(tmp_path, results, tmp_path / "audit.jsonl"),
                     Accounts(f"sqlite:///{tmp_path / 'app.db'}"), SECRET)
    page = TestClient(app, base_url="https://testserver").get("/").text
    changed = page.split('id="changes"')[1].split("<h2")[0]
    assert "Milton Keynes" in changed and "special cause improvement" in changed
    assert "Luton" not in changed  # its latest figure is withheld from the public
    assert "+20.0 percentage points" in page


def test_a_run_that_charted_nothing_has_no_signals(tmp_path):
    """A build too short for any SPC chart writes an spc table with no columns."""
    values = pd.DataFrame([_row("icb", "BLMK", 60.0, 60, 100)])
    results = _run(tmp_path / "r", values, values, spc=pd.DataFrame())
    service = AggregateService(results, tmp_path / "audit.jsonl")
    assert service.variation(ANONYMOUS) == []
    assert service.new_signals(ANALYST) == []
