"""Receiving a school's report and working what it says.

On receipt every decision that the LA's value is wrong becomes an :class:`AmendmentTask`
and every decision that SIMS is wrong a :class:`SimsItem`. Completing a task writes the
new value into the LA's record held here in the same transaction as the task's state
change and its audit entry; a conditional ``UPDATE ... WHERE status = 'open'`` makes sure
two officers completing the same task at once amend the record once. When the last task
of a report is done (or rejected) the report is closed and the school told.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from webapp.b2b.audit import record
from webapp.b2b.catalogue import FIELDS_BY_KEY
from webapp.b2b.importing import content_hash
from webapp.b2b.items import ADDRESS_PARTS, RECORD_ITEMS
from webapp.b2b.provenance import AMENDED_BY
from webapp.b2b.workflow import NotAllowed
from webapp.models import (
    AmendmentTask,
    Difference,
    Notification,
    PupilRecord,
    Report,
    ReportSubmission,
    SimsItem,
)
from webapp.models.base import utcnow

# Field choices that say the LA's value (ONE) is wrong; "neither" is the older spelling.
LA_WRONG = ("school", "other", "neither")
# Field choices that say SIMS is wrong.
SIMS_WRONG = ("la", "other", "neither")
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


@dataclass
class WorkResult:
    """What completing or rejecting tasks did."""

    done: list[int] = field(default_factory=list)  # tasks this call changed
    skipped: list[int] = field(default_factory=list)  # already done by someone else
    closed: list[int] = field(default_factory=list)  # reports closed as a result
    email_batches: list[str] = field(default_factory=list)


# -- receiving -------------------------------------------------------------------------

def receive_report(session: Session, report: Report, officer: object) -> ReceiveResult:
    """Mark a sent report as received (who, when) and make its amendment tasks and SIMS
    items. From now on the school can no longer recall it. Commits.

    Raises :class:`NotAllowed` unless the report is sent and not yet received. A report
    with nothing for the LA to change is closed at once.
    """
    now = utcnow()
    officer_id = getattr(officer, "id", None)
    # Conditional, so that two officers (or a recall racing a receipt) cannot both win.
    changed = session.execute(
        update(Report).where(Report.id == report.id, Report.status == "sent")
        .values(status="received", received_at=now, received_by_id=officer_id,
                state_changed_at=now)
        .execution_options(synchronize_session=False)).rowcount
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
        batch = _close(session, report, officer, now,
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


# -- working the queue -----------------------------------------------------------------

def assign_tasks(session: Session, task_ids: Iterable[int], officer: object) -> list[int]:
    """Assign open tasks to an officer ("assign to me"). Commits; returns the tasks."""
    ids = list(task_ids)
    if not ids:
        return []
    now = utcnow()
    rows = session.execute(
        select(AmendmentTask.id, AmendmentTask.assigned_to_id, AmendmentTask.report_id,
               AmendmentTask.school_id)
        .where(AmendmentTask.id.in_(ids), AmendmentTask.status == "open")).all()
    officer_id = getattr(officer, "id", None)
    changed = [r for r in rows if r.assigned_to_id != officer_id]
    if changed:
        session.execute(update(AmendmentTask).where(
            AmendmentTask.id.in_([r.id for r in changed]), AmendmentTask.status == "open")
            .values(assigned_to_id=officer_id, assigned_at=now)
            .execution_options(synchronize_session="fetch"))
        for r in changed:
            record(session, officer, "task.assigned", None, school_id=r.school_id,
                   report_id=r.report_id, before={"task": r.id, "assigned_to": r.assigned_to_id},
                   after={"task": r.id, "assigned_to": officer_id})
    session.commit()
    return [r.id for r in changed]


def complete_task(session: Session, task_id: int, officer: object) -> WorkResult:
    """Complete one task: see :func:`complete_tasks`."""
    return complete_tasks(session, [task_id], officer)


def complete_tasks(session: Session, task_ids: Sequence[int], officer: object) -> WorkResult:
    """Complete open tasks: each new value is written into the LA's record, the task
    marked done and the change audited, all in one transaction. Commits.

    Tasks someone else completed (or rejected) first are skipped, never applied twice.
    """
    ids = sorted(set(task_ids))
    result = WorkResult()
    if not ids:
        return result
    now = utcnow()
    officer_id = getattr(officer, "id", None)
    won = set(session.scalars(
        update(AmendmentTask)
        .where(AmendmentTask.id.in_(ids), AmendmentTask.status == "open")
        .values(status="done", completed_by_id=officer_id, completed_at=now)
        .returning(AmendmentTask.id)
        .execution_options(synchronize_session=False)))
    result.done = [i for i in ids if i in won]
    result.skipped = [i for i in ids if i not in won]
    if not won:
        session.rollback()
        return result
    tasks = session.scalars(select(AmendmentTask).where(AmendmentTask.id.in_(won))
                            .order_by(AmendmentTask.id)
                            .execution_options(populate_existing=True)).all()
    record_ids = {t.la_record_id for t in tasks if t.la_record_id is not None} | {
        t.school_record_id for t in tasks if t.school_record_id is not None}
    records = {r.id: r for r in session.scalars(
        select(PupilRecord).where(PupilRecord.id.in_(record_ids)))} if record_ids else {}
    touched: set[int] = set()
    for t in tasks:
        before, after = _apply(session, t, records, now)
        if t.la_record_id is not None:
            touched.add(t.la_record_id)
        record(session, officer, "task.done", t, school_id=t.school_id, report_id=t.report_id,
               before=before, after=after)
    for rid in touched:
        _rehash(records[rid], now)
    _close_finished(session, {t.report_id for t in tasks}, officer, now, result)
    session.commit()
    return result


def _apply(session: Session, t: AmendmentTask, records: dict[int, PupilRecord],
           now: datetime) -> tuple[dict, dict]:
    """Write a task's new value into the LA's record; the audit's before and after."""
    base = {"task": t.id, "field": t.field_key}
    la = records.get(t.la_record_id) if t.la_record_id is not None else None
    school = records.get(t.school_record_id) if t.school_record_id is not None else None
    if t.kind == "new_to_la":
        if school is None:
            return base, {**base, "note": "the school's record has gone"}
        la = _add_la_record(session, school, t.new_value, now)
        mark_amended(la, RECORD_ITEMS, t.id)
        t.la_record_id = la.id
        records[la.id] = la
        return base, {**base, "added": True, "start_date": t.new_value}
    if la is None or t.kind == "anomaly":
        # Nothing held here to change: the officer corrected ONE by hand.
        return base, {**base, "note": "corrected in ONE"}
    if t.field_key == "address":
        parts = ADDRESS_PARTS + ("postcode",)
        before = {p: getattr(la, p) for p in parts}
        if t.choice == "school" and school is not None:
            for p in parts:
                setattr(la, p, getattr(school, p))
        else:
            # A typed address cannot be split reliably into its parts: keep it whole.
            for p in ADDRESS_PARTS:
                setattr(la, p, None)
            la.address_paon = t.new_value
        mark_amended(la, parts, t.id)
        return {**base, **before}, {**base, **{p: getattr(la, p) for p in parts}}
    if t.field_key.startswith(("attendance.", "exclusion.")):
        from webapp.b2b.activity import apply_activity_amendment

        changed = apply_activity_amendment(session, la, school, t.field_key, t.new_value)
        return base, {**base, **changed}
    if t.field_key not in RECORD_ITEMS:
        return base, {**base, "note": "not held here"}
    if not _fits(t.field_key, t.new_value):
        # ONE is amended by the officer; our copy catches up with the next LA extract.
        return base, {**base, "note": "value does not fit the record held here"}
    old = getattr(la, t.field_key)
    setattr(la, t.field_key, t.new_value)
    mark_amended(la, (t.field_key,), t.id)
    return {**base, "value": old}, {**base, "value": t.new_value}


def mark_amended(rec: PupilRecord, items: Iterable[str], task_id: int) -> None:
    """Note in the record's provenance that these items now hold what an amendment task
    wrote (the next import that changes one of them replaces the note with its batch)."""
    rec.item_batches = {**(rec.item_batches or {}),
                        **{i: f"{AMENDED_BY}{task_id}" for i in items}}


def _fits(column: str, value: str | None) -> bool:
    length = getattr(PupilRecord.__table__.c[column].type, "length", None)
    return value is None or length is None or len(value) <= length


def _add_la_record(session: Session, school: PupilRecord, start_date: str | None,
                   now: datetime) -> PupilRecord:
    existing = session.scalar(select(PupilRecord).where(
        PupilRecord.side == "la", PupilRecord.school_id == school.school_id,
        PupilRecord.record_key == school.record_key))
    rec = existing or PupilRecord(side="la", school_id=school.school_id,
                                  record_key=school.record_key, created_at=now)
    for k in RECORD_ITEMS:
        setattr(rec, k, getattr(school, k))
    if start_date:
        rec.start_date = start_date
    _rehash(rec, now)
    session.add(rec)
    session.flush()
    return rec


def _rehash(rec: PupilRecord, now: datetime) -> None:
    # The comparison skips schools whose records' hashes did not change: keep it honest.
    rec.content_hash = content_hash({k: getattr(rec, k) for k in RECORD_ITEMS})
    rec.changed_at = now


def reject_task(session: Session, task_id: int, officer: object, reason: str) -> WorkResult:
    """Decline a task with a reason the school sees; ONE is not changed. Commits."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is needed to reject a task")
    now = utcnow()
    result = WorkResult()
    changed = session.execute(
        update(AmendmentTask).where(AmendmentTask.id == task_id,
                                    AmendmentTask.status == "open")
        .values(status="rejected", rejected_reason=reason[:2000],
                completed_by_id=getattr(officer, "id", None), completed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        session.rollback()
        result.skipped.append(task_id)
        return result
    result.done.append(task_id)
    t = session.get(AmendmentTask, task_id, populate_existing=True)
    assert t is not None
    record(session, officer, "task.rejected", t, school_id=t.school_id, report_id=t.report_id,
           before={"task": t.id, "status": "open"},
           after={"task": t.id, "status": "rejected", "reason": t.rejected_reason})
    f = FIELDS_BY_KEY.get(t.field_key)
    report = session.get(Report, t.report_id)
    assert report is not None
    session.add(Notification(
        school_id=t.school_id, report_id=t.report_id,
        message=f"The LA did not make a change from {report.document_name} (week "
                f"{report.week}), {f.label if f else t.field_key}: {t.rejected_reason}"))
    _close_finished(session, {t.report_id}, officer, now, result)
    session.commit()
    return result


def _close_finished(session: Session, report_ids: set[int], actor: object, now: datetime,
                    result: WorkResult) -> None:
    still_open = set(session.scalars(select(AmendmentTask.report_id).where(
        AmendmentTask.report_id.in_(report_ids), AmendmentTask.status == "open")
        .distinct()))
    for rid in sorted(report_ids - still_open):
        report = session.get(Report, rid)
        if report is None or report.status != "received":
            continue
        batch = _close(session, report, actor, now, "Every amendment has been dealt with.")
        if batch is not None:
            result.closed.append(rid)
            result.email_batches.append(batch)


def _close(session: Session, report: Report, actor: object, now: datetime, why: str
           ) -> str | None:
    """Close a received report and tell the school (panel and email). Returns the email
    batch, or ``None`` if someone else closed it first."""
    from webapp.mail import new_batch, queue_report_email

    changed = session.execute(
        update(Report).where(Report.id == report.id, Report.status == "received")
        .values(status="closed", closed_at=now, state_changed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        return None
    session.refresh(report)
    record(session, actor, "report.closed", report, school_id=report.school_id,
           report_id=report.id, before={"status": "received"}, after={"status": "closed"})
    session.add(Notification(school_id=report.school_id, report_id=report.id,
                             message=f"{report.document_name} (week {report.week}) is "
                                     f"closed. {why}"))
    batch = new_batch()
    queue_report_email(session, report, "closed", batch)
    return batch


# -- reading ---------------------------------------------------------------------------

def tasks_for_report(session: Session, report_id: int) -> list[AmendmentTask]:
    """A report's tasks, oldest first (the school's view shows rejected ones' reasons)."""
    return list(session.scalars(select(AmendmentTask).where(
        AmendmentTask.report_id == report_id).order_by(AmendmentTask.id)))


def open_task_counts(session: Session, report_ids: Iterable[int]) -> dict[int, int]:
    ids = list(report_ids)
    if not ids:
        return {}
    return dict(session.execute(select(AmendmentTask.report_id, func.count()).where(
        AmendmentTask.report_id.in_(ids), AmendmentTask.status == "open")
        .group_by(AmendmentTask.report_id)).all())


# -- the school's side of the loop -----------------------------------------------------

def _school_value(item: SimsItem, rec: PupilRecord) -> str | None:
    if item.kind == "field":
        f = FIELDS_BY_KEY.get(item.field_key)
        if f is not None:
            return f.value({k: getattr(rec, k) for k in RECORD_ITEMS})
        return getattr(rec, item.field_key, None)
    rule = item.field_key.partition(".")[0]
    return rec.postcode if rule.startswith("postcode") else rec.upn


def check_sims_items(session: Session, school_id: int) -> dict[str, int]:
    """After an import of the school's own data: close the "SIMS to amend" items whose
    value has changed in SIMS; mark the rest "school confirmed LA value, SIMS not yet
    amended" (shown to the LA, re-listed for the school). Commits.

    Call it after every school-side import of the school. Returns counts by outcome.
    """
    now = utcnow()
    counts = {"amended": 0, "not_amended": 0, "gone": 0, "unchecked": 0}
    items = session.scalars(select(SimsItem).where(
        SimsItem.school_id == school_id,
        SimsItem.status.in_(("open", "not_amended")))).all()
    for item in items:
        rec = session.get(PupilRecord, item.school_record_id) if item.school_record_id else None
        if item.kind == "not_at_school":
            # "We will add them to SIMS": the pupil now appears in the school's data.
            found = item.upn and session.scalar(select(PupilRecord.id).where(
                PupilRecord.side == "school", PupilRecord.school_id == school_id,
                PupilRecord.upn == item.upn).limit(1))
            outcome = "amended" if found else "not_amended"
        elif item.kind == "new_to_la":
            counts["unchecked"] += 1  # a delta import cannot show a removal
            continue
        elif rec is None:
            outcome = "gone"
        else:
            outcome = "amended" if _school_value(item, rec) != item.school_value \
                else "not_amended"
        counts[outcome] += 1
        before = item.status
        item.checked_at = now
        if outcome != "not_amended":
            item.closed_at = now
        if outcome != before:
            item.status = outcome
            record(session, "system", f"sims_item.{outcome}", item, school_id=school_id,
                   report_id=item.report_id, before={"status": before},
                   after={"status": outcome, "field": item.field_key})
    session.commit()
    return counts


def sims_items_by_key(session: Session, school_id: int) -> dict[tuple[str, str], SimsItem]:
    """The school's outstanding "SIMS to amend" items by (subject_key, field_key): the
    comparison can show such a difference as "you told us the LA is right: please amend
    SIMS" instead of asking the question again."""
    return {(i.subject_key, i.field_key): i for i in session.scalars(select(SimsItem).where(
        SimsItem.school_id == school_id, SimsItem.status.in_(("open", "not_amended"))))}
