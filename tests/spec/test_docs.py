"""The indicator pages are generated from the catalogue and the specs: stale pages fail."""

from __future__ import annotations

from tests.spec.render import DOCS, pages


def test_indicator_pages_are_current():
    wanted = pages()
    stale = [name for name, text in wanted.items()
             if not (DOCS / name).is_file() or (DOCS / name).read_text() != text]
    extra = sorted(p.name for p in DOCS.glob("*.md") if p.name not in wanted)
    assert not stale and not extra, (
        f"docs/indicators is stale ({stale[:5]}, extra {extra}): python -m tests.spec.render")


def test_a_page_holds_every_rule_of_its_spec():
    text = pages()["CVDP007HYP.md"]
    assert "Home and ambulatory readings use 135/85" in text
    assert "CVDPREVENT indicator metadata" in text
    assert "| numerator |" in text
