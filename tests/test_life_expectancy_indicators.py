"""Life expectancy as indicators (PHOF A01b) and its slope index of inequality (PHOF A02a):
the many-groups life table agrees with the one-group function, an own method computes its own
tidy frame, the SII in years across deciles, the 95% limits of the hand-worked life table,
and publication keeps the value in years."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from icsight.governance.disclosure import suppress
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import Indicator
from icsight.results.summaries import inequalities
from icsight.stats.life_expectancy import START_AGES, life_expectancy, life_expectancy_many
from tests.spec.harness import build_lake, compute
from tests.spec.indicators._life_expectancy import SE, cases

LE_IDS = ("LE_BIRTH_MALE", "LE_BIRTH_FEMALE", "LE_65_MALE", "LE_65_FEMALE")


def test_many_groups_give_what_one_group_gives_and_the_same_suppression():
    rng = np.random.default_rng(3)
    pops = rng.integers(200, 2000, size=(6, 20)).astype(float)
    deaths = np.floor(pops * np.linspace(0.001, 0.3, 20) * rng.uniform(0.5, 1.5, (6, 20)))
    pops[1, 4] = 0                          # a band with no population: suppressed
    pops[2] = 200                           # 4,000 in all: too few person-years
    deaths[3, 19] = pops[3, 19] + 1         # more deaths than population
    deaths[4, :19], deaths[4, 19] = 0, 1    # a very wide interval: no value, limits kept
    pops[4, 19] = 20
    many = life_expectancy_many(pops, deaths, (0, 65))
    with pytest.warns(UserWarning):
        single = [life_expectancy(list(START_AGES), pops[g], deaths[g], le_age=[0, 65])
                  for g in range(6)]
    for age, k in ((0, 0), (65, 1)):
        for g in range(6):
            one = single[g].iloc[k]
            for col in ("value", "lowercl", "uppercl"):
                a, b = many[age][col][g], one[col]
                assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12), \
                    (age, g, col, a, b)
    assert many[0].value.isna().tolist() == [False, True, True, True, True, False]
    assert not math.isnan(many[0].lowercl[4])  # the wide interval keeps its limits
    assert many[65].pops_used[0] == pops[0, 14:].sum()
    assert many[65].dths_used[0] == deaths[0, 14:].sum()


def test_an_own_method_needs_its_own_tidy_frame_and_only_it_has_one():
    base = dict(title="t", description="d", programme="ltc", strategy="s", numerator="n",
                denominator="d", rows=lambda lake, periods: None,
                numerator_basis="events in the period of people registered at the event",
                denominator_basis="person-time")
    with pytest.raises(ValueError, match="own"):
        Indicator(id="X", method="life_expectancy", **base)
    with pytest.raises(ValueError, match="own"):
        Indicator(id="X", method="rate", tidy=lambda lake, periods: None, **base)
    for i in LE_IDS:
        ind = catalogue()[i]
        assert ind.method == "life_expectancy" and ind.unit == "years"
        assert ind.numerator_basis and ind.denominator_basis == "person-time"


def _deciles(values, years=10_000, half_width=1.0, period="2025-03-31") -> pd.DataFrame:
    return pd.DataFrame({
        "indicator_id": "LE_BIRTH_FEMALE", "period_end": period, "breakdown": "imd_decile",
        "group": [str(d) for d in range(1, 11)], "numerator": 100, "denominator": years,
        "value": values, "lower_ci": np.asarray(values) - half_width,
        "upper_ci": np.asarray(values) + half_width})


def test_sii_in_life_expectancy_is_the_slope_in_years_across_the_deciles():
    """Deciles of equal person-years sit at 0.05, 0.15, ..., 0.95 of the population; life
    expectancy 80 + 0.5 d (d = 1 most deprived) rises 0.5 years per 0.1 of the population,
    so the fitted line rises 5.0 years from the most to the least deprived end: SII = 5.0."""
    ind = catalogue()["LE_BIRTH_FEMALE"]
    values = [80 + 0.5 * d for d in range(1, 11)]
    out = inequalities(_deciles(values), ind).iloc[0]
    assert out.sii == pytest.approx(5.0, abs=1e-9)
    assert out.sii_lower95_0cl < 5.0 < out.sii_upper95_0cl
    assert math.isnan(out.rii)
    # reversed (the most deprived live longest): the slope is negative
    assert inequalities(_deciles(values[::-1]), ind).iloc[0].sii == pytest.approx(-5.0)
    # a decile without a value (too few person-years): no SII
    blank = _deciles(values)
    blank.loc[3, "value"] = np.nan
    assert math.isnan(inequalities(blank, ind).iloc[0].sii)


def test_the_hand_worked_life_table_has_silcocks_limits_and_is_published_in_years(tmp_path):
    """The value lake of the spec (`_life_expectancy.py`): e0 = 93.0, se = 6 / (2 sqrt 2),
    95% limits 93.0 -+ 1.959964 x 2.12132 = 88.842 and 97.158."""
    case = cases("female", 0)[0]
    folder = build_lake(tmp_path / "le", [case], "2025-03-31")
    out = compute(folder, ["LE_BIRTH_FEMALE"], ["2025-03-31"], "duckdb")["LE_BIRTH_FEMALE"]
    icb = out[out.breakdown == "icb"].iloc[0]
    assert out[out.breakdown == "sex"].group.tolist() == ["female"]
    z = 1.959963984540054
    assert (icb.numerator, icb.denominator) == (2, 5158)
    assert icb.value == pytest.approx(93.0)
    assert icb.lower_ci == pytest.approx(93.0 - z * SE)
    assert icb.upper_ci == pytest.approx(93.0 + z * SE)
    assert set(out.breakdown) == {"icb", "place", "imd_quintile", "imd_decile", "core20",
                                "sex"}
    published = suppress(out, hierarchy=None, methods={"LE_BIRTH_FEMALE": (
        "life_expectancy", 1)})
    row = published[published.breakdown == "icb"].iloc[0]
    # two deaths are primary-suppressed (1-7): the whole row goes
    assert bool(row.suppressed) and math.isnan(row.value)
    many = out.assign(numerator=20)  # with enough deaths, the value in years to 1 dp
    row = suppress(many, hierarchy=None, methods={"LE_BIRTH_FEMALE": (
        "life_expectancy", 1)}).query("breakdown == 'icb'").iloc[0]
    assert row.value == 93.0 and row.lower_ci == round(93.0 - z * SE, 1)
