"""Worklists for a practice's clinicians: whom to call in, why, in what order, with what
result, and how far the calls get the practice towards its target.

The lists are found at every build (`icsight.results.worklists`) and kept in the run folder by
pseudonymised patient id. A clinician of the patient's own practice, or of its PCN, sees them
with NHS number, name and date of birth added from the identifiable zone: every list shown,
every file exported and every follow-up recorded is authorised and audited through
`icsight.governance`. The national data opt-out does not apply: worklists are for the direct
care of the practice's own patients (NHS England, National Data Opt-out Operational Policy
Guidance, section 5), so they are built from the direct-care view of the lake.

Exports lay out a practice's list for import into a GP clinical system's search: the NHS
number in the first column, then who, why and what to do; every cell spreadsheet-safe.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from icsight.appdb import Database
from icsight.appdb.follow_ups import OUTCOMES, latest_outcomes, record_outcome
from icsight.governance.access import Principal, Role
from icsight.governance.identifiable import authorise_identifiable, read_identifiers
from icsight.lake import table_path
from icsight.services.errors import NotFoundError
from icsight.services.records import spreadsheet_safe, spreadsheet_safe_csv
from icsight.worklists.definition import COHORTS as COHORT_NAMES

__all__ = ["COHORT_NAMES", "EXPORT_FORMATS", "SORTS", "STATUSES", "FollowUpError",
           "WorklistService"]

#: How a list can be ordered: name -> (column, highest first?)
SORTS = {"priority": ("priority", True), "overdue": ("days_overdue", True),
         "risk": ("admission_risk", True), "age": ("age", True)}
#: Which rows to show by their latest follow-up: `open` (none yet), `any` outcome, or one.
STATUSES = ("all", "open", "any", *OUTCOMES)
EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: Rows shown per page of a list (the export holds every row).
PAGE_SIZE = 50
#: The earliest and latest outcome dates a follow-up may name: none before the list could
#: have been made, none more than a year ahead (a booking for next spring is fine).
EARLIEST_OUTCOME = dt.date(2020, 1, 1)


class FollowUpError(ValueError):
    """A follow-up that cannot be recorded as given; the message says why."""


@dataclass(frozen=True)
class ListDefinition:
    """What a page or file says about a list, without any patient."""

    id: str
    title: str
    description: str
    cohort: str
    source: str
    suggested_action: str
    indicator_id: str | None
    caveat: str


def definitions() -> dict[str, ListDefinition]:
    """Every worklist's definition, by id, in the catalogue's order."""
    from icsight.worklists.catalogue import WORKLISTS

    return {w.id: ListDefinition(w.id, w.title, w.description, w.cohort, w.source,
                                 w.suggested_action, w.indicator_id, w.caveat)
            for w in WORKLISTS.values()}


class WorklistService:
    """A results store's worklists, with follow-ups from the application database."""

    def __init__(self, lake_dir: str | Path, results_dir: str | Path, audit_log: str | Path,
                 database: Database | None = None) -> None:
        self.lake_dir = Path(lake_dir)
        self.results_dir = Path(results_dir)
        self.audit_log = Path(audit_log)
        self.database = database
        self._pcn_of: dict[str, str | None] | None = None

    @property
    def pcn_of(self) -> dict[str, str | None]:
        """Each practice's PCN (the lake's small `practices` table, read once): the scope a
        clinician's access is checked against."""
        if self._pcn_of is None:
            practices = pd.read_parquet(table_path(self.lake_dir, "practices"),
                                        columns=["practice_code", "pcn_code"])
            self._pcn_of = {p: (None if pd.isna(n) else n)
                            for p, n in practices.itertuples(index=False)}
        return self._pcn_of

    # --- what a clinician may open -----------------------------------------------------
    def practices_for(self, who: Principal) -> list[str]:
        """The practices whose lists `who` may open: their own, or their PCN's."""
        if who.role != Role.CLINICIAN:
            return []
        if who.practice_code:
            return [who.practice_code] if who.practice_code in self.pcn_of else []
        return sorted(p for p, pcn in self.pcn_of.items() if pcn and pcn == who.pcn_code)

    def _authorise(self, who: Principal, action: str, practice_code: str, resource: str):
        if practice_code not in self.pcn_of:
            raise NotFoundError(f"no practice {practice_code!r}")
        return authorise_identifiable(who, action, self.audit_log, resource, practice_code,
                                      self.pcn_of[practice_code])

    # --- reading ---------------------------------------------------------------------------
    def summary(self, who: Principal, practice_code: str) -> dict:
        """Each list at a practice: how many people, how many recorded follow-ups, and the
        shortfall against the indicator's target. Counts only, but of named patients' lists,
        so for the practice's (or PCN's) clinicians, audited as a list."""
        self._authorise(who, "records.identifiable.list", practice_code,
                        f"practice {practice_code} worklists")
        store = self._store()
        summary = store.summary(practice_code)
        on_lists = store.patients_by_list(practice_code)
        followed = self._outcomes(practice_code)
        rows = []
        for list_id, definition in definitions().items():
            found = summary.get(list_id, {})
            current = on_lists.get(list_id, set())
            asked = {p for (lid, p) in followed if lid == list_id}
            rows.append({
                "list": definition, "patients": int(found.get("patients", 0)),
                "followed_up": len(asked & current),
                # followed up once, and no longer on the list in this build: they met the
                # standard (or left the practice): what the calls achieved
                "off_list_since": len(asked - current),
                **{k: found.get(k) for k in ("numerator", "denominator", "target", "needed",
                                             "value", "indicator_id")}})
        return {"practice_code": practice_code, "as_of": store.as_of, "lists": rows,
                "run_id": store.run_id}

    def worklist(self, who: Principal, practice_code: str, list_id: str,
                 sort: str = "priority", status: str = "all", core20_only: bool = False,
                 page: int = 1, last_page_if_past: bool = False) -> dict:
        """One list at one practice, one page of rows with who each patient is, their latest
        follow-up and their admission risk, sorted and filtered (audited as a list)."""
        definition = self._definition(list_id)
        sort, status = _checked_sort(sort), _checked_status(status)
        grant = self._authorise(who, "records.identifiable.list", practice_code,
                                f"practice {practice_code} worklist {list_id}")
        store = self._store()
        rows = self._rows(store, practice_code, list_id, sort, status, core20_only)
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        if last_page_if_past:  # back from a follow-up that took a row off a filtered page
            page = min(max(page, 1), pages)
        if page < 1 or page > pages:
            raise NotFoundError(f"no page {page} of this list (it has {pages})")
        shown = rows.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        shown = _with_identifiers(shown, read_identifiers(
            self.lake_dir, shown.patient_id.tolist(), grant).to_pandas(), store.as_of)
        return {"list": definition, "practice_code": practice_code, "as_of": store.as_of,
                "run_id": store.run_id, "rows": _as_records(shown), "total": len(rows),
                "page": page, "pages": pages, "sort": sort, "status": status,
                "core20_only": core20_only,
                "summary": store.summary(practice_code).get(list_id, {})}

    def export(self, who: Principal, practice_code: str, list_id: str,
               fmt: str = "csv") -> tuple[bytes, str, str]:
        """The whole list as CSV or XLSX for a GP system search: (content, media type, file
        name). Audited as an export of identifiable data."""
        definition = self._definition(list_id)
        if fmt not in EXPORT_FORMATS:
            raise NotFoundError(f"no export format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")
        grant = self._authorise(who, "records.identifiable.export", practice_code,
                                f"practice {practice_code} worklist {list_id} as {fmt}")
        store = self._store()
        rows = self._rows(store, practice_code, list_id, "priority", "all", False)
        rows = _with_identifiers(rows, read_identifiers(
            self.lake_dir, rows.patient_id.tolist(), grant).to_pandas(), store.as_of)
        table = _export_table(rows)
        name = f"{practice_code}-{definition.id}-{store.as_of}.{fmt}"
        if fmt == "csv":
            return spreadsheet_safe_csv(table).encode("utf-8"), EXPORT_FORMATS[fmt], name
        return _xlsx(table, definition.title), EXPORT_FORMATS[fmt], name

    # --- follow-ups ------------------------------------------------------------------------
    def record_follow_up(self, who: Principal, practice_code: str, list_id: str,
                         reference: str, outcome: str, outcome_date: dt.date) -> None:
        """Record what was done about one patient on one list (audited). The patient is named
        by their NHS number (or, without one, the source's local id) and must be on the
        practice's list in the latest build."""
        self._definition(list_id)
        if self.database is None:
            raise FollowUpError("follow-ups need the application database, which is not set "
                                "up for this server")
        if outcome not in OUTCOMES:
            raise FollowUpError(f"choose an outcome: {', '.join(OUTCOMES.values())}")
        if not EARLIEST_OUTCOME <= outcome_date <= dt.date.today() + dt.timedelta(days=366):
            raise FollowUpError("the date must be a real day, no more than a year from today")
        grant = self._authorise(who, "worklists.follow_up", practice_code,
                                f"practice {practice_code} worklist {list_id} "
                                f"patient {str(reference)[:40]}")
        on_list = self._store().rows(practice_code, list_id).patient_id.tolist()
        people = read_identifiers(self.lake_dir, on_list, grant).to_pandas()
        people = people.reindex(columns=["patient_id", "nhs_number", "local_id_value"])
        wanted = str(reference).strip()
        matches = [i for i, r in enumerate(_references(people)) if wanted and r == wanted]
        if len(matches) != 1:
            raise NotFoundError("that patient is not on this list in the latest build")
        patient_id = int(people.patient_id.iloc[matches[0]])
        record_outcome(self.database, practice_code, list_id, patient_id, outcome,
                       outcome_date, who.user)

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _definition(list_id: str) -> ListDefinition:
        found = definitions().get(list_id)
        if found is None:
            raise NotFoundError(f"no worklist {list_id!r}")
        return found

    def _store(self) -> StoredLists:
        return StoredLists(self.results_dir)

    def _outcomes(self, practice_code: str, list_id: str | None = None) -> dict:
        if self.database is None:
            return {}
        return latest_outcomes(self.database, practice_code, list_id)

    def _rows(self, store: StoredLists, practice_code: str, list_id: str, sort: str,
              status: str, core20_only: bool) -> pd.DataFrame:
        rows = store.rows(practice_code, list_id)
        rows = rows.merge(store.risk(practice_code), on="patient_id", how="left")
        outcomes = self._outcomes(practice_code, list_id)
        latest = [outcomes.get((list_id, int(p))) for p in rows.patient_id]
        rows["outcome"] = [o.label if o else "" for o in latest]
        rows["outcome_code"] = [o.outcome if o else "" for o in latest]
        rows["outcome_date"] = [o.outcome_date.isoformat() if o else "" for o in latest]
        rows["outcome_by"] = [o.recorded_by if o else "" for o in latest]
        if status == "open":
            rows = rows[rows.outcome_code == ""]
        elif status == "any":
            rows = rows[rows.outcome_code != ""]
        elif status != "all":
            rows = rows[rows.outcome_code == status]
        if core20_only:
            rows = rows[rows.core20.fillna(False).astype(bool)]
        column, descending = SORTS[sort]
        if column == "age":
            column, descending = "month_of_birth", False  # oldest first
        # ties keep the priority order, then the pseudonym, so a page is the same every time
        return rows.sort_values([column, "priority", "patient_id"],
                                ascending=[not descending, False, True],
                                na_position="last", kind="stable").reset_index(drop=True)


class StoredLists:
    """The worklist tables of the newest complete run, read a practice at a time."""

    def __init__(self, results_dir: Path) -> None:
        from icsight.results.store import latest_run

        try:
            self.run = latest_run(results_dir)
        except FileNotFoundError:
            raise NotFoundError("no results yet: run `icsight build` first") from None
        if not (self.run / "worklists.parquet").is_file():
            raise NotFoundError("the latest build has no worklists: run `icsight build` again")
        self.run_id = self.run.name
        provenance = json.loads((self.run / "provenance.json").read_text())
        self.as_of = (provenance.get("worklists") or {}).get("as_of") \
            or provenance["period_ends"][-1]

    def rows(self, practice_code: str, list_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.run / "worklists.parquet",
                               filters=[("practice_code", "==", practice_code),
                                        ("list_id", "==", list_id)])

    def patients_by_list(self, practice_code: str) -> dict[str, set[int]]:
        table = pd.read_parquet(self.run / "worklists.parquet", columns=["list_id", "patient_id"],
                                filters=[("practice_code", "==", practice_code)])
        return {k: set(map(int, g.patient_id)) for k, g in table.groupby("list_id")}

    def summary(self, practice_code: str) -> dict[str, dict]:
        table = pd.read_parquet(self.run / "worklist_summary.parquet",
                                filters=[("practice_code", "==", practice_code)])
        return {r["list_id"]: {k: _plain(v) for k, v in r.items()}
                for r in table.to_dict("records")}

    def risk(self, practice_code: str) -> pd.DataFrame:
        """Each patient's emergency admission risk and its reasons (none before a model)."""
        path = self.run / "risk_scores.parquet"
        columns = ["patient_id", "admission_risk", "risk_reasons", "last_year_of_life"]
        if not path.is_file():
            return pd.DataFrame(columns=columns)
        found = pd.read_parquet(path, filters=[("practice_code", "==", practice_code)])
        return found.rename(columns={"risk": "admission_risk", "top_reasons": "risk_reasons"}) \
            .reindex(columns=columns)


def _plain(value: object) -> object:
    """A stored value as plain Python for JSON and templates: numpy numbers as Python's,
    missing (NaN, NA) as None."""
    if value is None or (not isinstance(value, (str, list, dict)) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _checked_sort(sort: str) -> str:
    if sort not in SORTS:
        raise NotFoundError(f"no sort {sort!r}; one of {', '.join(SORTS)}")
    return sort


def _checked_status(status: str) -> str:
    if status not in STATUSES:
        raise NotFoundError(f"no status {status!r}; one of {', '.join(STATUSES)}")
    return status


def _with_identifiers(rows: pd.DataFrame, people: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """`rows` with NHS number, name, date of birth and age on the list's date."""
    people = people.reindex(columns=["patient_id", "nhs_number", "local_id_value",
                                     "given_name", "family_name", "date_of_birth"])
    out = rows.merge(people, on="patient_id", how="left")
    day = dt.date.fromisoformat(str(as_of)[:10])
    out["age"] = [_age(b, day) for b in out.date_of_birth]
    out["name"] = [_name(g, f) for g, f in zip(out.given_name, out.family_name, strict=True)]
    return out


def _age(born: object, day: dt.date) -> int | None:
    if born is None or (not isinstance(born, dt.date) and pd.isna(born)):
        return None
    born = pd.Timestamp(born).date()
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _name(given: object, family: object) -> str:
    """FAMILY, Given: as clinical systems list patients."""
    family = "" if pd.isna(family) else str(family).upper()
    given = "" if pd.isna(given) else str(given)
    return ", ".join(p for p in (family, given) if p)


def _as_records(rows: pd.DataFrame) -> list[dict]:
    """Rows as a clinician sees them: without the pseudonym (as `icsight.services.records`
    explains), each named by its `reference` (the NHS number, or the source's local id)."""
    rows = rows.assign(reference=_references(rows)).drop(columns=["patient_id"])
    out = []
    for r in rows.to_dict("records"):
        r["facts"] = _facts(r.get("facts"))
        out.append({k: (None if not isinstance(v, (list, dict, str)) and pd.isna(v) else v)
                    for k, v in r.items()})
    return out


def _references(rows: pd.DataFrame) -> list[str]:
    """Each row's patient as the practice knows them: the NHS number, else the local id."""
    local = rows.local_id_value if "local_id_value" in rows else [None] * len(rows)
    return [_cell(n) or _cell(v) for n, v in zip(rows.nhs_number, local, strict=True)]


def _facts(value: object) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if not value or (not isinstance(value, str) and pd.isna(value)):
        return {}
    try:
        found = json.loads(str(value))
    except ValueError:
        return {"Details": str(value)}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


#: The export's columns: NHS number first, as GP systems' searches import it.
EXPORT_COLUMNS = {"nhs_number": "NHS number", "family_name": "Family name",
                  "given_name": "Given name", "date_of_birth": "Date of birth",
                  "reasons": "Reasons", "facts": "Details", "suggested_action": "Suggested action",
                  "priority": "Priority score", "priority_explained": "Why this priority",
                  "admission_risk": "Emergency admission risk (12 months)",
                  "risk_reasons": "Main reasons for that risk", "outcome": "Latest follow-up",
                  "outcome_date": "Follow-up date"}


def _export_table(rows: pd.DataFrame) -> pd.DataFrame:
    table = rows.reindex(columns=list(EXPORT_COLUMNS)).copy()
    table["facts"] = ["; ".join(f"{k}: {v}" for k, v in _facts(f).items())
                      for f in table.facts]
    table["priority"] = table.priority.round(2)
    table["admission_risk"] = [None if pd.isna(r) else f"{100 * float(r):.0f}%"
                               for r in table.admission_risk]
    return table.rename(columns=EXPORT_COLUMNS)


def _xlsx(table: pd.DataFrame, title: str) -> bytes:
    """`table` as one worksheet, every cell written as text made spreadsheet-safe (no
    formula runs), NHS numbers kept as text so no leading zero or digit is lost."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Worklist"
    sheet.append([spreadsheet_safe(str(c)) for c in table.columns])
    for row in table.astype(object).itertuples(index=False):
        sheet.append([spreadsheet_safe(_cell(v)) for v in row])
    for cell in sheet[1]:
        cell.data_type = "s"
    book.properties.title = title
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
