"""Calibration targets for the hospital tables, measured from the generated lake.

Tags: [S] stated in a public source, [K] well-known published figure, [E] engineering estimate.
"""

from __future__ import annotations

from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import BLMK_POPULATION
from icsight.synth.deaths import esp2013_sql
from icsight.synth.hospital.emergency import CHRONIC_ACSC_PREFIXES, EA_RATE_SCALE
from icsight.synth.hospital.waiting_list import WAITING_LIST

_LAST_12M = "{ref} - INTERVAL 12 MONTH"
_POP = f"(SELECT count(*) FROM ({REGISTERED}))"
_EMERGENCY_12M = (f"FROM apc_spells WHERE admission_method = 'emergency' "
                  f"AND admission_date > {_LAST_12M} AND admission_date <= {{ref}}")
_ACSC = " OR ".join(f"primary_diagnosis LIKE '{c}%'" for c in CHRONIC_ACSC_PREFIXES)
_AGE = "date_diff('year', month_of_birth, {ref})"

TARGETS = [
    Target("ae_attendances_per_1000", "A&E attendances (all types) per 1,000, last 12 months",
           430, 40, "per 1,000", "Project estimate: ~430 per 1,000 a year, all "
           "department types [E]",
           f"SELECT 1000.0 * count(*) / {_POP} FROM ec_attendances "
           f"WHERE arrival >= {_LAST_12M} + INTERVAL 1 DAY AND arrival < {{ref}} + INTERVAL 1 DAY"),
    Target("ae_4_hours", "A&E: % left within 4 hours of arrival, last 12 months", 75.0, 2.5,
           "%", "NHS England A&E 4-hour performance ~73-76% in 2024/25, all types [K]; "
           "target 78% by March 2026 [S] (NHS England 2025/26 planning guidance, as "
           "reported by the Nuffield Trust and HSJ)",
           "SELECT 100.0 * avg(CASE WHEN departure - arrival <= INTERVAL 4 HOUR THEN 1 ELSE 0 "
           f"END) FROM ec_attendances WHERE arrival >= {_LAST_12M} + INTERVAL 1 DAY "
           "AND arrival < {ref} + INTERVAL 1 DAY"),
    Target("ae_12_hours_type1", "Type 1 A&E: % over 12 hours from arrival, last 12 months",
           10.0, 3.0, "%", "NHS England: ~10% of type 1 attendances spend 12+ hours in A&E "
           "(2024/25) [K]",
           "SELECT 100.0 * avg(CASE WHEN departure - arrival > INTERVAL 12 HOUR THEN 1 ELSE 0 "
           f"END) FROM ec_attendances WHERE department_type = '01' AND arrival >= {_LAST_12M} "
           "+ INTERVAL 1 DAY AND arrival < {ref} + INTERVAL 1 DAY"),
    Target("ae_type3_share", "A&E attendances at urgent treatment centres (type 3), %", 25.0,
           5.0, "%", "NHS England A&E attendances: type 3 about a quarter to a third of all "
           "attendances [K]",
           "SELECT 100.0 * avg(CASE WHEN department_type = '03' THEN 1 ELSE 0 END) "
           "FROM ec_attendances"),
    Target("ae_type1_admitted", "Type 1 A&E attendances admitted, %", 27.5, 4.0, "%",
           "NHS England A&E statistics: ~25-30% of type 1 attendances admitted [K]",
           "SELECT 100.0 * avg(CASE WHEN disposal = 'admitted' THEN 1 ELSE 0 END) "
           "FROM ec_attendances WHERE department_type = '01'"),
    Target("emergency_admissions_per_1000", "Emergency admissions per 1,000, last 12 months",
           110, 12, "per 1,000", "Project estimate: ~110-115 per 1,000 a year [E]",
           f"SELECT 1000.0 * count(*) / {_POP} {_EMERGENCY_12M}"),
    Target("emergency_admissions_85plus_per_1000", "Emergency admissions per 1,000 aged 85+, "
           "last 12 months", round(520 * EA_RATE_SCALE), 90, "per 1,000",
           f"Project estimate: ~520 per 1,000 at 85+ [E], x{EA_RATE_SCALE} as for all "
           "ages",
           f"SELECT 1000.0 * count(*) / (SELECT count(*) FROM ({REGISTERED}) WHERE {_AGE} >= 85)"
           f" FROM apc_spells s JOIN patients USING (patient_id) WHERE s.admission_method = "
           f"'emergency' AND s.admission_date > {_LAST_12M} AND s.admission_date <= {{ref}} "
           f"AND date_diff('year', month_of_birth, s.admission_date) >= 85"),
    Target("emergency_winter_ratio", "Emergency admissions, Dec-Feb vs Jun-Aug (daily rate)",
           1.15, 0.08, "ratio", "NHS winter pressures: emergency admissions ~10-15% higher in "
           "winter [E]",
           "SELECT (count(*) FILTER (WHERE month(admission_date) IN (12, 1, 2)) / 90.25) / "
           "(count(*) FILTER (WHERE month(admission_date) IN (6, 7, 8)) / 92.0) FROM apc_spells "
           "WHERE admission_method = 'emergency'"),
    Target("chronic_acsc_share", "Emergency admissions for chronic ambulatory-care-sensitive "
           "conditions, %", 17.0, 4.0, "%", "~15-20% of emergency admissions are for ACSCs "
           "[K] (recalled; no published table cited, so in effect a project estimate); "
           "codes as NHS Outcomes Framework 2.3.i",
           f"SELECT 100.0 * avg(CASE WHEN {_ACSC} THEN 1 ELSE 0 END) FROM apc_spells "
           "WHERE admission_method = 'emergency'"),
    # Measured over 12 months at the start, middle and end of the window (it was a five-year
    # average, which hid a fall of a fifth over the window while toddlers' admissions were
    # coded to the asthma they would be diagnosed with later); tolerance wide as a 200,000
    # lake has ~80 such admissions a year.
    Target("asthma_admissions_under_19", "Emergency admissions for asthma under 19 per 100,000 "
           "aged 0-18, last 12 months", 170, 80, "per 100,000", "OHID Fingertips (CYP asthma "
           "admissions under 19): England ~150-200 per 100,000 before 2020 [K]",
           "SELECT 100000.0 * count(*) / (SELECT count(*) FROM (" + REGISTERED + ") WHERE "
           + _AGE + " < 19) FROM apc_spells s JOIN patients USING (patient_id) "
           "WHERE s.admission_method = 'emergency' AND (s.primary_diagnosis LIKE 'J45%' OR "
           "s.primary_diagnosis LIKE 'J46%') "
           "AND s.admission_date > {ref} - INTERVAL 12 MONTH AND s.admission_date <= {ref} "
           "AND date_diff('year', month_of_birth, s.admission_date) < 19"),
    Target("emergency_mean_stay", "Emergency spells: mean length of stay, days", 4.5, 1.0,
           "days", "HES: mean length of stay ~4.5-5 days for emergency admissions [K]",
           "SELECT avg(discharge_date - admission_date) FROM apc_spells "
           "WHERE admission_method = 'emergency' AND discharge_date IS NOT NULL"),
    Target("stays_over_21_days", "Emergency spells of 21+ days, %", 2.5, 1.5, "%",
           "NHS England long-stay patients: ~2-3% of emergency spells stay 21+ days [K]",
           "SELECT 100.0 * avg(CASE WHEN discharge_date - admission_date >= 21 THEN 1 ELSE 0 END)"
           " FROM apc_spells WHERE admission_method = 'emergency' AND discharge_date IS NOT NULL"),
    Target("elective_admissions_per_1000", "Elective admissions per 1,000, last 12 months", 120,
           15, "per 1,000", "HES: ordinary and day case elective admissions ~120-140 per 1,000 "
           "a year [K]",
           f"SELECT 1000.0 * count(*) / {_POP} FROM apc_spells WHERE admission_method = "
           f"'elective' AND admission_date > {_LAST_12M} AND admission_date <= {{ref}}"),
    Target("elective_day_case_share", "Elective admissions as day cases, %", 78.0, 4.0, "%",
           "HES: ~75-80% of elective admissions are day cases [K]",
           "SELECT 100.0 * avg(CASE WHEN patient_classification = 'day_case' THEN 1 ELSE 0 END)"
           " FROM apc_spells WHERE admission_method = 'elective'"),
    Target("outpatients_per_person", "Outpatient appointments per person, last 12 months", 1.1,
           0.15, "per person", "Project estimate [E]: the consultant-led appointments of RTT "
           "pathways only (~0.36 clock starts per person a year, from the waiting list's size "
           "and turnover, each with a first appointment and ~2 follow-ups [K]); HES records "
           "well over 100 million outpatient appointments a year in England, about 2 per "
           "person, including services not generated here [K]",
           f"SELECT count(*) / {_POP} FROM op_appointments "
           f"WHERE appointment_date > {_LAST_12M} AND appointment_date <= {{ref}}",
           lookback_months=24),  # follow-ups belong to pathways begun in the window
    Target("outpatient_follow_up_ratio", "Outpatient follow-up to first appointments", 2.0, 0.3,
           "ratio", "NHS England outpatient transformation: ~2 follow-ups per first [K]",
           "SELECT count(*) FILTER (WHERE NOT first_attendance) / "
           "count(*) FILTER (WHERE first_attendance) FROM op_appointments"),
    Target("outpatient_dna", "Outpatient appointments not attended (DNA), %", 7.0, 1.5, "%",
           "NHS England / HES outpatients: DNA rate ~7-8% [K]",
           "SELECT 100.0 * avg(CASE WHEN attended = 'dna' THEN 1 ELSE 0 END) "
           "FROM op_appointments"),
    Target("rtt_waiting_per_100k", "RTT waiting list per 100,000 registered",
           round(100_000 * WAITING_LIST / BLMK_POPULATION), 1200,
           "per 100,000", "BLMK Health Services Strategy (2024): over 150,000 waiting in "
           "BLMK in summer 2024 [S], per BLMK's registered list (NHS Digital) [S]",
           f"SELECT 100000.0 * count(*) / {_POP} FROM rtt_pathways WHERE status = 'waiting'",
           once=True),  # a pathway's status is as on the reference date
    Target("rtt_over_18_weeks", "RTT waiting list: % waiting over 18 weeks", 45.0, 3.0, "%",
           "BLMK Health Services Strategy (2024): 45% waiting over 18 weeks (summer "
           "2024) [S]",
           "SELECT 100.0 * avg(CASE WHEN {ref} - clock_start > 126 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE status = 'waiting'", once=True),
    Target("rtt_over_52_weeks", "RTT waiting list: % waiting over 52 weeks", 6.7, 1.5, "%",
           "BLMK Health Services Strategy (2024): 10,000 of 150,000 waiting over a "
           "year [S]",
           "SELECT 100.0 * avg(CASE WHEN {ref} - clock_start > 364 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE status = 'waiting'", once=True),
    Target("rtt_admitted_share", "RTT clock stops by admission, last 12 months, %", 25.0, 4.0,
           "%", "NHS England RTT completed pathways: ~25% admitted [K]",
           "SELECT 100.0 * avg(CASE WHEN status = 'admitted' THEN 1 ELSE 0 END) FROM "
           f"rtt_pathways WHERE clock_stop > {_LAST_12M} AND clock_stop <= {{ref}}"),
    Target("diagnostic_over_6_weeks", "Waiting for a diagnostic test: % over 6 weeks", 22.0,
           5.0, "%", "NHS England DM01: ~20-25% waiting 6+ weeks (2024/25) [K]",
           "SELECT 100.0 * avg(CASE WHEN {ref} - diagnostic_wait_start > 42 THEN 1 ELSE 0 END) "
           "FROM rtt_pathways WHERE diagnostic_wait_start IS NOT NULL "
           "AND diagnostic_test_date IS NULL AND clock_stop IS NULL", once=True),
]


# --- heart failure and the end of life: the 12 months to the date measured at ({ref}) -------

_HF_DSR = f"""
WITH pop AS (SELECT least(floor(date_diff('year', month_of_birth, {{ref}}) / 5), 18) AS band,
                    count(*) AS people FROM ({REGISTERED}) GROUP BY 1),
hf AS (SELECT least(floor(date_diff('year', p.month_of_birth, s.admission_date) / 5), 18) AS band,
              count(*) AS admissions
       FROM apc_spells s JOIN patients p USING (patient_id)
       {_EMERGENCY_12M.replace("FROM apc_spells WHERE", "WHERE")}
       AND s.primary_diagnosis LIKE 'I50%'
       GROUP BY 1),
esp AS ({esp2013_sql()})
SELECT 100000.0 * sum(w * coalesce(admissions, 0) / people) / sum(w)
FROM esp JOIN pop USING (band) LEFT JOIN hf USING (band)
"""


# The end-of-life figures read the deaths of the 12 months to {ref} and, for each, the year (or
# 90 days) before it: 24 (or 15) months in all. Measured earlier, a death early in the window
# would have part of its last year before the window, where nothing is generated, and would
# count too few admissions; so they are first measured once that whole look-back fits.
_LOOK_BACK_1Y, _LOOK_BACK_90D = 24, 15


def _end_of_life_sql(days: int, at_least: int) -> str:
    """% of people who died in the 12 months to {ref} with `at_least` emergency admissions in
    the `days` days up to their death."""
    return f"""
    WITH d AS (SELECT patient_id, date_of_death FROM deaths
               WHERE date_of_death > {{ref}} - INTERVAL 12 MONTH AND date_of_death <= {{ref}}),
    per AS (SELECT d.patient_id, count(s.admission_date) AS n FROM d LEFT JOIN apc_spells s
            ON s.patient_id = d.patient_id AND s.admission_method = 'emergency'
            AND s.admission_date > d.date_of_death - {days} AND s.admission_date <= d.date_of_death
            GROUP BY 1)
    SELECT 100.0 * avg(CASE WHEN n >= {at_least} THEN 1 ELSE 0 END) FROM per
    """


TARGETS += [
    Target("heart_failure_admissions", "Emergency admissions for heart failure (I50) per "
           "100,000 (DSR, ESP2013), last 12 months", 140, 30, "per 100,000",
           "British Heart Foundation analysis of HES: 86,474 admissions with a primary "
           "diagnosis of heart failure in England in 2018/19 (~154 per 100,000) [S]; about 9 in "
           "10 are emergencies [E]; England's age mix is close to ESP2013's [E]",
           _HF_DSR),
    Target("end_of_life_3_admissions_90d", "Deaths with 3+ emergency admissions in the last "
           "90 days of life, % of deaths in the last 12 months", 6.2, 3.0, "%",
           "OHID Palliative and end of life care profile December 2023 update: 6.2% of people "
           "who died in England in 2022 [S] (5.6% in 2009 to 7.5% in 2018, Nuffield Trust "
           "QualityWatch [S]); tolerance wide as a small lake has few deaths",
           _end_of_life_sql(90, 3), lookback_months=_LOOK_BACK_90D),
    Target("end_of_life_3_admissions_1y", "Deaths with 3+ emergency admissions in the last "
           "year of life, % of deaths in the last 12 months", 25.0, 5.0, "%",
           "Nuffield Trust QualityWatch 'End of life care': 25% of people who died in England "
           "in 2018 (21% in 2009) [S]",
           _end_of_life_sql(365, 3), lookback_months=_LOOK_BACK_1Y),
    Target("end_of_life_any_admission_1y", "Deaths with an emergency admission in the last "
           "year of life, % of deaths in the last 12 months (EOL_EMERG_ADM)", 78.0, 7.0, "%",
           "Project estimate [E] from Nuffield Trust 'How are hospital services used at the end "
           "of life?' (2024): 43% die in hospital, 80% of them after an emergency admission in "
           "the last month, and a fifth of the others have emergency care in the last month [S]",
           _end_of_life_sql(365, 1), lookback_months=_LOOK_BACK_1Y),
    Target("end_of_life_any_admission_90d", "Deaths with an emergency admission in the last "
           "90 days of life, % of deaths in the last 12 months", 60.0, 8.0, "%",
           "Project estimate [E], as for the last year of life",
           _end_of_life_sql(90, 1), lookback_months=_LOOK_BACK_90D),
]
