"""Indicators recomputed independently: plain DuckDB SQL over a lake's Parquet files, written
from each indicator's published definition (its metadata and cited source), not from its Ibis
code, as an analyst checking our numbers would.

Each definition is a SQL query of *units*: one row per unit of the denominator (a person, an
attendance, a spell, a death, a pathway, a birth) or per numerator event (for rates), with the
columns

    practice_code, lsoa_code, sex, age, num, den

(`num` the unit's contribution to the numerator, `den` to the denominator). `by_breakdown`
sums them by every breakdown checked here (ICB, practice, age band, sex, IMD quintile); groups
with no denominator are left out, as the tidy output does.

Shared rules, written here once and independently of `icsight`:

- registered on a day (a period-end list): registration started by then, not ended by then and
  not dead by then (NHS Digital's list size counts people still registered at the end of the
  day; a registration ending, or a death, on the day is off the list);
- registered at an event: started by the event's day, not ended (nor died) before it;
- age on a day: whole years, the month of birth taken as its 1st (`month_of_birth` is the 1st);
- "in the n months to the period end": after the same day n months earlier (the month's last
  day where that day does not exist: DuckDB's month arithmetic), up to and including the
  period end; "in the calendar month": from the 1st of the period end's month;
- age bands 0-17, 18-39, 40-59, 60-79, 80+ (CVDPREVENT's adult bands, children as one);
- IMD quintile: the LSOA of residence's IMD 2019 national quintile (reference table `lsoas`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from icsight.model.codelists import codelist

BREAKDOWNS = ("icb", "practice", "age_band", "sex", "imd_quintile")
TABLES = ("patients", "clinical_events", "medications", "vaccinations", "screening", "apc_spells",
          "ec_attendances", "op_appointments", "rtt_pathways", "maternity", "mh_referrals",
          "community_contacts", "cancer_diagnoses", "deaths", "lsoas", "cancer_pathways",
          "autism_referrals", "mh_admissions", "practices")
AGE_BANDS = ((0, 17, "0-17"), (18, 39, "18-39"), (40, 59, "40-59"), (60, 79, "60-79"),
             (80, 200, "80+"))
#: The 2013 European Standard Population, 0-4, 5-9, ..., 85-89, 90+ (Eurostat 2013, as used by
#: PHOF/Fingertips).
ESP2013 = (5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500,
           5000, 4000, 2500, 1500, 1000)


def connect(lake_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table of the lake's analytics zone."""
    con = duckdb.connect()
    folder = Path(lake_dir) / "analytics"
    for name in TABLES:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')")
    return con


# --- the shared rules, as SQL snippets --------------------------------------------------------

def lit(day: str | dt.date) -> str:
    return f"DATE '{day}'"


def age(day: str, born: str = "month_of_birth") -> str:
    return (f"(year({day}) - year({born}) - CASE WHEN month({born}) > month({day}) "
            f"THEN 1 ELSE 0 END)")


def on_list(day: str, p: str = "p.") -> str:
    return (f"({p}registration_start <= {day} AND ({p}registration_end IS NULL OR "
            f"{p}registration_end > {day}) AND ({p}date_of_death IS NULL OR "
            f"{p}date_of_death > {day}))")


def at_event(day: str, p: str = "p.") -> str:
    return (f"({p}registration_start <= {day} AND ({p}registration_end IS NULL OR "
            f"{p}registration_end >= {day}) AND ({p}date_of_death IS NULL OR "
            f"{p}date_of_death >= {day}))")


def months_before(day: str, n: int) -> str:
    return f"CAST({day} - INTERVAL {n} MONTH AS DATE)"


def in_months(column: str, day: str, n: int) -> str:
    return f"({column} > {months_before(day, n)} AND {column} <= {day})"


def in_month(column: str, day: str) -> str:
    return f"({column} >= date_trunc('month', {day}) AND {column} <= {day})"


def codes(name: str) -> str:
    return ",".join(f"'{c}'" for c in codelist(name).codes)


def starts(column: str, prefixes) -> str:
    return "(" + " OR ".join(f"{column} LIKE '{p}%'" for p in prefixes) + ")"


PERSON = "p.practice_code, p.lsoa_code, p.sex"


# --- the indicators, from their published definitions ---------------------------------------

def cvdp001hyp(d: str) -> str:
    """CVDPREVENT CVDP001HYP: registered patients 18+; numerator on the QOF hypertension
    register (latest HYP_COD on or before the period end after any later HYPRES_COD)."""
    return f"""
    WITH reg AS (
      SELECT patient_id FROM clinical_events WHERE date <= {d} GROUP BY patient_id
      HAVING max(date) FILTER (WHERE snomed_code IN ({codes('hyp_cod')}))
           > coalesce(max(date) FILTER (WHERE snomed_code IN ({codes('hypres_cod')})),
                      DATE '1800-01-01'))
    SELECT {PERSON}, {age(d)} AS age, (r.patient_id IS NOT NULL)::INT AS num, 1 AS den
    FROM patients p LEFT JOIN reg r USING (patient_id)
    WHERE {on_list(d)} AND {age(d)} >= 18"""


def flu_season(day: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """UKHSA: the season runs from 1 September; the cohort is aged 65+ on 31 March of the
    season. In September the season reported is the one just finished (to 31 August)."""
    start = dt.date(day.year if day.month >= 10 else day.year - 1, 9, 1)
    return start, min(day, dt.date(start.year + 1, 8, 31)), dt.date(start.year + 1, 3, 31)


def flu_65(d: str) -> str:
    start, end, cohort = flu_season(dt.date.fromisoformat(d[6:16]))
    return f"""
    WITH v AS (SELECT DISTINCT patient_id FROM vaccinations WHERE vaccine = 'influenza'
               AND date >= {lit(start)} AND date <= {lit(end)})
    SELECT {PERSON}, {age(d)} AS age, (v.patient_id IS NOT NULL)::INT AS num, 1 AS den
    FROM patients p LEFT JOIN v USING (patient_id)
    WHERE {on_list(d)} AND {age(lit(cohort))} >= 65"""


def screening(programme: str, ages: tuple[int, int], months: int, women: bool,
              older_months: int | None = None):
    """Screening coverage (Fingertips KPI definitions): registered people of the eligible age on
    the period end, less those ceased for clinical reasons; numerator an adequate test in the
    look-back (cervical: 3.5 years under 50, 5.5 years 50-64)."""
    def sql(d: str) -> str:
        a = age(d)
        window = in_months("s.date", d, months)
        if older_months is not None:
            window = (f"(CASE WHEN {a} < 50 THEN {window} "
                      f"ELSE {in_months('s.date', d, older_months)} END)")
        return f"""
        SELECT {PERSON}, {a} AS age,
          (EXISTS (SELECT 1 FROM screening s WHERE s.patient_id = p.patient_id
                   AND s.programme = '{programme}' AND s.event = 'tested' AND {window}))::INT
            AS num, 1 AS den
        FROM patients p
        WHERE {on_list(d)} AND {a} BETWEEN {ages[0]} AND {ages[1]}
          {"AND p.sex = 'female'" if women else ""}
          AND NOT EXISTS (SELECT 1 FROM screening s WHERE s.patient_id = p.patient_id
                          AND s.programme = '{programme}' AND s.event = 'ceased'
                          AND s.date <= {d})"""
    return sql


def admissions(condition: str, ages: tuple[int, int] = (0, 200)):
    """A HES-style admission rate: every emergency spell admitted in the 12 months to the period
    end of a person registered when admitted and aged `ages` then (age at admission), including
    people who died or left before the period end; per person registered on the period end
    aged `ages` then."""
    def sql(d: str) -> str:
        a = age("s.admission_date")
        return f"""
        SELECT {PERSON}, {a} AS age, 1 AS num, 0 AS den
        FROM apc_spells s JOIN patients p USING (patient_id)
        WHERE s.admission_method = 'emergency' AND {condition}
          AND {in_months('s.admission_date', d, 12)} AND {at_event('s.admission_date')}
          AND {a} BETWEEN {ages[0]} AND {ages[1]}
        UNION ALL
        SELECT {PERSON}, {age(d)} AS age, 0 AS num, 1 AS den FROM patients p
        WHERE {on_list(d)} AND {age(d)} BETWEEN {ages[0]} AND {ages[1]}"""
    return sql


#: NHS Outcomes Framework 2.3.i chronic ambulatory-care-sensitive conditions (ICD-10 primary
#: diagnosis, NHS Digital IAP00068).
ACSC = ("B180", "B181", "E10", "E11", "E12", "E13", "E14", "D501", "D508", "D509", "F00", "F01",
        "F02", "F03", "G40", "G41", "R56", "O15", "I110", "I130", "I50", "J81", "I20", "I240",
        "I248", "I249", "I25", "I10", "I119", "I48", "J41", "J42", "J43", "J44", "J47", "J45",
        "J46")


def a_and_e(type1_only: bool, over_minutes: int | None, within_minutes: int | None):
    """NHS England A&E: attendances (all types, or type 1) arriving in the calendar month;
    minutes from arrival to departure; age at arrival."""
    def sql(d: str) -> str:
        minutes = "(epoch(e.departure) - epoch(e.arrival)) / 60"
        hit = f"{minutes} <= {within_minutes}" if within_minutes else f"{minutes} > {over_minutes}"
        return f"""
        SELECT {PERSON}, {age('CAST(e.arrival AS DATE)')} AS age, ({hit})::INT AS num, 1 AS den
        FROM ec_attendances e JOIN patients p USING (patient_id)
        WHERE {in_month('CAST(e.arrival AS DATE)', d)}
          {"AND e.department_type = '01'" if type1_only else ""}"""
    return sql


def stays_21d(d: str) -> str:
    """Emergency spells discharged in the calendar month; numerator a length of stay (discharge
    date minus admission date) of 21 days or more; age at admission (HES start age)."""
    return f"""
    SELECT {PERSON}, {age('s.admission_date')} AS age,
      (date_diff('day', s.admission_date, s.discharge_date) >= 21)::INT AS num, 1 AS den
    FROM apc_spells s JOIN patients p USING (patient_id)
    WHERE s.admission_method = 'emergency' AND {in_month('s.discharge_date', d)}"""


def eol_emergency(d: str) -> str:
    """OHID End of Life Care Profiles: deaths in the 12 months; numerator one or more emergency
    admissions in the 365 days before death (admitted on or before the day of death); age at
    death."""
    return f"""
    SELECT {PERSON}, {age('x.date_of_death')} AS age,
      (EXISTS (SELECT 1 FROM apc_spells s WHERE s.patient_id = x.patient_id
               AND s.admission_method = 'emergency'
               AND s.admission_date > x.date_of_death - INTERVAL 365 DAY
               AND s.admission_date <= x.date_of_death))::INT AS num, 1 AS den
    FROM deaths x JOIN patients p USING (patient_id)
    WHERE {in_months('x.date_of_death', d, 12)}"""


def waits(start: str, stop: str, hit: str, where: str = "TRUE"):
    """Waits open on the period end (started on or before it, not stopped by it), with the days
    waited so far (`waited` in `hit`); age on the period end."""
    def sql(d: str) -> str:
        return f"""
        SELECT {PERSON}, {age(d)} AS age,
          (({hit.replace('waited', f"date_diff('day', r.{start}, {d})")}))::INT AS num, 1 AS den
        FROM rtt_pathways r JOIN patients p USING (patient_id)
        WHERE {where} AND r.{start} <= {d} AND (r.{stop} IS NULL OR r.{stop} > {d})"""
    return sql


def premature_mortality(prefix: str):
    """PHOF under-75 mortality (12-month rolling): deaths aged under 75 (age at death) with an
    underlying cause starting `prefix`, of people registered when they died; per registered
    people aged 0-74 on the period end plus everyone who died aged under 75 in the 12 months
    while registered (at risk for part of the year)."""
    def sql(d: str) -> str:
        a = age("x.date_of_death")
        died = (f"FROM deaths x JOIN patients p USING (patient_id) WHERE "
                f"{in_months('x.date_of_death', d, 12)} AND {a} <= 74 AND "
                f"p.registration_start <= x.date_of_death AND (p.registration_end IS NULL OR "
                f"p.registration_end >= x.date_of_death)")
        return f"""
        SELECT {PERSON}, {a} AS age, (x.underlying_cause LIKE '{prefix}%')::INT AS num,
               1 AS den {died}
        UNION ALL
        SELECT {PERSON}, {age(d)} AS age, 0 AS num, 1 AS den FROM patients p
        WHERE {on_list(d)} AND {age(d)} <= 74"""
    return sql


#: A baby born dead before 24 completed weeks is a late fetal loss, not a birth (Stillbirth
#: (Definition) Act 1992; ONS and MBRRACE-UK count live births and stillbirths only).
FETAL_LOSS = ("(m.outcome = 'stillbirth' AND coalesce(m.gestation_at_birth_weeks < 24, FALSE))")


def births(where: str, hit: str):
    """ONS birth characteristics: births (deliveries) in the 12 months, late fetal losses not
    being births; mother's attributes and age at delivery."""
    def sql(d: str) -> str:
        return f"""
        SELECT {PERSON}, {age('m.delivery_date')} AS age, ({hit})::INT AS num, 1 AS den
        FROM maternity m JOIN patients p USING (patient_id)
        WHERE {in_months('m.delivery_date', d, 12)} AND NOT {FETAL_LOSS} AND {where}"""
    return sql


def event_rate(events: str, date: str, ages: tuple[int, int] = (0, 200)):
    """A rate of events per registered person (HES-style, as `admissions`): every event in
    `events` (a query of patient_id and its `date`) in the 12 months, of a person registered
    at the event and aged `ages` then; per person registered on the period end aged `ages`."""
    def sql(d: str) -> str:
        a = age(f"e.{date}")
        return f"""
        SELECT {PERSON}, {a} AS age, 1 AS num, 0 AS den
        FROM ({events}) e JOIN patients p USING (patient_id)
        WHERE {in_months(f'e.{date}', d, 12)} AND {at_event(f'e.{date}')}
          AND {a} BETWEEN {ages[0]} AND {ages[1]}
        UNION ALL
        SELECT {PERSON}, {age(d)} AS age, 0 AS num, 1 AS den FROM patients p
        WHERE {on_list(d)} AND {age(d)} BETWEEN {ages[0]} AND {ages[1]}"""
    return sql


def virtual_ward(d: str) -> str:
    """Registered people on a virtual ward on the period end (admitted by then, not discharged
    by then) per registered person."""
    return f"""
    SELECT {PERSON}, {age(d)} AS age,
      (EXISTS (SELECT 1 FROM community_contacts c WHERE c.patient_id = p.patient_id
               AND c.service = 'virtual_ward' AND c.start_date <= {d}
               AND (c.end_date IS NULL OR c.end_date > {d})))::INT AS num, 1 AS den
    FROM patients p WHERE {on_list(d)}"""


def hpv_by_14(d: str) -> str:
    """UKHSA: registered people aged 14 with an HPV vaccination on record by the period end."""
    return f"""
    SELECT {PERSON}, {age(d)} AS age,
      (EXISTS (SELECT 1 FROM vaccinations v WHERE v.patient_id = p.patient_id
               AND v.vaccine = 'hpv' AND v.date <= {d}))::INT AS num, 1 AS den
    FROM patients p WHERE {on_list(d)} AND {age(d)} = 14"""


def emergency_presentation(d: str) -> str:
    """NDRS Routes to Diagnosis (approximated): new cancer diagnoses in the 12 months; numerator
    an emergency admission with a cancer (C) primary diagnosis in the 30 days up to and
    including the diagnosis date; age at diagnosis."""
    return f"""
    SELECT {PERSON}, {age('c.diagnosis_date')} AS age,
      (EXISTS (SELECT 1 FROM apc_spells s WHERE s.patient_id = c.patient_id
               AND s.admission_method = 'emergency' AND s.primary_diagnosis LIKE 'C%'
               AND s.admission_date <= c.diagnosis_date
               AND s.admission_date > c.diagnosis_date - INTERVAL 30 DAY))::INT AS num,
      1 AS den
    FROM cancer_diagnoses c JOIN patients p USING (patient_id)
    WHERE {in_months('c.diagnosis_date', d, 12)}"""


def register(d: str, diagnosis: str, resolved: str | None) -> str:
    """A QOF register on the period end: patient_ids whose latest `diagnosis` code on or before
    it is after their latest `resolved` code (if any)."""
    latest_resolved = "NULL" if resolved is None else \
        f"max(date) FILTER (WHERE snomed_code IN ({codes(resolved)}))"
    return f"""
      SELECT patient_id FROM clinical_events WHERE date <= {d} GROUP BY patient_id
      HAVING max(date) FILTER (WHERE snomed_code IN ({codes(diagnosis)}))
           > coalesce({latest_resolved}, DATE '1800-01-01')"""


def against_expected(diagnosis: str, resolved: str | None, ages: tuple[int, int],
                     rates: str):
    """Recorded against expected prevalence (NHS Digital's dementia diagnosis rate, the
    hypertension Ready Reckoner): numerator people aged `ages` on the register; denominator
    the registered people aged `ages` each weighted by the prevalence for their age band and
    sex (the packaged reference table `rates`: age_from, age_to, male, female; a person of
    unknown sex gets the mean of the two)."""
    from icsight.model.reference import data_path

    path = data_path("reference", f"{rates}.csv")

    def sql(d: str) -> str:
        a = age(d)
        return f"""
        WITH reg AS ({register(d, diagnosis, resolved)}),
        r AS (SELECT * FROM read_csv('{path}', header = true))
        SELECT {PERSON}, {a} AS age, (reg.patient_id IS NOT NULL)::INT AS num,
          coalesce((SELECT CASE p.sex WHEN 'male' THEN r.male WHEN 'female' THEN r.female
                    ELSE (r.male + r.female) / 2 END FROM r
                    WHERE {a} BETWEEN r.age_from AND r.age_to), 0.0) AS den
        FROM patients p LEFT JOIN reg USING (patient_id)
        WHERE {on_list(d)} AND {a} BETWEEN {ages[0]} AND {ages[1]}"""
    return sql


#: CVDPREVENT applies home and ambulatory thresholds from the 30 June 2024 extract
HOME_BP_FROM = dt.date(2024, 6, 30)


def hypertension(ages: tuple[int, int], outcome: str):
    """CVDPREVENT CVDP007HYP/002/003 (treated to threshold) and CVDP004HYP (a valid BP in 12
    months): patients on the hypertension register aged `ages`. A valid BP is a date with both a
    systolic (>= 50 mmHg) and a diastolic (>= 20 mmHg) QOF code in the 12 months, the day's
    lowest of each; the latest such date's reading is at or below 140/90 (150/90 at 80+), or
    135/85 (145/85 at 80+) when every reading that day was home or ambulatory (extracts from
    30 June 2024)."""
    from icsight.model.codelists import home_diastolic_bp, home_systolic_bp

    def sql(d: str) -> str:
        a = age(d)
        home_s = ",".join(f"'{c}'" for c in home_systolic_bp().codes)
        home_d = ",".join(f"'{c}'" for c in home_diastolic_bp().codes)

        def lowest(name: str, minimum: int, home: str) -> str:
            return f"""SELECT patient_id, date, min(numeric_value) v,
                  bool_and(snomed_code IN ({home})) h FROM clinical_events
                  WHERE snomed_code IN ({codes(name)}) AND numeric_value >= {minimum}
                  AND {in_months('date', d, 12)} GROUP BY ALL"""
        home_rules = dt.date.fromisoformat(d[6:16]) >= HOME_BP_FROM
        ok = {"recorded": "bp.sbp IS NOT NULL",
              "treated": f"""coalesce(bp.sbp <= CASE WHEN bp.home AND {home_rules} THEN
                  (CASE WHEN {a} >= 80 THEN 145 ELSE 135 END) ELSE
                  (CASE WHEN {a} >= 80 THEN 150 ELSE 140 END) END
                  AND bp.dbp <= CASE WHEN bp.home AND {home_rules} THEN 85 ELSE 90 END,
                  FALSE)"""}[outcome]
        return f"""
        WITH reg AS ({register(d, 'hyp_cod', 'hypres_cod')}),
        s AS ({lowest('systolic_bp_qof', 50, home_s)}),
        dd AS ({lowest('diastolic_bp_qof', 20, home_d)}),
        bp AS (SELECT patient_id, arg_max(s.v, date) sbp, arg_max(dd.v, date) dbp,
                      arg_max(s.h AND dd.h, date) home
               FROM s JOIN dd USING (patient_id, date) GROUP BY patient_id)
        SELECT {PERSON}, {a} AS age, ({ok})::INT AS num, 1 AS den
        FROM patients p JOIN reg USING (patient_id) LEFT JOIN bp USING (patient_id)
        WHERE {on_list(d)} AND {a} BETWEEN {ages[0]} AND {ages[1]}"""
    return sql


def on_register_issued(diagnosis: str, resolved: str, ages: tuple[int, int], issued: str,
                       months: int, at_least: int = 1):
    """Patients aged `ages` on a QOF register with at least `at_least` issues of a medicine
    (`issued`, a condition on `medications` m) in the `months` to the period end."""
    def sql(d: str) -> str:
        a = age(d)
        return f"""
        WITH reg AS ({register(d, diagnosis, resolved)})
        SELECT {PERSON}, {a} AS age,
          ((SELECT count(*) FROM medications m WHERE m.patient_id = p.patient_id
            AND ({issued}) AND {in_months('m.date', d, months)}) >= {at_least})::INT AS num,
          1 AS den
        FROM patients p JOIN reg USING (patient_id)
        WHERE {on_list(d)} AND {a} BETWEEN {ages[0]} AND {ages[1]}"""
    return sql


#: OpenPrescribing's SABA measure: salbutamol and terbutaline (BNF chemicals)
SABA = starts("m.bnf_code", ("0301011R0", "0301011V0"))
#: NICE NG106 MRAs: spironolactone, eplerenone (BNF chemicals), or the dm+d codelist
MRA = f"(m.dmd_code IN ({codes('mra_snomed')}) OR " \
      f"coalesce({starts('m.bnf_code', ('0202030S0', '0202030X0'))}, FALSE))"


# --- the indicators added in issue 10 ----------------------------------------------------------

def ld_prevalence(d: str) -> str:
    """QOF learning disability register (LD003; NHS England QOF business rules): anyone with an
    LD_COD code (2024-12-05 release) on or before the period end, no resolution cluster and no
    age limit; recorded prevalence is the register over the whole registered list (QOF
    prevalence publication, all ages)."""
    return f"""
    WITH reg AS ({register(d, 'ld_cod_20241205', None)})
    SELECT {PERSON}, {age(d)} AS age, (reg.patient_id IS NOT NULL)::INT AS num, 1 AS den
    FROM patients p LEFT JOIN reg USING (patient_id)
    WHERE {on_list(d)}"""


#: NHS England PHSMI (2018 guidance; GPES PHSMI business rules): the six elements of a physical
#: health check, each as a codelist the project packages, plus the single codes its metadata
#: names where no public cluster exists (alcohol: 160573003 Alcohol intake; a blood glucose
#: test: 33747003 Glucose measurement, blood, which "blood glucose or HbA1c" allows).
SMI_CHECKS = {
    "bmi": (("bmi_primis",), ()),
    "blood pressure": (("systolic_bp_qof",), ()),
    "lipids": (("chol2_cod",), ()),
    "glucose or HbA1c": (("ifcchbam_cod",), ("33747003",)),
    "alcohol": ((), ("160573003",)),
    "smoking": (("smoking_current_snomed", "smoking_ex_snomed", "smoking_never_snomed"), ()),
}


def smi_health_checks(d: str) -> str:
    """NHS England Physical Health Checks for people with SMI (PHSMI): people of any age on the
    GP SMI register (MH_COD) on the period end; numerator all six checks recorded in the 12
    months to it. (PHSMI also leaves out people coded as in remission, MHREM_COD: no such
    codelist is packaged, so no one is left out here, as in the project.)"""
    def done(lists: tuple[str, ...], single: tuple[str, ...]) -> str:
        wanted = ",".join([codes(n) for n in lists] + [f"'{c}'" for c in single])
        return (f"EXISTS (SELECT 1 FROM clinical_events e WHERE e.patient_id = p.patient_id "
                f"AND e.snomed_code IN ({wanted}) AND {in_months('e.date', d, 12)})")
    all_six = " AND ".join(done(*parts) for parts in SMI_CHECKS.values())
    return f"""
    WITH reg AS ({register(d, 'mh_cod', None)})
    SELECT {PERSON}, {age(d)} AS age, ({all_six})::INT AS num, 1 AS den
    FROM patients p JOIN reg USING (patient_id)
    WHERE {on_list(d)}"""


def _inhaler_values() -> str:
    """OpenPrescribing carbon_salbutamol's values (kg CO2e per inhaler by BNF presentation),
    from the packaged reference table; an inhaler with a propellant is pressurised."""
    from icsight.model.reference import data_path

    path = data_path("reference", "inhaler_carbon.csv")
    return (f"SELECT bnf_code, kg_co2e_per_inhaler AS kg, propellant <> 'none' AS pressurised "
            f"FROM read_csv('{path}', header = true) WHERE level = 'product'")


def _salbutamol_issues(d: str, num: str, den: str) -> str:
    """Issues in the 12 months of a presentation carbon_salbutamol values, to people registered
    when it was issued; age at the issue."""
    return f"""
    SELECT {PERSON}, {age('m.date')} AS age, {num} AS num, {den} AS den
    FROM medications m JOIN ({_inhaler_values()}) v USING (bnf_code)
      JOIN patients p USING (patient_id)
    WHERE {in_months('m.date', d, 12)} AND {at_event('m.date')}"""


def saba_carbon(d: str) -> str:
    """grams CO2e of salbutamol inhalers issued (inhalers x kg per inhaler x 1,000, to whole
    grams; an issue with no quantity is one inhaler), per person registered on the period end
    (all ages, age then)."""
    grams = "round(coalesce(m.quantity, 1) * v.kg * 1000)::BIGINT"
    return f"""{_salbutamol_issues(d, grams, '0')}
    UNION ALL
    SELECT {PERSON}, {age(d)} AS age, 0 AS num, 1 AS den FROM patients p WHERE {on_list(d)}"""


def saba_pmdi_share(d: str) -> str:
    """OpenPrescribing environmental_inhalers, for salbutamol: items (issues), numerator those
    of an inhaler with a propellant (pressurised MDIs, breath-actuated or not)."""
    return _salbutamol_issues(d, "v.pressurised::INT", "1")


#: CWT guidance v12 (from 1 October 2023): the faster diagnosis standard covers urgent suspected
#: cancer, breast symptomatic and screening referrals; the 62-day combined standard those and
#: consultant upgrades. Day 0 is the clock start, so "within 28 days" is a difference of 28 days
#: or less.
FDS_ROUTES = ("urgent_suspected_cancer", "breast_symptomatic", "screening")


def cancer_waits(stop: str, routes: tuple[str, ...], days: int):
    """NHS England Cancer Waiting Times: pathways whose clock stopped (`stop`) in the calendar
    month; numerator a stop at most `days` after the clock start; residents (no registration
    rule); age at the clock start (the referral or upgrade)."""
    def sql(d: str) -> str:
        listed = ",".join(f"'{r}'" for r in routes)
        return f"""
        SELECT {PERSON}, {age('c.referral_date')} AS age,
          (date_diff('day', c.referral_date, c.{stop}) <= {days})::INT AS num, 1 AS den
        FROM cancer_pathways c JOIN patients p USING (patient_id)
        WHERE c.route IN ({listed}) AND {in_month(f'c.{stop}', d)}"""
    return sql


def ucr_2hr(d: str) -> str:
    """NHS England CSDS 2-hour urgent community response: UCR contacts in the calendar month
    whose timing is recorded; numerator care within 2 hours; age at the contact."""
    return f"""
    SELECT {PERSON}, {age('c.start_date')} AS age, c.within_2_hours::INT AS num, 1 AS den
    FROM community_contacts c JOIN patients p USING (patient_id)
    WHERE c.service = 'urgent_community_response' AND c.within_2_hours IS NOT NULL
      AND {in_month('c.start_date', d)}"""


def autism_13wk(d: str) -> str:
    """NHS England Autism Statistics (MHSDS, referral reason 25), on first appointments: referrals
    whose first appointment was in the calendar month; numerator "13 weeks or less" (ASD03):
    91 days or fewer from referral; age at the appointment."""
    return f"""
    SELECT {PERSON}, {age('a.first_appointment_date')} AS age,
      (date_diff('day', a.referral_date, a.first_appointment_date) <= 91)::INT AS num, 1 AS den
    FROM autism_referrals a JOIN patients p USING (patient_id)
    WHERE {in_month('a.first_appointment_date', d)}"""


def oap_bed_days(d: str) -> str:
    """NHS England Out of Area Placements: bed days in the calendar month of inappropriate OAPs
    (no local bed available). A bed day is a night: the days from admission (or the 1st) up to
    the day before discharge (or the period end's night, while still placed); of adults
    registered on the first night in the month, by age that night; per adult registered on the
    period end."""
    first = f"greatest(o.admission_date, CAST(date_trunc('month', {d}) AS DATE))"
    after = f"CAST({d} + INTERVAL 1 DAY AS DATE)"
    nights = f"date_diff('day', {first}, least(coalesce(o.discharge_date, {after}), {after}))"
    return f"""
    SELECT {PERSON}, {age(first)} AS age, {nights} AS num, 0 AS den
    FROM mh_admissions o JOIN patients p USING (patient_id)
    WHERE o.out_of_area AND o.oap_reason = 'bed_unavailable' AND {nights} > 0
      AND {at_event(first)} AND {age(first)} >= 18
    UNION ALL
    SELECT {PERSON}, {age(d)} AS age, 0 AS num, 1 AS den FROM patients p
    WHERE {on_list(d)} AND {age(d)} >= 18"""

#: indicator id -> SQL of its units for a period end (a SQL date literal)
DEFINITIONS = {
    "CVDP001HYP": cvdp001hyp,
    "CVDP007HYP": hypertension((18, 200), "treated"),
    "CVDP002HYP": hypertension((18, 79), "treated"),
    "CVDP003HYP": hypertension((80, 200), "treated"),
    "CVDP004HYP": hypertension((18, 200), "recorded"),
    "HF_MRA": on_register_issued("hf_cod", "hfres_cod", (18, 200), MRA, 6),
    "CYP_ASTHMA_SABA3": on_register_issued("ast_cod", "astres_cod", (5, 17), SABA, 12, 3),
    "CYP_ASTHMA_SABA6": on_register_issued("ast_cod", "astres_cod", (5, 17), SABA, 12, 6),
    "CYP_ASTHMA_SABA12": on_register_issued("ast_cod", "astres_cod", (5, 17), SABA, 12, 12),
    "HYP_DETECTION": against_expected("hyp_cod", "hypres_cod", (18, 200),
                                      "hypertension_expected"),
    "DEMENTIA_DIAGNOSIS_RATE": against_expected("dem_cod", None, (65, 200), "dementia_cfas2"),
    "FLU_65": flu_65,
    "SCREEN_BOWEL": screening("bowel", (60, 74), 30, False),
    "SCREEN_BREAST": screening("breast", (53, 70), 36, True),
    "SCREEN_CERVICAL": screening("cervical", (25, 64), 42, True, 66),
    "EMERG_ADM_RATE": admissions("TRUE"),
    "HF_ADM_DSR": admissions("s.primary_diagnosis LIKE 'I50%'"),
    "CYP_ASTHMA_ADM": admissions(starts("s.primary_diagnosis", ("J45", "J46")), (0, 18)),
    "ACSC_ADM_RATE": admissions(starts("s.primary_diagnosis", ACSC)),
    "AE_4HR": a_and_e(False, None, 240),
    "AE_12HR": a_and_e(True, 12 * 60, None),
    "STAYS_21D": stays_21d,
    "EOL_EMERG_ADM": eol_emergency,
    "RTT_18WK": waits("clock_start", "clock_stop", "waited <= 126"),
    "RTT_52WK": waits("clock_start", "clock_stop", "waited > 364"),
    "DIAG_6WK": waits("diagnostic_wait_start", "diagnostic_test_date", "waited >= 42",
                      "r.diagnostic_wait_start IS NOT NULL"),
    "PREM_MORT_CVD": premature_mortality("I"),
    "PREM_MORT_CANCER": premature_mortality("C"),
    "LOW_BIRTHWEIGHT": births("m.outcome = 'live_birth' AND m.birthweight_grams IS NOT NULL",
                              "m.birthweight_grams < 2500"),
    "PRETERM": births("m.gestation_at_birth_weeks IS NOT NULL",
                      "m.gestation_at_birth_weeks < 37"),
    "SATOD": births("TRUE", "coalesce(m.smoking_at_delivery, FALSE)"),
    # MBRRACE-UK: total births are live births and stillbirths (born dead at 24 weeks or more)
    "STILLBIRTH_RATE": births("m.outcome IN ('live_birth', 'stillbirth')",
                              "m.outcome = 'stillbirth'"),
    "PREM_MORT_RESP": premature_mortality("J"),
    "MSK_REF_RATE": event_rate(
        "SELECT patient_id, appointment_date FROM op_appointments WHERE first_attendance "
        "AND attended = 'attended' AND treatment_function IN ('110', '410')",
        "appointment_date"),
    "CAMHS_REF_RATE": event_rate(
        "SELECT patient_id, referral_date FROM mh_referrals WHERE service = 'camhs'",
        "referral_date", (0, 17)),
    "VIRTUAL_WARD": virtual_ward,
    "HPV_BY_14": hpv_by_14,
    "CANCER_EMERGENCY_PRESENTATION": emergency_presentation,
    "LD_PREVALENCE": ld_prevalence,
    "SMI_HEALTH_CHECKS": smi_health_checks,
    "SABA_CARBON": saba_carbon,
    "SABA_PMDI_SHARE": saba_pmdi_share,
    "CANCER_FDS_28D": cancer_waits("faster_diagnosis_date", FDS_ROUTES, 28),
    "CANCER_62D": cancer_waits("first_treatment_date", (*FDS_ROUTES, "consultant_upgrade"), 62),
    "UCR_2HR": ucr_2hr,
    "AUTISM_13WK": autism_13wk,
    "MH_OAP_BED_DAYS": oap_bed_days,
}
#: observed against expected: the denominator is an expected count (rounded to 2 places)
RATIOS = ("HYP_DETECTION", "DEMENTIA_DIAGNOSIS_RATE")
#: the standardised rates and the ESP2013 bands of their population (youngest to oldest)
DSR_BANDS = {"HF_ADM_DSR": range(0, 19), "PREM_MORT_CVD": range(0, 15),
             "PREM_MORT_CANCER": range(0, 15)}


def _age_band() -> str:
    return "CASE " + " ".join(f"WHEN age BETWEEN {lo} AND {hi} THEN '{label}'"
                              for lo, hi, label in AGE_BANDS) + " END"


def units(con, indicator_id: str, period_end: str) -> pd.DataFrame:
    return con.execute(DEFINITIONS[indicator_id](lit(period_end))).df()


def by_breakdown(con, indicator_id: str, period_end: str, esp: bool = False) -> pd.DataFrame:
    """Numerator and denominator by breakdown and group (and ESP2013 band, if `esp`)."""
    band = ", least(age // 5, 18) AS esp_band" if esp else ""
    extra = ", esp_band" if esp else ""
    sql = f"""
    WITH u AS (SELECT *, {_age_band()} AS age_band{band}
               FROM ({DEFINITIONS[indicator_id](lit(period_end))})),
    g AS (
      SELECT 'icb' AS breakdown, 'BLMK' AS "group"{extra}, num, den FROM u
      UNION ALL SELECT 'practice', practice_code{extra}, num, den FROM u
        WHERE practice_code IS NOT NULL
      UNION ALL SELECT 'age_band', age_band{extra}, num, den FROM u WHERE age_band IS NOT NULL
      UNION ALL SELECT 'sex', sex{extra}, num, den FROM u
      UNION ALL SELECT 'imd_quintile', CAST(l.imd_quintile AS VARCHAR){extra}, num, den
        FROM u JOIN lsoas l USING (lsoa_code))
    SELECT breakdown, "group"{extra}, sum(num)::BIGINT AS numerator,
           {"round(sum(den), 2)" if indicator_id in RATIOS else "sum(den)::BIGINT"}
             AS denominator
    FROM g GROUP BY ALL"""
    out = con.execute(sql).df()
    if esp:
        return out
    return out[out.denominator > 0].reset_index(drop=True)


def _overlaps(band: int, label: str) -> bool:
    lo, hi = next((lo, hi) for lo, hi, name in AGE_BANDS if name == label)
    first, last = 5 * band, (5 * band + 4 if band < 18 else 200)
    return first <= hi and last >= lo


def standardised(con, indicator_id: str, period_end: str) -> pd.DataFrame:
    """Directly standardised rates per 100,000 (Dobson/PHE `calculate_dsr`: sum over bands of
    w_i x_i / n_i, over sum w_i) by breakdown and group, over the indicator's ESP2013 bands;
    an age-band group over the bands its ages fall in (a band-restricted rate). `value` is
    NaN where `calculate_dsr` gives none: a band with no population, or under 10 events."""
    counts = by_breakdown(con, indicator_id, period_end, esp=True)
    rows = []
    for (breakdown, group), g in counts.groupby(["breakdown", "group"]):
        bands = [b for b in DSR_BANDS[indicator_id]
                 if breakdown != "age_band" or _overlaps(b, group)]
        x = g.groupby("esp_band").numerator.sum().reindex(bands, fill_value=0).to_numpy(float)
        n = g.groupby("esp_band").denominator.sum().reindex(bands, fill_value=0).to_numpy(float)
        w = np.array([ESP2013[b] for b in bands], float)
        ok = (n > 0).all() and x.sum() >= 10
        value = (w * x / np.where(n > 0, n, 1)).sum() / w.sum() * 100_000 if ok else np.nan
        rows.append({"breakdown": breakdown, "group": group, "numerator": int(x.sum()),
                     "denominator": int(n.sum()), "value": value})
    out = pd.DataFrame(rows)
    return out[out.denominator > 0].reset_index(drop=True)


# --- life expectancy: deaths and person-years (the life table's inputs) ----------------------

#: OHID PHOF A01b pools three years: deaths in the 36 months to the period end, over the sum of
#: the three mid-year populations (here the registered list on the middle day of each year, 6,
#: 18 and 30 months before the period end).
LE_MID_YEARS = (6, 18, 30)
LE_BREAKDOWNS = ("icb", "place", "imd_quintile", "imd_decile", "core20", "sex")


#: the abridged life table's bands (start ages): 0, 1-4, 5-9, ..., 85-89, 90+
LIFE_TABLE_BANDS = (0, 1, *range(5, 95, 5))


def life_table_counts(con, sex: str, from_age: int, period_end: str,
                      to_age: int = 200) -> pd.DataFrame:
    """Deaths (numerator) and person-years (denominator) of `sex` aged `from_age` and over, by
    breakdown and group: deaths in the 36 months of people registered when they died (age at
    death); person-years the people registered and alive on each mid-year day (age that day),
    summed (ages `from_age` to `to_age`, for one band of a life table). Place from the
    practice, IMD from the LSOA; `sex` is the indicator's own sex."""
    d = lit(period_end)
    died = f"""
      SELECT {PERSON}, 1 AS dead, 0 AS years FROM deaths x JOIN patients p USING (patient_id)
      WHERE {in_months('x.date_of_death', d, 36)} AND p.registration_start <= x.date_of_death
        AND (p.registration_end IS NULL OR p.registration_end >= x.date_of_death)
        AND p.sex = '{sex}' AND {age('x.date_of_death')} BETWEEN {from_age} AND {to_age}"""
    alive = [f"""
      SELECT {PERSON}, 0 AS dead, 1 AS years FROM patients p
      WHERE {on_list(months_before(d, m))} AND p.sex = '{sex}'
        AND {age(months_before(d, m))} BETWEEN {from_age} AND {to_age}"""
             for m in LE_MID_YEARS]
    sql = f"""
    WITH u AS ({" UNION ALL ".join([died, *alive])}),
    w AS (SELECT u.*, pr.place, l.imd_quintile, l.imd_decile FROM u
          LEFT JOIN practices pr USING (practice_code) LEFT JOIN lsoas l USING (lsoa_code)),
    g AS (
      SELECT 'icb' AS breakdown, 'BLMK' AS "group", dead, years FROM w
      UNION ALL SELECT 'place', place, dead, years FROM w WHERE place IS NOT NULL
      UNION ALL SELECT 'imd_quintile', CAST(imd_quintile AS VARCHAR), dead, years FROM w
        WHERE imd_quintile IS NOT NULL
      UNION ALL SELECT 'imd_decile', CAST(imd_decile AS VARCHAR), dead, years FROM w
        WHERE imd_decile IS NOT NULL
      UNION ALL SELECT 'core20', CASE WHEN imd_quintile = 1 THEN 'CORE20' ELSE 'Rest' END,
        dead, years FROM w WHERE imd_quintile IS NOT NULL
      UNION ALL SELECT 'sex', sex, dead, years FROM w)
    SELECT breakdown, "group", sum(dead)::BIGINT AS numerator, sum(years)::BIGINT AS denominator
    FROM g GROUP BY ALL"""
    out = con.execute(sql).df()
    return out[out.denominator > 0].reset_index(drop=True)
