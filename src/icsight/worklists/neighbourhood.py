"""The neighbourhood teams' lists: care home residents, housebound people, the palliative care
register, moderate or severe frailty, and three or more long-term conditions.

Each list is one of the patient-level cohorts of `icsight.risk.cohorts`, row by row in the
shape every worklist shares (`icsight.worklists.definition.ROW_COLUMNS`). None has an
indicator whose shortfall it makes up (no standard is missed by being on the list), so
`counts_towards_target` is False and `days_overdue` empty. Their clinical risk is the person's
electronic frailty index score (0 for people under 65, who have none): the share of the 36
deficits present, which rises with the risk of emergency admission, care home admission and
death (Clegg et al., Age Ageing 2016).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pandas as pd

from icsight.risk.cohorts import (
    LONG_TERM_CONDITIONS,
    care_home_residents,
    housebound,
    long_term_conditions,
    moderate_or_severe_frailty,
    palliative_care_register,
)
from icsight.risk.frailty import efi
from icsight.worklists.definition import ROW_COLUMNS, Worklist

__all__ = ["WORKLISTS"]

_NHF = ("NHS England, Neighbourhood health guidelines 2025/26: the cohorts integrated "
        "neighbourhood teams start with")


def _day(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _rows(people: pd.DataFrame, lake, as_of, reasons, facts, action: str
          ) -> Callable[[], pd.DataFrame]:
    """The shared row shape from a cohort's rows, with `reasons(row)` and `facts(row)`: the
    eFI read now, the rows once asked for (Python only: `find_all` runs it in its second
    thread while the next list's queries run)."""
    scores = efi(lake, as_of).set_index("patient_id").score

    def rows() -> pd.DataFrame:
        out = pd.DataFrame({
            "patient_id": people.patient_id,
            "practice_code": people.practice_code,
            "reasons": [reasons(r) for r in people.itertuples()],
            "facts": [json.dumps(facts(r)) for r in people.itertuples()],
            "suggested_action": action,
            "clinical_risk": people.patient_id.map(scores).fillna(0.0).round(3),
            "days_overdue": pd.array([None] * len(people), dtype="Int64"),
            "counts_towards_target": False,
        })
        return out[list(ROW_COLUMNS)].reset_index(drop=True)

    return rows


def _care_home_rows(lake, as_of) -> Callable[[], pd.DataFrame]:
    action = "Review at the care home round and agree or update a personalised care plan"
    return _rows(
        care_home_residents(lake, as_of), lake, as_of,
        lambda r: "Lives in a care home" + (" (temporary stay)" if r.temporary else ""),
        lambda r: {"Care home code first recorded": _day(r.first_care_home_date),
                   "Latest care home code": f"{r.latest_care_home_term} on "
                                            f"{_day(r.latest_care_home_date)}"},
        action)


def _housebound_rows(lake, as_of) -> Callable[[], pd.DataFrame]:
    action = "Offer a home visit for reviews, vaccinations and long-term condition checks"
    return _rows(
        housebound(lake, as_of), lake, as_of, lambda r: "Coded as housebound",
        lambda r: {"Housebound since": _day(r.housebound_since),
                   "Latest code": r.housebound_term},
        action)


def _palliative_rows(lake, as_of) -> Callable[[], pd.DataFrame]:
    action = ("Review at the palliative care meeting: advance care plan, preferred place of "
              "care and anticipatory medicines")
    return _rows(
        palliative_care_register(lake, as_of), lake, as_of,
        lambda r: "On the palliative care register",
        lambda r: {"On the register since": _day(r.first_palliative_date),
                   "Latest code": f"{r.latest_palliative_term} on "
                                  f"{_day(r.latest_palliative_date)}"},
        action)


def _frailty_rows(lake, as_of) -> Callable[[], pd.DataFrame]:
    action = "Offer a frailty review: falls risk, medicines review and a care plan"

    def facts(r) -> dict:
        out = {"eFI": f"{r.efi_score:.2f} ({r.efi_category}, {r.efi_deficits} of 36 "
                      f"deficits)"}
        if r.efi_deficit_list:
            out["Deficits"] = r.efi_deficit_list
        if r.coded_frailty:
            out["Coded frailty"] = f"{r.coded_frailty} on {_day(r.coded_frailty_date)}"
        return out

    return _rows(
        moderate_or_severe_frailty(lake, as_of), lake, as_of,
        lambda r: f"{r.frailty.capitalize()} frailty (by {r.basis})", facts, action)


def _ltc_rows(lake, as_of) -> Callable[[], pd.DataFrame]:
    action = "Offer one joined-up long-term conditions review instead of one per condition"
    return _rows(
        long_term_conditions(lake, as_of), lake, as_of,
        lambda r: f"{r.conditions} long-term conditions",
        lambda r: {"Conditions (latest diagnosis)": r.condition_list}, action)


WORKLISTS = [
    Worklist(
        id="care-home-residents", title="Care home residents", cohort="neighbourhood",
        description="Registered patients whose latest care home code (CAREHOME_COD or LONGRES: "
                    "residence, visit, admission) is not followed by a housebound or no "
                    "longer housebound code, which would mean they live in their own home.",
        source=_NHF + "; NHS England Enhanced Health in Care Homes framework; codelists "
                      "NHSD CAREHOME_COD and PRIMIS LONGRES",
        suggested_action="Review at the care home round", rows=_care_home_rows),
    Worklist(
        id="housebound", title="Housebound patients", cohort="neighbourhood",
        description="Registered patients whose latest housebound code is later than any no "
                    "longer housebound code (a same-day pair counts as no longer housebound).",
        source=_NHF + "; OpenSAFELY housebound and no-longer-housebound codelists",
        suggested_action="Offer a home visit", rows=_housebound_rows),
    Worklist(
        id="palliative-care-register", title="Palliative care register",
        cohort="neighbourhood",
        description="Registered patients with a palliative care code (PALCARE_COD) recorded "
                    "since 1 April 2008, the QOF palliative care register's rule.",
        source=_NHF + "; QOF PC001 (palliative care register), NHSD PALCARE_COD",
        suggested_action="Review at the palliative care meeting", rows=_palliative_rows),
    Worklist(
        id="moderate-severe-frailty", title="Moderate or severe frailty",
        cohort="neighbourhood",
        description="Registered patients aged 65 and over with moderate or severe frailty by "
                    "the electronic frailty index (9 or more of its 36 deficits) or by their "
                    "latest coded frailty diagnosis, whichever says more.",
        source=_NHF + "; Clegg et al., Age Ageing 2016 (eFI); GP contract 2017/18 frailty "
                      "identification for people 65+; NHSD MILDFRAIL/MODFRAIL/SEVFRAIL_COD",
        suggested_action="Offer a frailty review", rows=_frailty_rows),
    Worklist(
        id="multiple-long-term-conditions", title="Three or more long-term conditions",
        cohort="neighbourhood",
        description="Registered patients on three or more of these registers: "
                    + ", ".join(label for label, *_ in LONG_TERM_CONDITIONS.values()).lower()
                    .replace("copd", "COPD") + " (each with the QOF register's age floor).",
        source=_NHF + "; QOF registers (business rules v49/v50)",
        suggested_action="Offer a joined-up long-term conditions review", rows=_ltc_rows),
]
