"""Autism referrals and mental health placements from the generator: shape, rules and figures.

Figures are measured from the generated tables with each module's calibration SQL, never from
the generators' internal variables."""

from __future__ import annotations

import pytest

from icsight.model.schema import table
from icsight.synth import autism, mh_inpatient
from tests.generated import Generated

MODULES = (autism, mh_inpatient)
TABLES = ("autism_referrals", "mh_admissions")


@pytest.fixture(scope="module")
def gen() -> Generated:
    """~150,000 people: a few thousand referrals and placements."""
    return Generated(150_000, seed=5, modules=MODULES)


def test_tables_have_the_canonical_schema_and_only_its_categories(gen):
    for name in TABLES:
        t = gen.tables[name]
        assert t.schema.equals(table(name).schema), name
        assert t.num_rows > 500, name
        for col in table(name).columns:
            if col.categories:
                seen = set(t[col.name].drop_null().unique().to_pylist())
                assert seen <= set(col.categories), (name, col.name)


def test_autism_pathways_run_forwards_and_outcomes_come_with_their_dates(gen):
    # (a referral from before the window is there only if still open when it opened)
    bad = gen.sql("""SELECT count(*) FROM autism_referrals
                     WHERE first_appointment_date < referral_date
                        OR outcome_date < referral_date
                        OR outcome_date < first_appointment_date
                        OR (outcome IS NULL) <> (outcome_date IS NULL)
                        OR (outcome IN ('autism', 'not_autism')
                            AND first_appointment_date IS NULL)
                        OR greatest(referral_date, first_appointment_date, outcome_date) > {ref}
                        OR outcome_date < {start}""")
    assert bad == 0
    # some still waiting, some being assessed, on the reference date
    assert gen.sql("SELECT count(*) FROM autism_referrals WHERE outcome IS NULL "
                   "AND first_appointment_date IS NULL") > 50
    assert gen.sql("SELECT count(*) FROM autism_referrals WHERE outcome IS NULL "
                   "AND first_appointment_date IS NOT NULL") > 5


def test_autism_referrals_are_of_people_aged_2_and_over_and_mostly_children(gen):
    t = gen.tables["autism_referrals"]
    who = gen.people("autism_referrals")
    day = t["referral_date"].cast("int32").to_numpy()
    age = (day - gen.ctx.pop.dob[who]) / 365.25
    assert age.min() >= 2
    assert 0.5 < (age < 18).mean() < 0.85
    boys = gen.ctx.pop.sex[who][age < 18] == 1
    assert 0.6 < boys.mean() < 0.75  # about two boys to each girl


def test_placements_do_not_overlap_and_only_out_of_area_ones_have_reasons(gen):
    assert gen.sql("""SELECT count(*) FROM mh_admissions
                      WHERE out_of_area <> (oap_reason IS NOT NULL)
                         OR discharge_date < admission_date""") == 0
    assert gen.sql("""SELECT count(*) FROM (
                        SELECT admission_date, lag(discharge_date) OVER (
                          PARTITION BY patient_id ORDER BY admission_date) AS before
                        FROM mh_admissions) WHERE admission_date <= before""") == 0
    assert gen.sql("SELECT count(*) FROM mh_admissions WHERE out_of_area AND provider_code "
                   "IN ('RWK', 'RV3')") == 0
    share = gen.sql("SELECT avg(CASE WHEN oap_reason = 'bed_unavailable' THEN 1.0 ELSE 0 END)"
                    " FROM mh_admissions")
    assert 0.04 < share < 0.10


def test_people_with_smi_are_admitted_far_more(gen):
    smi = gen.ctx.pop.conditions["smi"].has
    who = gen.people("mh_admissions")
    assert smi[who].mean() > 10 * smi.mean()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_calibration_targets_are_met(gen, module):
    misses = []
    for target in module.TARGETS:
        assert target.source and target.tolerance > 0
        measured = gen.sql(target.sql)
        if measured is None or abs(measured - target.target) > target.tolerance:
            misses.append((target.id, measured, target.target, target.tolerance))
    assert not misses, misses
