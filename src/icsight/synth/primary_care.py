"""Primary care records: blood pressure, measurements, health checks and prescribing.

What the strategy cares about is built in on purpose:

* **Blood pressure** for people with hypertension: how often it is measured (less often in the
  young and the deprived) and whether it is controlled (worse in deprived areas, in younger
  people and in Black patients; better in Asian patients: the CVDPREVENT annual report to March
  2024, as HQIP summarises it, and Rison et al. BJGP 2023). About 60-65% end up treated
  to target, as in England's CVDP007HYP. Adults without hypertension have occasional readings,
  some of them high (undiagnosed hypertension, for case finding).
* **Inhalers**: asthma patients' SABA issues follow a skewed (gamma-Poisson) distribution so
  that about 40% get 3+ and about 17% 6+ a year (project estimate [E]), more in deprived
  areas: SABA over-reliance.
* **Heart failure medicines** with low SGLT2i and MRA uptake (~35-45%).
* **SMI physical health checks**: roughly 60% of people with SMI get all six each year (seed
  002: "40% did not receive their health check").

Readings are coded with the QOF BP observables (`systolic_bp_qof`, `diastolic_bp_qof`); some
are ambulatory. When several readings are taken at one visit, each is recorded.

**One row per fact.** An event row (person, day, code, value) and a medicine issue (person, day,
product) carry no time or record id, so two identical rows cannot be told apart from one row
sent twice, and ingestion rightly refuses the second as a duplicate (`icsight.ingest.commit`).
So a repeat reading that reads the same as the first is written once, and two issues of one
product to one person on one day are one issue of their total quantity (as a prescriber would
issue them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from icsight.model.codelists import codelist
from icsight.model.schema import ETHNICITY_GROUPS
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    categorical,
    day,
    pick_days_at_age,
    pick_days_for,
)
from icsight.synth.context import to_table as _to_table

STREAM = "primary_care"

# Clinic systolic/diastolic code pairs and how often each is used [E]; and the ambulatory pair.
CLINIC_BP_CODES = (("271649006", "271650006", 0.85), ("72313002", "1091811000000102", 0.10),
                   ("407554009", "407555005", 0.05))
AMBULATORY_BP_CODES = ("198081000000101", "198091000000104")
AMBULATORY_SHARE = 0.07
SAME_DAY_REPEAT = 0.12  # readings followed by a second reading at the same visit [E]
INVALID_READING = 0.002  # mistyped readings (e.g. systolic 14) that validation must discard

# Measurement codes (SNOMED CT UK edition) [K]: BMI (in PRIMIS BMI), serum cholesterol (in
# NHS Digital CHOL2_COD), HbA1c (IFCC, in IFCCHBAM_COD), alcohol intake (units/week; there is
# no public alcohol codelist, so the code the indicator names).
BMI, CHOLESTEROL, HBA1C, ALCOHOL = "60621009", "1005671000000105", "999791000000106", "160573003"
#: each check's codelist, which the code written must belong to
CHECK_CODELISTS = {BMI: "bmi_primis", CHOLESTEROL: "chol2_cod", HBA1C: "ifcchbam_cod"}
SMOKER, EX_SMOKER, NEVER_SMOKED = "77176002", "160617001", "266919005"
ASTHMA_REVIEW, SPIROMETRY = "270442000", "127783003"

# P(a BP reading in any 12 months) for people with hypertension, by age [E], calibrated so
# ~85-90% have one (project estimate); lower in the deprived.
RECORDED_AGES, RECORDED_P = (18, 40, 60, 80), (0.76, 0.86, 0.93, 0.94)
SABA_MEAN_PER_YEAR = 2.6
# P(controlled) by age [E] (CVDPREVENT: younger people less often treated to target); set so
# the register measures ~62% treated to target with diagnoses spread over the age curve.
CONTROL_AGES, CONTROL_P = (18, 40, 60, 80), (0.50, 0.61, 0.74, 0.76)
# Deprivation's own effect on control: the most and least deprived tenth differ by ~2 x this
# [E]. It is small because most of the gap CVDPREVENT reports (~3-5 pp between quintiles,
# the `bp_control_deprivation_gap` target) comes with it anyway: fewer readings in deprived
# areas (a person without one is not treated to target) and their younger registers.
CONTROL_DEPRIVATION = 0.005
CONTROL_ETHNICITY = {"Black": -0.05, "Asian": 0.04}  # Rison et al. BJGP 2023 direction [S]

# Medicines: (name, codelist, exact dm+d VMP term, BNF chemical substance code [K]).
PRODUCTS = {
    "ramipril": ("ace_inhibitor_snomed", "Ramipril 5mg capsules", "0205051R0"),
    "losartan": ("arb_snomed", "Losartan 50mg tablets", "0205052N0"),
    "amlodipine": ("ccb_snomed", "Amlodipine 5mg tablets", "0206020A0"),
    "indapamide": ("thiazide_like_diuretic_snomed", "Indapamide 2.5mg tablets", "0202010P0"),
    "bisoprolol": ("beta_blocker_snomed", "Bisoprolol 2.5mg tablets", "0204000H0"),
    "spironolactone": ("mra_snomed", "Spironolactone 25mg tablets", "0202030S0"),
    "dapagliflozin": ("sglt2i_snomed", "Dapagliflozin 10mg tablets", "0601023AG"),
    "empagliflozin": (
        "sglt2i_snomed",
        "Product containing precisely empagliflozin 10 milligram/1 each conventional release oral "
        "tablet", "0601023AN"),
    "salbutamol": ("saba_salbutamol_inhaler_dmd", "Salbutamol 100micrograms/dose inhaler CFC free",
                   None),
    "beclometasone": ("ics_inhaler_dmd", "Beclometasone 100micrograms/dose inhaler", None),
    # salbutamol brands and devices (dm+d AMPs), each valued by OpenPrescribing's
    # carbon_salbutamol measure (`reference/inhaler_carbon.csv`)
    "ventolin_evohaler": ("saba_salbutamol_inhaler_dmd",
                          "Ventolin 100micrograms/dose Evohaler (GlaxoSmithKline UK Ltd)", None),
    "salamol": ("saba_salbutamol_inhaler_dmd",
                "Salamol 100micrograms/dose inhaler CFC free (Teva UK Ltd)", None),
    "salamol_easi_breathe": ("saba_salbutamol_inhaler_dmd",
                             "Salamol 100micrograms/dose Easi-Breathe inhaler (Teva UK Ltd)", None),
    "easyhaler_salbutamol": (
        "saba_salbutamol_inhaler_dmd",
        "Easyhaler Salbutamol sulfate 100micrograms/dose dry powder inhaler "
        "(Orion Pharma (UK) Ltd)",
        None),
    "ventolin_accuhaler": ("saba_salbutamol_inhaler_dmd",
                           "Ventolin 200micrograms/dose Accuhaler (GlaxoSmithKline UK Ltd)", None),
}
#: Which salbutamol inhaler a patient uses (kept for all their issues): about 90% of
#: salbutamol items pressurised MDIs (generic and Ventolin large-volume, Salamol small-volume,
#: a few breath-actuated), the rest dry powder. Project estimate [E], consistent with about 70%
#: of all inhalers prescribed in England being MDIs (Wilkinson et al., BMJ Open
#: 2019;9:e028763) [S] and relievers being mostly MDIs (OpenPrescribing carbon_salbutamol) [K].
SABA_DEVICE_MIX = {"salbutamol": 0.45, "ventolin_evohaler": 0.25, "salamol": 0.17,
                   "salamol_easi_breathe": 0.03, "easyhaler_salbutamol": 0.06,
                   "ventolin_accuhaler": 0.04}
HF_UPTAKE = {"ramipril": 0.80, "bisoprolol": 0.85, "spironolactone": 0.42,
             "dapagliflozin": 0.36}  # project estimate [E]
SGLT2I_SINCE = "2021-06-01"  # NICE TA679 (Feb 2021) dapagliflozin for HFrEF; uptake since [K]
# BLMK Health and Care Strategy (2023): 40% of people with SMI did not get their health check
SMI_ALL_SIX = 0.62


def product(name: str) -> tuple[str, str]:
    """(dm+d code, BNF code) of a product, looked up by its VMP term in its codelist."""
    listname, term, bnf = PRODUCTS[name]
    cl = codelist(listname)
    matches = [c for c, t in cl.terms.items() if t == term]
    if not matches:  # fall back to the shortest term that starts with it (e.g. an AMP)
        starts = sorted((len(t), c) for c, t in cl.terms.items() if t.startswith(term))
        if not starts:
            raise KeyError(f"{term!r} is not in codelist {listname}")
        matches = [starts[0][1]]
    code = min(matches)
    if bnf is None:  # the inhaler lists carry BNF presentation codes
        bnf = _bnf_from_file(listname, code)
    return code, bnf


def _bnf_from_file(listname: str, code: str) -> str:
    import csv

    from icsight.model.reference import data_path

    with data_path("codelists", f"{listname}.csv").open(encoding="utf-8") as f:
        return next(r["bnf_code"] for r in csv.DictReader(f) if r["code"] == code)


class _Events:
    """Collects (person, day, code, value) rows and filters them to each person's record.

    Codes are held as small integers into a list of distinct codes (a dictionary encoding):
    millions of rows share a few dozen codes.
    """

    def __init__(self, ctx: SynthContext):
        self.ctx = ctx
        self.codes: list[str] = []
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def _code_index(self, code, n: int) -> np.ndarray:
        if isinstance(code, str):
            if code not in self.codes:
                self.codes.append(code)
            return np.full(n, self.codes.index(code), np.int16)
        distinct, inverse = np.unique(np.asarray(code, dtype=str), return_inverse=True)
        lookup = np.array([self._code_index(str(c), 1)[0] for c in distinct], np.int16)
        return lookup[inverse]

    def add(self, person, days, code, value=None):
        person = np.asarray(person, np.int64)
        days = np.asarray(days, np.int32)
        codes = self._code_index(code, len(person))
        values = (np.full(len(person), np.nan) if value is None
                  else np.asarray(value, np.float64))
        keep = self.ctx.in_record(person, days)
        self.parts.append((person[keep], days[keep], codes[keep], values[keep]))

    def table(self) -> pa.Table:
        person, days, codes, values = (np.concatenate(x) for x in zip(*self.parts, strict=True))
        first = first_of_identical(person, days, codes, values)
        person, days, codes, values = person[first], days[first], codes[first], values[first]
        return _to_table("clinical_events", {
            "patient_id": self.ctx.pop.patient_id[person], "date": days,
            "snomed_code": categorical(self.codes, codes), "numeric_value": values,
        })


def _row_key(*columns: np.ndarray) -> np.ndarray:
    """One integer per row, equal for rows equal in every (integer) column: hashing one
    column is several times faster than comparing rows column by column."""
    key = np.zeros(len(columns[0]), np.int64)
    width = 1
    for column in columns:
        column = np.asarray(column, np.int64)
        low, high = (int(column.min()), int(column.max())) if len(column) else (0, 0)
        width *= high - low + 1
        if width >= 2**62:
            raise ValueError("the columns take too many values to pack into one key")
        key = key * (high - low + 1) + (column - low)
    return key


def first_of_identical(*columns: np.ndarray) -> np.ndarray:
    """Which rows to keep so that no two kept rows are equal in every column: the first of
    each set of identical rows. A missing value (NaN) equals a missing value."""
    whole = [c for c in columns if c.dtype.kind in "iu"]
    other = [c for c in columns if c.dtype.kind not in "iu"]
    key = _row_key(*whole) if whole else np.zeros(len(columns[0]), np.int64)
    keep = np.ones(len(key), bool)
    # only rows sharing their integer columns with another row can repeat one
    maybe = np.flatnonzero(pd.Series(key).duplicated(keep=False).to_numpy())
    frame = pd.DataFrame({"key": key[maybe], **{i: c[maybe] for i, c in enumerate(other)}})
    keep[maybe] = ~frame.duplicated(keep="first").to_numpy()
    return keep


def one_issue_per_day(person: np.ndarray, days: np.ndarray, product_index: np.ndarray,
                      quantity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows to keep, their quantities): the issues of one product to one person on one day
    become the first of them, carrying their total quantity."""
    # groups are numbered in the order they first appear, so a row is the first of its
    # group when its number is higher than any before it
    group = pd.factorize(_row_key(person, days, product_index))[0]
    keep = group > np.maximum.accumulate(np.concatenate(([-1], group)))[:-1]
    return keep, np.bincount(group, weights=quantity, minlength=int(keep.sum()))


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """Clinical events (BP, measurements, checks) and medications for the whole population."""
    rng = ctx.rng(STREAM)
    events = _Events(ctx)
    _blood_pressure(ctx, rng, events)
    _measurements(ctx, rng, events)
    _smi_checks(ctx, rng, events)
    _asthma_care(ctx, rng, events)
    meds = _medications(ctx, rng)
    return {"clinical_events": events.table(), "medications": meds}


def _start_of_care(ctx, cond) -> np.ndarray:
    return np.maximum(cond.diagnosed, ctx.window_start).astype(np.int32)


def _ever_on_register(cond) -> np.ndarray:
    """On the register at the reference date, or for a while before a resolution code."""
    return cond.has | (cond.resolved != NO_DATE)


def _end_of_care(cond, end: np.ndarray) -> np.ndarray:
    """Last day of care for the condition: the end of the record, or the day before its
    resolution for people whose condition was resolved (and not diagnosed again)."""
    return np.where(cond.has, end, np.minimum(end, cond.resolved.astype(np.int64) - 1))


def _blood_pressure(ctx: SynthContext, rng, events: _Events) -> None:
    p = ctx.pop
    end = ctx.active_end()
    age = p.age_on(end)
    htn = p.conditions["hypertension"].has
    adult = age >= 18

    # People with hypertension: regular readings; controlled or not, as suits their age on
    # the day of each reading (`_hypertension_means`).
    who = np.flatnonzero(htn & adult)
    person, days = _hypertension_visits(ctx, rng, who, end)
    sbp_mean, dbp_mean = _hypertension_means(ctx, rng, person, days)
    _readings(rng, events, person, days, sbp_mean, dbp_mean)

    # Everyone else aged 18+: occasional readings (more from 40, for NHS Health Checks), with
    # pressures that rise with their age on the day.
    who = np.flatnonzero(~htn & adult)

    def rate_at(_person: np.ndarray, age_then: np.ndarray) -> np.ndarray:
        return np.where(age_then >= 40, 0.4, np.where(age_then >= 18, 0.2, 0.0))

    person, days = pick_days_at_age(rng, p, who, rate_at, np.full(len(who), 0.4),
                                    np.full(len(who), ctx.window_start, np.int32), end[who])
    age_then = _age_at(p, person, days)
    sbp_mean = (112 + 0.45 * np.clip(age_then - 20, 0, None) + 8 * p.health[person]
                + rng.normal(0, 9, p.n)[person])
    dbp_mean = 72 + 0.12 * np.clip(age_then - 20, 0, 40) + rng.normal(0, 6, p.n)[person]
    _readings(rng, events, person, days, sbp_mean, dbp_mean)


def _age_at(p, person: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Exact age in years of each person on each day."""
    return (days - p.dob[person]) / DAYS_PER_YEAR


def _recording_rate(age: np.ndarray, imd_decile: np.ndarray) -> np.ndarray:
    """Visits a year with a BP reading for a person with hypertension, so that the chance of
    one in any 12 months is `RECORDED_P` at their age (lower in the deprived)."""
    recorded = np.interp(age, RECORDED_AGES, RECORDED_P) - 0.015 * (5.5 - imd_decile) / 4.5
    return -np.log(1 - np.clip(recorded, 0.05, 0.97))


def _hypertension_visits(ctx, rng, who: np.ndarray, end: np.ndarray):
    """(person, day) of BP visits, at the rate for the person's age on the day (the rate rises
    with age, so the highest of a person's span is at one end of it)."""
    p = ctx.pop
    start = _start_of_care(ctx, p.conditions["hypertension"])[who]

    def rate_at(person: np.ndarray, age: np.ndarray) -> np.ndarray:
        return np.where(age >= 18, _recording_rate(age, p.imd_decile[person]), 0.0)

    top = np.maximum(rate_at(who, _age_at(p, who, start)), rate_at(who, _age_at(p, who, end[who])))
    return pick_days_at_age(rng, p, who, rate_at, top, start, end[who])


def _hypertension_means(ctx, rng, person: np.ndarray, days: np.ndarray):
    """Each reading's expected systolic and diastolic pressure.

    Whether a person is treated to target depends on their age on the day (`_control_chance`)
    through one lasting draw per person, so someone stays controlled or not as they age,
    unless the chance for their age moves past their draw. Controlled pressures sit below the
    threshold for their age on the day (150/90 from 80, else 140/90), as they are treated to
    it; each person keeps their own offset around the mean.
    """
    p = ctx.pop
    draw, offset_s, offset_d = rng.random(p.n), rng.normal(0, 5, p.n), rng.normal(0, 5, p.n)
    age = _age_at(p, person, days)
    controlled = draw[person] < _control_chance(ctx, person, age)
    over80 = age >= 80
    threshold = np.where(over80, 150.0, 140.0)
    sbp = np.where(controlled, threshold - 13, threshold + 14) + offset_s[person]
    dbp = np.where(controlled, np.where(over80, 71, 78), 88) + offset_d[person]
    return sbp, dbp


def _control_chance(ctx, person: np.ndarray, age: np.ndarray) -> np.ndarray:
    """P(treated to target) at an age, by deprivation and ethnicity (CVDPREVENT directions)."""
    p = ctx.pop
    prob = np.interp(age, CONTROL_AGES, CONTROL_P)
    prob += CONTROL_DEPRIVATION * (p.imd_decile[person] - 5.5) / 4.5
    for group, shift in CONTROL_ETHNICITY.items():
        prob += np.where(p.ethnicity_group[person] == ETHNICITY_GROUPS.index(group), shift, 0.0)
    return prob


def _readings(rng, events, person, days, sbp_mean, dbp_mean) -> None:
    """Record a systolic and a diastolic reading per visit (around the visit's expected
    pressures), some repeated, some ambulatory."""
    n = len(person)
    noise = rng.normal(0, 7, n)
    sbp = np.round(sbp_mean + noise)
    dbp = np.round(dbp_mean + 0.35 * noise + rng.normal(0, 4, n))
    ambulatory = rng.random(n) < AMBULATORY_SHARE
    sbp[ambulatory] -= 5  # no white-coat effect at home
    dbp[ambulatory] -= 3
    pair = np.searchsorted(np.cumsum([c[2] for c in CLINIC_BP_CODES]), rng.random(n) * 0.9999)
    sys_codes = np.array([c[0] for c in CLINIC_BP_CODES], object)[pair]
    dia_codes = np.array([c[1] for c in CLINIC_BP_CODES], object)[pair]
    sys_codes[ambulatory], dia_codes[ambulatory] = AMBULATORY_BP_CODES
    typo = rng.random(n) < INVALID_READING
    sbp[typo] = np.round(sbp[typo] / 10)  # a digit dropped
    events.add(person, days, sys_codes, sbp)
    events.add(person, days, dia_codes, dbp)
    again = (rng.random(n) < SAME_DAY_REPEAT) & ~ambulatory
    drop_s = np.abs(rng.normal(4, 4, again.sum()))
    drop_d = np.abs(rng.normal(2, 3, again.sum()))
    events.add(person[again], days[again], sys_codes[again], np.round(sbp[again] - drop_s))
    events.add(person[again], days[again], dia_codes[again], np.round(dbp[again] - drop_d))


def _measurements(ctx, rng, events) -> None:
    p = ctx.pop
    end = ctx.active_end()
    age = p.age_on(end)
    adult = np.flatnonzero(age >= 18)
    start = np.full(len(adult), ctx.window_start, np.int32)
    # BMI every few years; more with long-term conditions.
    ltc = _ltc_count(p)
    person, days = pick_days_for(rng, adult, 0.25 + 0.15 * ltc[adult], start, end[adult])
    bmi = 27.5 + 0.35 * (5.5 - p.imd_decile) + 1.5 * p.health + rng.normal(0, 4.5, p.n)
    events.add(person, days, BMI, np.round(np.clip(bmi[person] + rng.normal(0, 0.8, len(person)),
                                                   14, 70), 1))
    # Smoking status: ~12% smoke, ~20% in the most deprived tenth, ~7% in the least (4.2).
    smoker_p = np.interp(p.imd_decile, [1, 10], [0.21, 0.07]) * np.where(
        p.conditions["copd"].has | p.conditions["smi"].has, 2.2, 1.0)
    status = np.where(rng.random(p.n) < smoker_p, 0, np.where(rng.random(p.n) < 0.3, 1, 2))
    person, days = pick_days_for(rng, adult, 0.3 + 0.1 * ltc[adult], start, end[adult])
    events.add(person, days, np.array([SMOKER, EX_SMOKER, NEVER_SMOKED], object)[status[person]])
    ctx.smoker = status == 0
    # Diabetes: HbA1c twice a year; cholesterol yearly for people with CVD risk conditions.
    dm = np.flatnonzero(p.conditions["diabetes"].has)
    person, days = pick_days_for(rng, dm, np.full(len(dm), 1.8), _start_of_care(
        ctx, p.conditions["diabetes"])[dm], end[dm])
    hba1c = 55 + 6 * (5.5 - p.imd_decile) / 4.5 + rng.normal(0, 12, p.n)
    events.add(person, days, HBA1C, np.round(np.clip(hba1c[person] + rng.normal(0, 5, len(person)),
                                                     30, 150)))
    risk = np.flatnonzero((p.conditions["diabetes"].has | p.conditions["hypertension"].has
                           | p.conditions["ckd"].has) & (age >= 18))
    person, days = pick_days_for(rng, risk, np.full(len(risk), 0.8), np.full(
        len(risk), ctx.window_start, np.int32), end[risk])
    cholesterol = np.round(rng.normal(4.8, 1.0, len(person)).clip(2, 10), 1)
    events.add(person, days, CHOLESTEROL, cholesterol)


def _ltc_count(p) -> np.ndarray:
    names = ("hypertension", "asthma", "diabetes", "copd", "heart_failure", "ckd", "smi")
    return sum(p.conditions[n].has.astype(np.int8) for n in names)


def _smi_checks(ctx, rng, events) -> None:
    """Each year, a person with SMI gets all six checks (BMI, BP, cholesterol, HbA1c, alcohol,
    smoking) or, failing that, a random part of them."""
    for code, listname in CHECK_CODELISTS.items():
        assert code in codelist(listname), (code, listname)
    p = ctx.pop
    smi = np.flatnonzero(p.conditions["smi"].has)
    engaged = np.clip(rng.beta(2.3, 1.7, len(smi)) * SMI_ALL_SIX / 0.575, 0, 1)
    for year in range(5):
        year_end = ctx.reference_date - int(year * DAYS_PER_YEAR)
        full = rng.random(len(smi)) < engaged
        # the checks of a year fall within it (up to 4 days apart); a year after the person
        # left or died has none (`events.add` keeps what falls in their record), rather than
        # every later year's checks piling up on their last day
        when = (year_end - rng.integers(4, 364, len(smi))).astype(np.int32)
        for code, value in ((BMI, rng.normal(30, 6, len(smi)).round(1)),
                            (CHOLESTEROL, rng.normal(5.0, 1.0, len(smi)).round(1)),
                            (HBA1C, rng.normal(42, 9, len(smi)).round()),
                            (ALCOHOL, rng.poisson(8, len(smi)).astype(float)),
                            (SMOKER, None), ("bp", None)):
            done = full | (rng.random(len(smi)) < 0.45)
            who, on = smi[done], when[done] + rng.integers(0, 5, done.sum())
            if code == "bp":
                events.add(who, on, CLINIC_BP_CODES[0][0], rng.normal(128, 14, len(who)).round())
                events.add(who, on, CLINIC_BP_CODES[0][1], rng.normal(80, 9, len(who)).round())
            elif code == SMOKER:
                smokes = ctx.smoker[who]
                events.add(who, on, np.where(smokes, SMOKER, EX_SMOKER).astype(object))
            else:
                events.add(who, on, code, value[done])


def _asthma_care(ctx, rng, events) -> None:
    p = ctx.pop
    asthma = p.conditions["asthma"]
    who = np.flatnonzero(_ever_on_register(asthma))  # reviewed until resolved, if it is
    end = ctx.active_end()
    person, days = pick_days_for(rng, who, np.full(len(who), 0.6), _start_of_care(ctx, asthma)[who],
                                 _end_of_care(asthma, end)[who])
    events.add(person, days, ASTHMA_REVIEW)
    # Objective test (spirometry) around diagnosis: less often in children [E].
    age_dx = ((asthma.diagnosed[who] - p.dob[who]) / DAYS_PER_YEAR)
    tested = rng.random(len(who)) < np.where(age_dx < 16, 0.25, 0.45)
    on = asthma.diagnosed[who] + rng.integers(-60, 90, len(who))
    events.add(who[tested], np.minimum(on[tested], end[who[tested]]), SPIROMETRY)


def _medications(ctx: SynthContext, rng) -> pa.Table:
    p = ctx.pop
    end = ctx.active_end()
    age = p.age_on(end)
    rows: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]] = []

    def repeat(people, start, drug, every=56, quantity=56.0):
        person, days = _schedule(rng, people, start, end[people], every)
        rows.append((person, days, drug, np.full(len(person), quantity)))

    htn = p.conditions["hypertension"]
    treated = np.flatnonzero(htn.has & (rng.random(p.n) < 0.87))
    start = htn.diagnosed[treated] + rng.integers(0, 180, len(treated))
    black = p.ethnicity_group[treated] == ETHNICITY_GROUPS.index("Black")
    ccb_first = (age[treated] >= 55) | black
    n_drugs = 1 + (rng.random(len(treated)) < 0.55) + (rng.random(len(treated)) < 0.35)
    acei = rng.random(len(treated)) < 0.6
    first = np.where(ccb_first, "amlodipine", np.where(acei, "ramipril", "losartan"))
    second = np.where(ccb_first, np.where(acei, "ramipril", "losartan"), "amlodipine")
    for drug in ("amlodipine", "ramipril", "losartan"):
        repeat(treated[first == drug], start[first == drug], drug)
        later = (second == drug) & (n_drugs >= 2)
        repeat(treated[later], start[later] + 365, drug)
    third = n_drugs >= 3
    repeat(treated[third], start[third] + 730, "indapamide")

    hf = p.conditions["heart_failure"]
    for drug, share in HF_UPTAKE.items():
        on = np.flatnonzero(hf.has & (rng.random(p.n) < share))
        begin = hf.diagnosed[on] + rng.integers(0, 120, len(on))
        if drug == "dapagliflozin":
            begin = np.maximum(begin, day(SGLT2I_SINCE) + rng.integers(0, 900, len(on)))
        repeat(on, begin, drug, 28, 28.0)
    dm = p.conditions["diabetes"].has & ~p.conditions["type1_diabetes"].has
    on = np.flatnonzero(dm & (rng.random(p.n) < 0.25))
    repeat(on, np.maximum(p.conditions["diabetes"].diagnosed[on], day(SGLT2I_SINCE)
                          + rng.integers(0, 1200, len(on))), "empagliflozin", 28, 28.0)

    rows.extend(_inhalers(ctx, rng, end))
    return _medication_table(ctx, rows)


def _inhalers(ctx, rng, end):
    """Preventer (ICS) and reliever (SABA) issues for asthma and COPD."""
    p = ctx.pop
    out = []
    asthma = p.conditions["asthma"]
    # Treated while on the register, including the people whose asthma is later resolved:
    # left without inhalers until then, they were a twentieth of the children's register at
    # every date but the reference date (nothing is resolved after it), so the share with
    # 6+ relievers a year jumped in the last year measured.
    treated = np.flatnonzero(_ever_on_register(asthma) & (rng.random(p.n) < 0.91))
    start = _start_of_care(ctx, asthma)[treated]
    asthma_end = _end_of_care(asthma, end)
    ics_rate = rng.gamma(2.0, 2.2, len(treated))
    deprivation = np.interp(p.imd_decile[treated], [1, 10], [1.35, 0.8])
    # mean ~2.6 issues a year [E], so ~40% get 3+ (the target below) now that most people
    # on the register were diagnosed before the year measured
    saba_rate = rng.gamma(1.3, SABA_MEAN_PER_YEAR / 1.3, len(treated)) * deprivation
    copd = np.flatnonzero(p.conditions["copd"].has)
    shares = np.array(list(SABA_DEVICE_MIX.values()))
    device = ctx.rng(STREAM + ":saba_device").choice(len(shares), size=p.n, p=shares / shares.sum())
    for drug, people, rate, begin, until in (
        ("beclometasone", treated, ics_rate, start, asthma_end),
        ("salbutamol", treated, saba_rate, start, asthma_end),
        ("salbutamol", copd, np.full(len(copd), 2.0), _start_of_care(ctx, p.conditions["copd"])[
            copd], end),
    ):
        person, days = pick_days_for(rng, people, rate, begin, until[people])
        quantity = np.where(rng.random(len(person)) < 0.15, 2.0, 1.0)
        if drug != "salbutamol":
            out.append((person, days, drug, quantity))
            continue
        for k, product_name in enumerate(SABA_DEVICE_MIX):  # each patient's own device
            mine = device[person] == k
            out.append((person[mine], days[mine], product_name, quantity[mine]))
    return out


def _schedule(rng, people, start, end, every) -> tuple[np.ndarray, np.ndarray]:
    """Repeat issues every `every` days (with a little slack) from start to end, per person."""
    start = np.maximum(start, 0).astype(np.int64)
    n = np.maximum((end - start) // every + 1, 0)
    n = np.where(end >= start, n, 0)
    person = np.repeat(people, n)
    first = np.repeat(start, n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    days = first + k * every + rng.integers(-3, 4, len(person))
    return person, days.astype(np.int32)


def _medication_table(ctx, rows) -> pa.Table:
    drugs = list(PRODUCTS)
    persons, days, which, qty = [], [], [], []
    for person, when, drug, quantity in rows:
        keep = ctx.in_record(person, when)
        persons.append(person[keep])
        days.append(when[keep])
        qty.append(quantity[keep])
        which.append(np.full(keep.sum(), drugs.index(drug), np.int16))
    person, drug, when = np.concatenate(persons), np.concatenate(which), np.concatenate(days)
    keep, quantity = one_issue_per_day(person, when, drug, np.concatenate(qty))
    person, drug, when = person[keep], drug[keep], when[keep]
    codes = [product(d) for d in drugs]
    return _to_table("medications", {
        "patient_id": ctx.pop.patient_id[person], "date": when,
        "dmd_code": categorical([c[0] for c in codes], drug),
        "bnf_code": categorical([c[1] for c in codes], drug),
        "quantity": quantity,
    })


_HYP = ",".join(f"'{c}'" for c in codelist("hyp_cod").codes)
_SABA_DRY_POWDER = ("easyhaler_salbutamol", "ventolin_accuhaler")
_SABA_PRESSURISED = ",".join(f"'{product(n)[1]}'" for n in SABA_DEVICE_MIX
                             if n not in _SABA_DRY_POWDER)
_SABA_ALL = ",".join(f"'{product(n)[1]}'" for n in SABA_DEVICE_MIX)
_SYS = ",".join(f"'{c}'" for c in codelist("systolic_bp_qof").codes)
_DIA = ",".join(f"'{c}'" for c in codelist("diastolic_bp_qof").codes)

# A deliberately simple, independent measurement of BP control among people on the
# hypertension register (latest valid pair in 12 months <= 140/90, or 150/90 at 80+).
_BP_CONTROL_SQL = f"""
WITH reg AS ({REGISTERED}),
hyp AS (
  SELECT reg.patient_id, reg.month_of_birth, d.imd FROM reg
  JOIN (SELECT patient_id, max(date) dx FROM clinical_events WHERE snomed_code IN ({_HYP})
        AND date <= {{ref}} GROUP BY 1) h USING (patient_id)
  LEFT JOIN (SELECT patient_id, max(date) rx FROM clinical_events WHERE snomed_code='162659009'
        AND date <= {{ref}} GROUP BY 1) r USING (patient_id)
  JOIN (SELECT lsoa_code, imd_quintile imd FROM lsoas) d USING (lsoa_code)
  WHERE (r.rx IS NULL OR h.dx > r.rx) AND date_diff('month', reg.month_of_birth, {{ref}}) >= 216
),
s AS (SELECT patient_id, date, min(numeric_value) v FROM clinical_events
      WHERE snomed_code IN ({_SYS}) AND numeric_value >= 50
        AND date > {{ref}} - INTERVAL 12 MONTH AND date <= {{ref}} GROUP BY 1, 2),
d AS (SELECT patient_id, date, min(numeric_value) v FROM clinical_events
      WHERE snomed_code IN ({_DIA}) AND numeric_value >= 20
        AND date > {{ref}} - INTERVAL 12 MONTH AND date <= {{ref}} GROUP BY 1, 2),
last AS (SELECT patient_id, arg_max(s.v, date) sbp, arg_max(d.v, date) dbp
         FROM s JOIN d USING (patient_id, date) GROUP BY 1),
j AS (SELECT hyp.*, sbp, dbp,
        date_diff('month', month_of_birth, {{ref}}) >= 960 AS over80 FROM hyp
      LEFT JOIN last USING (patient_id))
SELECT {{select}} FROM j
"""
_ON_TARGET = "(sbp <= CASE WHEN over80 THEN 150 ELSE 140 END AND dbp <= 90)"

TARGETS = [
    Target(
        "bp_treated_to_target",
        "Hypertension treated to target (CVDP007HYP-like, clinic thresholds)", 62.0, 3.0, "%",
        "CVDPREVENT CVDP007HYP England ~60-66% in the 2023-25 quarterly extracts [K]",
        _BP_CONTROL_SQL.replace(
            "{select}", f"100.0 * avg(CASE WHEN {_ON_TARGET} THEN 1 ELSE 0 END)"),
    ),
    Target(
        "bp_control_deprivation_gap",
        "BP control gap: least (Q5) minus most (Q1) deprived quintile, percentage points", 4.0,
        3.0, "pp", "CVDPREVENT: ~3-5 pp lower in the most deprived quintile [K]",
        _BP_CONTROL_SQL.replace("{select}", (
            f"100.0 * (avg(CASE WHEN {_ON_TARGET} THEN 1 ELSE 0 END) FILTER (WHERE imd = 5) - "
            f"avg(CASE WHEN {_ON_TARGET} THEN 1 ELSE 0 END) FILTER (WHERE imd = 1))")),
    ),
    Target(
        "bp_recorded_12m", "Hypertension register with a BP reading in the last 12 months", 87.0,
        4.0, "%", "Synthetic rule of thumb P(BP recorded in 12m) ~85-90% "
        "(project estimate) [E]",
        _BP_CONTROL_SQL.replace("{select}", "100.0 * avg(CASE WHEN sbp IS NULL THEN 0 ELSE 1 END)"),
    ),
    Target(
        "saba_3plus", "Asthma (unresolved code, treated): share with 3+ SABA issues in 12 months",
        40.0, 6.0, "%", "Project estimate: ~35-45% get 3+ SABA a year [E]",
        f"""
        WITH reg AS ({REGISTERED}),
        saba AS (SELECT patient_id, count(*) n FROM medications
                 WHERE bnf_code LIKE '0301011R0%' AND date > {{ref}} - INTERVAL 12 MONTH
                   AND date <= {{ref}} GROUP BY 1),
        ast AS (SELECT DISTINCT patient_id FROM medications
                WHERE bnf_code LIKE '0302%' AND date > {{ref}} - INTERVAL 12 MONTH
                  AND date <= {{ref}})
        SELECT 100.0 * avg(CASE WHEN coalesce(n, 0) >= 3 THEN 1 ELSE 0 END)
        FROM reg JOIN ast USING (patient_id) LEFT JOIN saba USING (patient_id)
        """,
    ),
    Target(
        "saba_pmdi_share", "Salbutamol inhaler items issued as pressurised MDIs, 12 months",
        90.0, 3.0, "%", "Project estimate: ~90% of salbutamol items are pressurised MDIs [E]; "
        "~70% of all inhalers in England are MDIs (Wilkinson et al., BMJ Open 2019) [S]",
        f"""
        WITH reg AS ({REGISTERED})
        SELECT 100.0 * avg(CASE WHEN bnf_code IN ({_SABA_PRESSURISED}) THEN 1 ELSE 0 END)
        FROM medications JOIN reg USING (patient_id)
        WHERE bnf_code IN ({_SABA_ALL}) AND date > {{ref}} - INTERVAL 12 MONTH
          AND date <= {{ref}}
        """,
    ),
    Target(
        "hf_sglt2i", "Heart failure register issued an SGLT2i in the last 6 months", 36.0, 6.0, "%",
        "Project estimate: SGLT2i ~35-50% of HFrEF, rising since 2022 [E]",
        f"""
        WITH reg AS ({REGISTERED}),
        hf AS (SELECT DISTINCT patient_id FROM clinical_events WHERE snomed_code = '84114007'
               AND date <= {{ref}}),
        s AS (SELECT DISTINCT patient_id FROM medications WHERE bnf_code LIKE '0601023A%'
              AND date > {{ref}} - INTERVAL 6 MONTH AND date <= {{ref}})
        SELECT 100.0 * count(s.patient_id) / count(*) FROM reg JOIN hf USING (patient_id)
        LEFT JOIN s USING (patient_id)
        """,
        trend="SGLT2i for HFrEF from NICE TA679 (February 2021); uptake builds from "
              "mid-2021 [K]",
    ),
    Target(
        "smi_all_six_checks", "SMI register with all six physical health checks in 12 months",
        60.0, 6.0, "%", "BLMK Health and Care Strategy (2023): '40% did not receive their health "
        "check'; national target 60%",
        f"""
        WITH reg AS ({REGISTERED}),
        smi AS (SELECT DISTINCT patient_id FROM clinical_events WHERE snomed_code = '58214004'
                AND date <= {{ref}}),
        e AS (SELECT * FROM clinical_events WHERE date > {{ref}} - INTERVAL 12 MONTH
              AND date <= {{ref}}),
        c AS (SELECT patient_id,
                bool_or(snomed_code = '{BMI}') a, bool_or(snomed_code = '{CHOLESTEROL}') b,
                bool_or(snomed_code = '{HBA1C}') c, bool_or(snomed_code = '{ALCOHOL}') d,
                bool_or(snomed_code IN ('{SMOKER}', '{EX_SMOKER}', '{NEVER_SMOKED}')) e,
                bool_or(snomed_code IN ({_SYS})) f
              FROM e GROUP BY 1)
        SELECT 100.0 * avg(CASE WHEN a AND b AND c AND d AND e AND f THEN 1 ELSE 0 END)
        FROM reg JOIN smi USING (patient_id) LEFT JOIN c USING (patient_id)
        """,
    ),
]

__all__ = ["CHECK_CODELISTS", "NO_DATE", "PRODUCTS", "SABA_DEVICE_MIX", "TARGETS", "generate",
           "product"]
