"""A report's life: published to the school, worked, sent, recalled, received, closed.

Each function changes state, appends to the audit log and leaves the commit to the
caller's unit of work only where it says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from webapp.b2b.audit import record
from webapp.models import Notification, Report
from webapp.models.base import utcnow


class NotAllowed(Exception):
    """The report is not in a state that allows this; the message says why."""


def publish_reports(session: Session, reports: Iterable[Report], actor: object) -> list[Report]:
    """Publish draft reports: they appear in each school's documents panel. Commits.

    Returns the reports that were newly published (already published ones are skipped).
    """
    now = utcnow()
    published = []
    for r in reports:
        if r.status != "draft":
            continue
        r.status = "published"
        r.published_at = now
        r.published_by_id = getattr(actor, "id", None)
        r.state_changed_at = now
        session.add(Notification(
            school_id=r.school_id, report_id=r.id,
            message=f"New document: {r.document_name} (week {r.week}) is ready for you."))
        record(session, actor, "report.published", r, school_id=r.school_id, report_id=r.id,
               before={"status": "draft"}, after={"status": "published"})
        published.append(r)
    session.commit()
    return published
