"""The facts behind worklist rows: one date's indicator rows, current medicines, last dates.

Every list starts from its indicator's own patient-level rows (`indicator_rows`), computed by
the indicator's function for a one-row periods table, so a list can never disagree with the
indicator it reconciles with. The helpers here only add facts for the rows already chosen:
medicines issued, the last date of a code, the registers a patient is on.
"""

from __future__ import annotations

import datetime as dt
import json

import ibis
import ibis.expr.types as ir
import pandas as pd

from icsight.indicators.catalogue import indicator
from icsight.indicators.cohorts import PERIOD, disease_register, starts_with_any
from icsight.indicators.periods import as_date, months_before, periods_table
from icsight.indicators.programmes.cancer import hpv_patients, screening_patients
from icsight.indicators.programmes.ltc import MRA_BNF, SGLT2I_BNF
from icsight.model.codelists import codelist

__all__ = [
    "MEDICINE_CLASSES",
    "as_json",
    "days_between",
    "denominator_rows",
    "indicator_rows",
    "last_dates",
    "medicines_issued",
    "on_register",
    "one_date",
]

#: Medicine classes a list reports, each by its dm+d codelist (the packaged one, sources in
#: data/codelists/SOURCES.md) or, for records without a dm+d code, its BNF codes (chemical
#: substances or a paragraph), as the heart failure indicators identify SGLT2i and MRAs.
MEDICINE_CLASSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ACE inhibitor": ("ace_inhibitor_snomed", ("0205051",)),  # BNF 2.5.5.1
    "ARB": ("arb_snomed", ("0205052",)),  # BNF 2.5.5.2 angiotensin II receptor blockers
    "CCB": ("ccb_snomed", ("0206020",)),  # BNF 2.6.2 calcium-channel blockers
    "Thiazide-like diuretic": ("thiazide_like_diuretic_snomed", ("0202010",)),  # BNF 2.2.1
    "Beta blocker": ("beta_blocker_snomed", ("0204000",)),  # BNF 2.4
    "MRA": ("mra_snomed", MRA_BNF),
    "SGLT2i": ("sglt2i_snomed", SGLT2I_BNF),
    "Inhaled corticosteroid": ("ics_inhaler_dmd", ("0302000",)),  # BNF 3.2, and ICS combinations
}


def one_date(lake, as_of: str | dt.date) -> ir.Table:
    """The one-row periods table of `as_of` (`icsight.indicators.periods`)."""
    return periods_table([as_date(as_of)], lake)


def indicator_rows(lake, as_of: str | dt.date, indicator_id: str) -> ir.Table:
    """An indicator's own patient-level rows on `as_of` (one per person in its denominator,
    with `numerator`), without the period column."""
    rows = indicator(indicator_id).rows(lake, one_date(lake, as_of))
    return rows.drop(PERIOD)


#: Indicators over the whole registered population (`PopulationCounts`: they count people
#: without listing them), each with the patient-level twin of its count, by the indicator's
#: own rule (`icsight.indicators.population.population_rows`).
POPULATION_TWINS = {
    "SCREEN_CERVICAL": lambda lake, periods: screening_patients(lake, periods, "cervical"),
    "SCREEN_BREAST": lambda lake, periods: screening_patients(lake, periods, "breast"),
    "SCREEN_BOWEL": lambda lake, periods: screening_patients(lake, periods, "bowel"),
    "HPV_BY_14": hpv_patients,
}


def denominator_rows(lake, as_of: str | dt.date, indicator_id: str) -> pd.DataFrame:
    """Everyone in an indicator's denominator on `as_of`, one row each with `numerator`
    (`indicator_rows`, or for an indicator over the registered population its patient-level
    twin, `POPULATION_TWINS`), as a frame.

    Computed once while the lake shares results (`Lake.sharing`): the lists of one indicator
    (the hypertension cohort feeds three) and their shortfall read the same frame instead of
    running the indicator's query each time. Callers must not change the frame in place."""
    day = as_date(as_of)

    def build() -> pd.DataFrame:
        twin = POPULATION_TWINS.get(indicator_id)
        rows = (twin(lake, one_date(lake, day)).drop(PERIOD) if twin is not None
                else indicator_rows(lake, day, indicator_id))
        return rows.to_pandas()

    return lake.shared_result(("worklists: denominator rows", indicator_id, day), build)


def _ids(frame: pd.DataFrame) -> ir.Table:
    return ibis.memtable(pd.DataFrame({"patient_id": frame["patient_id"].astype("int64")
                                       .drop_duplicates()}))


def medicines_issued(lake, people: pd.DataFrame, as_of: str | dt.date, months: int,
                     classes: tuple[str, ...]) -> pd.DataFrame:
    """(patient_id, medicine_class, last_issued) for each class in `classes` issued to the
    patients in `people` in the `months` to `as_of` (after the same day `months` earlier, up
    to and including it, as the indicators' windows)."""
    if people.empty:
        return pd.DataFrame(columns=["patient_id", "medicine_class", "last_issued"])
    day = as_date(as_of)
    meds = lake.table("medications")
    meds = meds.filter(meds.date > months_before(day, months), meds.date <= day)
    meds = meds.join(_ids(people), "patient_id")
    # one pass over the issues, each class's latest date a column of its own (a query per
    # class read the medications once per class). The dm+d codes come as a small table
    # joined on the code, one flag column per class, not as IN lists: the antihypertensives'
    # lists hold 1,200-1,550 codes each, and Ibis building and compiling some 7,000 literals
    # cost more than DuckDB's work on the query.
    codes = _class_codes(classes)
    meds = meds.left_join(codes, meds.dmd_code == codes.dmd_code_)
    hits = {}
    for n, name in enumerate(classes):
        bnf = MEDICINE_CLASSES[name][1]
        # no code row (or no dm+d code) is "not in the codelist", as `isin` says it
        hits[f"_c{n}"] = (meds[f"_c{n}"].fill_null(False)
                          | starts_with_any(meds.bnf_code, bnf).fill_null(False))
    meds = meds.select("patient_id", "date", **hits)
    meds = meds.filter(ibis.or_(*[meds[c] for c in hits]))
    wide = meds.group_by("patient_id").agg(
        **{c: meds.date.max(where=meds[c]) for c in hits}).to_pandas()
    long = wide.melt(id_vars="patient_id", value_vars=list(hits), var_name="medicine_class",
                     value_name="last_issued").dropna(subset=["last_issued"])
    long["medicine_class"] = long.medicine_class.map(dict(zip(hits, classes, strict=True)))
    return long[["patient_id", "medicine_class", "last_issued"]].reset_index(drop=True)


def _class_codes(classes: tuple[str, ...]) -> ir.Table:
    """The dm+d codes of `classes` (`MEDICINE_CLASSES`) as a small table: `dmd_code_`, then a
    flag per class (`_c0`, `_c1`, ... in the order of `classes`) saying whether the code is
    in that class's codelist."""
    lists = [set(codelist(MEDICINE_CLASSES[name][0]).codes) for name in classes]
    every = sorted(set().union(*lists))
    frame = pd.DataFrame({"dmd_code_": pd.Series(every, dtype=object)})
    for n, codes in enumerate(lists):
        frame[f"_c{n}"] = [c in codes for c in every]
    return ibis.memtable(frame, schema={"dmd_code_": "string",
                                        **{f"_c{n}": "boolean" for n in range(len(lists))}})


def last_dates(lake, people: pd.DataFrame, as_of: str | dt.date,
               codes: dict[str, list[str]]) -> pd.DataFrame:
    """(patient_id, name, last_date): the last clinical event on or before `as_of` with any
    of `codes[name]`, for the patients in `people` (however long ago)."""
    if people.empty:
        return pd.DataFrame(columns=["patient_id", "name", "last_date"])
    events = lake.table("clinical_events")
    every = sorted({c for wanted in codes.values() for c in wanted})
    events = events.filter(events.date <= as_date(as_of), events.snomed_code.isin(every))
    events = events.join(_ids(people), "patient_id")
    # one pass over the events, each name's last date a column of its own
    names = {f"_c{n}": name for n, name in enumerate(codes)}
    wide = events.group_by("patient_id").agg(**{
        c: events.date.max(where=events.snomed_code.isin(list(codes[name])))
        for c, name in names.items()}).to_pandas()
    long = wide.melt(id_vars="patient_id", value_vars=list(names), var_name="name",
                     value_name="last_date").dropna(subset=["last_date"])
    long["name"] = long.name.map(names)
    return long[["patient_id", "name", "last_date"]].reset_index(drop=True)


def on_register(lake, as_of: str | dt.date, codes: str, resolved: str | None = None) -> set:
    """The patient ids on a QOF-style register on `as_of` (`disease_register`), whether or not
    registered with a practice (callers keep their own rows). Read once while the lake
    shares results (three hypertension lists ask for the same three registers); callers must
    not change the set."""
    day = as_date(as_of)

    def build() -> set:
        t = disease_register(lake, one_date(lake, day), codes, resolved)
        return set(t.select("patient_id").to_pandas()["patient_id"])

    return lake.shared_result(("worklists: register", codes, resolved, day), build)


def days_between(since: dt.date | None, day: str | dt.date) -> int | None:
    """Whole days from `since` to `day` (None when `since` is unknown)."""
    if type(since) is dt.date and type(day) is dt.date:  # most rows: no conversion needed
        return (day - since).days
    if since is None or pd.isna(since):
        return None
    return (as_date(day) - pd.Timestamp(since).date()).days


#: `json.dumps(facts, ensure_ascii=False)`'s encoder, made once instead of once per row
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def as_json(facts: dict[str, str]) -> str:
    """The facts column: a JSON object of short labelled strings, in the order given."""
    return _ENCODER.encode(facts)
