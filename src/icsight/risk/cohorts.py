"""The four neighbourhood cohorts, patient by patient: care home residents, housebound people,
the palliative care register, moderate or severe frailty, and people with three or more
long-term conditions.

Integrated neighbourhood teams manage these groups (NHS England, Neighbourhood health
guidelines 2025/26; issue 13). Each function returns one row per patient registered and alive
on the as-of date (the project's registration rule), with the practice, age and the facts the
rule read (dates, the terms of the codes, the eFI score), for the worklists
(`icsight.worklists`) to turn into rows. Codes dated on or before the as-of date count, as in
every indicator. Codelists and their sources: `icsight/data/codelists/SOURCES.md`.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from icsight.indicators.cohorts import disease_register, registered_population
from icsight.indicators.periods import as_date, periods_table
from icsight.model.codelists import Codelist, codelist
from icsight.risk.frailty import efi, joined_sorted

__all__ = ["FRAILTY_LEVELS", "LONG_TERM_CONDITIONS", "care_home_residents", "housebound",
           "long_term_conditions", "moderate_or_severe_frailty", "palliative_care_register"]

#: The coded frailty diagnoses (MILDFRAIL_COD, MODFRAIL_COD, SEVFRAIL_COD) in order of severity,
#: as QOF reads them (DM020/DM021: the latest of the three decides).
FRAILTY_LEVELS = (("mild", "mildfrail_cod"), ("moderate", "modfrail_cod"),
                  ("severe", "sevfrail_cod"))
_SEVERITY = {"fit": 0, "mild": 1, "moderate": 2, "severe": 3}

#: The long-term conditions counted for multimorbidity: the project's QOF-style registers
#: (QOF business rules v49/v50, NHS England; register = latest diagnosis code not followed by
#: a resolution code), with the QOF register's age floor. name -> (label, codelist, resolved
#: codelist or None, minimum age). Asthma is counted from its diagnosis code alone (the QOF
#: register also asks for treatment in the last 12 months).
LONG_TERM_CONDITIONS = {
    "hypertension": ("Hypertension", "hyp_cod", "hypres_cod", 0),
    "diabetes": ("Diabetes", "dm_cod", "dmres_cod", 17),
    "asthma": ("Asthma", "ast_cod", "astres_cod", 0),
    "copd": ("COPD", "copd_cod", "copdres_cod", 0),
    "heart_failure": ("Heart failure", "hf_cod", "hfres_cod", 0),
    "ckd": ("Chronic kidney disease (stage 3-5)", "ckd35_primis", None, 18),
    "smi": ("Severe mental illness", "mh_cod", None, 0),
    "dementia": ("Dementia", "dem_cod", None, 0),
    "depression": ("Depression", "depr_cod", "depres_cod", 18),
    "learning_disability": ("Learning disability", "ld_cod_20241205", None, 0),
}

#: QOF PC001 counts palliative care codes recorded from 1 April 2008 (QOF business rules) [K].
PALLIATIVE_FROM = dt.date(2008, 4, 1)


def _people(lake, day: dt.date, min_age: int = 0) -> pd.DataFrame:
    """Everyone registered on `day` aged `min_age`+: patient_id, practice_code, age. Read once
    while the lake shares results (every cohort starts from it); callers must not change the
    frame in place."""
    def build() -> pd.DataFrame:
        periods = periods_table([day], lake)
        people = registered_population(lake, periods, ("practice_code",))
        people = people.filter(people.age >= min_age)
        return people.select("patient_id", "practice_code", "age").to_pandas()

    return lake.shared_result(("registered people", day, min_age), build)


def _coded(lake, day: dt.date, lists: list[Codelist], since: dt.date | None = None
           ) -> pd.DataFrame:
    """Events with a code in any of `lists`, on or before `day` (and on or after `since`),
    with the list each code belongs to and its term: patient_id, date, snomed_code, list, term.
    """
    wanted = sorted({c for cl in lists for c in cl.codes})
    events = lake.table("clinical_events")
    cond = events.snomed_code.isin(wanted) & (events.date <= day)
    if since is not None:
        cond &= events.date >= since
    rows = events.filter(cond).select("patient_id", "date", "snomed_code").to_pandas()
    rows["date"] = pd.to_datetime(rows.date).dt.date  # dates, as the facts show them
    which = {c: cl.name for cl in reversed(lists) for c in cl.codes}
    terms = {c: t.strip() for cl in lists for c, t in cl.terms.items()}
    rows["list"] = rows.snomed_code.map(which)
    rows["term"] = rows.snomed_code.map(terms)
    return rows.sort_values(["patient_id", "date", "snomed_code"]).reset_index(drop=True)


def _latest(rows: pd.DataFrame) -> pd.DataFrame:
    """Each patient's latest row (on a tie of dates, the last code in sort order)."""
    return rows.groupby("patient_id").tail(1).set_index("patient_id")


def _with_people(people: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    return people.merge(facts, left_on="patient_id", right_index=True).sort_values(
        "patient_id").reset_index(drop=True)


def care_home_residents(lake, as_of: str | dt.date) -> pd.DataFrame:
    """People living in a care home on `as_of`: their latest code among CAREHOME_COD and
    PRIMIS LONGRES (residence, visits, admission to a home) is not superseded by a later
    housebound or no-longer-housebound code (which say the person lives in their own home).

    Columns: patient_id, practice_code, age, first_care_home_date, latest_care_home_date,
    latest_care_home_term, temporary (the latest code says the stay is temporary)."""
    day = as_date(as_of)
    homes = [codelist("carehome_cod"), codelist("longres_primis")]
    at_home = [codelist("housebound_opensafely"), codelist("no_longer_housebound_opensafely")]
    rows = _coded(lake, day, homes + at_home)
    in_home = rows.list.isin([cl.name for cl in homes])
    latest = _latest(rows)
    resident = latest[latest.list.isin([cl.name for cl in homes])]
    home_rows = rows[in_home & rows.patient_id.isin(resident.index)]
    facts = pd.DataFrame({
        # rows come sorted by patient and date (`_coded`): the first is the earliest, and
        # pandas takes it in C where `min` of Python dates runs group by group in Python
        "first_care_home_date": home_rows.groupby("patient_id").date.first(),
        "latest_care_home_date": resident.date,
        "latest_care_home_term": resident.term,
        "temporary": resident.term.str.lower().str.contains("temporar"),
    })
    return _with_people(_people(lake, day), facts)


def housebound(lake, as_of: str | dt.date) -> pd.DataFrame:
    """People coded housebound on `as_of`: their latest housebound code (OpenSAFELY
    housebound list) is later than any "no longer housebound" code (latest code wins, as the
    list's notes say). A same-day pair counts as no longer housebound.

    Columns: patient_id, practice_code, age, housebound_since (the first housebound code
    after the last "no longer housebound", or ever), housebound_term (latest code's term)."""
    day = as_date(as_of)
    yes, no = codelist("housebound_opensafely"), codelist("no_longer_housebound_opensafely")
    rows = _coded(lake, day, [yes, no])
    # a "no longer" code wins a tie of dates: sort it last within the day
    rows["_no"] = rows.list == no.name
    rows = rows.sort_values(["patient_id", "date", "_no"])
    latest = _latest(rows)
    current = latest[~latest._no]
    last_no = rows[rows._no].groupby("patient_id").date.last()  # the latest (sorted)
    mine = rows[~rows._no & rows.patient_id.isin(current.index)].copy()
    mine["_after"] = mine.patient_id.map(last_no)
    mine = mine[mine._after.isna() | (mine.date > mine._after)]
    # sorted by patient and date: the first is the earliest (see `care_home_residents`)
    facts = pd.DataFrame({"housebound_since": mine.groupby("patient_id").date.first(),
                          "housebound_term": current.term})
    return _with_people(_people(lake, day), facts)


def palliative_care_register(lake, as_of: str | dt.date) -> pd.DataFrame:
    """People on the palliative care register on `as_of`: a PALCARE_COD code recorded from 1
    April 2008 (QOF PC001's register rule).

    Columns: patient_id, practice_code, age, first_palliative_date, latest_palliative_date,
    latest_palliative_term."""
    day = as_date(as_of)
    rows = _coded(lake, day, [codelist("palcare_cod")], since=PALLIATIVE_FROM)
    latest = _latest(rows)
    # sorted by patient and date: the first is the earliest (see `care_home_residents`)
    facts = pd.DataFrame({"first_palliative_date": rows.groupby("patient_id").date.first(),
                          "latest_palliative_date": latest.date,
                          "latest_palliative_term": latest.term})
    return _with_people(_people(lake, day), facts)


def moderate_or_severe_frailty(lake, as_of: str | dt.date, min_age: int = 65) -> pd.DataFrame:
    """People aged `min_age`+ (65, the eFI's population; the neighbourhood teams' cohort is
    people over 75, `min_age=75`) with moderate or severe frailty by the eFI
    (`icsight.risk.frailty`) or by their latest coded frailty diagnosis (MILDFRAIL, MODFRAIL,
    SEVFRAIL_COD), whichever says more.

    Columns: patient_id, practice_code, age, efi_score (deficits / 36, two decimals),
    efi_category, efi_deficits (count), efi_deficit_list, coded_frailty (category or None),
    coded_frailty_date, frailty (the more severe of the two), basis ("eFI", "coded
    diagnosis" or "eFI and coded diagnosis" when both say the same)."""
    day = as_date(as_of)
    scores = efi(lake, day)
    scores = scores[scores.age >= min_age]
    lists = [codelist(name) for _, name in FRAILTY_LEVELS]
    rows = _coded(lake, day, lists)
    level = {cl.name: name for (name, _), cl in zip(FRAILTY_LEVELS, lists, strict=True)}
    latest = _latest(rows)
    coded = latest.list.map(level)
    out = scores.assign(
        efi_score=scores.score_shown, efi_category=scores.category,
        efi_deficits=scores.deficits, efi_deficit_list=scores.deficit_list,
        coded_frailty=scores.patient_id.map(coded),
        coded_frailty_date=scores.patient_id.map(latest.date))
    by_efi = out.efi_category.map(_SEVERITY)
    by_code = out.coded_frailty.map(_SEVERITY).fillna(-1)
    out["frailty"] = [e if _SEVERITY[e] >= _SEVERITY.get(c, -1) else c
                      for e, c in zip(out.efi_category, out.coded_frailty.fillna("none"),
                                      strict=True)]
    out["basis"] = ["eFI and coded diagnosis" if a == b else ("eFI" if a > b else
                                                             "coded diagnosis")
                    for a, b in zip(by_efi, by_code, strict=True)]
    out = out[out.frailty.isin(["moderate", "severe"])]
    for column in ("coded_frailty", "coded_frailty_date"):  # None, not NaN, when not coded
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    columns = ["patient_id", "practice_code", "age", "efi_score", "efi_category",
               "efi_deficits", "efi_deficit_list", "coded_frailty", "coded_frailty_date",
               "frailty", "basis"]
    return out[columns].sort_values("patient_id").reset_index(drop=True)


def long_term_conditions(lake, as_of: str | dt.date, at_least: int = 3) -> pd.DataFrame:
    """People on `at_least` or more of the registers in LONG_TERM_CONDITIONS on `as_of`.

    Columns: patient_id, practice_code, age, conditions (count), condition_list (labels with
    the date of the latest diagnosis code, alphabetical, joined by "; ")."""
    day = as_date(as_of)
    periods = periods_table([day], lake)
    people = _people(lake, day)
    found = []
    for label, codes, resolved, _min_age in LONG_TERM_CONDITIONS.values():
        register = disease_register(lake, periods, codes, resolved)
        found.append(register.select("patient_id", "last_diagnosis",
                                     label=ibis.literal(label)))
    table = found[0]
    for more in found[1:]:
        table = table.union(more)
    rows = table.to_pandas().merge(people, on="patient_id")
    rows["last_diagnosis"] = pd.to_datetime(rows.last_diagnosis).dt.date
    floors = {label: floor for label, _, _, floor in LONG_TERM_CONDITIONS.values()}
    rows = rows[rows.age >= rows.label.map(floors)]
    conditions = rows.groupby("patient_id").size()
    conditions = conditions[conditions >= at_least]
    # the list of conditions only for the people kept (a string per person on any register
    # was most of the cost), sorted as the text reads
    rows = rows[rows.patient_id.isin(conditions.index)]
    rows = rows.assign(item=rows.label + " (" + rows.last_diagnosis.astype(str) + ")")
    per = pd.DataFrame({"conditions": conditions,
                        "condition_list": joined_sorted(rows.patient_id, rows.item)})
    return _with_people(people, per)

