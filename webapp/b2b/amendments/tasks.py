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
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from webapp.b2b.comparison.provenance import AMENDED_BY
from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.b2b.records.hashing import content_hash
from webapp.b2b.records.items import ADDRESS_PARTS, RECORD_ITEMS
from webapp.b2b.records.normalise import BadValue, display_date, free_text
from webapp.b2b.review.wording import rejection_notice
from webapp.models import (
    AmendmentTask,
    Notification,
    PupilRecord,
    Report,
)
from webapp.models.base import utcnow
from webapp.platform.audit import record


@dataclass
class WorkResult:
    """What completing or rejecting tasks did."""

    done: list[int] = field(default_factory=list)  # tasks this call changed
    skipped: list[int] = field(default_factory=list)  # already done by someone else
    closed: list[int] = field(default_factory=list)  # reports closed as a result
    email_batches: list[str] = field(default_factory=list)











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
           now: datetime) -> tuple[dict[str, object], dict[str, object]]:
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
        from webapp.b2b.comparison.activity import apply_activity_amendment

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
    try:
        reason = free_text(reason or "")
    except BadValue as e:
        raise ValueError(f"the reason {e}") from None
    if not reason:
        raise ValueError("a reason is needed to reject a task")
    now = utcnow()
    result = WorkResult()
    changed = cast(CursorResult[Any], session.execute(
        update(AmendmentTask).where(AmendmentTask.id == task_id,
                                    AmendmentTask.status == "open")
        .values(status="rejected", rejected_reason=reason[:2000],
                completed_by_id=getattr(officer, "id", None), completed_at=now)
        .execution_options(synchronize_session=False))).rowcount
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
    report = session.get(Report, t.report_id)
    assert report is not None
    # Pupil, item, reason and what to do: the school's panel, never an email.
    session.add(Notification(school_id=t.school_id, report_id=t.report_id,
                             message=rejection_notice(report.document_name, report.week, t)))
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
        batch = close_report(session, report, actor, now, "Every amendment has been dealt with.")
        if batch is not None:
            result.closed.append(rid)
            result.email_batches.append(batch)


def close_report(session: Session, report: Report, actor: object, now: datetime, why: str
           ) -> str | None:
    """Close a received report and tell the school (panel and email). Returns the email
    batch, or ``None`` if someone else closed it first."""
    from webapp.b2b.review.emails import queue_report_email
    from webapp.platform.mail import new_batch

    changed = cast(CursorResult[Any], session.execute(
        update(Report).where(Report.id == report.id, Report.status == "received")
        .values(status="closed", closed_at=now, state_changed_at=now)
        .execution_options(synchronize_session=False))).rowcount
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
        .group_by(AmendmentTask.report_id)).tuples().all())









def _same(a: str | None, b: str | None) -> bool:
    """Equal as the comparison counts it: letter case and spacing aside."""
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _one_holds(session: Session, t: AmendmentTask) -> tuple[bool, str | None] | None:
    """Whether ONE's record, as the latest extract left it, holds what the task wrote
    (and what it holds instead); ``None`` if this kind of task cannot be checked."""
    if t.kind == "new_to_la":  # "add the pupil to ONE"
        found = t.upn and session.scalar(select(PupilRecord.id).where(
            PupilRecord.side == "la", PupilRecord.school_id == t.school_id,
            PupilRecord.upn == t.upn).limit(1))
        return bool(found), None
    rec = session.get(PupilRecord, t.la_record_id) if t.la_record_id else None
    if rec is None:
        return None
    items = {k: getattr(rec, k) for k in RECORD_ITEMS}
    if t.kind == "anomaly":  # "the LA should correct this in ONE": is it still there?
        rule = t.field_key.partition(".")[0]
        if rule == "upn_duplicate":
            held_by = session.scalar(select(func.count(PupilRecord.id)).where(
                PupilRecord.side == "la", PupilRecord.school_id == t.school_id,
                PupilRecord.upn == rec.upn)) or 0
            return held_by < 2, f"UPN {rec.upn} on {held_by} pupils" if held_by > 1 else None
        still = rule in (rec.problems or "").split()
        return not still, (f"the same {rule.replace('_', ' ')} problem" if still else None)
    if t.kind == "not_at_school":
        return _same(items.get("leave_date"), t.new_value), items.get("leave_date")
    f = FIELDS_BY_KEY.get(t.field_key)
    if t.kind != "field" or f is None:
        return None  # anomalies, exclusions, attendance: checked by the next comparison
    held = f.value(items)
    return _same(held, t.new_value), held


def check_tasks_against_one(session: Session, school_ids: Iterable[int], batch_id: int,
                            extract_name: str) -> dict[str, int]:
    """After an import of the LA's extract: each completed amendment task of these schools
    not yet confirmed is confirmed if ONE now holds its value, or goes back to the LA's
    queue (never to the school) saying what ONE still holds. Commits."""
    now = utcnow()
    counts = {"confirmed": 0, "reopened": 0, "unchecked": 0}
    tasks = session.scalars(select(AmendmentTask).where(
        AmendmentTask.school_id.in_(list(school_ids)), AmendmentTask.status == "done",
        AmendmentTask.verified_at.is_(None))).all()
    for t in tasks:
        held = _one_holds(session, t)
        if held is None:
            counts["unchecked"] += 1
            continue
        ok, value = held
        if ok:
            t.verified_at, t.verified_batch_id = now, batch_id
            counts["confirmed"] += 1
            record(session, "system", "task.confirmed_in_one", t, school_id=t.school_id,
                   report_id=t.report_id, after={"batch": batch_id})
            continue
        done_on = t.completed_at.strftime("%d/%m/%Y") if t.completed_at else "earlier"
        shown = display_date(value) if t.kind == "not_at_school" else value
        t.reopened_note = (f"Completed on {done_on}, but the extract of ONE imported on "
                           f"{now:%d/%m/%Y} ({extract_name}) still holds "
                           f"{shown or 'nothing'}: amend ONE again.")
        t.status, t.completed_at, t.completed_by_id = "open", None, None
        counts["reopened"] += 1
        record(session, "system", "task.not_in_one", t, school_id=t.school_id,
               report_id=t.report_id, before={"status": "done"},
               after={"status": "open", "batch": batch_id})
    session.commit()
    return counts
