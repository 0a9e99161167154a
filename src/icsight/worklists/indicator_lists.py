"""Worklists built from the indicators' own patient-level rules.

Each list starts from the rows its indicator computes for one date (`facts.denominator_rows`:
the indicator's own rows, or for a screening indicator the patient-level twin of its
population count, `icsight.indicators.population.population_rows`, with the indicator's own
rule; computed once while the lake shares results), keeps the people who have not met the
standard, and adds the facts a clinician needs to act. So for every
practice the rows that count towards the target are exactly the indicator's shortfall:
denominator minus numerator for an indicator where higher is better, the numerator where lower
is better (CYP_ASTHMA_SABA3).

Every list's rows carry the shared columns (`icsight.worklists.definition.ROW_COLUMNS`) and
`steps_to_standard`: how many contacts it takes to bring the patient to the standard, the
measure of "fastest" (`icsight.worklists.catalogue.shortfall`): 1 where a single action does it
(a blood pressure check, a screening invitation, a vaccination, a prescription after a
medicines review), 2 where a treatment change must be followed by a repeat measurement or a
blood test result. `clinical_risk` (0-1) is each list's own rule, written in its function.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import ibis
import pandas as pd

from icsight.indicators.cohorts import keep_registered
from icsight.indicators.periods import as_date, months_before
from icsight.indicators.programmes.cancer import SCREENING
from icsight.indicators.programmes.cvdprevent import THRESHOLDS, bp_dates
from icsight.indicators.programmes.mhlda import CHECKS, NO_PUBLIC_CODELIST, check_codes
from icsight.model.codelists import codelist
from icsight.worklists.definition import Worklist
from icsight.worklists.facts import (
    as_json,
    days_between,
    denominator_rows,
    last_dates,
    medicines_issued,
    on_register,
    one_date,
)

__all__ = ["WORKLISTS", "hypertension_step"]

ANTIHYPERTENSIVES = ("ACE inhibitor", "ARB", "CCB", "Thiazide-like diuretic", "Beta blocker",
                     "MRA")
#: The columns a list function returns (the shared ones, then its own).
OUT = ["patient_id", "practice_code", "reasons", "facts", "suggested_action", "clinical_risk",
       "days_overdue", "counts_towards_target", "steps_to_standard"]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in OUT})


def _frame(records: list[dict] | dict[str, list]) -> pd.DataFrame:
    """The rows of a list from one dict per row, or from one list per column (`OUT`)."""
    if not records:
        return _empty()
    if isinstance(records, dict):
        if not records["patient_id"]:
            return _empty()
        out = pd.DataFrame({c: records[c] for c in OUT})
    else:
        out = pd.DataFrame.from_records(records, columns=OUT)
    out["days_overdue"] = out["days_overdue"].astype("Int64")
    out["counts_towards_target"] = out["counts_towards_target"].astype(bool)
    out["clinical_risk"] = out["clinical_risk"].astype(float).round(3)
    return out.sort_values(["practice_code", "patient_id"]).reset_index(drop=True)


def _day(value) -> str:
    if type(value) is dt.date:  # most values: no Timestamp made and taken apart again
        return value.isoformat()
    return "-" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _by_patient(frame: pd.DataFrame, key: str, value: str) -> dict:
    """{patient_id: {key value: value}} from a long frame."""
    out: dict = {}
    for row in frame.itertuples(index=False):
        out.setdefault(row.patient_id, {})[getattr(row, key)] = getattr(row, value)
    return out


# --- hypertension (CVDPREVENT CVDP004HYP, CVDP007HYP) -----------------------------------------

def hypertension_step(classes: set[str]) -> int:
    """The treatment step of NICE NG136's algorithm a patient's current medicines reach:
    0 untreated; 1-3 the number of the step's classes issued (an ACE inhibitor or an ARB, a
    CCB, a thiazide-like diuretic); 4 when all three are issued with a further class (an MRA
    or a beta blocker, NG136's step 4 options). A beta blocker or MRA without the first three
    does not raise the step (they are often issued for another reason)."""
    main = sum(1 for group in ({"ACE inhibitor", "ARB"}, {"CCB"}, {"Thiazide-like diuretic"})
               if classes & group)
    if main == 3 and classes & {"MRA", "Beta blocker"}:
        return 4
    return main


STEP_ACTIONS = {
    0: "Offer antihypertensive treatment (NICE NG136 step 1: ACE inhibitor or ARB; a CCB if "
       "aged 55 or over or of Black African or African-Caribbean family origin)",
    1: "Check adherence, then add a second medicine (NICE NG136 step 2)",
    2: "Check adherence, then add the third medicine (NICE NG136 step 3: ACE inhibitor or ARB, "
       "CCB and thiazide-like diuretic)",
    3: "Confirm resistant hypertension (ABPM or HBPM), check adherence, then NICE NG136 step 4 "
       "(spironolactone if potassium 4.5 mmol/l or less, else an alpha or beta blocker)",
    4: "Seek specialist advice: above target on four classes of medicine (NICE NG136)",
}
HIGH_RISK_REGISTERS = {  # name on the page -> (codelist, resolution codelist)
    "Diabetes": ("dm_cod", "dmres_cod"),
    "CKD stage 3-5": ("ckd35_primis", None),
    "Heart failure": ("hf_cod", "hfres_cod"),
}
HIGH_RISK_NOTE = ("Cardiovascular disease is taken as heart failure (HF_COD) only: no coronary "
                  "heart disease, stroke/TIA or peripheral arterial disease codelist is in the "
                  "project yet")


#: The columns of a hypertension patient's row that their list row is worked out from.
_HYP_PERSON = ["patient_id", "practice_code", "age", "last_bp_date", "systolic", "diastolic",
               "bp_setting"]


def _hypertension(lake, as_of: str | dt.date, which: str) -> Callable[[], pd.DataFrame]:
    """`which`: `no_bp` (CVDP004HYP's shortfall), `not_at_target` (CVDP007HYP's: above target
    or no reading) or `high_risk` (CVDP007HYP's, with diabetes, CKD 3-5 or heart failure).

    Reads the lake now and returns the rest, Python only (`Worklist.rows`). Each patient's
    row is worked out once for the three lists (`_not_at_target`): the high-risk list is the
    not-at-target list's rows of people on a register, and the no-BP list reuses a
    not-at-target row whenever the patient's facts are the same in both indicators (then
    only the treatment step is left out of its facts)."""
    day = as_date(as_of)
    comorbid = _comorbid(lake, day)
    meds, ever = _hypertension_facts(lake, day)
    person = _person_rows(lake, day)
    shared = _not_at_target(lake, day, person, comorbid, meds, ever)
    if which == "not_at_target":
        return lambda: shared()[2].copy()  # the shared frame must not be changed by a caller
    if which == "high_risk":
        def high_risk() -> pd.DataFrame:
            rows = shared()[2]
            anyone = set().union(*comorbid.values())
            high = rows[rows.patient_id.isin(anyone)].reset_index(drop=True)
            return high if len(high) else _empty()

        return high_risk
    t = denominator_rows(lake, day, "CVDP004HYP")
    people = t.loc[~t.numerator, _HYP_PERSON]

    def no_bp() -> pd.DataFrame:
        records, facts, _ = shared()
        # whose facts are the same as in CVDP007HYP's rows (a merge matches nulls with
        # nulls): their row is the not-at-target one without the treatment step
        at = people.merge(person.assign(_at=range(len(records))), how="left",
                          on=_HYP_PERSON)["_at"]
        found = at.notna().to_numpy()
        reused = [{**records[i], "facts": as_json({k: v for k, v in facts[i].items()
                                                   if k != "Treatment step"})}
                  for i in at[found].astype("int64")]
        fresh = _hypertension_records(day, people[~found], comorbid, meds, ever,
                                      with_step=False)[0]
        return _frame(reused + fresh)

    return no_bp


def _person_rows(lake, as_of) -> pd.DataFrame:
    """CVDP007HYP's shortfall (its people, `_HYP_PERSON`), in its table's order."""
    t = denominator_rows(lake, as_of, "CVDP007HYP")
    return t.loc[~t.numerator, _HYP_PERSON].reset_index(drop=True)


def _comorbid(lake, as_of) -> dict[str, set]:
    return {name: on_register(lake, as_of, codes, resolved)
            for name, (codes, resolved) in HIGH_RISK_REGISTERS.items()}


class _Once:
    """`work()`, done the first time it is asked for (from whichever thread) and kept."""

    def __init__(self, work: Callable[[], tuple]) -> None:
        self._work, self._lock, self._done = work, threading.Lock(), None

    def __call__(self) -> tuple:
        with self._lock:
            if self._done is None:
                self._done = self._work()
            return self._done


def _not_at_target(lake, day: dt.date, person: pd.DataFrame, comorbid: dict, meds: dict,
                   ever: dict) -> _Once:
    """The not-at-target list's records and their facts, one per row of `person`
    (`_person_rows`) and in its order, and its rows (`_frame`), once asked for: worked out
    once while the lake shares results, for all three hypertension lists. Callers must
    change none of them."""
    return lake.shared_result(
        ("worklists: hypertension not at target", day),
        lambda: _Once(lambda: _rows_and_facts(day, person, comorbid, meds, ever)))


def _rows_and_facts(day, person, comorbid, meds, ever) -> tuple:
    records, facts = _hypertension_records(day, person, comorbid, meds, ever, with_step=True)
    return records, facts, _frame(records)


def _hypertension_records(as_of: dt.date, people: pd.DataFrame, comorbid: dict, meds: dict,
                          ever: dict, with_step: bool) -> tuple[list[dict], list[dict]]:
    """One list record per row of `people` (`_HYP_PERSON`), and each record's facts (before
    they are written as JSON); the treatment step is among the facts when `with_step`. No
    lake read: the registers (`_comorbid`), medicines and last BPs (`_hypertension_facts`)
    come read."""
    records, all_facts = [], []
    for p in people.itertuples(index=False):
        registers = [name for name, ids in comorbid.items() if p.patient_id in ids]
        issued = meds.get(p.patient_id, {})
        step = hypertension_step(set(issued))
        facts = {"Age": str(int(p.age))}
        last = ever.get(p.patient_id)
        if pd.isna(p.last_bp_date):
            facts["Last BP"] = ("none recorded" if last is None else
                                f"{last[1]:g}/{last[2]:g} on {_day(last[0])} (over 12 months "
                                "ago)")
            reasons = ["No blood pressure recorded in the last 12 months"]
            action = "Invite for a blood pressure check (or ask for a home reading)"
            # the reading fell out of the 12 months a year after it was taken
            overdue = (None if last is None else
                       days_between(months_before(pd.Timestamp(last[0]).date(), -12), as_of))
            risk, steps = 0.5, 1
        else:
            limit = THRESHOLDS[p.bp_setting][bool(p.age >= 80)]
            facts["Last BP"] = (f"{p.systolic:g}/{p.diastolic:g} on {_day(p.last_bp_date)} "
                                f"({p.bp_setting})")
            facts["Target"] = f"{limit[0]}/{limit[1]} or below ({p.bp_setting})"
            reasons = ["Last blood pressure above target"]
            action = STEP_ACTIONS[step]
            overdue = days_between(p.last_bp_date, as_of)
            excess = max((p.systolic - limit[0]) / 40, (p.diastolic - limit[1]) / 20, 0)
            risk, steps = 0.4 + 0.6 * min(1.0, excess), 2
        if with_step:
            facts["Treatment step"] = f"{step} (NICE NG136)"
        facts["Current medicines"] = ", ".join(
            f"{name} (last issued {_day(day)})" for name, day in sorted(issued.items())) or \
            "no antihypertensive issued in 6 months"
        if registers:
            facts["Also on"] = ", ".join(registers)
            reasons.append("High cardiovascular risk: " + ", ".join(registers))
            risk += 0.2
        all_facts.append(facts)
        records.append({"patient_id": p.patient_id, "practice_code": p.practice_code,
                        "reasons": "; ".join(reasons), "facts": as_json(facts),
                        "suggested_action": action, "clinical_risk": min(risk, 1.0),
                        "days_overdue": overdue, "counts_towards_target": True,
                        "steps_to_standard": steps})
    return records, all_facts


def _missing_any(lake, day: dt.date, indicator_ids: tuple[str, ...]) -> pd.DataFrame:
    """The patients (one `patient_id` column, each once) in the denominator of any of
    `indicator_ids` on `day` who are not in its numerator: whom those lists' facts are for."""
    return pd.concat([
        t.loc[~t.numerator, ["patient_id"]]
        for t in (denominator_rows(lake, day, i) for i in indicator_ids)
    ]).drop_duplicates()


def _hypertension_facts(lake, as_of: str | dt.date) -> tuple[dict, dict]:
    """({patient_id: {class: last issued}}, {patient_id: last BP ever}) for everyone in the
    hypertension cohort who misses either standard (CVDP004HYP's or CVDP007HYP's), so the
    three hypertension lists read them once while the lake shares results. Each patient's
    facts are their own (grouped by patient), whichever list asks."""
    day = as_date(as_of)

    def build() -> tuple[dict, dict]:
        missing = _missing_any(lake, day, ("CVDP004HYP", "CVDP007HYP"))
        meds = _by_patient(medicines_issued(lake, missing, day, 6, ANTIHYPERTENSIVES),
                           "medicine_class", "last_issued")
        return meds, _last_bp_ever(lake, missing, day)

    return lake.shared_result(("worklists: hypertension facts", day), build)


def _last_bp_ever(lake, people: pd.DataFrame, as_of) -> dict:
    """{patient_id: (date, systolic, diastolic)}: the last valid BP on or before `as_of`, by
    CVDPREVENT's reading rules (`bp_dates`: the day's lowest of each, both needed)."""
    if people.empty:
        return {}
    events = lake.table("clinical_events")
    # the readings first, then whose: the join then meets a few rows per person
    readings = sorted({*codelist("systolic_bp_qof").codes, *codelist("diastolic_bp_qof").codes})
    events = events.filter(events.snomed_code.isin(readings), events.date <= as_date(as_of))
    ids = ibis.memtable(pd.DataFrame({"patient_id": people.patient_id.astype("int64")}))
    dates = bp_dates(events.semi_join(ids, "patient_id")).to_pandas()
    if dates.empty:
        return {}
    last = dates.sort_values("date").groupby("patient_id").tail(1)
    return {r.patient_id: (r.date, r.systolic, r.diastolic) for r in last.itertuples()}


# --- children and young people with asthma (CYP_ASTHMA_SABA3) ---------------------------------

def _cyp_asthma(lake, as_of: str | dt.date) -> Callable[[], pd.DataFrame]:
    """5-17 year olds on the asthma register with 3+ SABA issues in 12 months (the numerator
    of CYP_ASTHMA_SABA3, which counts towards its shortfall: lower is better) or with no
    inhaled corticosteroid issued in 12 months (not in any indicator)."""
    people = denominator_rows(lake, as_of, "CYP_ASTHMA_SABA3")[
        ["patient_id", "practice_code", "age", "saba_issues", "numerator"]]
    ics = medicines_issued(lake, people, as_of, 12, ("Inhaled corticosteroid",))
    last_ics = dict(zip(ics.patient_id, ics.last_issued, strict=True))
    return lambda: _cyp_asthma_rows(people, last_ics)


def _cyp_asthma_rows(people: pd.DataFrame, last_ics: dict) -> pd.DataFrame:
    """`_cyp_asthma`'s rows from what it read. Python
    only: `find_all` runs it in its second thread while the next list's queries run."""
    records = []
    for p in people.itertuples(index=False):
        no_ics = p.patient_id not in last_ics
        if not (p.numerator or no_ics):
            continue
        reasons, risk = [], 0.4
        if p.numerator:
            reasons.append(f"{int(p.saba_issues)} reliever (SABA) inhalers in 12 months")
            risk = 1.0 if p.saba_issues >= 12 else 0.8 if p.saba_issues >= 6 else 0.6
        if no_ics:
            reasons.append("No inhaled corticosteroid issued in 12 months")
            risk += 0.2 if p.numerator else 0
        action = ("Asthma review: check inhaler technique, adherence and triggers; step up to "
                  "ICS-containing maintenance treatment (BTS/NICE/SIGN 2024); agree a personal "
                  "asthma action plan") if p.numerator else (
                  "Asthma review: confirm the diagnosis and control; consider ICS-containing "
                  "treatment (BTS/NICE/SIGN 2024)")
        facts = {"Age": str(int(p.age)), "SABA issues in 12 months": str(int(p.saba_issues)),
                 "Last inhaled corticosteroid": _day(last_ics.get(p.patient_id))
                 if not no_ics else "none in 12 months"}
        records.append({"patient_id": p.patient_id, "practice_code": p.practice_code,
                        "reasons": "; ".join(reasons), "facts": as_json(facts),
                        "suggested_action": action, "clinical_risk": min(risk, 1.0),
                        "days_overdue": None, "counts_towards_target": bool(p.numerator),
                        "steps_to_standard": 2 if p.numerator else 1})
    return _frame(records)


# --- heart failure (HF_SGLT2I, HF_MRA) ---------------------------------------------------------

HF_STARTS = {
    "SGLT2i": "an SGLT2 inhibitor (dapagliflozin or empagliflozin; NICE TA679, TA773, TA902)",
    "MRA": "an MRA (spironolactone or eplerenone; NICE NG106) if HFrEF and potassium and "
           "renal function allow",
}


def _heart_failure(lake, as_of: str | dt.date, indicator_id: str
                   ) -> Callable[[], pd.DataFrame]:
    """Adults on the heart failure register not issued the indicator's medicine in 6 months."""
    medicine, other = (("SGLT2i", "MRA") if indicator_id == "HF_SGLT2I" else ("MRA", "SGLT2i"))
    t = denominator_rows(lake, as_of, indicator_id)
    people = t.loc[~t.numerator, ["patient_id", "practice_code", "age", "last_diagnosis"]]
    recent, ever = _heart_failure_medicines(lake, as_of)
    lvsd = on_register(lake, as_of, "hflvsd_cod")
    return lambda: _heart_failure_rows(as_of, medicine, other, people, recent, ever, lvsd)


def _heart_failure_rows(as_of, medicine: str, other: str, people: pd.DataFrame, recent: dict,
                        ever: dict, lvsd: set) -> pd.DataFrame:
    """`_heart_failure`'s rows from what it read. Python
    only: `find_all` runs it in its second thread while the next list's queries run."""
    records = []
    for p in people.itertuples(index=False):
        issued = recent.get(p.patient_id, {})
        before = ever.get(p.patient_id, {}).get(medicine)
        reasons = [f"No {medicine} issued in the last 6 months"]
        risk = 0.6
        if other not in issued:
            reasons.append(f"No {other} either")
            risk += 0.2
        if p.patient_id in lvsd:
            reasons.append("Left ventricular systolic dysfunction coded")
            risk += 0.2
        facts = {"Age": str(int(p.age)), "On the register since": _day(p.last_diagnosis),
                 f"Last {medicine}": "never issued" if before is None else
                 f"{_day(before)} (stopped?)",
                 "Current medicines": ", ".join(f"{n} (last issued {_day(d)})"
                                                for n, d in sorted(issued.items()))
                 or "none of ACEi, ARB, beta blocker, MRA, SGLT2i in 6 months"}
        # the standard was missed from diagnosis, or from 6 months after the last issue
        since = p.last_diagnosis if before is None else max(
            pd.Timestamp(p.last_diagnosis).date(),
            months_before(pd.Timestamp(before).date(), -6))
        action = f"Medicines review: start {HF_STARTS[medicine]}, or record why not"
        records.append({"patient_id": p.patient_id, "practice_code": p.practice_code,
                        "reasons": "; ".join(reasons), "facts": as_json(facts),
                        "suggested_action": action, "clinical_risk": min(risk, 1.0),
                        "days_overdue": days_between(since, as_of),
                        "counts_towards_target": True, "steps_to_standard": 1})
    return _frame(records)


def _heart_failure_medicines(lake, as_of: str | dt.date) -> tuple[dict, dict]:
    """({patient_id: {class: last issued}} in 6 months, {patient_id: {class: last issued}}
    in 30 years, for SGLT2i and MRA) for everyone on either heart failure list, read once
    for both while the lake shares results. Each patient's facts are their own, whichever
    list asks."""
    day = as_date(as_of)

    def build() -> tuple[dict, dict]:
        missing = _missing_any(lake, day, ("HF_SGLT2I", "HF_MRA"))
        recent = _by_patient(medicines_issued(lake, missing, day, 6, (
            "SGLT2i", "MRA", "ACE inhibitor", "ARB", "Beta blocker")), "medicine_class",
            "last_issued")
        ever = _by_patient(medicines_issued(lake, missing, day, 12 * 30, ("SGLT2i", "MRA")),
                           "medicine_class", "last_issued")
        return recent, ever

    return lake.shared_result(("worklists: heart failure medicines", day), build)


# --- severe mental illness: the six checks (SMI_HEALTH_CHECKS) ---------------------------------

CHECK_NAMES = {"bmi": "BMI", "bp": "Blood pressure", "cholesterol": "Cholesterol (lipids)",
               "glucose": "HbA1c or blood glucose", "alcohol": "Alcohol consumption",
               "smoking": "Smoking status"}
BLOOD_TESTS = {"cholesterol", "glucose"}


def _smi(lake, as_of: str | dt.date) -> Callable[[], pd.DataFrame]:
    t = denominator_rows(lake, as_of, "SMI_HEALTH_CHECKS")
    people = t.loc[~t.numerator, ["patient_id", "practice_code", "age", *CHECKS]]
    last = _by_patient(last_dates(lake, people, as_of, {c: check_codes(c) for c in CHECKS}),
                       "name", "last_date")
    return lambda: _smi_rows(as_of, people, last)


def _smi_rows(as_of, people: pd.DataFrame, last: dict) -> pd.DataFrame:
    """`_smi`'s rows from what it read. Python
    only: `find_all` runs it in its second thread while the next list's queries run."""
    records = []
    for p in people.itertuples(index=False):
        missing = [c for c in CHECKS if not getattr(p, c)]
        done = last.get(p.patient_id, {})
        facts = {"Age": str(int(p.age)),
                 "Missing checks": ", ".join(CHECK_NAMES[c] for c in missing)}
        facts.update({f"Last {CHECK_NAMES[c]}": _day(done.get(c)) for c in missing})
        if "alcohol" in missing:
            facts["Note"] = ("Alcohol has no public codelist: 160573003 'Alcohol intake' "
                             "stands in")
        expired = [done.get(c) for c in missing]
        overdue = None if any(d is None for d in expired) else days_between(
            months_before(min(pd.Timestamp(d).date() for d in expired), -12), as_of)
        records.append({
            "patient_id": p.patient_id, "practice_code": p.practice_code,
            "reasons": f"{len(missing)} of the six physical health checks not done in 12 "
                       f"months: " + ", ".join(CHECK_NAMES[c] for c in missing),
            "facts": as_json(facts),
            "suggested_action": "Invite for an SMI physical health check: "
                                + ", ".join(CHECK_NAMES[c] for c in missing)
                                + (" (bloods)" if set(missing) & BLOOD_TESTS else ""),
            "clinical_risk": len(missing) / len(CHECKS), "days_overdue": overdue,
            "counts_towards_target": True,
            "steps_to_standard": 2 if set(missing) & BLOOD_TESTS else 1})
    return _frame(records)


# --- screening (SCREEN_BOWEL, SCREEN_BREAST, SCREEN_CERVICAL) and HPV (HPV_BY_14) ---------------

#: Each programme's coverage indicator, whose shortfall its list is.
SCREENING_INDICATORS = {"cervical": "SCREEN_CERVICAL", "breast": "SCREEN_BREAST",
                        "bowel": "SCREEN_BOWEL"}
SCREENING_ACTIONS = {
    "bowel": "Encourage return of the FIT kit; a replacement kit from the bowel screening hub "
             "(0800 707 60 60)",
    "breast": "Encourage attendance; ask the breast screening service to re-invite",
    "cervical": "Invite for cervical screening with the practice's sample taker",
}


def _screening(lake, as_of: str | dt.date, programme: str) -> Callable[[], pd.DataFrame]:
    """Eligible people (the coverage indicator's denominator) not screened in its look-back."""
    t = denominator_rows(lake, as_of, SCREENING_INDICATORS[programme])
    people = t.loc[~t.numerator, ["patient_id", "practice_code", "age"]]
    tests = _last_test(lake, people, as_of, programme)
    return lambda: _screening_rows(as_of, programme, people, tests)


def _screening_rows(as_of, programme: str, people: pd.DataFrame, tests: dict) -> pd.DataFrame:
    """`_screening`'s rows from what it read. Python
    only: `find_all` runs it in its second thread while the next list's queries run."""
    _, months, _, older_months = SCREENING[programme]
    # column by column: some programmes list a hundred thousand people, and their facts vary
    # only by age, the last test's date and the look-back
    ages = people.age.astype(int)
    window = (ages.where(ages < 50, older_months).where(ages >= 50, months) if older_months
              else pd.Series(months, index=people.index))
    last = [tests.get(p) for p in people.patient_id]
    shown, overdue = {}, {}
    for day, months_ in set(zip(last, window, strict=True)):
        shown[day] = _day(day)
        overdue[day, months_] = None if day is None else days_between(
            months_before(pd.Timestamp(day).date(), -months_), as_of)
    # the facts as `as_json` writes them: the values are digits, dates or "-", nothing to
    # escape, so the JSON text is put together directly
    facts = [f'{{"Age": "{a}", "Last adequate test": "{shown[d]}", "Due every": "{w} months"}}'
             for a, d, w in zip(ages, last, window, strict=True)]
    reasons = [f"Never screened ({programme})" if d is None else
               f"Last {programme} screening test over {w} months ago"
               for d, w in zip(last, window, strict=True)]
    return _frame({
        "patient_id": people.patient_id.to_list(),
        "practice_code": people.practice_code.to_list(),
        "reasons": reasons, "facts": facts,
        "suggested_action": [SCREENING_ACTIONS[programme]] * len(people),
        "clinical_risk": [0.5 if d is not None else 0.7 for d in last],
        "days_overdue": [overdue[d, w] for d, w in zip(last, window, strict=True)],
        "counts_towards_target": [True] * len(people),
        "steps_to_standard": [1] * len(people)})


def _last_test(lake, people: pd.DataFrame, as_of, programme: str) -> dict:
    if people.empty:
        return {}
    s = lake.table("screening")
    s = s.filter(s.programme == programme, s.event == "tested", s.date <= as_date(as_of))
    ids = ibis.memtable(pd.DataFrame({"patient_id": people.patient_id.astype("int64")}))
    last = s.join(ids, "patient_id").group_by("patient_id").agg(last=s.date.max()).to_pandas()
    return dict(zip(last.patient_id, last["last"], strict=True))


def _hpv(lake, as_of: str | dt.date) -> Callable[[], pd.DataFrame]:
    """14-year-olds (HPV_BY_14's denominator) with no HPV vaccination on record. One dose
    completes the course for people vaccinated before 25 (JCVI advice, UK schedule from
    September 2023), so an incomplete course is no dose."""
    t = denominator_rows(lake, as_of, "HPV_BY_14")
    return lambda: _hpv_rows(t.loc[~t.numerator, ["patient_id", "practice_code", "age"]])


def _hpv_rows(people: pd.DataFrame) -> pd.DataFrame:
    """`_hpv`'s rows from whom it read. Python
    only: `find_all` runs it in its second thread while the next list's queries run."""
    records = [{"patient_id": p.patient_id, "practice_code": p.practice_code,
                "reasons": "No HPV vaccination on record by age 14",
                "facts": as_json({"Age": str(int(p.age)), "HPV doses": "0"}),
                "suggested_action": "Offer HPV vaccination (one dose) or refer to the "
                                    "school-aged immunisation service's catch-up",
                "clinical_risk": 0.5, "days_overdue": None, "counts_towards_target": True,
                "steps_to_standard": 1} for p in people.itertuples(index=False)]
    return _frame(records)


# --- learning disability register (invitation list only) ---------------------------------------

LD_CAVEAT = ("No public codelist for the learning disability annual health check exists, so "
             "this list cannot say who has had one: it lists everyone aged 14 or over on the "
             "register, for the invitation, and counts no one towards a target")


def _learning_disability(lake, as_of: str | dt.date) -> Callable[[], pd.DataFrame]:
    from icsight.indicators.cohorts import disease_register

    register_ = disease_register(lake, one_date(lake, as_of), "ld_cod_20241205")
    people = keep_registered(lake, register_)
    people = people.filter(people.age >= 14).select(
        "patient_id", "practice_code", "age", "last_diagnosis").to_pandas()
    return lambda: _learning_disability_rows(people)


def _learning_disability_rows(people: pd.DataFrame) -> pd.DataFrame:
    """`_learning_disability`'s rows from whom it read. Python
    only: `find_all` runs it in its second thread while the next list's queries run."""
    records = [{"patient_id": p.patient_id, "practice_code": p.practice_code,
                "reasons": "On the learning disability register (aged 14 or over)",
                "facts": as_json({"Age": str(int(p.age)),
                                  "On the register since": _day(p.last_diagnosis)}),
                "suggested_action": "Invite for the annual learning disability health check "
                                    "and health action plan",
                "clinical_risk": 0.5, "days_overdue": None, "counts_towards_target": False,
                "steps_to_standard": 1} for p in people.itertuples(index=False)]
    return _frame(records)


CVD_SOURCE = ("CVDPREVENT indicator metadata (NHS England / NHS Benchmarking Network); NICE "
              "NG136 Hypertension in adults (treatment steps)")

WORKLISTS: list[Worklist] = [
    Worklist(
        id="hypertension-no-bp", title="Hypertension: no blood pressure in 12 months",
        description="Adults on the hypertension register (HYP_COD not resolved) with no valid "
                    "blood pressure reading in the 12 months to the date: CVDP004HYP's "
                    "shortfall. Facts: the last reading ever, current antihypertensives.",
        cohort="cvd", source=CVD_SOURCE + "; CVDP004HYP",
        suggested_action="Invite for a blood pressure check (or ask for a home reading)",
        rows=lambda lake, as_of: _hypertension(lake, as_of, "no_bp"),
        indicator_id="CVDP004HYP"),
    Worklist(
        id="hypertension-above-target", title="Hypertension: not treated to target",
        description="Adults on the hypertension register whose last blood pressure in 12 "
                    "months is above the age-appropriate threshold (140/90, 150/90 at 80+; "
                    "home 135/85, 145/85), or who have no reading in 12 months (which "
                    "CVDPREVENT counts as not at target): CVDP007HYP's shortfall. Facts: the "
                    "last reading and threshold, current medicines and NICE NG136 treatment "
                    "step.",
        cohort="cvd", source=CVD_SOURCE + "; CVDP007HYP",
        suggested_action="Review treatment by NICE NG136 step (a BP check first where there "
                         "is no reading)",
        rows=lambda lake, as_of: _hypertension(lake, as_of, "not_at_target"),
        indicator_id="CVDP007HYP"),
    Worklist(
        id="hypertension-high-risk", title="Hypertension not at target with diabetes, CKD or "
                                           "heart failure",
        description="The part of CVDP007HYP's shortfall also on the diabetes register "
                    "(DM_COD), with CKD stage 3-5 (PRIMIS CKD35) or on the heart failure "
                    "register (HF_COD): the people at highest cardiovascular risk first. "
                    + HIGH_RISK_NOTE + ".",
        cohort="cvd", source=CVD_SOURCE + "; CVDP007HYP",
        suggested_action="Review treatment by NICE NG136 step",
        rows=lambda lake, as_of: _hypertension(lake, as_of, "high_risk"),
        indicator_id="CVDP007HYP", whole_shortfall=False),
    Worklist(
        id="cyp-asthma-saba-or-no-ics",
        title="Children and young people with asthma: 3+ relievers or no preventer",
        description="5-17 year olds on the asthma register (AST_COD not resolved) issued 3 or "
                    "more SABA inhalers in 12 months (CYP_ASTHMA_SABA3's numerator; lower is "
                    "better, so these rows are its shortfall) or no inhaled corticosteroid in "
                    "12 months (no indicator: these rows do not count towards a target).",
        cohort="respiratory",
        source="National Bundle of Care for Children and Young People with Asthma; National "
               "Review of Asthma Deaths (2014); BTS/NICE/SIGN asthma guideline (2024)",
        suggested_action="Asthma review and personal asthma action plan",
        rows=_cyp_asthma, indicator_id="CYP_ASTHMA_SABA3",
        caveat="Objective asthma tests (FeNO, spirometry) are not listed: no codelist in the "
               "project yet"),
    Worklist(
        id="heart-failure-no-sglt2i", title="Heart failure: not on an SGLT2 inhibitor",
        description="Adults on the heart failure register with no SGLT2 inhibitor issued in 6 "
                    "months: HF_SGLT2I's shortfall. Facts: other heart failure medicines, LVSD.",
        cohort="heart_failure", source="NICE NG106; NICE TA679, TA773, TA902",
        suggested_action="Medicines review: start an SGLT2 inhibitor or record why not",
        rows=lambda lake, as_of: _heart_failure(lake, as_of, "HF_SGLT2I"),
        indicator_id="HF_SGLT2I"),
    Worklist(
        id="heart-failure-no-mra", title="Heart failure: not on an MRA",
        description="Adults on the heart failure register with no MRA (spironolactone, "
                    "eplerenone) issued in 6 months: HF_MRA's shortfall.",
        cohort="heart_failure", source="NICE NG106 (four pillars of HFrEF treatment)",
        suggested_action="Medicines review: start an MRA if HFrEF, or record why not",
        rows=lambda lake, as_of: _heart_failure(lake, as_of, "HF_MRA"),
        indicator_id="HF_MRA"),
    Worklist(
        id="smi-health-checks", title="Severe mental illness: physical health checks missing",
        description="People on the SMI register (MH_COD) without all six checks (BMI, blood "
                    "pressure, lipids, HbA1c or glucose, alcohol, smoking) in 12 months, with "
                    "which are missing: SMI_HEALTH_CHECKS's shortfall.",
        cohort="mental_health", source="NHS England physical health checks for people with SMI "
                                       "(PHSMI); CORE20PLUS5",
        suggested_action="Invite for the missing checks",
        rows=_smi, indicator_id="SMI_HEALTH_CHECKS",
        caveat="Alcohol consumption has no public codelist (no ALC_COD cluster is published): "
               f"code {NO_PUBLIC_CODELIST['alcohol'][0]} 'Alcohol intake' stands in; so does "
               f"{NO_PUBLIC_CODELIST['glucose'][0]} 'Glucose measurement, blood' for a glucose "
               "test instead of an HbA1c"),
    *[Worklist(
        id=f"screening-{programme}-overdue", title=f"{programme.title()} screening overdue",
        description=f"People in {indicator_id}'s denominator ({desc}) with no adequate test in "
                    "its look-back: its shortfall. Screening ceased for clinical reasons "
                    "leaves the list, as it leaves the denominator.",
        cohort="screening", source="NHS screening programme KPIs (OHID Fingertips coverage "
                                   "definitions)",
        suggested_action=SCREENING_ACTIONS[programme],
        rows=lambda lake, as_of, p=programme: _screening(lake, as_of, p),
        indicator_id=indicator_id)
      for programme, indicator_id, desc in (
          ("cervical", "SCREEN_CERVICAL", "women 25-64; 3.5 years under 50, 5.5 years from 50"),
          ("breast", "SCREEN_BREAST", "women 53-70; 36 months"),
          ("bowel", "SCREEN_BOWEL", "people 60-74; 30 months"))],
    Worklist(
        id="hpv-incomplete", title="HPV vaccination not given by 14",
        description="Registered 14-year-olds with no HPV vaccination on record: HPV_BY_14's "
                    "shortfall (one dose completes the course under 25, UK schedule from "
                    "September 2023).",
        cohort="screening", source="UKHSA HPV vaccination programme; JCVI one-dose advice",
        suggested_action="Offer HPV vaccination or refer to the school-aged immunisation "
                         "service's catch-up",
        rows=_hpv, indicator_id="HPV_BY_14"),
    Worklist(
        id="learning-disability-health-check",
        title="Learning disability register: annual health check invitations",
        description="Everyone aged 14 or over on the learning disability register "
                    "(LD_COD, 2024-12-05 release): who to invite for the annual health check.",
        cohort="mental_health", source="NHS England learning disability annual health check "
                                       "(DES); QOF learning disability register",
        suggested_action="Invite for the annual health check and health action plan",
        rows=_learning_disability, caveat=LD_CAVEAT),
]
