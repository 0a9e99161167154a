"""The neighbourhood records agree with the facts the generator already holds: who lives in a
care home or is housebound, who dies, who is old; and the eFI deficits it draws never put
anyone on another register."""

from __future__ import annotations

import numpy as np
import pytest

from icsight.model.codelists import NEIGHBOURHOOD_CODELISTS, codelist
from icsight.synth import build_context
from icsight.synth.context import NO_DATE
from icsight.synth.neighbourhood import _deficit_code_choices, efi_category, generate


@pytest.fixture(scope="module")
def made():
    ctx = build_context(20_000, seed=3)
    events = generate(ctx)["clinical_events"].to_pandas()
    row = {pid: i for i, pid in enumerate(ctx.pop.patient_id)}
    events["person"] = events.patient_id.map(row)
    events["day"] = events.date.map(lambda d: d.toordinal() - 719_163)  # day numbers
    return ctx, events


def people_with(events, name: str) -> set[int]:
    return set(events[events.snomed_code.isin(codelist(name).codes)].person)


def test_care_home_codes_for_care_home_residents_only(made):
    ctx, events = made
    assert people_with(events, "longres_primis") == set(np.flatnonzero(ctx.pop.care_home))


def test_housebound_codes_follow_the_flag_and_no_longer_follows_housebound(made):
    ctx, events = made
    flagged = set(np.flatnonzero(ctx.pop.housebound))
    ever = people_with(events, "housebound_opensafely")
    no_longer = people_with(events, "no_longer_housebound_opensafely")
    assert flagged <= ever and not (no_longer & flagged) and no_longer == ever - flagged
    # each "no longer" code comes on or after that person's housebound code
    yes = events[events.snomed_code.isin(codelist("housebound_opensafely").codes)]
    no = events[events.snomed_code.isin(codelist("no_longer_housebound_opensafely").codes)]
    first_yes = yes.groupby("person").day.min()
    assert (no.set_index("person").day >= first_yes.reindex(no.person).to_numpy()).all()


def test_palliative_codes_come_before_death_and_mostly_for_the_old(made):
    ctx, events = made
    p = ctx.pop
    pal = events[events.snomed_code.isin(codelist("palcare_cod").codes)]
    assert pal.person.is_unique and len(pal) > 20
    assert (pal.day.to_numpy() <= p.death[pal.person.to_numpy()]).all()
    died = p.death[pal.person.to_numpy()] != NO_DATE
    assert died.mean() > 0.3  # people approaching the end of life
    assert np.median(p.age_on(ctx.reference_date)[pal.person.to_numpy()]) >= 70


def test_frailty_codes_only_for_people_65_and_over(made):
    ctx, events = made
    frail = events[events.snomed_code.isin(
        [c for name in ("mildfrail_cod", "modfrail_cod", "sevfrail_cod")
         for c in codelist(name).codes])]
    ages = (frail.day.to_numpy() - ctx.pop.dob[frail.person.to_numpy()]) / 365.25
    assert len(frail) > 50 and (ages >= 65 - 1e-9).all()


def test_drawn_deficit_codes_sit_in_no_other_codelist():
    others = set()
    for name in NEIGHBOURHOOD_CODELISTS.keys() - {"efi_deficits_snomed"}:
        others |= set(codelist(name).codes)
    for name in ("hyp_cod", "dm_cod", "ckd35_primis", "hf_cod", "dem_cod", "ast_cod"):
        others |= set(codelist(name).codes)
    drawn = {c for codes in _deficit_code_choices().values() for c in codes}
    assert drawn and not (drawn & others)


def test_efi_categories_by_count():
    assert list(efi_category(np.array([0, 4, 5, 8, 9, 13, 14, 36]))) == [0, 0, 1, 1, 2, 2, 3, 3]
