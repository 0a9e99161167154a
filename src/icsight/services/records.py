"""Records: one patient's pseudonymised record (analysts), and identifiable practice lists,
records and exports for their own clinicians' direct care.

Identifiable reads go through `icsight.governance.identifiable`, which authorises and audits
each one. Who counts as registered is the project's one rule
(`icsight.model.registration.registered_and_alive`). Queries read the stored columns with
`Lake.raw_table`: the indicator-only `cell` numbering of `Lake.table("patients")` would cost
more than the rows served.

What a clinician sees (the practice list, one patient's record, the CSV export) leaves out the
pseudonym: they have the NHS number, and a pseudonym beside it would make every clinician's
download a key to re-identify the pseudonymised data analysts work on. Every cell of the CSV
export that a spreadsheet would run as a formula is neutralised as the OWASP "CSV Injection"
page advises (see `spreadsheet_safe`).

Analysts read a pseudonymised record for planning or research, so the national data opt-out
applies to them (NHS England, National Data Opt-out Operational Policy Guidance): an opted-out
patient is "not found", exactly as an unknown id is, and the audit log says which it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from icsight.engine.lake import Lake
from icsight.governance.access import Principal, allowed, authorise
from icsight.governance.audit import record
from icsight.governance.identifiable import authorise_identifiable, read_identifiers
from icsight.governance.purpose import Purpose
from icsight.model.registration import registered_and_alive
from icsight.services._json import records
from icsight.services.engines import Engines
from icsight.services.errors import NotFoundError

__all__ = ["FORMULA_TRIGGERS", "PATIENT_TABLES", "RecordService", "spreadsheet_safe",
           "spreadsheet_safe_csv"]

#: The patient-level tables of a pseudonymised record, beside the patient's own row.
PATIENT_TABLES = ("clinical_events", "medications", "vaccinations", "apc_spells",
                  "ec_attendances", "op_appointments", "rtt_pathways", "screening")
#: A cell starting with one of these is run as a formula by spreadsheets (OWASP, CSV Injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: The purpose an analyst reads a record for: planning (research applies the same opt-out).
ANALYST_PURPOSE = Purpose.PLANNING


def spreadsheet_safe(cell: str) -> str:
    """`cell`, prefixed with a single quote if a spreadsheet could read it as a formula.

    OWASP's CSV Injection page lists =, +, -, @, tab and carriage return as the first
    characters to neutralise. A cell whose first non-blank character is one is neutralised
    too: some spreadsheets trim leading blanks (and line breaks) before deciding."""
    if cell[:1] in FORMULA_TRIGGERS or cell.lstrip()[:1] in FORMULA_TRIGGERS:
        return "'" + cell
    return cell


def spreadsheet_safe_csv(frame: pd.DataFrame) -> str:
    """`frame` as CSV (RFC 4180) with every field quoted, missing values empty and every cell
    passed through `spreadsheet_safe`: safe to open in a spreadsheet."""
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(str(c)) for c in frame.columns])
    for row in frame.astype(object).itertuples(index=False):
        writer.writerow([spreadsheet_safe(_text(value)) for value in row])
    return text.getvalue()


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, dt.date):  # dates of birth (and any timestamp) as ISO 8601
        return value.isoformat()
    return str(value)


def is_patient_id(value: object) -> bool:
    """Whether `value` can be a pseudonymous patient id (a signed 64-bit integer)."""
    return isinstance(value, int) and -(2**63) <= value < 2**63


class RecordService:
    """Patient records from one long-lived lake per purpose."""

    def __init__(self, engines: Engines, audit_log: str | Path) -> None:
        self.engines = engines
        self.audit_log = Path(audit_log)
        self._pcn_of: dict[str, str | None] | None = None
        self._registered_cache: tuple[Lake, RegisteredList] | None = None

    # --- pseudonymised (analysts) ----------------------------------------------------------
    def patient_record(self, who: Principal, patient_id: int) -> dict:
        """One patient's pseudonymised rows in every patient-level table, for planning: a
        patient with a national data opt-out is not found, as an unknown id is (and both are
        audited, saying which)."""
        authorise(who, "records.pseudonymised", self.audit_log, f"patient {patient_id}")
        with self.engines.use(ANALYST_PURPOSE) as lake:
            withheld = self._withheld(lake, patient_id)
            if withheld:
                record(self.audit_log, who.user, str(who.role), "records.pseudonymised",
                       f"patient {patient_id}", f"not found: {withheld} "
                       f"(purpose: {ANALYST_PURPOSE.value})")
                raise NotFoundError(f"no patient {patient_id}")
            patients = lake.raw_table("patients")
            found = patients.filter(patients.patient_id == patient_id).to_pandas()
            out = {"patient": records(found)[0]}
            for name in PATIENT_TABLES:
                t = lake.raw_table(name)
                out[name] = records(t.filter(t.patient_id == patient_id).to_pandas())
        return out

    @staticmethod
    def _withheld(lake: Lake, patient_id: int) -> str:
        """Why `patient_id` is not served for the lake's purpose ('' if it is). One look-up
        in the stored patients table whichever the answer, so an unknown id and an opted-out
        one cost the same and cannot be told apart by timing either."""
        if not is_patient_id(patient_id):
            return "not a patient id"
        stored = lake.con.table("patients")  # as stored: the opt-out not yet applied
        found = stored.filter(stored.patient_id == patient_id).select("data_opt_out") \
            .to_pyarrow().column("data_opt_out").to_pylist()
        if not found:
            return "no such patient"
        if found[0] and lake.purpose.opt_out_applies:
            return "national data opt-out"
        return ""

    # --- identifiable (clinicians, direct care) --------------------------------------------
    def practice_patients(self, who: Principal, practice_code: str,
                          download: bool = False) -> list[dict]:
        """Everyone registered with a practice, named, for direct care (opt-outs included).
        `download`: the rows leave as a file (the API's CSV), so they are audited as an
        export, as `identifiable_export` is, not as a list seen on screen."""
        action = "records.identifiable.export" if download else "records.identifiable.list"
        people = self._practice_list(who, action, practice_code)
        return records(_for_clinicians(people))

    def identifiable_record(self, who: Principal, patient_id: int) -> dict:
        """Who one patient is, for their own practice's (or PCN's) clinicians."""
        _refuse_role_early(who, "records.identifiable.view", self.audit_log,
                           f"patient {patient_id}")
        with self.engines.use(Purpose.DIRECT_CARE) as lake:
            found = self._registered_list(lake).practice_of(patient_id) \
                if is_patient_id(patient_id) else []
            practice = found[0] if found else None
            pcn = self._pcns(lake).get(practice)
        grant = authorise_identifiable(who, "records.identifiable.view", self.audit_log,
                                       f"patient {patient_id}", practice, pcn)
        people = read_identifiers(self.engines.lake_dir, [patient_id], grant).to_pandas()
        return records(_for_clinicians(people))[0]

    def identifiable_export(self, who: Principal, practice_code: str) -> str:
        """CSV of a practice's registered patients with identifiers (audited as an export),
        without pseudonyms and safe to open in a spreadsheet."""
        people = self._practice_list(who, "records.identifiable.export", practice_code)
        return spreadsheet_safe_csv(_for_clinicians(people))

    def _practice_list(self, who: Principal, action: str, practice_code: str) -> pd.DataFrame:
        _refuse_role_early(who, action, self.audit_log, f"practice {practice_code}")
        with self.engines.use(Purpose.DIRECT_CARE) as lake:
            pcns = self._pcns(lake)
            if practice_code not in pcns:  # not found comes before access, as it always has
                raise NotFoundError(f"no practice {practice_code!r}")
            grant = authorise_identifiable(who, action, self.audit_log,
                                           f"practice {practice_code}", practice_code,
                                           pcns[practice_code])
            registered = _registered(lake).filter(ibis._.practice_code == practice_code)
            ids = registered.select("patient_id").to_pyarrow().column("patient_id")
        return read_identifiers(self.engines.lake_dir, ids.to_pylist(), grant).to_pandas()

    def _registered_list(self, lake: Lake) -> RegisteredList:
        """Who is registered where on the reference date, computed once for the engine's life
        (a few MB for a million people): finding one patient's practice is then a lookup, not
        a scan of the patients table on every request."""
        if self._registered_cache is None or self._registered_cache[0] is not lake:
            self._registered_cache = (lake, RegisteredList(_registered(lake).to_pyarrow()))
        return self._registered_cache[1]

    def _pcns(self, lake: Lake) -> dict[str, str | None]:
        """Each practice's PCN: a small reference table, read once for the engine's life."""
        if self._pcn_of is None:
            practices = lake.raw_table("practices").select("practice_code", "pcn_code")
            self._pcn_of = dict(practices.to_pandas().itertuples(index=False))
        return self._pcn_of


def _refuse_role_early(who: Principal, action: str, audit_log: str | Path,
                       resource: str) -> None:
    """Refuse (and audit) a role that may never do `action` before any lake is opened: the
    answer cannot depend on what the lake holds, and a refusal must not cost seconds of
    server time that anyone could spend by asking again."""
    if not allowed(who, action):
        authorise(who, action, audit_log, resource)  # raises AccessDeniedError, audited


class RegisteredList:
    """(patient_id, practice_code) of everyone registered, sorted by patient for lookups."""

    def __init__(self, table: pa.Table) -> None:
        table = table.sort_by("patient_id")
        self.ids = table.column("patient_id").to_numpy()
        practices = table.column("practice_code").dictionary_encode().combine_chunks()
        self.codes = pc.fill_null(practices.indices, -1).to_numpy()  # -1: no practice
        self.names = practices.dictionary.to_pylist()

    def practice_of(self, patient_id: int) -> list[str | None]:
        """[the practice] if the patient is registered, else []."""
        at = int(np.searchsorted(self.ids, patient_id))
        if at < len(self.ids) and self.ids[at] == patient_id:
            code = self.codes[at]
            return [None if code < 0 else self.names[code]]
        return []


def _for_clinicians(people: pd.DataFrame) -> pd.DataFrame:
    """Identifiers as a clinician sees them: without the pseudonym (see the module's notes)."""
    return people.drop(columns=["patient_id"])


def _registered(lake: Lake) -> ibis.Table:
    """Patients registered and alive on the lake's reference date (patient and practice).

    The reference date (from the lake's manifest) rather than today: it is the day the data
    describes, so a lake extracted last month lists who was registered then, not people whose
    leaving or death after it the lake cannot know about. A lake without one falls back to
    today."""
    day = ibis.date(lake.reference_date or dt.date.today().isoformat())
    patients = lake.raw_table("patients")
    return patients.filter(registered_and_alive(patients, day)) \
        .select("patient_id", "practice_code")
