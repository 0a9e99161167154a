"""The Python API: every function takes the signed-in `Principal` and enforces the access
policy before touching data, so the HTTP layer and scripts behave identically.

| function | action | who |
| --- | --- | --- |
| `catalogue` | catalogue.read | everyone |
| `indicator_values` | aggregates (suppressed below analyst) | everyone |
| `patient_record` | records.pseudonymised | analyst |
| `planning_extract` | extract.planning (national data opt-out applied) | analyst |
| `practice_patients` | records.identifiable.list (own patients, opt-outs kept) | clinician |
| `identifiable_record` | records.identifiable.view (own practice/PCN) | clinician |
| `identifiable_export` | records.identifiable.export (own practice/PCN) | clinician |
| `audit_log` | audit.read | admin |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from icsight.governance.access import AccessDeniedError, Principal, Role, authorise
from icsight.governance.disclosure import suppress
from icsight.lake import table_path

PATIENT_TABLES = ("clinical_events", "medications", "vaccinations", "apc_spells",
                  "ec_attendances", "op_appointments", "rtt_pathways", "screening")


class NotFoundError(LookupError):
    """No such indicator, practice or patient."""


@dataclass
class Service:
    """icsight's data, served to principals: a lake, a results store and the audit log."""

    lake_dir: Path
    results_dir: Path
    audit_log: Path

    def _lake(self, purpose: str = "all"):
        from icsight.engine import open_lake

        return open_lake(self.lake_dir, purpose=purpose)

    # --- aggregates ----------------------------------------------------------------------
    def catalogue(self, who: Principal) -> list[dict]:
        authorise(who, "catalogue.read", self.audit_log)
        from icsight.indicators.catalogue import catalogue

        return [ind.describe() | {"id": ind.id} for ind in catalogue().values()]

    def indicator_values(self, who: Principal, indicator_id: str,
                         breakdown: str | None = None) -> list[dict]:
        """The latest build's values; small-number suppressed for everyone but analysts."""
        full = who.role == Role.ANALYST
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, indicator_id)
        from icsight.results import latest_run

        try:
            values = pd.read_parquet(latest_run(self.results_dir) / "indicator_values.parquet")
        except FileNotFoundError as e:
            raise NotFoundError(str(e)) from None
        values = values[values.indicator_id == indicator_id.upper()]
        if values.empty:
            raise NotFoundError(f"no indicator {indicator_id!r} in the latest build")
        if not full:
            values = suppress(values)
        if breakdown:
            values = values[values.breakdown == breakdown]
        return json.loads(values.to_json(orient="records"))

    # --- pseudonymised records (analysts) -------------------------------------------------
    def patient_record(self, who: Principal, patient_id: int) -> dict:
        authorise(who, "records.pseudonymised", self.audit_log, f"patient {patient_id}")
        lake = self._lake()
        patients = lake.table("patients").drop("cell")
        found = patients.filter(patients.patient_id == patient_id).to_pandas()
        if found.empty:
            raise NotFoundError(f"no patient {patient_id}")
        out = {"patient": json.loads(found.to_json(orient="records", date_format="iso"))[0]}
        for name in PATIENT_TABLES:
            t = lake.table(name)
            rows = t.filter(t.patient_id == patient_id).to_pandas()
            out[name] = json.loads(rows.to_json(orient="records", date_format="iso"))
        return out

    def planning_extract(self, who: Principal, table: str = "patients") -> list[dict]:
        """Pseudonymised rows for planning: people with a national data opt-out left out."""
        authorise(who, "extract.planning", self.audit_log, table)
        lake = self._lake("planning")
        t = lake.table(table)
        t = t.drop("cell") if "cell" in t.columns else t
        return json.loads(t.to_pandas().to_json(orient="records", date_format="iso"))

    # --- identifiable records (clinicians, direct care) ------------------------------------
    def _registered(self, practice_code: str | None = None, patient_id: int | None = None
                    ) -> pd.DataFrame:
        lake = self._lake("direct_care")
        patients = lake.table("patients").select("patient_id", "practice_code",
                                                 "registration_end", "date_of_death",
                                                 "data_opt_out")
        practices = lake.table("practices").select("practice_code", "pcn_code")
        t = patients.left_join(practices, "practice_code").drop("practice_code_right")
        if practice_code is not None:
            t = t.filter(t.practice_code == practice_code)
        if patient_id is not None:
            t = t.filter(t.patient_id == patient_id)
        return t.filter(t.registration_end.isnull(), t.date_of_death.isnull()).to_pandas()

    def _identifiers(self, ids) -> pd.DataFrame:
        people = pq.read_table(table_path(self.lake_dir, "person_identifiers"))
        people = people.to_pandas()
        return people[people.patient_id.isin(list(ids))]

    def _authorise_practice(self, who: Principal, action: str, practice_code: str) -> None:
        practices = self._lake().table("practices").to_pandas().set_index("practice_code")
        if practice_code not in practices.index:
            raise NotFoundError(f"no practice {practice_code!r}")
        authorise(who, action, self.audit_log, f"practice {practice_code}", practice_code,
                  practices.loc[practice_code, "pcn_code"])

    def practice_patients(self, who: Principal, practice_code: str) -> list[dict]:
        """Everyone registered with a practice, named, for direct care (opt-outs included)."""
        self._authorise_practice(who, "records.identifiable.list", practice_code)
        registered = self._registered(practice_code=practice_code)
        people = self._identifiers(registered.patient_id)
        return json.loads(people.to_json(orient="records", date_format="iso"))

    def _patient_scope(self, patient_id: int) -> tuple[str | None, str | None]:
        found = self._registered(patient_id=patient_id)
        if found.empty:
            return None, None
        return found.practice_code.iloc[0], found.pcn_code.iloc[0]

    def identifiable_record(self, who: Principal, patient_id: int) -> dict:
        practice, pcn = self._patient_scope(patient_id)
        authorise(who, "records.identifiable.view", self.audit_log, f"patient {patient_id}",
                  practice, pcn)
        people = self._identifiers([patient_id])
        return json.loads(people.to_json(orient="records", date_format="iso"))[0]

    def identifiable_export(self, who: Principal, practice_code: str) -> str:
        """CSV of a practice's registered patients with identifiers (audited as an export)."""
        self._authorise_practice(who, "records.identifiable.export", practice_code)
        registered = self._registered(practice_code=practice_code)
        return self._identifiers(registered.patient_id).to_csv(index=False)

    # --- administration --------------------------------------------------------------------
    def audit_entries(self, who: Principal, last: int = 100) -> list[dict]:
        authorise(who, "audit.read", self.audit_log)
        if not self.audit_log.is_file():
            return []
        lines = self.audit_log.read_text().splitlines()[-last:]
        return [json.loads(line) for line in lines]


__all__ = ["AccessDeniedError", "NotFoundError", "Service"]
