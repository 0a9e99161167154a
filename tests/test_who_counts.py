"""Who counts: every indicator states its numerator and denominator basis from the one
vocabulary (`icsight.indicators.counting`), the tidy output carries them, and the docs' tables
are the metadata's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from icsight.indicators.catalogue import WHO_COUNTS_MARKERS, catalogue, who_counts
from icsight.indicators.counting import DENOMINATOR_BASES, NUMERATOR_BASES
from icsight.indicators.definition import Indicator

DOCS = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"


def test_every_catalogue_indicator_has_valid_bases():
    for ind in catalogue().values():
        assert ind.numerator_basis in NUMERATOR_BASES, ind.id
        assert ind.denominator_basis in DENOMINATOR_BASES, ind.id


def test_bases_follow_the_method():
    """A ratio's denominator is an expected count or a baseline, never people; a standardised
    or crude rate of events counts events of people registered at the event (or, for status
    counts, people on the list) over a population, never over the events themselves."""
    for ind in catalogue().values():
        if ind.method == "ratio":
            assert ind.denominator_basis in ("expected count", "baseline activity"), ind.id
        if ind.method == "dsr":
            assert ind.denominator_basis in ("period-end list",
                                             "period-end list and deaths in the period",
                                             "mid-period population", "person-time"), ind.id
        if ind.numerator_basis == "units of the denominator meeting the rule":
            assert ind.denominator_basis in ("events in the period",
                                             "open on the period end"), ind.id


def test_the_bases_are_required_and_checked():
    one = next(iter(catalogue().values()))
    with pytest.raises(TypeError, match="basis"):
        Indicator(id="X", title="t", description="d", programme="ltc", strategy="s",
                  numerator="n", denominator="d", rows=one.rows)
    with pytest.raises(ValueError, match="unknown numerator basis"):
        replace(one, numerator_basis="people")
    with pytest.raises(ValueError, match="unknown denominator basis"):
        replace(one, denominator_basis=None)


def test_the_docs_tables_are_the_metadata():
    text = DOCS.read_text()
    start, end = WHO_COUNTS_MARKERS
    assert start in text and end in text
    shown = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert shown == who_counts(), (
        "docs/indicators.md 'Who counts' is stale: python -m icsight.indicators.catalogue "
        "docs/indicators.md")
    for ind in catalogue().values():
        assert f"| [{ind.id}](indicators/{ind.id}.md) | {ind.method} | {ind.numerator_basis} | "\
               f"{ind.denominator_basis} |" in shown


def test_a_spec_answer_checks_the_method_label():
    import pandas as pd

    from tests.spec.harness import Case, Expect, check

    out = pd.DataFrame([{"period_end": "2025-03-31", "breakdown": "age_band", "group": "80+",
                         "numerator": 10, "denominator": 3, "value": 1.0,
                         "method": "DSR ESP2013 over ages 0-90+ (Dobson)"}])
    case = Case("r", [], expect=Expect(10, 3, 1.0, method="DSR ESP2013 over the band's own "
                                                           "ages 80+ (Dobson)"),
                alone=True, breakdown="age_band", group="80+")
    assert check(out, case) == ["2025-03-31: method 'DSR ESP2013 over ages 0-90+ (Dobson)', "
                                "expected \"DSR ESP2013 over the band's own ages 80+ (Dobson)\""]
    right = out.assign(method="DSR ESP2013 over the band's own ages 80+ (Dobson)")
    assert check(right, case) == []


def test_the_output_names_each_row_method_and_basis():
    """Labels straight from the breakdown: a DSR's whole-population rows name the ages of the
    bands standardised over, its age-band rows the band's own ages."""
    from icsight.indicators.breakdown import METHOD_LABELS, _dsr_label

    assert METHOD_LABELS["proportion"] == "proportion (Wilson)"
    assert _dsr_label(list(range(15))) == "DSR ESP2013 over ages 0-74 (Dobson)"
    assert _dsr_label([12, 13, 14], own=True) == \
        "DSR ESP2013 over the band's own ages 60-74 (Dobson)"
    assert _dsr_label([16, 17, 18], own=True) == "DSR ESP2013 over the band's own ages 80+ (Dobson)"
