"""Screening, vaccinations, maternity and mental health generators: shape, rules and figures.

Figures are measured from the generated tables (with DuckDB, through each module's calibration
SQL where there is one), never from the generators' internal variables.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from icsight.model.schema import table
from icsight.synth import maternity, mental_health, screening, vaccinations
from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, date_of, day
from tests.generated import Generated

MODULES = (screening, vaccinations, maternity, mental_health)
DATE_COLUMNS = {
    "screening": ("date",),
    "vaccinations": ("date",),
    "maternity": ("booking_date", "delivery_date"),
    "mh_referrals": ("referral_date", "first_contact_date", "discharge_date"),
}


@pytest.fixture(scope="module")
def small() -> Generated:
    """~20,000 people: for structure and rules."""
    return Generated(20_000, seed=3, modules=MODULES)


@pytest.fixture(scope="module")
def large() -> Generated:
    """~150,000 people: enough births and referrals for rates to settle."""
    return Generated(150_000, seed=5, modules=MODULES)


# --- structure -----------------------------------------------------------------------------


def test_tables_have_the_canonical_schema_and_rows(small):
    for name in DATE_COLUMNS:
        t = small.tables[name]
        assert t.schema.equals(table(name).schema), name
        assert t.num_rows > 100, name


def test_categories_are_only_the_schemas(small):
    for name in DATE_COLUMNS:
        for col in table(name).columns:
            if col.categories:
                seen = set(small.tables[name][col.name].drop_null().unique().to_pylist())
                assert seen <= set(col.categories), (name, col.name)


def test_same_seed_same_tables_other_seed_other_tables(small):
    other = dataclasses.replace(small.ctx, seed=small.ctx.seed + 1)
    for module in MODULES:
        again = module.generate(small.ctx)
        different = module.generate(other)
        for name, t in again.items():
            assert t.equals(small.tables[name]), name
            assert not different[name].equals(t), name


def test_identifiers_are_unique_and_sequential(small):
    for name, column in (("maternity", "pregnancy_id"), ("mh_referrals", "referral_id")):
        ids = small.tables[name][column].to_numpy()
        assert (np.sort(ids) == np.arange(1, len(ids) + 1)).all(), name


def test_every_event_falls_while_the_person_is_alive_and_registered(small):
    for name, columns in DATE_COLUMNS.items():
        person = small.people(name)
        for column in columns:
            days = small.days(name, column)
            has = days != NO_DATE
            assert has.any(), (name, column)
            if name == "screening":  # screening keeps 5.5 years of history before the window
                continue
            assert small.ctx.in_record(person[has], days[has]).all(), (name, column)


def test_screening_history_before_the_window_is_while_registered_and_no_older_than_needed(
        small):
    person, days, ctx = small.people("screening"), small.days("screening", "date"), small.ctx
    p = ctx.pop
    history_start = screening._months_before(ctx.window_start, 66)  # cervical 50-64: 5.5 years
    assert (days >= history_start).all()
    assert (days >= p.registration_start[person]).all() and (days >= p.dob[person]).all()
    assert (days <= ctx.active_end()[person]).all()
    before = days < ctx.window_start
    assert before.any() and not before.all()


def test_pathways_run_forwards(small):
    referred = small.days("mh_referrals", "referral_date")
    first = small.days("mh_referrals", "first_contact_date")
    leave = small.days("mh_referrals", "discharge_date")
    seen, closed = first != NO_DATE, leave != NO_DATE
    assert (first[seen] >= referred[seen]).all()
    assert (leave[closed] >= referred[closed]).all()
    assert (leave[seen & closed] >= first[seen & closed]).all()
    booked = small.days("maternity", "booking_date")
    born = small.days("maternity", "delivery_date")
    weeks = (born - booked)[born != NO_DATE] / 7
    assert weeks.min() >= 2 and weeks.max() <= 40 and 26 <= np.median(weeks) <= 31


# --- who is in each programme --------------------------------------------------------------


def _ages(g: Generated, name: str, column: str, where: np.ndarray | None = None) -> np.ndarray:
    person = g.people(name)
    days = g.days(name, column)
    if where is not None:
        person, days = person[where], days[where]
    return (days - g.ctx.pop.dob[person]) / DAYS_PER_YEAR


def test_only_women_are_screened_for_breast_and_cervical_cancer_or_pregnant(small):
    female = small.ctx.pop.female
    prog = small.tables["screening"]["programme"].to_numpy(zero_copy_only=False)
    women_only = np.isin(prog, ["breast", "cervical"])
    assert female[small.people("screening")[women_only]].all()
    assert not female[small.people("screening")[prog == "bowel"]].all()  # men too
    assert female[small.people("maternity")].all()


def test_screening_invites_only_the_eligible_ages(small):
    s = small.tables["screening"]
    prog = s["programme"].to_numpy(zero_copy_only=False)
    event = s["event"].to_numpy(zero_copy_only=False)
    invited = _ages(small, "screening", "date")
    # invitations within the programme's ages; tests follow within months
    for name, lo, hi in (("bowel", 60, 75), ("breast", 50, 71), ("cervical", 24.5, 65)):
        inv = invited[(prog == name) & (event == "invited")]
        assert inv.min() >= lo and inv.max() < hi, name
        tested = invited[(prog == name) & (event == "tested")]
        assert tested.min() >= lo and tested.max() < hi + 1, name


def test_results_belong_to_their_programme_and_only_to_tests(small):
    df = small.tables["screening"].to_pandas()
    assert df[df.event != "tested"].result.isna().all()
    tested = df[df.event == "tested"]
    assert set(tested[tested.programme == "cervical"].result) == {"hpv_negative",
                                                                   "hpv_positive"}
    assert set(tested[tested.programme != "cervical"].result) == {"normal", "abnormal"}


def test_ceased_people_are_invited_no_more(small):
    df = small.tables["screening"].to_pandas()
    ceased = df[df.event == "ceased"].groupby(["patient_id", "programme"]).date.min()
    assert len(ceased) > 0
    later = df[df.event == "invited"].join(ceased.rename("ceased"),
                                           on=["patient_id", "programme"], how="inner")
    assert (later.date <= later.ceased).all()


def test_vaccinations_go_to_the_eligible(small):
    v = small.tables["vaccinations"]
    vaccine = v["vaccine"].to_numpy(zero_copy_only=False)
    dose = v["dose_number"].to_numpy()
    age = _ages(small, "vaccinations", "date")
    # Year 8 to Year 10, a little later for children arriving in Year 10
    assert age[vaccine == "hpv"].min() >= 12 and age[vaccine == "hpv"].max() < 17
    # at-risk adults are those 18 on 31 March; the season opened on 1 September until 2024,
    # 211 days earlier
    assert age[vaccine == "influenza"].min() >= 18 - 211 / 365.25
    assert age[vaccine == "pneumococcal"].min() >= 65
    codes = dict(zip(vaccine.tolist(), v["snomed_code"].to_pylist(), strict=True))
    assert codes == {"hpv": "428570002", "influenza": "822851000000102",
                     "pneumococcal": "12866006"}
    # a second HPV dose only while the course was two doses
    second = (vaccine == "hpv") & (dose == 2)
    assert second.any() and (small.days("vaccinations", "date")[second]
                             < day(vaccinations.HPV_SINGLE_DOSE_FROM)).all()
    assert (dose[vaccine != "hpv"] == 1).all()
    # influenza only in the season (September to January)
    flu_days = small.days("vaccinations", "date")[vaccine == "influenza"]
    months = flu_days.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12 + 1
    assert set(months.tolist()) <= {9, 10, 11, 12, 1}
    # one pneumococcal dose each, at most
    pneumo = small.people("vaccinations")[vaccine == "pneumococcal"]
    assert len(np.unique(pneumo)) == len(pneumo)


def test_mothers_and_referrals_are_of_the_right_age(small):
    assert _ages(small, "maternity", "booking_date").min() >= 15
    assert _ages(small, "maternity", "booking_date").max() < 50
    service = small.tables["mh_referrals"]["service"].to_numpy(zero_copy_only=False)
    age = _ages(small, "mh_referrals", "referral_date")
    assert age[service == "camhs"].max() < 18
    assert age[service != "camhs"].min() >= 18


def test_pregnancies_in_progress_have_no_birth_yet(small):
    df = small.tables["maternity"].to_pandas()
    pending = (small.days("maternity", "delivery_date") == NO_DATE)
    assert pending.any()
    for column in ("gestation_at_birth_weeks", "birthweight_grams", "outcome",
                   "smoking_at_delivery"):
        assert df[column][pending].isna().all(), column
        assert df[column][~pending].notna().all(), column
    # booked within the last 34 weeks (a booking at 8 weeks, a birth by 42)
    booked = small.days("maternity", "booking_date")
    assert (small.ctx.reference_date - booked[pending] < 34 * 7).all()
    assert df.gestation_at_birth_weeks[~pending].between(24, 42).all()
    # nobody has two pregnancies at once
    person = small.people("maternity")
    order = np.lexsort((booked, person))
    same = person[order][1:] == person[order][:-1]
    ends = small.days("maternity", "delivery_date")[order][:-1]
    assert (booked[order][1:][same] > ends[same]).all()


# --- figures -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_calibration_targets_are_met(large, module):
    assert module.TARGETS
    misses = []
    for target in module.TARGETS:
        assert target.source and target.tolerance > 0
        measured = large.sql(target.sql)
        if measured is None or abs(measured - target.target) > target.tolerance:
            misses.append((target.id, measured, target.target, target.tolerance))
    assert not misses, misses


def test_blmk_screening_sits_below_england_except_breast(small):
    got = {t.id: small.sql(t.sql) for t in screening.TARGETS}
    assert got["bowel_coverage"] < 71.8 - 1  # England
    assert got["cervical_coverage"] < 68.8 - 2
    assert abs(got["breast_coverage"] - 70.0) < 3


def _by_quintile(g: Generated, sql: str, select: str) -> dict[int, float]:
    """Run a coverage query broken down by the IMD quintile of the person's LSOA."""
    query = sql.replace("SELECT 100.0 * avg", "SELECT l.imd_quintile, 100.0 * avg").replace(
        select, f"{select} JOIN patients pt USING (patient_id) JOIN lsoas l USING (lsoa_code)"
    ) + " GROUP BY 1"
    return dict(g.frame(query).itertuples(index=False, name=None))


def test_screening_coverage_is_lower_in_the_most_deprived_areas(large):
    for target in screening.TARGETS[:3]:
        q = _by_quintile(large, target.sql, "FROM people LEFT JOIN tests USING (patient_id)")
        assert q[1] < q[5] - 4, (target.id, q)


def test_screening_results(large):
    df = large.frame("""SELECT programme, avg(CASE WHEN result IN ('abnormal', 'hpv_positive')
                        THEN 1 ELSE 0 END) AS positive FROM screening WHERE event = 'tested'
                        GROUP BY 1""").set_index("programme").positive
    assert 0.015 < df["bowel"] < 0.025
    assert 0.03 < df["breast"] < 0.05
    assert 0.10 < df["cervical"] < 0.14
    ceased = large.frame("""SELECT programme, count(DISTINCT patient_id) AS n FROM screening
                            WHERE event = 'ceased' GROUP BY 1""").set_index("programme").n
    bowel_people = large.sql("SELECT count(DISTINCT patient_id) FROM screening "
                             "WHERE programme = 'bowel'")
    assert 0.002 < ceased["bowel"] / bowel_people < 0.01


def test_hpv_uptake_is_lower_in_deprived_areas_and_catch_up_adds_a_little(large):
    girls = vaccinations.TARGETS[0].sql
    # One Year 8 cohort of one sex is ~180 children a quintile here (a difference's standard
    # error ~5 points against a modelled gap of ~9): the gap is read over girls and boys of the
    # latest cohort and the one before (the same readiness by deprivation drives all four)
    select = "FROM cohort LEFT JOIN vaccinated v USING (patient_id)"
    cohorts = []
    for sql in (girls, vaccinations.TARGETS[1].sql):
        cohorts += [sql, sql.replace("- 14, 9, 1)", "- 15, 9, 1)").replace(
            "- 13, 8, 1)", "- 14, 8, 1)")]
    by = [_by_quintile(large, sql, select) for sql in cohorts]
    q = {k: sum(b[k] for b in by) / len(by) for k in (1, 5)}
    assert q[1] < q[5] - 5, by
    # the cohort a year older (Year 9 by 31 August) is a little higher after catch-up
    year8 = large.sql(girls)
    year9 = large.sql(girls.replace("- 14, 9, 1)", "- 15, 9, 1)").replace(
        "- 13, 8, 1)", "- 14, 8, 1)"))
    assert year8 < year9 < year8 + 10


def test_flu_for_under_65s_in_clinical_risk_groups(large):
    ctx = large.ctx
    ref = date_of(ctx.reference_date)
    year = (ref.year * 12 + ref.month - 1 - 13) // 12  # the last complete season
    season_open, season_end = vaccinations._season_open(year), day(f"{year + 1}-01-31")
    at_risk = vaccinations._at_risk_on(ctx, season_open)
    age = ctx.pop.age_on(day(f"{year + 1}-03-31"))
    counted = (at_risk & (age >= 18) & (age < 65)
               & ctx.in_record(np.arange(ctx.pop.n), np.full(ctx.pop.n, season_end)))
    vaccinated = set(large.frame(f"""SELECT DISTINCT patient_id FROM vaccinations
        WHERE vaccine = 'influenza'
          AND date BETWEEN DATE '{year}-09-01' AND DATE '{year + 1}-03-31'
        """).patient_id)
    uptake = np.isin(ctx.pop.patient_id[counted], list(vaccinated)).mean()
    assert 0.36 < uptake < 0.46
    # nobody under 65 outside a risk group
    young = large.frame("""SELECT v.patient_id FROM vaccinations v JOIN patients p
        USING (patient_id) WHERE vaccine = 'influenza'
        AND date_diff('month', month_of_birth, v.date) < 64 * 12""").patient_id
    ever_at_risk = np.zeros(ctx.pop.n, bool)
    for name in vaccinations.AT_RISK:
        ever_at_risk |= ctx.pop.conditions[name].diagnosed != NO_DATE
    assert ever_at_risk[large.index_of(young)].all()


def test_maternity_inequalities(large):
    df = large.frame("""SELECT m.*, p.ethnicity_group, l.imd_quintile FROM maternity m
                        JOIN patients p USING (patient_id) JOIN lsoas l USING (lsoa_code)""")
    smoking = df.groupby("ethnicity_group").smoking_at_booking.mean()
    assert smoking["Asian"] < 0.4 * smoking["White"]
    by_q = df.groupby("imd_quintile").smoking_at_booking.mean()
    assert by_q[1] > 2 * by_q[5]
    born = df[df.delivery_date.notna()]
    preterm = (born.gestation_at_birth_weeks < 37).groupby(born.imd_quintile).mean()
    assert preterm[1] > preterm[5]
    assert (born.smoking_at_delivery <= born.smoking_at_booking).all()
    # birthweight follows gestation
    assert born.birthweight_grams.corr(born.gestation_at_birth_weeks) > 0.6
    assert (born[born.gestation_at_birth_weeks < 32].birthweight_grams < 2500).mean() > 0.9


def test_fertility_is_highest_in_luton(large):
    df = large.frame("""
        WITH reg AS (SELECT p.*, pr.place FROM patients p JOIN (SELECT DISTINCT lsoa_code,
                     place FROM lsoas) pr USING (lsoa_code)
                     WHERE registration_end IS NULL AND date_of_death IS NULL AND sex = 'female'
                     AND date_diff('month', month_of_birth, {ref}) // 12 BETWEEN 15 AND 44)
        SELECT place, count(m.patient_id) / count(DISTINCT reg.patient_id) AS per_woman
        FROM reg LEFT JOIN maternity m ON m.patient_id = reg.patient_id
             AND m.delivery_date > {ref} - INTERVAL 24 MONTH
        GROUP BY 1""").set_index("place").per_woman
    assert df.idxmax() == "Luton"


def test_camhs_referrals_rise_and_wait_longest(large):
    per_year = large.frame("""SELECT referral_date > {ref} - INTERVAL 12 MONTH AS last_year,
        count(*) AS n FROM mh_referrals WHERE service = 'camhs'
        AND (referral_date > {ref} - INTERVAL 12 MONTH
             OR referral_date < {start} + INTERVAL 12 MONTH)
        GROUP BY 1""").set_index("last_year").n
    assert per_year[True] > 1.1 * per_year[False]
    waits = large.frame("""SELECT service, median(first_contact_date - referral_date) AS wait,
        avg(CASE WHEN discharge_date IS NULL THEN 1 ELSE 0 END) AS still_open
        FROM mh_referrals GROUP BY 1""").set_index("service")
    assert waits.wait["camhs"] > waits.wait["adult_community"] > waits.wait["crisis"]
    assert 14 <= waits.wait["talking_therapies"] <= 35
    assert (waits.still_open > 0).all()


def test_people_with_smi_are_referred_more(large):
    ctx = large.ctx
    adult_community = large.people("mh_referrals")[
        large.tables["mh_referrals"]["service"].to_numpy(zero_copy_only=False)
        == "adult_community"]
    smi = ctx.pop.conditions["smi"].has
    adult = ctx.pop.age_on(ctx.reference_date) >= 25
    per_person = np.bincount(adult_community, minlength=ctx.pop.n)
    assert per_person[smi & adult].mean() > 4 * per_person[~smi & adult].mean()


def test_learning_disability_checks_and_inhalers_use_the_indicators_codelists(lake):
    """The generator writes what LD_PREVALENCE, SMI_HEALTH_CHECKS and the inhaler carbon
    indicators read: LD codes of LD_COD 2024-12-05; SMI check codes of each check's
    codelist; salbutamol products that OpenPrescribing values, mostly pressurised MDIs."""
    from icsight.indicators.programmes.ltc import inhaler_carbon, is_pressurised
    from icsight.indicators.programmes.mhlda import CHECK_CODELISTS
    from icsight.model.codelists import codelist

    events = lake.table("clinical_events")
    written = set(events.select("snomed_code").distinct().to_pandas().snomed_code)
    assert written & set(codelist("ld_cod_20241205").codes)
    for name, lists in CHECK_CODELISTS.items():
        assert any(written & set(codelist(n).codes) for n in lists), name

    meds = lake.table("medications")
    saba = meds.filter(meds.bnf_code.startswith("0301011R0")).select("bnf_code").to_pandas()
    values = inhaler_carbon()
    assert set(saba.bnf_code) <= set(values), "every salbutamol product has a carbon value"
    devices = saba.bnf_code.map(lambda c: values[c][0])
    assert devices.nunique() >= 3  # generic and branded pMDIs, a breath-actuated one, DPIs
    share = devices.map(is_pressurised).mean()
    assert 0.85 <= share <= 0.95, share  # SABA_DEVICE_MIX: ~90% pressurised
