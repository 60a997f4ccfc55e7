"""Receiving a school's sent report: from then on it cannot be recalled, and every decision
becomes an amendment task (ONE to change) or a 'SIMS to amend' item (the school's to make)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from webapp.b2b.amendments.tasks import close_report
from webapp.b2b.review.lifecycle import NotAllowed
from webapp.models import (
    AmendmentTask,
    Difference,
    Notification,
    Report,
    ReportSubmission,
    SimsItem,
)
from webapp.models.base import utcnow
from webapp.platform.audit import record

# Other kinds: the choices that ask the LA to change ONE, and the field it changes.
LA_TASK_CHOICES = {("anomaly", "la_to_fix"), ("not_at_school", "left"),
                   ("new_to_la", "on_roll")}


SIMS_ITEM_CHOICES = {("anomaly", "will_fix"), ("not_at_school", "still_on_roll"),
                     ("new_to_la", "not_on_roll")}


@dataclass
class ReceiveResult:
    report: Report
    tasks: int
    sims_items: int
    closed: bool
    email_batch: str | None = None


def receive_report(session: Session, report: Report, officer: object) -> ReceiveResult:
    """Mark a sent report as received (who, when) and make its amendment tasks and SIMS
    items. From now on the school can no longer recall it. Commits.

    Raises :class:`NotAllowed` unless the report is sent and not yet received. A report
    with nothing for the LA to change is closed at once.
    """
    now = utcnow()
    officer_id = getattr(officer, "id", None)
    # Conditional, so that two officers (or a recall racing a receipt) cannot both win.
    changed = cast(CursorResult[Any], session.execute(
        update(Report).where(Report.id == report.id, Report.status == "sent")
        .values(status="received", received_at=now, received_by_id=officer_id,
                state_changed_at=now)
        .execution_options(synchronize_session=False))).rowcount
    if changed != 1:
        session.rollback()
        raise NotAllowed("Only a report the school has sent, and not yet received, can be "
                         "marked as received.")
    session.refresh(report)
    submission = session.scalar(
        select(ReportSubmission).where(ReportSubmission.report_id == report.id,
                                       ReportSubmission.recalled_at.is_(None))
        .order_by(ReportSubmission.sent_at.desc(), ReportSubmission.id.desc()).limit(1))
    if submission is not None:
        submission.received_at = now
        submission.received_by_id = officer_id
    record(session, officer, "report.received", submission or report,
           school_id=report.school_id, report_id=report.id,
           before={"status": "sent"}, after={"status": "received"})
    session.add(Notification(school_id=report.school_id, report_id=report.id,
                             message=f"{report.document_name} (week {report.week}) was "
                                     "received by the LA."))
    tasks, items = _make_tasks_and_items(session, report, now)
    batch = None
    if tasks == 0:
        batch = close_report(session, report, officer, now,
                       "There was nothing for the LA to amend.")
    session.commit()
    return ReceiveResult(report, tasks, items, closed=tasks == 0, email_batch=batch)


def _task_for(d: Difference) -> tuple[str, str | None] | None:
    """The field of ONE to change and its new value, if the decision asks the LA to."""
    if d.kind == "field":
        if d.choice == "school":
            return d.field_key, d.school_value
        if d.choice in ("other", "neither"):
            return d.field_key, d.correct_value
        return None
    if (d.kind, d.choice) not in LA_TASK_CHOICES:
        return None
    if d.kind == "not_at_school":
        return "leave_date", d.correct_value
    if d.kind == "new_to_la":
        return "pupil", d.correct_value  # add the pupil to ONE (value: start date)
    return d.field_key, None  # an anomaly the LA corrects by hand in ONE


def _sims_item_for(d: Difference) -> str | None | bool:
    """What SIMS should hold after the school's own change (``False``: no item)."""
    if d.kind == "field":
        if d.choice == "la":
            return d.la_value
        if d.choice in ("other", "neither") and d.correct_value != d.school_value:
            return d.correct_value
        return False
    return None if (d.kind, d.choice) in SIMS_ITEM_CHOICES else False


def _make_tasks_and_items(session: Session, report: Report, now: datetime
                          ) -> tuple[int, int]:
    decided = session.scalars(select(Difference).where(
        Difference.report_id == report.id, Difference.status == "open",
        Difference.choice.is_not(None)).order_by(Difference.id)).all()
    have_task = set(session.scalars(select(AmendmentTask.difference_id).where(
        AmendmentTask.report_id == report.id)))
    have_item = set(session.scalars(select(SimsItem.difference_id).where(
        SimsItem.report_id == report.id)))
    tasks, items = [], []
    for d in decided:
        t = _task_for(d)
        if t is not None and d.id not in have_task:
            tasks.append({
                "report_id": report.id, "school_id": report.school_id, "difference_id": d.id,
                "la_record_id": d.la_record_id, "school_record_id": d.school_record_id,
                "kind": d.kind, "field_key": t[0], "upn": d.upn, "surname": d.surname,
                "forename": d.forename, "la_value": d.la_value,
                "school_value": d.school_value, "new_value": t[1], "choice": d.choice,
                "decided_by_id": d.decided_by_id, "decided_at": d.decided_at,
                "created_at": now, "status": "open"})
        expected = _sims_item_for(d)
        if expected is not False and d.id not in have_item:
            items.append({
                "report_id": report.id, "school_id": report.school_id, "difference_id": d.id,
                "school_record_id": d.school_record_id, "subject_key": d.subject_key,
                "kind": d.kind, "field_key": d.field_key, "upn": d.upn,
                "surname": d.surname, "forename": d.forename,
                "school_value": d.school_value, "expected_value": expected,
                "status": "open", "created_at": now})
    if tasks:
        session.execute(insert(AmendmentTask), tasks)
    if items:
        session.execute(insert(SimsItem), items)
    if tasks or items:
        record(session, "system", "report.tasks_made", report, school_id=report.school_id,
               report_id=report.id, after={"tasks": len(tasks), "sims_items": len(items)})
    return len(tasks), len(items)
