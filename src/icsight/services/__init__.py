"""Services: icsight's data served to signed-in principals, shared by the HTTP API, web pages
and the command line. Every function takes the `Principal` and enforces the access policy
(`icsight.governance.access`) before touching data, and audits as it requires.

| service | function | action | who |
| --- | --- | --- | --- |
| aggregates | `catalogue` | catalogue.read | everyone |
| aggregates | `indicator_values` | aggregates (suppressed below analyst) | everyone |
| records | `patient_record` | records.pseudonymised | analyst |
| records | `practice_patients` | records.identifiable.list (.export as a file; own) | clinician |
| records | `identifiable_record` | records.identifiable.view (own practice/PCN) | clinician |
| records | `identifiable_export` | records.identifiable.export (own practice/PCN) | clinician |
| planning | `planning_extract`, `_page` | extract.planning (opt-outs left out) | analyst |
| projections | `population`, `demand`, `capacity`, `forecasts`, ... | aggregates | everyone |
| projections | `runs` (the Monte Carlo runs) | aggregates.unsuppressed | analyst |
| provider_benchmarks | `benchmarks` | aggregates (published below analyst) | everyone |
| admin | `audit_entries` | audit.read | admin |
| areas | `hierarchy`, `latest_values`, `funnel_positions` | catalogue.read; aggregates | everyone |
| accounts | `AccountAdminService` (accounts, audit log) | accounts.manage, audit.read | admin |
| commentary | `CommentaryService.edit` (reading: everyone) | write commentary | analyst, admin |
| quality | `reconciliation`, `quarantine` | data quality | analyst, admin |
| reports | `metric_figures` | aggregates (published unless an analyst asks) | everyone |
| waiting_lists | `queues`, `trajectories`, `expected_waits`, `what_if` | aggregates | everyone |
| worklists | `summary`, `worklist` | records.identifiable.list (own practice/PCN) | clinician |
| worklists | `export` (CSV, XLSX) | records.identifiable.export (own practice/PCN) | clinician |
| worklists | `record_follow_up` | worklists.follow_up (own practice/PCN) | clinician |

`Service` bundles the four over one lake, one results store and one audit log, with the lake
opened once per purpose (`Engines`) and reused by every call.
"""

from __future__ import annotations

from pathlib import Path

from icsight.governance.access import AccessDeniedError, Principal
from icsight.services.accounts import AccountAdminService
from icsight.services.admin import AdminService
from icsight.services.aggregates import AggregateService
from icsight.services.areas import AreaService
from icsight.services.engines import Engines
from icsight.services.errors import NotFoundError
from icsight.services.planning import PLANNING_TABLES, PlanningService
from icsight.services.projections import PlanningResultsService
from icsight.services.provider_benchmarks import ProviderBenchmarkService
from icsight.services.quality import QualityService
from icsight.services.records import RecordService
from icsight.services.reports import ReportService
from icsight.services.waiting_lists import WaitingListService
from icsight.services.worklists import WorklistService

__all__ = ["PLANNING_TABLES", "AccessDeniedError", "AccountAdminService", "AdminService",
           "AggregateService", "AreaService", "Engines", "NotFoundError", "PlanningResultsService",
           "PlanningService",
           "ProviderBenchmarkService", "QualityService", "RecordService", "ReportService",
           "Service", "WaitingListService", "WorklistService"]


class Service:
    """icsight's data, served to principals: a lake, a results store and the audit log."""

    def __init__(self, lake_dir: str | Path, results_dir: str | Path,
                 audit_log: str | Path) -> None:
        self.lake_dir = Path(lake_dir)
        self.results_dir = Path(results_dir)
        self.audit_log = Path(audit_log)
        self.engines = Engines(self.lake_dir)
        self.aggregates = AggregateService(self.results_dir, self.audit_log)
        self.records = RecordService(self.engines, self.audit_log)
        self.planning = PlanningService(self.engines, self.audit_log)
        self.provider_benchmarks = ProviderBenchmarkService(self.engines, self.audit_log)
        self.admin = AdminService(self.audit_log)
        self.areas = AreaService(self.aggregates, self.audit_log)
        self.quality = QualityService(self.lake_dir, self.audit_log)
        self.reports = ReportService(self.results_dir, self.audit_log)  # board papers
        self.waiting_lists = WaitingListService(self.results_dir, self.audit_log)
        # planning to 2043 from the results store (the extracts above are rows of the lake)
        self.projections = PlanningResultsService(self.results_dir, self.audit_log)
        # follow-ups need the application database: the app gives it (`use_database`)
        self.worklists = WorklistService(self.lake_dir, self.results_dir, self.audit_log)

    def use_database(self, database: object) -> None:
        """Keep worklist follow-ups in `database` (the application database the accounts
        are in); anything else (accounts in a file) leaves follow-ups unavailable."""
        from icsight.appdb import Database

        self.worklists.database = database if isinstance(database, Database) else None

    # The whole policy as one object, for scripts and tests: each method is its service's.
    def catalogue(self, who: Principal) -> list[dict]:
        return self.aggregates.catalogue(who)

    def indicator_values(self, who: Principal, indicator_id: str,
                         breakdown: str | None = None) -> list[dict]:
        return self.aggregates.indicator_values(who, indicator_id, breakdown)

    def patient_record(self, who: Principal, patient_id: int) -> dict:
        return self.records.patient_record(who, patient_id)

    def practice_patients(self, who: Principal, practice_code: str,
                          download: bool = False) -> list[dict]:
        return self.records.practice_patients(who, practice_code, download)

    def identifiable_record(self, who: Principal, patient_id: int) -> dict:
        return self.records.identifiable_record(who, patient_id)

    def identifiable_export(self, who: Principal, practice_code: str) -> str:
        return self.records.identifiable_export(who, practice_code)

    def planning_extract(self, who: Principal, table: str = "patients") -> list[dict]:
        return self.planning.planning_extract(who, table)

    def planning_page(self, who: Principal, table: str, offset: int,
                      limit: int) -> tuple[list[dict], int, list[str]]:
        return self.planning.planning_page(who, table, offset, limit)

    def audit_entries(self, who: Principal, last: int = 100) -> list[dict]:
        return self.admin.audit_entries(who, last)
