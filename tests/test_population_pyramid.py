"""The population pyramid's table: the registered population on the last period end by area,
sex and 5-year age band, counted by the registered-list rule every indicator uses, and its
published version protected by the disclosure rules. Worked by hand on a tiny lake."""

from __future__ import annotations

import pandas as pd
import pytest

from icsight.engine import open_lake
from icsight.indicators.breakdown import reference_frames
from icsight.indicators.catalogue import indicator
from icsight.indicators.periods import periods_table
from icsight.indicators.population import PYRAMID_BANDS, population_pyramid, pyramid_band
from icsight.results.population import publish_population
from tests.lakes import make_lake, patient

END = "2025-03-31"
BEDFORD, LUTON = "E81021", "E81026"  # a Bedford Borough and a Luton practice


def _people() -> list[dict]:
    return [
        # Bedford Borough: two women of 34 (born June 1990: not yet 35 at the end of March)
        patient(1, "1990-06-01", practice_code=BEDFORD),
        patient(2, "1990-05-01", practice_code=BEDFORD),
        # a man of 91, and one whose 90th birthday month is the period end's month: both 90+
        patient(3, "1934-01-01", sex="male", practice_code=BEDFORD),
        patient(4, "1935-03-01", sex="male", practice_code=BEDFORD),
        # a man who turns 90 next month: still 89
        patient(5, "1935-04-01", sex="male", practice_code=BEDFORD),
        # not on the list at the end of 31 March 2025: left in February, left on the day
        # itself (the first day off the list), died in March, joined in April
        patient(6, "1990-06-01", practice_code=BEDFORD, registration_end="2025-02-10"),
        patient(7, "1990-06-01", practice_code=BEDFORD, registration_end="2025-03-31"),
        patient(8, "1990-06-01", practice_code=BEDFORD, date_of_death="2025-03-15"),
        patient(9, "1990-06-01", practice_code=BEDFORD, registration_start="2025-04-01"),
        # still on it: leaves the day after
        patient(10, "1990-06-01", practice_code=BEDFORD, registration_end="2025-04-01"),
        # Luton: a boy of 4, a boy who turned 5 in March, a baby girl born in February
        patient(11, "2021-04-01", sex="male", practice_code=LUTON),
        patient(12, "2020-03-01", sex="male", practice_code=LUTON),
        patient(13, "2025-02-01", practice_code=LUTON),
    ]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return open_lake(make_lake(tmp_path_factory.mktemp("pyramid"), _people(), [],
                               reference_date=END))


def _counts(table: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    return {(g, s, b): int(p) for g, s, b, p in
            zip(table.group, table.sex, table.age_band, table.people, strict=True)}


def test_the_bands_are_the_ons_five_year_bands_with_90_and_over_as_one():
    assert PYRAMID_BANDS[0] == "0-4" and PYRAMID_BANDS[-2] == "85-89"
    assert PYRAMID_BANDS[-1] == "90+" and len(PYRAMID_BANDS) == 19
    assert [pyramid_band(a) for a in (0, 4, 5, 34, 35, 89, 90, 104)] == [
        "0-4", "0-4", "5-9", "30-34", "35-39", "85-89", "90+", "90+"]


def test_the_pyramid_counts_the_period_end_list_by_band_and_sex_worked_by_hand(tiny):
    periods = periods_table(["2025-02-28", END], tiny)
    table = population_pyramid(tiny, periods, reference_frames(tiny)[0])
    assert set(table.period_end) == {END}  # the last period end only
    assert _counts(table) == {
        ("BLMK", "female", "0-4"): 1, ("BLMK", "female", "30-34"): 3,
        ("BLMK", "male", "0-4"): 1, ("BLMK", "male", "5-9"): 1,
        ("BLMK", "male", "85-89"): 1, ("BLMK", "male", "90+"): 2,
        ("Bedford Borough", "female", "30-34"): 3, ("Bedford Borough", "male", "85-89"): 1,
        ("Bedford Borough", "male", "90+"): 2,
        ("Luton", "female", "0-4"): 1, ("Luton", "male", "0-4"): 1, ("Luton", "male", "5-9"): 1,
    }
    assert set(table[table.group == "BLMK"].breakdown) == {"icb"}
    assert set(table[table.group != "BLMK"].breakdown) == {"place"}
    # BLMK first, its bands youngest first within each sex
    assert table.group.iloc[0] == "BLMK"
    assert table[(table.group == "BLMK") & (table.sex == "male")].age_band.tolist() == [
        "0-4", "5-9", "85-89", "90+"]


def test_the_pyramid_total_is_the_registered_list_of_the_population_indicator(tiny):
    """The overview's population by place is LD_PREVALENCE's denominator: the same people."""
    table = population_pyramid(tiny, periods_table([END], tiny), reference_frames(tiny)[0])
    values = indicator("LD_PREVALENCE").compute(tiny, END)
    areas = values[values.breakdown.isin(["icb", "place"])].set_index("group").denominator
    assert areas.to_dict() == {"BLMK": 9, "Bedford Borough": 6, "Luton": 3}
    assert table.groupby("group").people.sum().to_dict() == areas.to_dict()


def _cells() -> pd.DataFrame:
    rows = []
    for group, breakdown, counts in (("BLMK", "icb", (20, 30, 40, 50)),
                                     ("A", "place", (15, 20, 30, 35)),
                                     ("B", "place", (5, 10, 10, 15))):
        for (sex, band), n in zip((("female", "0-4"), ("female", "5-9"), ("male", "0-4"),
                                   ("male", "5-9")), counts, strict=True):
            rows.append({"period_end": END, "breakdown": breakdown, "group": group,
                         "sex": sex, "age_band": band, "people": n})
    return pd.DataFrame(rows)


def test_a_small_count_is_withheld_with_cells_that_stop_it_being_worked_out():
    cells = _cells()
    published = publish_population(cells)
    hidden = {(g, s, b) for g, s, b, h in zip(published.group, published.sex,
                                              published.age_band, published.suppressed,
                                              strict=True) if h}
    # B's 5 girls under 5 (primary); A's, or BLMK's 20 less A's 15 gives them back; then
    # each place's girls of 5-9, or the place's total less its shown cells gives them back:
    # a rectangle, in which B's 5 can be anything from 1 to 7 (10 girls of 5-9 in B move
    # the other way)
    assert hidden == {("B", "female", "0-4"), ("A", "female", "0-4"),
                      ("A", "female", "5-9"), ("B", "female", "5-9")}
    # BLMK's cells are all shown: nothing BLMK publishes is small
    assert not any(g == "BLMK" for g, _, _ in hidden)
    # each area's total is published (the overview): no area may hide just one cell, and
    # BLMK less the other place may not give back one place's hidden cell alone
    for group in ("A", "B"):
        assert sum(g == group for g, _, _ in hidden) >= 2
    for sex, band in {(s, b) for _, s, b in hidden}:
        assert sum((s, b) == (sex, band) for _, s, b in hidden) != 1
    shown = published[~published.suppressed]
    assert published[published.suppressed].people.isna().all()
    assert (shown.people % 5 == 0).all()
    assert shown.set_index(["group", "sex", "age_band"]).people.loc[("BLMK", "male", "5-9")] \
        == 50


def test_rounding_to_five_of_counts_above_the_threshold():
    cells = pd.DataFrame({"period_end": END, "breakdown": "icb", "group": "BLMK",
                          "sex": ["female", "male", "male"], "age_band": ["0-4", "0-4", "5-9"],
                          "people": [0, 12, 18]})
    published = publish_population(cells)
    assert published.people.tolist() == [0, 10, 20]
    assert not published.suppressed.any()


def test_totals_already_public_are_never_withheld_nor_picked_as_complements():
    """A 2 x 2 table with its row and column totals public: 5 and 3 are withheld, and then
    the 20 and the 40 (each the only other unknown of a total); left to itself the fixed point
    would also hide two totals, which cannot be unpublished, so `fixed` keeps them shown."""
    from icsight.governance.disclosure import Relation, suppress_cells

    cells = [5, 20, 40, 3]
    counts = [*cells, 25, 43, 45, 23]  # rows (5 + 20, 40 + 3), columns (5 + 40, 20 + 3)
    rels = [Relation(4, (0, 1)), Relation(5, (2, 3)), Relation(6, (0, 2)),
            Relation(7, (1, 3))]
    _, free = suppress_cells(counts, rels)
    assert free[4:].any()  # what `fixed` prevents
    shown, hidden = suppress_cells(counts, rels, fixed=frozenset(range(4, 8)))
    assert hidden.tolist() == [True] * 4 + [False] * 4
    assert shown[4:].tolist() == [25, 45, 45, 25]  # rounded to 5 (43 -> 45, 23 -> 25)
    # a total of 1 to 7 that is public already is not withheld either
    _, small = suppress_cells([6, 6], [Relation(0, (1,))], fixed=frozenset({0}))
    assert small.tolist() == [False, True]


def _store(folder, with_pyramid: bool = True):
    """A results store of one run holding only what the pyramid's service reads."""
    import json

    run = folder / "20260101T000000Z"
    run.mkdir(parents=True)
    (run / "provenance.json").write_text(json.dumps(
        {"run_id": run.name, "purpose": "planning", "national_data_opt_out_applied": True}))
    if with_pyramid:
        cells = _cells()
        cells.to_parquet(run / "population.parquet")
        publish_population(cells).to_parquet(run / "published_population.parquet")
    (folder / "LATEST").write_text(run.name + "\n")
    return folder


def test_the_service_gives_analysts_exact_counts_and_everyone_else_the_published(tmp_path):
    from icsight.governance.access import ANONYMOUS, Principal, Role
    from icsight.services import AggregateService

    service = AggregateService(_store(tmp_path / "results"), tmp_path / "audit.jsonl")
    exact = service.population_pyramid(Principal("ana", Role.ANALYST), "B")
    assert [(r["sex"], r["age_band"], r["people"], r["suppressed"]) for r in exact] == [
        ("female", "0-4", 5, False), ("female", "5-9", 10, False),
        ("male", "0-4", 10, False), ("male", "5-9", 15, False)]
    public = service.population_pyramid(ANONYMOUS, "B")
    assert [(r["sex"], r["age_band"], r["people"], r["suppressed"]) for r in public] == [
        ("female", "0-4", None, True), ("female", "5-9", None, True),
        ("male", "0-4", 10, False), ("male", "5-9", 15, False)]
    assert {r["group"] for r in service.population_pyramid(ANONYMOUS)} == {"BLMK"}
    assert service.population_pyramid(ANONYMOUS, "Nowhere") == []


def test_a_run_built_before_the_pyramid_was_stored_has_none(tmp_path):
    from icsight.governance.access import ANONYMOUS
    from icsight.services import AggregateService

    service = AggregateService(_store(tmp_path / "old", with_pyramid=False),
                               tmp_path / "audit.jsonl")
    assert service.population_pyramid(ANONYMOUS, "BLMK") == []
