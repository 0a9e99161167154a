"""Hospital and community generators: shape, record windows, rules and calibration figures.

Figures are measured from the generated tables (with DuckDB, through each module's calibration
SQL where there is one), never from the generators' internal variables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from icsight.model.codelists import codelist
from icsight.model.schema import PLACES, table
from icsight.synth import community, conditions, hospital
from icsight.synth.calibration import REGISTERED, measurement_dates
from icsight.synth.context import NO_DATE, date_of, day
from tests.generated import Generated

MODULES = (hospital, community)
TABLE_NAMES = ("apc_spells", "ec_attendances", "op_appointments", "rtt_pathways",
               "community_contacts")
ID_COLUMNS = {"apc_spells": "spell_id", "ec_attendances": "attendance_id",
              "op_appointments": "appointment_id", "rtt_pathways": "pathway_id",
              "community_contacts": "contact_id"}


@pytest.fixture(scope="module")
def gen() -> Generated:
    return Generated(20_000, seed=3, modules=MODULES)


# --- shape -----------------------------------------------------------------------------------

def test_tables_have_their_canonical_schemas_and_categories(gen):
    assert set(gen.tables) == set(TABLE_NAMES)
    for name, t in gen.tables.items():
        spec = table(name)
        assert t.schema.equals(spec.schema), name
        assert t.num_rows > 0, name
        for col in spec.columns:
            if not col.nullable:
                assert t[col.name].null_count == 0, (name, col.name)
            if col.categories:
                seen = set(t[col.name].drop_null().unique().to_pylist())
                assert seen <= set(col.categories), (name, col.name, seen)


def test_ids_run_from_one_and_are_unique(gen):
    for name, column in ID_COLUMNS.items():
        ids = gen.tables[name][column].to_numpy()
        assert np.array_equal(np.sort(ids), np.arange(1, len(ids) + 1)), name


def test_same_seed_same_tables_and_another_seed_differs(gen):
    again = {}
    for module in MODULES:
        again.update(module.generate(gen.ctx))
    for name in TABLE_NAMES:
        assert again[name].equals(gen.tables[name]), name
    other = dataclasses.replace(gen.ctx, seed=gen.ctx.seed + 1)
    different = {**hospital.generate(other), **community.generate(other)}
    for name in TABLE_NAMES:
        assert not different[name].equals(gen.tables[name]), name


# --- record windows and consistency ----------------------------------------------------------

EVENT_DAYS = {"apc_spells": "admission_date", "op_appointments": "appointment_date",
              "community_contacts": "start_date"}
END_DAYS = {"apc_spells": "discharge_date", "rtt_pathways": "clock_stop",
            "community_contacts": "end_date"}


def test_events_fall_while_the_person_is_alive_and_registered(gen):
    ctx = gen.ctx
    for name, column in EVENT_DAYS.items():
        assert ctx.in_record(gen.people(name), gen.days(name, column)).all(), name
    arrival = gen.tables["ec_attendances"]["arrival"].cast(pa.int64()).to_numpy() // 86_400_000
    assert ctx.in_record(gen.people("ec_attendances"), arrival).all()
    for name, column in END_DAYS.items():
        person, end = gen.people(name), gen.days(name, column)
        ended = end != NO_DATE
        assert (end[ended] <= ctx.active_end()[person[ended]]).all(), name
        # still open only for people still registered on the reference date
        assert (ctx.active_end()[person[~ended]] == ctx.reference_date).all(), name


def test_pathways_start_while_registered_and_stop_when_people_leave(gen):
    ctx, p = gen.ctx, gen.ctx.pop
    person = gen.people("rtt_pathways")
    start, stop = gen.days("rtt_pathways", "clock_start"), gen.days("rtt_pathways", "clock_stop")
    assert (start >= p.registration_start[person]).all() and (start >= p.dob[person]).all()
    assert (start <= ctx.active_end()[person]).all()
    assert (stop[stop != NO_DATE] >= ctx.window_start).all()  # open at some time in the window
    gone = ctx.active_end()[person] < ctx.reference_date
    assert (stop[gone] != NO_DATE).all()
    status = gen.tables["rtt_pathways"]["status"].to_numpy(zero_copy_only=False)
    assert ((status == "waiting") == (stop == NO_DATE)).all()


def test_spells_and_attendances_are_ordered_in_time(gen):
    assert gen.sql("SELECT count(*) FROM apc_spells WHERE discharge_date < admission_date") == 0
    assert gen.sql("SELECT count(*) FROM ec_attendances WHERE departure <= arrival") == 0
    assert gen.sql("SELECT count(*) FROM community_contacts WHERE end_date < start_date") == 0
    overlapping = """
        WITH s AS (SELECT admission_date, discharge_date, lead(admission_date) OVER (
                     PARTITION BY patient_id ORDER BY admission_date, spell_id) AS next_admission
                   FROM apc_spells WHERE admission_method = 'emergency')
        SELECT count(*) FROM s WHERE next_admission < coalesce(discharge_date, DATE '9999-01-01')
    """
    assert gen.sql(overlapping) == 0
    assert gen.sql(overlapping.replace("apc_spells", "(SELECT patient_id, contact_id AS spell_id, "
                                       "start_date AS admission_date, end_date AS discharge_date,"
                                       " 'emergency' AS admission_method FROM community_contacts"
                                       " WHERE service = 'virtual_ward')")) == 0


def test_deaths_in_hospital_end_on_the_day_of_death(gen):
    died = gen.frame("""
        SELECT s.discharge_date, p.date_of_death FROM apc_spells s JOIN patients p
        USING (patient_id) WHERE s.discharge_destination = 'died'""")
    assert len(died) > 20
    assert (died.discharge_date == died.date_of_death).all()
    in_ed = gen.frame("""SELECT CAST(e.arrival AS DATE) AS d, p.date_of_death FROM ec_attendances e
                         JOIN patients p USING (patient_id) WHERE e.disposal = 'died'""")
    assert (in_ed.d == in_ed.date_of_death).all()
    # the deaths module reads who died in hospital: about 44% of deaths (ONS) [K]
    dead = gen.ctx.pop.death <= gen.ctx.reference_date
    assert 0.38 < gen.ctx.died_in_hospital[dead].mean() < 0.50
    assert not gen.ctx.died_in_hospital[~dead].any()
    assert gen.sql("SELECT count(*) FROM apc_spells WHERE discharge_date IS NULL AND "
                   "discharge_destination IS NOT NULL") == 0


def test_providers_follow_place(gen):
    place = np.array(PLACES)[gen.ctx.pop.place[gen.people("apc_spells")]]
    provider = gen.tables["apc_spells"]["provider_code"].to_numpy(zero_copy_only=False)
    assert set(provider[place == "Milton Keynes"]) == {"RD8"}
    assert set(provider[place == "Luton"]) == {"RC9"}
    outside = np.isin(provider[place == "Central Bedfordshire"], ["RWH", "RGT"]).mean()
    assert 0.25 < outside < 0.42  # "one-in-three" (BLMK Health and Care Strategy, 2023)


# --- A&E -------------------------------------------------------------------------------------

@pytest.mark.parametrize("target_id", ["ae_attendances_per_1000", "ae_4_hours",
                                       "ae_12_hours_type1", "ae_type3_share",
                                       "ae_type1_admitted"])
def test_ae_figures_are_within_tolerance(gen, target_id):
    value, t = gen.target(target_id)
    assert abs(value - t.target) <= t.tolerance, (target_id, value)


def test_ae_waits_are_longer_for_admitted_and_older_patients(gen):
    hours = gen.frame("""
        SELECT disposal = 'admitted' AS admitted,
               date_diff('year', p.month_of_birth, CAST(e.arrival AS DATE)) >= 75 AS old,
               avg(epoch(departure - arrival) / 3600) AS hours
        FROM ec_attendances e JOIN patients p USING (patient_id)
        WHERE department_type = '01' GROUP BY ALL""").set_index(["admitted", "old"]).hours
    assert hours[(True, False)] > 1.5 * hours[(False, False)]
    assert hours[(False, True)] > hours[(False, False)]
    utc_4h = gen.sql("SELECT avg((departure - arrival <= INTERVAL 4 HOUR)::int) FROM "
                     "ec_attendances WHERE department_type = '03'")
    assert utc_4h > 0.9


def test_ae_arrivals_peak_in_the_day_not_the_night(gen):
    by_hour = gen.frame("SELECT hour(arrival) AS h, count(*) AS n FROM ec_attendances "
                        "GROUP BY ALL ORDER BY h").set_index("h").n
    assert by_hour.loc[10:12].mean() > 3 * by_hour.loc[3:5].mean()
    assert by_hour.loc[17:19].mean() > 3 * by_hour.loc[3:5].mean()
    assert gen.sql("SELECT count(*) FROM ec_attendances WHERE department_type = '03' "
                   "AND (hour(arrival) < 8 OR hour(arrival) >= 22)") == 0


def test_admitted_attendances_lead_to_an_emergency_spell_that_day(gen):
    unmatched = gen.sql("""
        SELECT count(*) FROM ec_attendances e WHERE disposal = 'admitted' AND NOT EXISTS (
            SELECT 1 FROM apc_spells s WHERE s.patient_id = e.patient_id
              AND s.admission_method = 'emergency'
              AND s.admission_date = CAST(e.arrival AS DATE))""")
    assert unmatched == 0


# --- admissions ------------------------------------------------------------------------------

@pytest.mark.parametrize("target_id", ["emergency_admissions_per_1000", "chronic_acsc_share",
                                       "emergency_mean_stay", "stays_over_21_days",
                                       "elective_admissions_per_1000",
                                       "elective_day_case_share"])
def test_admission_figures_are_within_tolerance(gen, target_id):
    value, t = gen.target(target_id)
    assert abs(value - t.target) <= t.tolerance, (target_id, value)


def test_asthma_admissions_under_19_are_within_tolerance_over_the_window(gen):
    """Measured over the three 12 months the check reads (its start, middle and end dates),
    pooled: this 20,000-person population has some 8 asthma admissions under 19 in a year, so
    one year's rate varies by about 40% by chance (the tolerance is 47%), three years' by
    about 22%. Read from one year alone it failed here (44 per 100,000, 2 admissions) when
    the conditions were given a random stream each, though six 100,000-person lakes averaged
    155 per 100,000 against 162 before."""
    t = next(t for t in hospital.TARGETS if t.id == "asthma_admissions_under_19")
    dates = measurement_dates(t, date_of(gen.ctx.window_start), gen.ref)
    assert len(dates) == 3
    values = [gen.con.sql(t.sql.format(ref=f"DATE '{on}'")).fetchone()[0] for on in dates]
    assert abs(np.mean(values) - t.target) <= t.tolerance, values


AGE_RATES = """
    SELECT 1000.0 * count(*) / (
        SELECT count(*) FROM patients WHERE registration_end IS NULL AND date_of_death IS NULL
           AND date_diff('year', month_of_birth, {{ref}}) BETWEEN {lo} AND {hi})
    FROM apc_spells s JOIN patients p USING (patient_id)
    WHERE s.admission_method = 'emergency' AND s.admission_date > {{ref}} - INTERVAL 12 MONTH
      AND date_diff('year', p.month_of_birth, s.admission_date) BETWEEN {lo} AND {hi}
"""  # per 1,000 a year, by age at admission (people registered on the reference date)


def test_emergency_admissions_rise_with_age_after_childhood(gen):
    rate = {band: gen.sql(AGE_RATES.format(lo=band[0], hi=band[1]))
            for band in ((0, 0), (5, 14), (15, 44), (65, 74), (85, 120))}
    assert rate[(0, 0)] > 3 * rate[(5, 14)]  # infants 338 vs 35 per 1,000
    assert rate[(85, 120)] > 2.5 * rate[(65, 74)] > 2.5 * rate[(15, 44)] * 0.9
    assert 350 < rate[(85, 120)] < 800


def test_winter_is_busier_than_summer(gen):
    value, t = gen.target("emergency_winter_ratio")
    assert abs(value - t.target) <= t.tolerance
    ae = gen.sql("""SELECT (count(*) FILTER (WHERE month(arrival) IN (12, 1, 2)) / 90.25) /
                           (count(*) FILTER (WHERE month(arrival) IN (6, 7, 8)) / 92.0)
                    FROM ec_attendances""")
    assert ae > 1.02


def test_conditions_deprivation_and_the_last_year_of_life_raise_admissions(gen):
    ctx = gen.ctx
    p, ref = ctx.pop, ctx.reference_date
    count = np.bincount(gen.people("apc_spells")[_emergency(gen)], minlength=p.n)
    age = p.age_on(ctx.active_end())
    alive = (ctx.active_end() == ref) & (p.death == NO_DATE)
    older = alive & (age >= 65) & (age < 85)
    copd = p.conditions["copd"].has
    assert count[older & copd].mean() > 1.5 * count[older & ~copd].mean()
    adults = alive & (age >= 20) & (age < 65)
    assert count[adults & (p.imd_decile <= 2)].mean() > 1.3 * count[adults & (p.imd_decile >= 9)
                                                                     ].mean()
    last_year = gen.sql("""
        SELECT avg(n) FROM (SELECT p.patient_id, count(s.spell_id) AS n FROM patients p
          LEFT JOIN apc_spells s ON s.patient_id = p.patient_id
           AND s.admission_method = 'emergency' AND s.admission_date > p.date_of_death - 365
         WHERE p.date_of_death > {start} + 365 AND date_diff('year', p.month_of_birth,
               p.date_of_death) BETWEEN 75 AND 84 GROUP BY ALL)""")
    survivors = count[alive & (age >= 76) & (age <= 85)].mean() / 5  # five years of record
    assert last_year > survivors + 1.0


def _emergency(gen) -> np.ndarray:
    return gen.tables["apc_spells"]["admission_method"].to_numpy(zero_copy_only=False) == \
        "emergency"


def test_children_on_the_asthma_register_have_asthma_admissions(gen):
    asthma = gen.frame("""
        SELECT patient_id FROM apc_spells s JOIN patients p USING (patient_id)
        WHERE s.admission_method = 'emergency' AND (primary_diagnosis LIKE 'J45%'
              OR primary_diagnosis LIKE 'J46%')
          AND date_diff('year', p.month_of_birth, s.admission_date) < 19""")
    assert len(asthma) > 5
    index = {pid: i for i, pid in enumerate(gen.ctx.pop.patient_id.tolist())}
    on_register = gen.ctx.pop.conditions["asthma"].has[[index[i] for i in asthma.patient_id]]
    assert on_register.mean() > 0.5


#: Emergency diagnoses that come only from a person's own condition (the background list has
#: J459, I500 and E119 but none of these), with the codelist of that condition's diagnosis.
CONDITION_ONLY_CODES = {"J46X": "ast_cod", "I509": "hf_cod", "F03X": "dem_cod",
                        "E101": "dm_cod", "E109": "dm_cod"}


def test_admissions_are_coded_to_a_condition_only_once_it_is_diagnosed(gen):
    """An admission coded to a condition of the person's own (status asthmaticus, heart
    failure unspecified, dementia, type 1 diabetes) follows its diagnosis code in the GP
    record. Coded by the register at the reference date instead, the toddlers who would be
    diagnosed with asthma years later had asthma admissions early in the window, and the
    under-19s' asthma admission rate fell by a fifth over it."""
    gen.con.register("clinical_events", conditions.generate(gen.ctx)["clinical_events"])
    cases = " ".join(
        f"WHEN '{code}' THEN e.snomed_code IN ({','.join(repr(c) for c in codelist(name).codes)})"
        for code, name in CONDITION_ONLY_CODES.items())
    rows = gen.frame(f"""
        SELECT s.spell_id, s.admission_date,
               min(e.date) FILTER (WHERE CASE s.primary_diagnosis {cases} END) AS diagnosed
        FROM apc_spells s LEFT JOIN clinical_events e USING (patient_id)
        WHERE s.admission_method = 'emergency'
          AND s.primary_diagnosis IN ({','.join(repr(c) for c in CONDITION_ONLY_CODES)})
        GROUP BY ALL""")
    assert len(rows) > 30
    assert (rows.diagnosed.notna() & (rows.diagnosed <= rows.admission_date)).all(), rows[
        ~(rows.diagnosed <= rows.admission_date)]


def test_codes_look_like_icd10_and_opcs4(gen):
    codes = gen.frame("SELECT admission_method, primary_diagnosis, primary_procedure "
                      "FROM apc_spells")
    assert codes.primary_diagnosis.str.fullmatch(r"[A-Z]\d{2}[0-9X]").all()
    elective = codes[codes.admission_method == "elective"]
    assert elective.primary_procedure.str.fullmatch(r"[A-Z]\d{3}").all()
    assert codes[codes.admission_method == "emergency"].primary_procedure.isna().all()


# --- outpatients -----------------------------------------------------------------------------

@pytest.mark.parametrize("target_id", ["outpatients_per_person", "outpatient_follow_up_ratio",
                                       "outpatient_dna"])
def test_outpatient_figures_are_within_tolerance(gen, target_id):
    value, t = gen.target(target_id)
    assert abs(value - t.target) <= t.tolerance, (target_id, value)


def test_did_not_attend_is_higher_in_deprived_areas(gen):
    person = gen.people("op_appointments")
    attended = gen.tables["op_appointments"]["attended"].to_numpy(zero_copy_only=False)
    decile = gen.ctx.pop.imd_decile[person]
    assert (attended[decile <= 2] == "dna").mean() > 1.4 * (attended[decile >= 9] == "dna").mean()


# --- waiting list ----------------------------------------------------------------------------

@pytest.mark.parametrize("target_id", ["rtt_waiting_per_100k", "rtt_over_18_weeks",
                                       "rtt_over_52_weeks", "rtt_admitted_share",
                                       "diagnostic_over_6_weeks"])
def test_waiting_list_figures_are_within_tolerance(gen, target_id):
    value, t = gen.target(target_id)
    # ~190 people wait for a test at 20,000 people: a binomial sd of ~3 points
    slack = 1.6 if target_id == "diagnostic_over_6_weeks" else 1.0
    assert abs(value - t.target) <= slack * t.tolerance, (target_id, value)


LIST_ON = """SELECT count(*) FROM rtt_pathways WHERE clock_start <= DATE '{d}'
             AND (clock_stop IS NULL OR clock_stop > DATE '{d}')"""


MEAN_LIST = """
    SELECT count(*) / count(DISTINCT d.t) FROM rtt_pathways r,
        range(DATE '{first}', DATE '{first}' + INTERVAL 1 YEAR, INTERVAL 28 DAY) d(t)
    WHERE r.clock_start <= d.t AND (r.clock_stop IS NULL OR r.clock_stop > d.t)
"""  # the list averaged over a year, every four weeks


def test_the_list_grows_towards_the_reference_date(gen):
    ref = date_of(gen.ctx.reference_date)
    early = gen.sql(MEAN_LIST.format(first=ref.replace(year=ref.year - 4)))
    late = gen.sql(MEAN_LIST.format(first=ref.replace(year=ref.year - 1)))
    assert 0.75 * late < early < 0.97 * late  # referrals grow 4% a year: ~0.89


def test_admitted_clock_stops_are_elective_admissions(gen):
    unmatched = gen.sql("""
        SELECT count(*) FROM rtt_pathways r WHERE status = 'admitted' AND clock_stop >= {start}
          AND NOT EXISTS (SELECT 1 FROM apc_spells s WHERE s.patient_id = r.patient_id
                            AND s.admission_method = 'elective'
                            AND s.admission_date = r.clock_stop
                            AND s.treatment_function = r.treatment_function)""")
    assert unmatched == 0
    gynae_men = gen.sql("SELECT count(*) FROM rtt_pathways JOIN patients USING (patient_id) "
                        "WHERE treatment_function = '502' AND sex = 'male'")
    assert gynae_men == 0


def test_diagnostic_tests_fall_inside_their_pathway(gen):
    bad = gen.sql("""SELECT count(*) FROM rtt_pathways WHERE diagnostic_test_date IS NOT NULL
                     AND (diagnostic_wait_start IS NULL
                          OR diagnostic_test_date < diagnostic_wait_start
                          OR diagnostic_test_date > coalesce(clock_stop, {ref})
                          OR diagnostic_wait_start < clock_start)""")
    assert bad == 0


# --- community -------------------------------------------------------------------------------

@pytest.mark.parametrize("target_id", ["virtual_ward_occupied_per_100k",
                                       "virtual_ward_mean_stay", "ucr_per_100k_month",
                                       "ucr_within_2_hours"])
def test_community_figures_are_within_tolerance(gen, target_id):
    value, t = gen.target(target_id)
    assert abs(value - t.target) <= t.tolerance, (target_id, value)


def test_virtual_wards_open_in_2022_for_older_people(gen):
    first = gen.sql("SELECT min(start_date) FROM community_contacts "
                    "WHERE service = 'virtual_ward'")
    assert first >= date_of(day("2022-04-01"))
    older = gen.sql("""SELECT avg((date_diff('year', month_of_birth, start_date) >= 65)::int)
                       FROM community_contacts JOIN patients USING (patient_id)
                       WHERE service = 'virtual_ward'""")
    assert older > 0.7
    assert gen.sql("SELECT count(*) FROM community_contacts WHERE service = 'virtual_ward' "
                   "AND within_2_hours IS NOT NULL") == 0
    assert gen.sql("SELECT count(*) FROM community_contacts WHERE service = "
                   "'urgent_community_response' AND (within_2_hours IS NULL "
                   "OR end_date <> start_date)") == 0
    started = gen.frame("""SELECT year(start_date) AS y, count(*) AS n FROM community_contacts
                           WHERE service = 'virtual_ward' AND month(start_date) BETWEEN 4 AND 9
                           GROUP BY ALL""").set_index("y").n
    assert started[2022] < 0.5 * started[2025]  # capacity ramps up over two years


# --- no drift over the window ----------------------------------------------------------------

#: Largest relative change allowed between the first and the last 12 months of the window in a
#: rate that no published trend moves. Before final-year admissions were generated for people
#: alive at the end who would die soon after it, and while the window's decedents carried their
#: excess risk all through it, the all-ages rate fell 12% from start to end and the 75+ rate
#: 33% in a 20,000-person population. Measured on 100,000 people (`drift_gen`): at 20,000 the
#: change from seed to seed alone spans about -5% to +5% at all ages and -15% to +15% at 75+
#: (seeds 3-14, 2026), so any change to the generator's draws could fail or pass it by chance.
DRIFT_MARGIN = {"all ages": 0.06, "75+": 0.12}


@pytest.fixture(scope="module")
def drift_gen() -> Generated:
    return Generated(100_000, seed=3, modules=MODULES)
_AGES = {"all ages": "TRUE", "75+": "date_diff('year', month_of_birth, {on}) >= 75"}


def _emergency_rate_at(gen, on: dt.date, ages: str) -> float:
    """Emergency admissions per 1,000 registered in the 12 months to `on`, of people of `ages`
    (at admission; the registered at `on`), as the calibration targets measure them."""
    ref = f"DATE '{on}'"
    return gen.con.sql(f"""
        SELECT 1000.0 * count(*) / (SELECT count(*) FROM ({REGISTERED.format(ref=ref)})
                                    WHERE {ages.format(on=ref)})
        FROM apc_spells JOIN patients USING (patient_id)
        WHERE admission_method = 'emergency' AND admission_date > {ref} - INTERVAL 12 MONTH
          AND admission_date <= {ref} AND {ages.format(on='admission_date')}""").fetchone()[0]


@pytest.mark.parametrize("ages", list(DRIFT_MARGIN))
def test_emergency_admission_rate_does_not_drift_over_the_window(drift_gen, ages):
    gen = drift_gen
    _, target = gen.target("emergency_admissions_per_1000")
    first, _, last = measurement_dates(target, date_of(gen.ctx.window_start), gen.ref)
    start = _emergency_rate_at(gen, first, _AGES[ages])
    end = _emergency_rate_at(gen, last, _AGES[ages])
    assert abs(end / start - 1) < DRIFT_MARGIN[ages], (ages, start, end)
