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
from icsight.indicators.programmes.ltc import MRA_BNF, SGLT2I_BNF
from icsight.model.codelists import codelist

__all__ = [
    "MEDICINE_CLASSES",
    "as_json",
    "days_between",
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
    parts = []
    for name in classes:
        listname, bnf = MEDICINE_CLASSES[name]
        hit = meds.dmd_code.isin(codelist(listname).codes) | starts_with_any(
            meds.bnf_code, bnf).fill_null(False)
        kept = meds.filter(hit)
        parts.append(kept.group_by("patient_id").agg(last_issued=kept.date.max())
                     .mutate(medicine_class=ibis.literal(name)))
    out = ibis.union(*parts).to_pandas()
    return out[["patient_id", "medicine_class", "last_issued"]]


def last_dates(lake, people: pd.DataFrame, as_of: str | dt.date,
               codes: dict[str, list[str]]) -> pd.DataFrame:
    """(patient_id, name, last_date): the last clinical event on or before `as_of` with any
    of `codes[name]`, for the patients in `people` (however long ago)."""
    if people.empty:
        return pd.DataFrame(columns=["patient_id", "name", "last_date"])
    events = lake.table("clinical_events")
    events = events.filter(events.date <= as_date(as_of)).join(_ids(people), "patient_id")
    parts = []
    for name, wanted in codes.items():
        kept = events.filter(events.snomed_code.isin(list(wanted)))
        parts.append(kept.group_by("patient_id").agg(last_date=kept.date.max())
                     .mutate(name=ibis.literal(name)))
    return ibis.union(*parts).to_pandas()[["patient_id", "name", "last_date"]]


def on_register(lake, as_of: str | dt.date, codes: str, resolved: str | None = None) -> set:
    """The patient ids on a QOF-style register on `as_of` (`disease_register`), whether or not
    registered with a practice (callers keep their own rows)."""
    t = disease_register(lake, one_date(lake, as_of), codes, resolved)
    return set(t.select("patient_id").to_pandas()["patient_id"])


def days_between(since: dt.date | None, day: str | dt.date) -> int | None:
    """Whole days from `since` to `day` (None when `since` is unknown)."""
    if since is None or pd.isna(since):
        return None
    return (as_date(day) - pd.Timestamp(since).date()).days


def as_json(facts: dict[str, str]) -> str:
    """The facts column: a JSON object of short labelled strings, in the order given."""
    return json.dumps(facts, ensure_ascii=False)
