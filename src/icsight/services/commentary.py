"""Programme leads' commentary on each metric and month: read by everyone, written (as a new
version, every earlier one kept) by analysts and admins.

The rules a page or the API must not be able to skip live here: the programme must exist,
the metric must be one of its indicators, the month must be a period of the latest build,
and the text must be 1 to `MAX_TEXT` characters. Every edit is written to the audit log
(who, which metric and month, which version); a refused edit is audited as a denial, as
`icsight.governance.access.authorise` does for the policy's own actions.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import func, select

from icsight.appdb import Database, Note, commentary_for, commentary_history, save_commentary
from icsight.appdb.models import Commentary, CommentaryVersion
from icsight.governance.access import Principal, Role, record_denial
from icsight.governance.audit import record
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES, Indicator
from icsight.services.errors import NotFoundError

__all__ = ["EDITORS", "MAX_TEXT", "CommentaryError", "CommentaryService", "MonthError"]

#: Who may write commentary (issue 12: "editable by analysts and admins").
EDITORS = frozenset({Role.ANALYST, Role.ADMIN})
#: The longest commentary: about a page of a board paper.
MAX_TEXT = 5_000


class CommentaryError(ValueError):
    """Commentary that cannot be saved as given; the message says why, for the person."""


class MonthError(CommentaryError):
    """A month that is not `YYYY-MM`."""


class CommentaryService:
    """Commentary over the application database, for the latest build's months."""

    def __init__(self, database: Database, results_dir: str | Path,
                 audit_log: str | Path) -> None:
        self.database = database
        self.results_dir = Path(results_dir)
        self.audit_log = Path(audit_log)

    @staticmethod
    def may_edit(who: Principal) -> bool:
        """Whether `who` may write commentary (the pages show the form only then)."""
        return who.role in EDITORS

    def months(self) -> list[str]:
        """The months of the latest build (`YYYY-MM`, oldest first): the months commentary
        can be written for. Raises NotFoundError before any build."""
        from icsight.results import latest_run

        try:
            run = latest_run(self.results_dir)
            provenance = json.loads((run / "provenance.json").read_text())
        except (FileNotFoundError, OSError, ValueError):
            raise NotFoundError("no results yet: run `icsight build` first") from None
        return sorted({str(end)[:7] for end in provenance.get("period_ends") or []})

    def metrics(self, programme_id: str) -> list[Indicator]:
        """The programme's indicators (its metrics), or NotFoundError."""
        if programme_id not in PROGRAMMES:
            raise NotFoundError(f"There is no programme called {programme_id!r}.")
        return [ind for ind in catalogue().values() if ind.programme == programme_id]

    def month(self, period: str) -> str:
        """`period` checked: `YYYY-MM`, one of the build's months. CommentaryError for the
        wrong shape, NotFoundError for a month the build does not cover."""
        text = (period or "").strip()
        try:
            if len(text) != 7:
                raise ValueError
            dt.date.fromisoformat(text + "-01")
        except ValueError:
            raise MonthError("Enter the month as a year and month, like 2026-09") from None
        months = self.months()
        if text not in months:
            span = f"{months[0]} to {months[-1]}" if months else "no months"
            raise NotFoundError(f"The latest build has no figures for {text}: it covers "
                                f"{span}.")
        return text

    def metric(self, programme_id: str, metric_id: str) -> Indicator:
        """The metric, checked to be one of the programme's, or NotFoundError."""
        for ind in self.metrics(programme_id):
            if ind.id == metric_id.upper():
                return ind
        raise NotFoundError(f"{metric_id!r} is not a metric of the programme "
                            f"{PROGRAMMES[programme_id]}.")

    def for_programme(self, programme_id: str, period: str) -> list[tuple[Indicator, dict]]:
        """Each of the programme's metrics with its latest commentary for the month (an
        empty dict where there is none)."""
        metrics = self.metrics(programme_id)
        month = self.month(period)
        latest = commentary_for([m.id for m in metrics], month, self.database)
        return [(m, latest.get(m.id, {})) for m in metrics]

    def newest(self, programme_id: str) -> dict[str, dict]:
        """Each of the programme's metrics' newest commentary in the latest build's months
        (the latest month it has commentary for): metric id -> `text`, `author`, `time`,
        `version` and `month` (`YYYY-MM`). Metrics with none in those months are left out."""
        metrics = [m.id for m in self.metrics(programme_id)]
        months = {dt.date.fromisoformat(f"{month}-01") for month in self.months()}
        if not metrics or not months:
            return {}
        with self.database.reading() as connection:
            rows = connection.execute(
                select(Commentary.metric_id, func.max(Commentary.month))
                .where(Commentary.metric_id.in_(metrics), Commentary.month.in_(months))
                .group_by(Commentary.metric_id)).all()
        by_month: dict[dt.date, list[str]] = {}
        for metric_id, month in rows:
            by_month.setdefault(month, []).append(metric_id)
        out = {}
        for month, ids in by_month.items():
            for metric_id, note in commentary_for(ids, month, self.database).items():
                out[metric_id] = note | {"month": f"{month:%Y-%m}"}
        return out

    def marker(self) -> int:
        """A number that changes whenever any commentary is saved (the newest version's
        row id; 0 before any): a page kept with commentary on it is kept under it, so a
        save is seen at once."""
        with self.database.reading() as connection:
            return connection.execute(select(func.max(CommentaryVersion.id))).scalar() or 0

    def history(self, programme_id: str, metric_id: str, period: str) -> list[Note]:
        """Every version of one metric's commentary for the month, newest first."""
        ind = self.metric(programme_id, metric_id)
        return commentary_history(ind.id, self.month(period), self.database)

    def edit(self, who: Principal, programme_id: str, metric_id: str, period: str,
             text: str) -> Note:
        """Save `text` as the next version of the metric's commentary for the month."""
        resource = f"commentary {programme_id}/{metric_id}/{period}"[:300]
        if not self.may_edit(who):
            reason = f"role {who.role} may not write commentary"
            record_denial(who, "commentary.edit", self.audit_log, resource, reason)
            raise PermissionError(reason)
        ind = self.metric(programme_id, metric_id)
        month = self.month(period)
        # line ends as the browser sends them (CRLF) count once, as the person typed them
        text = text.replace("\r\n", "\n").strip()
        if not text:
            raise CommentaryError("Enter the commentary")
        if len(text) > MAX_TEXT:
            raise CommentaryError(f"Commentary must be {MAX_TEXT:,} characters or fewer (this "
                                  f"is {len(text):,})")
        note = save_commentary(ind.id, month, who.user, text, self.database)
        record(self.audit_log, who.user, str(who.role), "commentary.edit",
               f"{ind.id} {month}", f"version {note.version}")
        return note
