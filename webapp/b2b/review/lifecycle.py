"""A report's life: published to the school, worked, sent, recalled, received, closed.

Each function changes state, appends to the audit log and leaves the commit to the
caller's unit of work only where it says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from webapp.b2b.records.normalise import BadValue, free_text
from webapp.b2b.review.carry import carry_decisions
from webapp.models import Notification, Report, ReportSubmission
from webapp.models.base import utcnow
from webapp.platform.audit import record


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
    _supersede_older(session, published, actor, now)
    session.commit()
    return published


OPEN_STATES = ("draft", "published", "in_progress")


def _supersede_older(session: Session, published: list[Report], actor: object,
                     now: datetime) -> None:
    """One open report per school: an older week's report not yet sent is superseded by
    the one just published (read-only from now on, saying which), and what the school
    decided in it is carried into the new one."""
    if not published:
        return
    newest = {r.school_id: r for r in published}
    older = session.scalars(select(Report).where(
        Report.school_id.in_(list(newest)), Report.status.in_(OPEN_STATES),
        Report.id.not_in([r.id for r in published]))).all()
    for old in older:
        new = newest[old.school_id]
        if old.week_start >= new.week_start:
            continue
        before = old.status
        old.status, old.superseded_by_id, old.state_changed_at = "superseded", new.id, now
        record(session, actor, "report.superseded", old, school_id=old.school_id,
               report_id=old.id, before={"status": before},
               after={"status": "superseded", "by_week": new.week})
    carry_decisions(session, published, actor, now)


# -- the school's side: opening, sending, recalling ------------------------------------

SENDABLE_STATES = ("published", "in_progress")


def mark_opened(session: Session, report: Report, actor: object) -> bool:
    """Note the first time someone at the school opens the report. Commits if it was the
    first time; returns whether it was."""
    if report.opened_at is not None or getattr(actor, "is_la", False):
        return False
    # End the page's read transaction first: on SQLite a transaction that has read and
    # then writes fails at once ("database is locked") if another writer got in between,
    # whereas one that starts with its write waits its turn. The conditional update also
    # makes two first opens at once record one.
    report_id, school_id, actor_id = report.id, report.school_id, getattr(actor, "id", None)
    session.commit()  # (attributes are read above: reading them now would start a read)
    claimed = cast(CursorResult[Any], session.execute(
        update(Report).where(Report.id == report_id, Report.opened_at.is_(None))
        .values(opened_at=utcnow(), opened_by_id=actor_id)
        .execution_options(synchronize_session=False))).rowcount
    if not claimed:
        session.rollback()
        return False
    record(session, actor, "report.opened", report, school_id=school_id, report_id=report_id)
    session.commit()
    return True


def send_report(session: Session, report: Report, actor: object,
                comment: str | None = None) -> ReportSubmission:
    """Send the report to the LA: every open difference must have a decision. Freezes a
    copy of what was sent in a new :class:`ReportSubmission`. Commits.

    Raises :class:`NotAllowed` if the report is not open for sending or is not complete.
    """
    from webapp.b2b.review.report_view import build_report_view, view_to_snapshot

    if report.status not in SENDABLE_STATES:
        raise NotAllowed("This report has already been sent to the LA.")
    try:
        comment = free_text(comment or "") or None
    except BadValue as e:
        raise NotAllowed(f"The comment {e}.") from None
    view = build_report_view(session, report)
    if not view.all_decided:
        raise NotAllowed(f"Answer every difference before sending: {view.progress_text}.")
    now = utcnow()
    before = report.status
    # Conditional, so that a double click (or two people) cannot send twice.
    changed = cast(CursorResult[Any], session.execute(
        update(Report).where(Report.id == report.id, Report.status.in_(SENDABLE_STATES))
        .values(status="sent", sent_at=now, sent_by_id=getattr(actor, "id", None),
                state_changed_at=now)
        .execution_options(synchronize_session=False))).rowcount
    if changed != 1:
        session.rollback()
        raise NotAllowed("This report has already been sent to the LA.")
    session.refresh(report)
    view.status = "sent"
    view.editable = False
    submission = ReportSubmission(report_id=report.id, sent_at=now,
                                  sent_by_id=getattr(actor, "id", None),
                                  comment=comment,
                                  snapshot=view_to_snapshot(view))
    session.add(submission)
    session.flush()
    session.add(Notification(school_id=report.school_id, report_id=report.id,
                             message=f"{report.document_name} (week {report.week}) was sent "
                                     f"to {report.school.la.name}."))
    record(session, actor, "report.sent", submission, school_id=report.school_id,
           report_id=report.id, before={"status": before},
           after={"status": "sent", "decided": view.decided, "total": view.total})
    session.commit()
    return submission


def recall_report(session: Session, submission: ReportSubmission,
                  actor: object) -> Report:
    """Take a sent report back for editing, while the LA has not yet received it. The
    LA can no longer see that submission. Commits.

    Raises :class:`NotAllowed` once received, or if already recalled.
    """
    report = submission.report
    if submission.received_at is not None or report.status != "sent":
        raise NotAllowed("The LA has already received this report, so it cannot be recalled.")
    if submission.recalled_at is not None:
        raise NotAllowed("This report has already been recalled.")
    now = utcnow()
    # Conditional, so that a recall racing the LA's receipt cannot both win.
    changed = cast(CursorResult[Any], session.execute(
        update(Report).where(Report.id == report.id, Report.status == "sent")
        .values(status="in_progress", sent_at=None, sent_by_id=None, state_changed_at=now)
        .execution_options(synchronize_session=False))).rowcount
    if changed != 1:
        session.rollback()
        raise NotAllowed("The LA has already received this report, so it cannot be recalled.")
    session.refresh(report)
    submission.recalled_at = now
    submission.recalled_by_id = getattr(actor, "id", None)
    session.add(Notification(school_id=report.school_id, report_id=report.id,
                             message=f"{report.document_name} (week {report.week}) was "
                                     "recalled for editing."))
    record(session, actor, "report.recalled", submission, school_id=report.school_id,
           report_id=report.id, before={"status": "sent"}, after={"status": "in_progress"})
    session.commit()
    return report


def last_comment(session: Session, report: Report) -> str | None:
    """The comment of the report's latest sending (recalled or not): a school that
    recalls to change an answer finds its comment waiting when it sends again."""
    return session.scalar(select(ReportSubmission.comment).where(
        ReportSubmission.report_id == report.id)
        .order_by(ReportSubmission.sent_at.desc(), ReportSubmission.id.desc()).limit(1))
