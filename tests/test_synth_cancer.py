"""The cancer waiting time pathways generator: shape, date order, links to the registry and
the published figures it is built to match (measured from the generated tables with the
calibration SQL, never from the generator's variables)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from icsight.model.schema import table
from icsight.synth import cancer
from icsight.synth.calibration import measurement_dates
from icsight.synth.context import NO_DATE, date_of
from tests.generated import Generated


@pytest.fixture(scope="module")
def gen() -> Generated:
    return Generated(80_000, seed=7, modules=(cancer,))


def test_pathways_have_the_canonical_schema_and_categories(gen):
    t = gen.tables["cancer_pathways"]
    assert t.schema.equals(table("cancer_pathways").schema)
    assert t.num_rows > 5_000
    ids = t["pathway_id"].to_numpy()
    assert (np.sort(ids) == np.arange(1, len(ids) + 1)).all()
    for col in table("cancer_pathways").columns:
        if col.categories:
            seen = set(t[col.name].drop_null().unique().to_pylist())
            assert seen <= set(col.categories), col.name
    assert set(t["route"].to_pylist()) == set(table("cancer_pathways").columns[3].categories)


def test_dates_run_in_order_and_fall_while_the_person_is_in_the_record(gen):
    person = gen.people("cancer_pathways")
    referred = gen.days("cancer_pathways", "referral_date")
    assert gen.ctx.in_record(person, referred).all()
    for column in ("faster_diagnosis_date", "decision_to_treat_date", "first_treatment_date"):
        days = gen.days("cancer_pathways", column)
        has = days != NO_DATE
        assert has.any(), column
        assert (days[has] >= referred[has]).all(), column
        assert gen.ctx.in_record(person[has], days[has]).all(), column
    decided = gen.days("cancer_pathways", "decision_to_treat_date")
    treated = gen.days("cancer_pathways", "first_treatment_date")
    assert (treated[treated != NO_DATE] >= decided[treated != NO_DATE]).all()
    assert (decided[treated != NO_DATE] != NO_DATE).all()


def test_outcomes_are_consistent_with_the_dates(gen):
    assert gen.sql("""SELECT count(*) FROM cancer_pathways WHERE route <> 'consultant_upgrade'
        AND (outcome IS NULL) <> (faster_diagnosis_date IS NULL)""") == 0
    assert gen.sql("SELECT count(*) FROM cancer_pathways WHERE route = 'consultant_upgrade' "
                   "AND outcome IS DISTINCT FROM 'diagnosed'") == 0
    assert gen.sql("SELECT count(*) FROM cancer_pathways WHERE route = 'consultant_upgrade' "
                   "AND faster_diagnosis_date IS NOT NULL") == 0
    assert gen.sql("SELECT count(*) FROM cancer_pathways WHERE outcome = 'ruled_out' AND "
                   "(decision_to_treat_date IS NOT NULL OR first_treatment_date IS NOT NULL)"
                   ) == 0
    # about 1 in 12-16 referrals finds a cancer (CWT conversion rate)
    conversion = gen.sql("SELECT avg((outcome = 'diagnosed')::INT) FROM cancer_pathways "
                         "WHERE outcome IS NOT NULL")
    assert 0.05 < conversion < 0.12


def test_diagnosed_pathways_are_registered_cancers(gen):
    """Each diagnosed pathway is a registry diagnosis of the same person on the day they were
    told (or, for an upgrade, a diagnosis after the upgrade)."""
    unmatched = gen.sql("""
        SELECT count(*) FROM cancer_pathways p WHERE outcome = 'diagnosed' AND NOT EXISTS (
          SELECT 1 FROM cancer_diagnoses c WHERE c.patient_id = p.patient_id
            AND c.diagnosis_date >= p.referral_date
            AND (p.faster_diagnosis_date IS NULL OR c.diagnosis_date = p.faster_diagnosis_date))
    """)
    assert unmatched == 0
    assert gen.sql("""SELECT count(*) FROM cancer_pathways JOIN patients USING (patient_id)
        WHERE sex = 'male' AND tumour_group = 'gynaecological'""") == 0


@pytest.mark.parametrize("target_id", ["cancer_urgent_referrals", "cancer_fds_28d",
                                       "cancer_62d"])
def test_waiting_time_figures_are_within_tolerance(gen, target_id):
    measured, target = gen.target(target_id)
    assert abs(measured - target.target) <= target.tolerance, (target_id, measured)


def test_the_diagnoses_are_unchanged_by_the_pathways_and_the_seed_matters(gen):
    again = cancer.generate(gen.ctx)
    assert again["cancer_pathways"].equals(gen.tables["cancer_pathways"])
    assert again["cancer_diagnoses"].equals(gen.tables["cancer_diagnoses"])
    other = cancer.generate(dataclasses.replace(gen.ctx, seed=gen.ctx.seed + 1))
    assert not other["cancer_pathways"].equals(gen.tables["cancer_pathways"])


@pytest.mark.parametrize(("target_id", "clock_stop"), [("cancer_fds_28d", "faster_diagnosis_date"),
                                                       ("cancer_62d", "first_treatment_date")])
def test_the_first_waiting_time_measured_is_clear_of_the_window_start(gen, target_id,
                                                                      clock_stop):
    """A pathway that would have been referred before the window is referred on its first day,
    so its wait is cut short. Were the check's first date the first on which 36 months of clock
    stops fit in the window, 2.1% of the 62-day stops and 0.3% of the faster diagnosis stops
    in its look-back would be such pathways (80,000 people, seed 7), nearly all of them within
    the standard; the look-back leaves six months for the referrals as well, and none are."""
    _, target = gen.target(target_id)
    first = measurement_dates(target, date_of(gen.ctx.window_start), gen.ref)[0]
    stops = gen.frame(f"""
        SELECT referral_date = DATE '{date_of(gen.ctx.window_start)}' AS cut_short
        FROM cancer_pathways
        WHERE {clock_stop} > DATE '{first}' - INTERVAL 36 MONTH AND {clock_stop} <= DATE '{first}'
    """)
    assert len(stops) > 500
    assert stops["cut_short"].mean() < 0.001, stops["cut_short"].mean()
