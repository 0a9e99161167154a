"""Small-number suppression: 1-7 hidden, rounding to 5, values hidden with their counts, and
no suppressed cell recoverable from the total."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icsight.governance.access import Principal, Role
from icsight.governance.disclosure import DisclosureRules, suppress
from icsight.stats.proportions import wilson
from tests.test_disclosure_differencing import attack, linear_program

METHODS = {"X": ("proportion", 100)}


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
    out = suppress(t, methods=METHODS).set_index("group")
    assert math.isnan(out.loc["female", "numerator"]) and math.isnan(out.loc["female", "value"])
    assert out.loc["BLMK", "numerator"] == 105 and out.loc["BLMK", "denominator"] == 210
    # the value is the published counts' value (105/210), not the exact 103/212
    assert out.loc["BLMK", "value"] == 50.0
    low, high = wilson(105, 210)
    assert out.loc["BLMK", "lower_ci"] == pytest.approx(100 * low)
    assert out.loc["BLMK", "upper_ci"] == pytest.approx(100 * high)


def test_a_single_suppressed_cell_cannot_be_recovered_from_the_total():
    t = table([
        ("X", "2026-09-30", "icb", "BLMK", 300, 600, 50, 46, 54),
        ("X", "2026-09-30", "place", "Luton", 3, 40, 7.5, 2.6, 19.9),
        ("X", "2026-09-30", "place", "Bedford Borough", 60, 160, 37.5, 30, 45),
        ("X", "2026-09-30", "place", "Milton Keynes", 110, 200, 55, 48, 62),
        ("X", "2026-09-30", "place", "Central Bedfordshire", 127, 200, 63.5, 56.6, 69.9),
    ])
    out = suppress(t, methods=METHODS).set_index("group")
    assert out.loc["Luton"].suppressed and out.loc["Bedford Borough"].suppressed
    assert not out.loc["Milton Keynes"].suppressed
    visible = out[(out.breakdown == "place") & ~out.suppressed].numerator.sum()
    # the total minus the visible cells no longer gives any single hidden cell
    assert out.loc["BLMK", "numerator"] - visible == 65


def test_an_amount_is_published_from_the_rounded_counts_without_an_interval():
    """kg CO2e per patient (method `amount`: grams in the numerator, x 0.001): the value from
    the published counts, and no limits, as the exact table has none."""
    t = table([("C", "2026-09-30", "icb", "BLMK", 1_234_567, 212, 5.82, np.nan, np.nan)])
    out = suppress(t, methods={"C": ("amount", 0.001)}).iloc[0]
    assert out.numerator == 1_234_565 and out.denominator == 210
    assert out.value == pytest.approx(0.001 * 1_234_565 / 210)
    assert math.isnan(out.lower_ci) and math.isnan(out.upper_ci)


def test_zero_is_published_and_rules_are_configurable():
    t = table([("X", "2026-09-30", "icb", "BLMK", 0, 12, 0.0, 0.0, 24.2)])
    assert suppress(t).numerator.iloc[0] == 0
    strict = suppress(t, DisclosureRules(low=1, high=15, rounding=10))
    assert strict.suppressed.iloc[0]  # denominator 12 is now small


def test_cli_suppresses_on_request(lake_dir, tmp_path):
    from click.testing import CliRunner

    from icsight.cli import main

    out = tmp_path / "public.csv"
    # the learning disability register: about 3 people a practice in a 60,000-person lake
    result = CliRunner().invoke(main, ["indicators", "--lake", str(lake_dir), "--suppress",
                                       "--id", "LD_PREVALENCE", "--out", str(out)])
    assert result.exit_code == 0, result.output
    published = pd.read_csv(out)
    shown = published.dropna(subset=["numerator"])
    assert (shown.numerator % 5 == 0).all() and (shown.denominator % 5 == 0).all()
    assert published.suppressed.any()  # most practice-level cells are small
    assert published[published.suppressed].value.isna().all()


def test_an_indicator_without_a_known_method_publishes_no_value():
    t = table([("X", "2026-09-30", "icb", "BLMK", 103, 212, 48.6, 41.9, 55.3)])
    out = suppress(t)
    assert out.numerator.iloc[0] == 105 and math.isnan(out.value.iloc[0])


def test_without_the_parentage_practice_and_pcn_rows_are_withheld():
    t = table([("X", "2026-09-30", "icb", "BLMK", 300, 600, 50, 46, 54),
               ("X", "2026-09-30", "pcn", "U1", 300, 600, 50, 46, 54),
               ("X", "2026-09-30", "practice", "P1", 300, 600, 50, 46, 54)])
    out = suppress(t, methods=METHODS).set_index("group")
    assert out.loc["U1"].suppressed and out.loc["P1"].suppressed
    assert not out.loc["BLMK"].suppressed


def test_a_pcn_total_minus_its_visible_practices_does_not_give_a_hidden_practice():
    hierarchy = pd.DataFrame({"practice_code": ["A", "B", "C", "D"],
                              "pcn_code": ["U1", "U1", "U1", "U2"], "place": ["L"] * 4})
    rows = [("icb", "BLMK", 190, 400), ("place", "L", 190, 400), ("pcn", "U1", 123, 260),
            ("pcn", "U2", 67, 140), ("practice", "A", 3, 60), ("practice", "B", 40, 90),
            ("practice", "C", 80, 110), ("practice", "D", 67, 140)]
    t = table([("X", "2026-09-30", b, g, n, d, 100 * n / d, 0, 0) for b, g, n, d in rows])
    out = suppress(t, hierarchy=hierarchy, methods=METHODS).set_index("group")
    # the complement is B, the smallest other practice of A's PCN, not D in another PCN
    assert out.loc["A"].suppressed and out.loc["B"].suppressed and not out.loc["D"].suppressed
    _, recovered = attack(suppress(t, hierarchy=hierarchy, methods=METHODS), t, hierarchy,
                          linear_program)
    assert recovered == []


@st.composite
def hierarchies(draw):
    """Practices -> PCNs -> places -> ICB with small random counts, and a sex breakdown with
    an unpublished residual."""
    practices, n = [], 0
    for place in range(draw(st.integers(1, 3))):
        for pcn in range(draw(st.integers(1, 3))):
            for _ in range(draw(st.integers(1, 4))):
                practices.append((f"P{n}", f"U{place}{pcn}", f"L{place}"))
                n += 1
    hierarchy = pd.DataFrame(practices, columns=["practice_code", "pcn_code", "place"])
    dens = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    nums = [draw(st.integers(0, d)) for d in dens]
    counts = pd.DataFrame({"numerator": nums, "denominator": dens}, index=hierarchy.index)
    frames = [counts.sum().to_frame().T.assign(breakdown="icb", group="BLMK")]
    for column, breakdown in (("place", "place"), ("pcn_code", "pcn"),
                              ("practice_code", "practice")):
        frames.append(counts.groupby(hierarchy[column]).sum().rename_axis("group")
                      .reset_index().assign(breakdown=breakdown))
    num, den = (int(v) for v in counts.sum())
    fden = draw(st.integers(0, den))
    fnum = draw(st.integers(max(0, num - (den - fden)), min(num, fden)))
    uden = draw(st.integers(0, den - fden))  # people of unknown sex: not published
    unum = draw(st.integers(max(0, num - fnum - (den - fden - uden)), min(num - fnum, uden)))
    frames.append(pd.DataFrame({"group": ["female", "male"], "breakdown": "sex",
                                "numerator": [fnum, num - fnum - unum],
                                "denominator": [fden, den - fden - uden]}))
    t = pd.concat(frames, ignore_index=True)
    t = t[t.denominator > 0].assign(indicator_id="X", period_end="2026-09-30")
    t["value"] = 100 * t.numerator / t.denominator
    t["lower_ci"] = t["upper_ci"] = t["value"]
    return t.reset_index(drop=True), hierarchy


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchies())
def test_no_random_hierarchy_gives_up_a_suppressed_count_to_linear_programming(case):
    t, hierarchy = case
    out = suppress(t, hierarchy=hierarchy, methods=METHODS)
    _, recovered = attack(out, t, hierarchy, linear_program)
    assert recovered == []
    shown = out[~out.suppressed]
    assert (shown.numerator % 5 == 0).all() and (shown.denominator % 5 == 0).all()
    assert not (t.numerator.between(1, 7) | t.denominator.between(1, 7))[~out.suppressed].any()
    np.testing.assert_allclose(shown.value, 100 * shown.numerator / shown.denominator)


def _run(tmp_path, with_parentage: bool):
    """A results store with one hand-made run of CVDP007HYP (a proportion)."""
    rows = [("icb", "BLMK", 190, 400), ("place", "Luton", 190, 400), ("pcn", "U1", 123, 260),
            ("pcn", "U2", 67, 140), ("practice", "A", 3, 60), ("practice", "B", 40, 90),
            ("practice", "C", 80, 110), ("practice", "D", 67, 140)]
    t = table([("CVDP007HYP", "2026-09-30", b, g, n, d, 100 * n / d, 0.0, 0.0)
               for b, g, n, d in rows])
    run = tmp_path / "20260101T000000Z"
    run.mkdir()
    t.to_parquet(run / "indicator_values.parquet")
    if with_parentage:
        pd.DataFrame({"practice_code": ["A", "B", "C", "D"], "pcn_code": ["U1", "U1", "U1", "U2"],
                      "place": ["Luton"] * 4}).to_parquet(run / "hierarchy.parquet")
    (run / "provenance.json").write_text('{"purpose": "planning", '
                                         '"national_data_opt_out_applied": true}')
    (tmp_path / "LATEST").write_text(run.name + "\n")
    return tmp_path


@pytest.mark.parametrize("role", ["public", "admin"])
def test_the_service_publishes_values_from_rounded_counts_within_each_pcn(tmp_path, role):
    from icsight.governance.access import Principal, Role
    from icsight.services.aggregates import AggregateService

    service = AggregateService(_run(tmp_path, True), tmp_path / "audit.jsonl")
    out = pd.DataFrame(service.indicator_values(Principal("u", Role(role)), "CVDP007HYP"))
    out = out.set_index("group")
    assert out.loc["A"].suppressed and out.loc["B"].suppressed and not out.loc["D"].suppressed
    assert out.loc["C", "value"] == pytest.approx(100 * 80 / 110)  # 80/110 published as is
    assert out.loc["BLMK", "value"] == pytest.approx(100 * 190 / 400)
    assert out.loc["U1", "value"] == pytest.approx(100 * 125 / 260)  # not 123/260


def test_a_run_without_parentage_withholds_practices_and_pcns_below_analyst(tmp_path):
    from icsight.governance.access import Principal, Role
    from icsight.services.aggregates import AggregateService

    service = AggregateService(_run(tmp_path, False), tmp_path / "audit.jsonl")
    out = pd.DataFrame(service.indicator_values(Principal("u", Role.PUBLIC), "CVDP007HYP"))
    assert out[out.breakdown.isin(["practice", "pcn"])].suppressed.all()
    analyst = pd.DataFrame(service.indicator_values(Principal("a", Role.ANALYST), "CVDP007HYP"))
    assert analyst.numerator.notna().all()


def test_the_service_serves_the_table_the_build_suppressed_and_never_suppresses_again(
        tmp_path, monkeypatch):
    from icsight.governance.access import Principal, Role
    from icsight.results.store import methods
    from icsight.services import aggregates

    store = _run(tmp_path, True)
    run = store / "20260101T000000Z"
    stored = suppress(pd.read_parquet(run / "indicator_values.parquet"),
                      hierarchy=pd.read_parquet(run / "hierarchy.parquet"), methods=methods())
    stored.loc[stored.group == "D", "suppressed"] = True  # mark it, to see which is served
    stored.to_parquet(run / "published_values.parquet")

    def refuse(*args, **kwargs):
        raise AssertionError("suppressed per request")

    monkeypatch.setattr(aggregates, "suppress", refuse)
    service = aggregates.AggregateService(store, tmp_path / "audit.jsonl")
    out = pd.DataFrame(service.indicator_values(Principal("u", Role.PUBLIC), "CVDP007HYP"))
    assert out.set_index("group").loc["D"].suppressed


def test_a_run_without_the_published_table_is_suppressed_once_for_every_request(
        tmp_path, monkeypatch):
    from icsight.governance.access import Principal, Role
    from icsight.services import aggregates

    calls = []

    def counted(table, *args, **kwargs):
        calls.append(len(table))
        return suppress(table, *args, **kwargs)

    monkeypatch.setattr(aggregates, "suppress", counted)
    service = aggregates.AggregateService(_run(tmp_path, True), tmp_path / "audit.jsonl")
    for role in ("public", "admin", "clinician"):
        for breakdown in (None, "practice"):
            service.indicator_values(Principal("u", Role(role), pcn_code="U1"), "CVDP007HYP",
                                     breakdown)
    assert calls == [8]  # the whole run, once


def test_the_service_protects_an_indicator_against_another_with_its_denominator(tmp_path):
    """Two crude rates over one list size in a run built before the published table was
    stored: each alone would publish a practice the other hides, and together give away
    practice A's list size of 1."""
    from icsight.governance.access import Principal, Role
    from icsight.services.aggregates import AggregateService
    from tests.test_disclosure_differencing import pooled, two_indicators_one_denominator

    exact, hierarchy = two_indicators_one_denominator()
    run = tmp_path / "20260101T000000Z"
    run.mkdir()
    exact.assign(value=0.0, lower_ci=0.0, upper_ci=0.0).to_parquet(
        run / "indicator_values.parquet")
    hierarchy.to_parquet(run / "hierarchy.parquet")
    (run / "provenance.json").write_text('{"purpose": "planning", '
                                         '"national_data_opt_out_applied": true}')
    (tmp_path / "LATEST").write_text(run.name + "\n")
    service = AggregateService(tmp_path, tmp_path / "audit.jsonl")
    public = Principal("u", Role.PUBLIC)
    served = pd.concat([pd.DataFrame(service.indicator_values(public, i))
                        for i in ("ADM_RATE", "OPD_RATE")], ignore_index=True)
    assert set(served[served.suppressed].group) == {"A", "B", "C"}
    assert attack(pooled(served, exact), exact, hierarchy, linear_program)[1] == []


def _second_indicator(t: pd.DataFrame, hierarchy: pd.DataFrame, data) -> pd.DataFrame:
    """Indicator Y over X's denominators, with its own random numerators that add up."""
    practices = t[t.breakdown == "practice"].set_index("group").denominator
    nums = pd.Series([data.draw(st.integers(0, int(d))) for d in practices],
                     index=practices.index)
    by_practice = hierarchy.set_index("practice_code")
    total = int(nums.sum())
    sex = t[t.breakdown == "sex"].set_index("group").denominator
    female = min(int(sex.get("female", 0)), total)
    male = min(int(sex.get("male", 0)), total - female)  # the rest are of unknown sex
    of = {("icb", "BLMK"): total, ("sex", "female"): female, ("sex", "male"): male}
    for column, breakdown in (("place", "place"), ("pcn_code", "pcn")):
        for group, n in nums.groupby(by_practice.loc[nums.index, column]).sum().items():
            of[(breakdown, group)] = int(n)
    of |= {("practice", g): int(n) for g, n in nums.items()}
    y = t.assign(indicator_id="Y")
    y["numerator"] = [of[(b, g)] for b, g in zip(y.breakdown, y.group, strict=True)]
    return y


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchies(), st.data())
def test_two_random_indicators_sharing_a_denominator_give_nothing_up_pooled(case, data):
    from tests.test_disclosure_differencing import pooled

    x, hierarchy = case
    both = pd.concat([x, _second_indicator(x, hierarchy, data)], ignore_index=True)
    out = suppress(both, hierarchy=hierarchy, methods=METHODS)
    hidden = [frozenset(out.group[out.suppressed & (out.indicator_id == i)]) for i in "XY"]
    assert hidden[0] == hidden[1]
    assert attack(pooled(out, both), both, hierarchy, linear_program)[1] == []


@pytest.mark.parametrize("provenance", ['{"purpose": "direct_care", '
                                        '"national_data_opt_out_applied": false}',
                                        '{"purpose": "all"}', "not json", None])
@pytest.mark.parametrize("role", [Role.PUBLIC, Role.ANALYST])
def test_aggregates_are_never_served_from_a_build_that_counted_opted_out_patients(
        tmp_path, provenance, role):
    from icsight.services import NotFoundError
    from icsight.services.aggregates import AggregateService

    store = _run(tmp_path, True)
    written = next(store.glob("2026*")) / "provenance.json"
    if provenance is None:
        written.unlink()
    else:
        written.write_text(provenance)
    service = AggregateService(store, tmp_path / "audit.jsonl")
    with pytest.raises(NotFoundError, match="opted out"):
        service.indicator_values(Principal("u", role), "CVDP007HYP")
