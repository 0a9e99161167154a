"""What the emergency admission risk model knows about a person on a date, and what it predicts.

Every feature is computed from the canonical model through Ibis, from records dated on or
before the as-of date (look-backs are `months_before(as_of, 12) < date <= as_of`, as the
indicators' "in the 12 months to the period end"), for the people registered with a practice
and alive at the end of the as-of date (`registered_and_alive`, the rule every indicator uses).
The outcomes are dated strictly after it: an emergency admission, or a death, in the 12 months
`as_of < date <= months_after(as_of, 12)`. Nothing a feature reads can be dated after the
as-of date, so a model trained on an earlier date never sees the outcome it is scored on.

The long-term conditions are the project's QOF-style registers, with the codelists the
indicators use and the rule of `icsight.indicators.cohorts.qof_register` (the latest diagnosis
code on or before the date is later than the latest resolution code, where the register has
one), computed for every register in one pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from icsight.indicators.cohorts import age_on
from icsight.indicators.periods import as_date, months_before
from icsight.model.codelists import codelist
from icsight.model.registration import registered_and_alive

__all__ = ["CATEGORIES", "FEATURES", "LTC_REGISTERS", "Feature", "features", "labelled",
           "labels", "months_after", "register_codes"]


@dataclass(frozen=True)
class Register:
    """A long-term condition register: its name for a clinician and its codelists."""

    label: str
    codes: str
    resolved: str | None = None


#: The long-term conditions counted (QOF registers, by their QOF codelists; the learning
#: disability register by the 2024 cluster). Each is a feature and they add up to `ltc_count`.
LTC_REGISTERS: dict[str, Register] = {
    "hypertension": Register("Hypertension", "hyp_cod", "hypres_cod"),
    "diabetes": Register("Diabetes", "dm_cod", "dmres_cod"),
    "asthma": Register("Asthma", "ast_cod", "astres_cod"),
    "copd": Register("COPD", "copd_cod", "copdres_cod"),
    "heart_failure": Register("Heart failure", "hf_cod", "hfres_cod"),
    "ckd": Register("Chronic kidney disease (stages 3-5)", "ckd35_primis"),
    "dementia": Register("Dementia", "dem_cod"),
    "smi": Register("Severe mental illness", "mh_cod"),
    "depression": Register("Depression", "depr_cod", "depres_cod"),
    "learning_disability": Register("Learning disability", "ld_cod_20241205"),
}


@dataclass(frozen=True)
class Feature:
    """One column the model is given: its name, its definition in words, and its kind."""

    name: str
    definition: str
    kind: str = "number"  # number, flag (0/1) or category


#: The features, in the order the model sees them. Look-backs end on the as-of date.
FEATURES: tuple[Feature, ...] = (
    Feature("age", "Age in whole years on the as-of date (from the month of birth)."),
    Feature("sex", "Sex as recorded (female, male, unknown).", "category"),
    Feature("ethnicity_group", "Ethnic group (ONS 5 groups, or Not stated).", "category"),
    Feature("imd_quintile", "National IMD 2019 quintile of the LSOA of residence (1 = most "
            "deprived); missing when the address maps to no LSOA."),
    *(Feature(name, f"On the {r.label if r.label.isupper() else r.label.lower()} register "
              f"({r.codes}"
              f"{', resolved by ' + r.resolved if r.resolved else ''}).", "flag")
      for name, r in LTC_REGISTERS.items()),
    Feature("cancer_5y", "A new cancer diagnosed in the 5 years to the as-of date "
            "(cancer registrations).", "flag"),
    Feature("ltc_count", "How many of the registers above the person is on, plus cancer in "
            "the last 5 years."),
    Feature("emergency_admissions_12m", "Emergency admissions (spells) in the last 12 months."),
    Feature("emergency_bed_days_12m", "Days in hospital in those emergency spells "
            "(discharge minus admission, at least 1; open spells to the as-of date)."),
    Feature("months_since_emergency_admission", "Whole months since the latest emergency "
            "admission in the last 24 months; missing when none."),
    Feature("elective_admissions_12m", "Elective admissions and day cases in the last 12 "
            "months."),
    Feature("ae_attendances_12m", "A&E attendances (type 1 and 3) in the last 12 months."),
    Feature("outpatient_attendances_12m", "Outpatient appointments attended in the last 12 "
            "months."),
    Feature("outpatient_missed_12m", "Outpatient appointments not attended (DNA) in the last "
            "12 months."),
    Feature("medicines_12m", "Different medicines (BNF chemical substances) issued in primary "
            "care in the last 12 months."),
    Feature("community_urgent_12m", "Virtual ward stays and 2-hour urgent community response "
            "contacts in the last 12 months."),
    Feature("mental_health_referrals_12m", "Referrals to secondary mental health services in "
            "the last 12 months."),
)

#: The categories of the categorical features, fixed so that a model trained on one lake reads
#: another's codes the same way.
CATEGORIES = {
    "sex": ("female", "male", "unknown"),
    "ethnicity_group": ("White", "Mixed", "Asian", "Black", "Other", "Not stated"),
}


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where that day does not exist)."""
    return months_before(day, -months)


def _window(table: ir.Table, column: str, start: dt.date, end: dt.date) -> ir.Table:
    """Rows dated `start < date <= end`."""
    date = table[column]
    if date.type().is_timestamp():
        date = date.date()
    return table.filter(date > ibis.literal(start, "date"), date <= ibis.literal(end, "date"))


def _people(lake, as_of: dt.date) -> pd.DataFrame:
    """Everyone registered and alive at the end of `as_of`, with their practice, age, sex,
    ethnic group and IMD quintile."""
    day = ibis.literal(as_of, "date")
    # as stored (no breakdown cells to number), the national data opt-out applied by purpose
    patients = lake.raw_table("patients")
    people = patients.filter(registered_and_alive(patients, day))
    lsoas = lake.raw_table("lsoas").select("lsoa_code", "imd_quintile")
    people = people.left_join(lsoas, "lsoa_code")
    return people.select(
        "patient_id", "practice_code", age=age_on(people.month_of_birth, day),
        sex=people.sex, ethnicity_group=people.ethnicity_group,
        imd_quintile=people.imd_quintile).to_pandas()


def register_codes() -> pd.DataFrame:
    """(snomed_code, register, resolves) for every code of every register's codelists."""
    rows = [(code, name, resolves) for name, r in LTC_REGISTERS.items()
            for codes, resolves in ((r.codes, False), (r.resolved, True)) if codes
            for code in codelist(codes).codes]
    return pd.DataFrame(rows, columns=["snomed_code", "register", "resolves"])


def _registers(lake, as_of: dt.date) -> pd.DataFrame:
    """(patient_id, register) for each register each person is on at the end of `as_of`.

    The rule of `qof_register` (the indicators' registers), for one date and every register
    in one pass: the latest diagnosis code on or before the date is strictly later than the
    latest resolution code, if any."""
    events = lake.raw_table("clinical_events").select("patient_id", "date", "snomed_code")
    events = events.filter(events.date <= ibis.literal(as_of, "date"))
    codes = lake.small_table("risk_register_codes", register_codes(),
                             {"snomed_code": "string", "register": "string",
                              "resolves": "boolean"})
    coded = events.join(codes, "snomed_code")
    last = coded.group_by(["patient_id", "register"]).agg(
        diagnosed=ibis.ifelse(~coded.resolves, coded.date, ibis.null("date")).max(),
        resolved=ibis.ifelse(coded.resolves, coded.date, ibis.null("date")).max())
    on = last.filter(last.diagnosed.notnull()
                     & (last.resolved.isnull() | (last.diagnosed > last.resolved)))
    return on.select("patient_id", "register").to_pandas()


def _counts(table: ir.Table, **counts: ir.Value) -> pd.DataFrame:
    return table.group_by("patient_id").agg(**counts).to_pandas()


def _activity(lake, as_of: dt.date) -> list[pd.DataFrame]:
    """Per-person counts of hospital, community and primary care activity before `as_of`."""
    start12, start24 = months_before(as_of, 12), months_before(as_of, 24)
    day = ibis.literal(as_of, "date")
    frames = []

    spells = _window(lake.raw_table("apc_spells"), "admission_date", start24, as_of)
    emergency = spells.admission_method == "emergency"
    recent = spells.admission_date > ibis.literal(start12, "date")
    discharged = spells.discharge_date.fill_null(day)
    days = ibis.greatest(discharged.delta(spells.admission_date, unit="day"), 1)
    latest = ibis.ifelse(emergency, spells.admission_date, ibis.null("date")).max()
    frames.append(_counts(
        spells,
        emergency_admissions_12m=(emergency & recent).sum(),
        emergency_bed_days_12m=ibis.ifelse(emergency & recent, days, 0).sum(),
        elective_admissions_12m=(spells.admission_method.isin(["elective"]) & recent).sum(),
        last_emergency=latest,
    ))

    ec = _window(lake.raw_table("ec_attendances"), "arrival", start12, as_of)
    frames.append(_counts(ec, ae_attendances_12m=ec.count()))

    op = _window(lake.raw_table("op_appointments"), "appointment_date", start12, as_of)
    frames.append(_counts(op, outpatient_attendances_12m=(op.attended == "attended").sum(),
                          outpatient_missed_12m=(op.attended == "dna").sum()))

    meds = _window(lake.raw_table("medications"), "date", start12, as_of)
    meds = meds.filter(meds.bnf_code.notnull())
    substance = meds.bnf_code.left(9)  # the BNF chemical substance of a presentation code
    frames.append(_counts(meds.mutate(substance=substance),
                          medicines_12m=substance.nunique()))

    community = _window(lake.raw_table("community_contacts"), "start_date", start12, as_of)
    frames.append(_counts(community, community_urgent_12m=community.count()))

    mh = _window(lake.raw_table("mh_referrals"), "referral_date", start12, as_of)
    frames.append(_counts(mh, mental_health_referrals_12m=mh.count()))

    cancer = _window(lake.raw_table("cancer_diagnoses"), "diagnosis_date",
                     months_before(as_of, 60), as_of)
    frames.append(_counts(cancer, cancer_5y=cancer.count()))
    return frames


def features(lake, as_of: str | dt.date) -> pd.DataFrame:
    """One row per person registered and alive at the end of `as_of`: patient_id,
    practice_code and the FEATURES, from records dated on or before `as_of` only."""
    as_of = as_date(as_of)
    frame = _people(lake, as_of)
    registers = _registers(lake, as_of)
    for name in LTC_REGISTERS:
        on = set(registers.loc[registers.register == name, "patient_id"]) \
            if len(registers) else set()
        frame[name] = frame.patient_id.isin(on).astype("int8")
    for counts in _activity(lake, as_of):
        frame = frame.merge(counts, on="patient_id", how="left")
    counted = [f.name for f in FEATURES if f.kind == "number" and f.name not in
               ("age", "imd_quintile", "ltc_count", "months_since_emergency_admission")]
    frame[counted] = frame[counted].fillna(0).astype("int64")
    frame["cancer_5y"] = (frame.cancer_5y.fillna(0) > 0).astype("int8")
    frame["ltc_count"] = frame[[*LTC_REGISTERS, "cancer_5y"]].sum(axis=1).astype("int64")
    last = pd.to_datetime(frame.pop("last_emergency"))
    frame["months_since_emergency_admission"] = _whole_months(last, as_of)
    frame["imd_quintile"] = frame.imd_quintile.astype("float64")
    frame["age"] = frame.age.astype("int64")
    for name, values in CATEGORIES.items():
        frame[name] = pd.Categorical(frame[name], categories=values)
    columns = ["patient_id", "practice_code", *(f.name for f in FEATURES)]
    return frame[columns].sort_values("patient_id", ignore_index=True)


def _whole_months(dates: pd.Series, as_of: dt.date) -> pd.Series:
    """Whole months from each date to `as_of` (0 within the month before), NaN for none."""
    months = (as_of.year - dates.dt.year) * 12 + (as_of.month - dates.dt.month)
    months = months - (dates.dt.day > as_of.day).astype("float64")
    return months.where(dates.notna()).astype("float64")


def labels(lake, as_of: str | dt.date) -> pd.DataFrame:
    """For everyone with an emergency admission or a death in the 12 months after `as_of`
    (`as_of < date <= months_after(as_of, 12)`): patient_id, emergency_admission (bool) and
    died (bool). People not listed had neither."""
    as_of = as_date(as_of)
    end = months_after(as_of, 12)
    spells = _window(lake.raw_table("apc_spells"), "admission_date", as_of, end)
    spells = spells.filter(spells.admission_method == "emergency")
    admitted = spells.select("patient_id").distinct().to_pandas()
    deaths = _window(lake.raw_table("deaths"), "date_of_death", as_of, end)
    died = deaths.select("patient_id").distinct().to_pandas()
    # a death registered in the patients table but not (yet) in the deaths table still counts
    patients = _window(lake.raw_table("patients"), "date_of_death", as_of, end)
    died = pd.concat([died, patients.select("patient_id").to_pandas()]).drop_duplicates()
    ids = pd.Index(np.union1d(admitted.patient_id, died.patient_id), name="patient_id")
    out = pd.DataFrame({"patient_id": ids})
    out["emergency_admission"] = out.patient_id.isin(admitted.patient_id)
    out["died"] = out.patient_id.isin(died.patient_id)
    return out


def labelled(lake, as_of: str | dt.date) -> pd.DataFrame:
    """`features` at `as_of` with the outcomes of the following 12 months (0 or 1):
    `emergency_admission` and `died`."""
    frame = features(lake, as_of)
    outcome = labels(lake, as_of)
    frame = frame.merge(outcome, on="patient_id", how="left")
    for column in ("emergency_admission", "died"):
        frame[column] = frame[column].astype("boolean").fillna(False).astype("int8")
    return frame

