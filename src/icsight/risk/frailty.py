"""The electronic Frailty Index (eFI): 36 deficits from the GP record, for everyone 65 and over.

The rules (Clegg et al., "Development and validation of an electronic frailty index using
routine primary care electronic health record data", Age Ageing 2016;45:353-360, doi
10.1093/ageing/afw039; the SNOMED CT code sets of the Greater Manchester Secure Data
Environment, `efi_deficits_snomed.csv`, sources in that folder's SOURCES.md):

* **Who**: everyone registered and alive on the as-of date and aged 65 or over then (the
  project's registration rule, `icsight.model.registration`; age from the month of birth as
  every indicator computes it). The eFI was developed in people aged 65-95; GP systems show it
  for everyone 65+, so this does too.
* **Deficits**: 35 are coded. A deficit is present when any of its codes is recorded on or
  before the as-of date, however long ago ("ever recorded": Clegg et al. 2016 and the GM-SDE
  eFI query count each deficit once, without a time limit, except polypharmacy). "On or
  before" is the project's convention for every as-of count (a record dated that day counts).
  The 36th, **polypharmacy**, is 5 or more distinct medicines issued in the 12 months up to and
  including the as-of date; a medicine is its BNF chemical substance (the first 9 characters
  of the BNF code) or, without a BNF code, its dm+d code, so two strengths of one medicine
  count once.
* **Score**: deficits present / 36.
* **Category**: fit 0-0.12, mild >0.12-0.24, moderate >0.24-0.36, severe >0.36 (Clegg et
  al. 2016; the clinical-indicators note, section 1.5). Those cut-offs apply to the score as
  published and displayed, to two decimal places: so 0-4 deficits are fit, 5-8 mild, 9-13
  moderate (13/36 = 0.361 shows as 0.36) and 14 or more severe, as the note says.

Not included: the published implementation also reads some values (Barthel <= 18 as activity
limitation, 6CIT >= 8 as cognitive problems, haemoglobin below range as anaemia, eGFR < 60 as
CKD, and others; clinical-indicators note 1.5). The lake's generator records none of those
tests, so only codes and prescriptions count here; an ICB's own data would undercount
slightly where a deficit is known only from a test value.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from icsight.indicators.cohorts import registered_population
from icsight.indicators.periods import as_date, periods_table
from icsight.model.reference import data_path

__all__ = ["CATEGORIES", "DEFICIT_LABELS", "POLYPHARMACY", "POLYPHARMACY_MEDICINES",
           "category_of", "deficit_codes", "efi", "efi_deficits", "efi_distribution",
           "joined_sorted"]

N_DEFICITS = 36
POLYPHARMACY = "polypharmacy"
POLYPHARMACY_MEDICINES = 5  # distinct medicines in the last 12 months
#: Category names with the most deficits each allows (fit <= 4, mild <= 8, moderate <= 13).
CATEGORIES = (("fit", 4), ("mild", 8), ("moderate", 13), ("severe", N_DEFICITS))

#: The 36 deficits in a clinician's words (Clegg et al. 2016, table 1).
DEFICIT_LABELS = {
    "activity-limitation": "Activity limitation", "anaemia": "Anaemia and haematinic deficiency",
    "arthritis": "Arthritis", "atrial-fibrillation": "Atrial fibrillation",
    "stroke-tia": "Cerebrovascular disease", "ckd": "Chronic kidney disease",
    "diabetes": "Diabetes", "dizziness": "Dizziness", "dyspnoea": "Dyspnoea", "falls": "Falls",
    "foot-problems": "Foot problems", "fragility-fracture": "Fragility fracture",
    "hearing-loss": "Hearing impairment", "heart-failure": "Heart failure",
    "heart-valve-disease": "Heart valve disease", "housebound": "Housebound",
    "hypertension": "Hypertension", "hypotension": "Hypotension or syncope",
    "chd": "Ischaemic heart disease", "cognitive-problems": "Memory and cognitive problems",
    "mobility-problems": "Mobility and transfer problems", "osteoporosis": "Osteoporosis",
    "parkinsons": "Parkinsonism and tremor", "peptic-ulcer": "Peptic ulcer",
    "pvd": "Peripheral vascular disease", POLYPHARMACY: "Polypharmacy (5+ medicines)",
    "care-requirement": "Requirement for care", "respiratory-disease": "Respiratory disease",
    "skin-ulcer": "Skin ulcer", "sleep-disturbance": "Sleep disturbance",
    "social-vulnerability": "Social vulnerability", "thyroid-disorders": "Thyroid disease",
    "urinary-incontinence": "Urinary incontinence",
    "urinary-system-disease": "Urinary system disease",
    "vision-problems": "Visual impairment", "weight-loss": "Weight loss and anorexia",
}


@cache
def deficit_codes() -> pd.DataFrame:
    """The coded deficits: one row per (deficit, code, term), from efi_deficits_snomed.csv."""
    with data_path("codelists", "efi_deficits_snomed.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    frame = pd.DataFrame(rows, columns=["deficit", "code", "term"])
    if set(frame.deficit) | {POLYPHARMACY} != set(DEFICIT_LABELS):
        raise ValueError("efi_deficits_snomed.csv does not hold the 35 coded eFI deficits")
    return frame


def category_of(deficits: int) -> str:
    """The eFI category of a count of deficits (see the module docstring for the cut-offs)."""
    for name, most in CATEGORIES:
        if deficits <= most:
            return name
    raise ValueError(f"{deficits} deficits: more than {N_DEFICITS}")


def _people(lake, as_of: dt.date) -> ir.Table:
    periods = periods_table([as_of], lake)
    people = registered_population(lake, periods, ("practice_code",))
    people = people.filter(people.age >= 65)
    return people.select("patient_id", "practice_code", "age")


def efi_deficits(lake, as_of: str | dt.date) -> ir.Table:
    """The deficits behind each score: one row per person 65+ and deficit present on `as_of`,
    with when it was first recorded and the code that first showed it (for polypharmacy: the
    count of distinct medicines in the 12 months and the latest issue's date).

    Columns: patient_id, deficit, first_date, code, evidence."""
    day = as_date(as_of)
    coded = _coded_deficits(lake, day)
    first = ibis.row_number().over(group_by=[coded.patient_id, coded.deficit],
                                   order_by=[coded.date, coded.snomed_code])
    coded = coded.mutate(_n=first)
    coded = coded.filter(coded._n == 0).select(
        "patient_id", "deficit", first_date=coded.date, code=coded.snomed_code,
        evidence=coded.term)
    per = _polypharmacy(lake, day)
    poly = per.select(
        "patient_id", deficit=ibis.literal(POLYPHARMACY), first_date=per.latest,
        code=ibis.null("string"),
        evidence=per.n.cast("string").concat(" distinct medicines issued in 12 months"))
    return coded.union(poly)


def _deficits_present(lake, day: dt.date) -> ir.Table:
    """(patient_id, deficit): the deficits `efi_deficits` finds, without working out which
    code showed each first. A score needs only whether a deficit is present, and ranking every
    coded event of everyone 65+ to find the first is most of the cost of the query."""
    coded = _coded_deficits(lake, day).select("patient_id", "deficit").distinct()
    poly = _polypharmacy(lake, day).select("patient_id", deficit=ibis.literal(POLYPHARMACY))
    return coded.union(poly)


def _coded_deficits(lake, day: dt.date) -> ir.Table:
    """Clinical events of people 65+ on or before `day` with a deficit's code, each with its
    deficit and the code's term."""
    people = _people(lake, day)
    codes = lake.small_table("efi_deficit_codes", deficit_codes(),
                             {"deficit": "string", "code": "string", "term": "string"})
    events = lake.table("clinical_events")
    events = events.filter(events.date <= day).semi_join(people, "patient_id")
    return events.join(codes, events.snomed_code == codes.code)


def _polypharmacy(lake, day: dt.date) -> ir.Table:
    """(patient_id, n, latest) for people 65+ issued `POLYPHARMACY_MEDICINES` or more distinct
    medicines in the 12 months to `day`: how many, and the latest issue's date."""
    people = _people(lake, day)
    meds = lake.table("medications")
    year_before = _one_year_before(day)
    meds = meds.filter(meds.date <= day, meds.date > year_before).semi_join(people,
                                                                            "patient_id")
    medicine = ibis.coalesce(meds.bnf_code.substr(0, 9), meds.dmd_code)
    per = meds.mutate(medicine=medicine).group_by("patient_id").agg(
        n=lambda t: t.medicine.nunique(), latest=lambda t: t.date.max())
    return per.filter(per.n >= POLYPHARMACY_MEDICINES)


def _one_year_before(day: dt.date) -> dt.date:
    """The day a year before (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def efi(lake, as_of: str | dt.date) -> pd.DataFrame:
    """The eFI of everyone registered aged 65+ on `as_of`: one row per person with
    patient_id, practice_code, age, deficits (count), score (deficits / 36), score_shown
    (to two decimal places, as GP systems show it), category, and deficit_list (the
    deficits' names in a clinician's words, alphabetical, joined by "; ")."""
    day = as_date(as_of)
    # one score for everyone while the lake shares results: every neighbourhood list ranks
    # its rows by it (a copy, so no caller changes another's)
    return lake.shared_result(("eFI", day), lambda: _efi(lake, day)).copy()


def _efi(lake, day: dt.date) -> pd.DataFrame:
    people = _people(lake, day).to_pandas()
    found = _deficits_present(lake, day).to_pandas()
    found["label"] = found.deficit.map(DEFICIT_LABELS)
    listed = joined_sorted(found.patient_id, found.label)
    counts = found.groupby("patient_id").size()
    out = people.assign(
        deficits=people.patient_id.map(counts).fillna(0).astype(int),
        deficit_list=people.patient_id.map(listed).fillna(""))
    out["score"] = out.deficits / N_DEFICITS
    out["score_shown"] = out.score.round(2)
    out["category"] = out.deficits.map(category_of)
    return out.sort_values("patient_id").reset_index(drop=True)


def joined_sorted(keys: pd.Series, items: pd.Series, sep: str = "; ") -> pd.Series:
    """Each key's items, sorted and joined by `sep` (indexed by key): `"; ".join(sorted(s))`
    per group, in one pass over the sorted pairs instead of a Python function per group.
    The pairs are sorted by pandas (by key, then item, as Python sorts the tuples) and each
    group found from where the key changes: sorting a million tuples in Python was most of
    the eFI's Python."""
    if len(keys) != len(items):
        raise ValueError("joined_sorted: keys and items differ in length")
    if not len(keys):
        return pd.Series({}, dtype=object)
    pairs = pd.DataFrame({"key": keys.to_numpy(), "item": items.to_numpy(dtype=object)})
    pairs = pairs.sort_values(["key", "item"], kind="stable")
    sorted_keys = pairs.key.to_numpy()
    sorted_items = pairs.item.to_numpy(dtype=object).tolist()
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    ends = np.r_[starts[1:], len(sorted_keys)]
    return pd.Series([sep.join(sorted_items[a:b])
                      for a, b in zip(starts.tolist(), ends.tolist(), strict=True)],
                     index=sorted_keys[starts], dtype=object)


def efi_distribution(scores: pd.DataFrame) -> pd.Series:
    """Share (%) of people in each eFI category, in category order."""
    names = [name for name, _ in CATEGORIES]
    shares = scores.category.value_counts(normalize=True).reindex(names, fill_value=0.0)
    return 100 * shares

