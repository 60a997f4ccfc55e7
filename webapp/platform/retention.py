"""Retention: how long pupil data is kept (see docs/security.md).

- The downloadable copy of a sent report: ``copy_days`` (30) after sending, then gone.
- A ticked .docx a school sent back (issue 16): ``copy_days`` after uploading, the same.
- Reports, with their differences, decisions, amendment tasks and notifications: for
  ``report_years`` academic years after the one they belong to (default 2), then deleted.
- Import batches no record refers to any more, and processed uploads: ``import_days``.
- The audit log is kept: it says who did what and when, after the data itself has gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from webapp.b2b.weeks import academic_year_of
from webapp.models import (
    ImportBatch,
    PupilRecord,
    Report,
    ReportSubmission,
    ReturnFile,
    Upload,
)
from webapp.models.base import utcnow
from webapp.platform.audit import record


@dataclass
class PurgeResult:
    copies: int = 0
    reports: int = 0
    batches: int = 0
    uploads: int = 0
    returns: int = 0


def purge(session: Session, *, now: datetime | None = None, copy_days: int = 30,
          report_years: int = 2, import_days: int = 400, actor: str = "retention"
          ) -> PurgeResult:
    """Apply the retention periods; records what it removed in the audit log. Commits."""
    now = now or utcnow()
    out = PurgeResult()
    out.copies = session.execute(
        update(ReportSubmission)
        .where(ReportSubmission.snapshot.is_not(None),
               ReportSubmission.sent_at < now - timedelta(days=copy_days))
        .values(snapshot=None)).rowcount or 0
    out.returns = session.execute(
        update(ReturnFile)
        .where(ReturnFile.content.is_not(None),
               ReturnFile.uploaded_at < now - timedelta(days=copy_days))
        .values(content=None)).rowcount or 0
    oldest_kept = academic_year_of(now.date()) - report_years
    old_reports = list(session.scalars(select(Report.id).where(
        Report.academic_year < oldest_kept)))
    for i in range(0, len(old_reports), 500):
        out.reports += session.execute(
            delete(Report).where(Report.id.in_(old_reports[i:i + 500]))).rowcount or 0
    cutoff = now - timedelta(days=import_days)
    out.uploads = session.execute(
        delete(Upload).where(Upload.status != "queued", Upload.received_at < cutoff)
    ).rowcount or 0
    in_use = select(PupilRecord.import_batch_id).where(
        PupilRecord.import_batch_id.is_not(None)).union(
        select(PupilRecord.created_batch_id).where(PupilRecord.created_batch_id.is_not(None)),
        select(Upload.import_batch_id).where(Upload.import_batch_id.is_not(None)))
    out.batches = session.execute(
        delete(ImportBatch).where(ImportBatch.imported_at < cutoff,
                                  or_(ImportBatch.status == "refused",
                                      ImportBatch.id.not_in(in_use)))).rowcount or 0
    record(session, actor, "retention.purged", None, after=out.__dict__)
    session.commit()
    return out
