"""The amendment loop: school decides and sends, the LA receives, tasks and SIMS items
appear, officers complete or reject them, ONE's record here changes, the report closes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.factories import (
    SEED_DECISIONS,
    WEEK,
    YEAR,
    decide_all,
    import_csv,
    import_ctf,
    la_record,
    make_user,
    many_tasks,
    published_seed_report,
    received_seed_report,
)
from webapp.b2b.amendments import tasks as amendments
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.amendments.sims_items import check_sims_items, sims_items_by_key
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.lifecycle import NotAllowed, send_report
from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL
from webapp.extensions import db
from webapp.models import (
    AmendmentTask,
    AuditEntry,
    Notification,
    OutboundEmail,
    PupilRecord,
    Report,
    ReportSubmission,
    SimsItem,
)


def test_receive_makes_tasks_and_sims_items_and_school_sees_receipt(session):
    report, staff, officer, result = received_seed_report(session)
    assert report.status == "received"
    assert report.received_by_id == officer.id and report.received_at is not None
    sub = session.scalar(select(ReportSubmission).where(ReportSubmission.report_id == report.id))
    assert sub.received_by_id == officer.id and sub.received_at is not None
    tasks = session.scalars(select(AmendmentTask).order_by(AmendmentTask.id)).all()
    assert result.tasks == 3 == len(tasks)
    assert {(t.field_key, t.la_value, t.new_value) for t in tasks} == {
        ("forename", "Joseph", "Joe"), ("forename", "James", "Jamie"),
        ("dob", "2007-09-26", "2007-09-23")}
    assert all(t.decided_by_id == staff.id and t.decided_at is not None for t in tasks)
    items = session.scalars(select(SimsItem)).all()
    assert {(i.field_key, i.school_value, i.expected_value) for i in items} == {
        ("forename", "Emma", "Emily"), ("dob", "2007-09-21", "2007-09-23"),
        ("postcode", "PA2 9NF", "PA3 9NF")}
    assert not result.closed
    # Received reports cannot be received again, nor recalled by the school.
    with pytest.raises(NotAllowed):
        receive_report(session, report, officer)
    from webapp.b2b.review.lifecycle import recall_report
    with pytest.raises(NotAllowed):
        recall_report(session, sub, staff)
    actions = list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.report_id == report.id)))
    assert "report.received" in actions and "report.tasks_made" in actions


def test_completing_writes_one_and_next_comparison_no_longer_shows_it(session):
    report, staff, officer, _ = received_seed_report(session)
    joe = session.scalar(select(AmendmentTask).where(AmendmentTask.new_value == "Joe"))
    result = amendments.complete_task(session, joe.id, officer)
    assert result.done == [joe.id] and result.closed == []
    rec = la_record(session, report.school_id, "10001")
    assert rec.forename == "Joe"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "task.done"))
    assert entry.before["value"] == "Joseph" and entry.after["value"] == "Joe"
    assert entry.actor_id == officer.id
    # Completing it again changes nothing.
    assert amendments.complete_task(session, joe.id, officer).skipped == [joe.id]

    refresh_reports(session, YEAR, WEEK + 1, school_ids=[report.school_id])
    nxt = session.scalar(select(Report).where(Report.week == WEEK + 1))
    open_fields = {(d.upn[-5:], d.field_key) for d in nxt.differences
                   if d.status == "open" and d.kind == "field"}
    assert ("10001", "forename") not in open_fields
    assert ("10003", "forename") in open_fields  # not yet amended


def test_all_tasks_done_closes_report_and_tells_school(session):
    report, staff, officer, _ = received_seed_report(session)
    ids = list(session.scalars(select(AmendmentTask.id)))
    result = amendments.complete_tasks(session, ids, officer)
    assert sorted(result.done) == sorted(ids)
    assert result.closed == [report.id]
    session.refresh(report)
    assert report.status == "closed" and report.closed_at is not None
    assert la_record(session, report.school_id, "10002").dob == "2007-09-23"
    notes = list(session.scalars(select(Notification.message).where(
        Notification.report_id == report.id)))
    assert any("is closed" in m for m in notes)
    emails = session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "closed")).all()
    assert {e.recipient for e in emails} == {"headteacher@1111.test", "office@1111.test"}
    assert all(e.batch == result.email_batches[0] for e in emails)


def test_reject_with_reason_school_sees_it_and_one_unchanged(session):
    report, staff, officer, _ = received_seed_report(session)
    jamie = session.scalar(select(AmendmentTask).where(AmendmentTask.new_value == "Jamie"))
    with pytest.raises(ValueError):
        amendments.reject_task(session, jamie.id, officer, "   ")
    result = amendments.reject_task(session, jamie.id, officer, "Birth certificate says James")
    assert result.done == [jamie.id]
    session.refresh(jamie)
    assert jamie.status == "rejected" and jamie.rejected_reason == "Birth certificate says James"
    assert la_record(session, report.school_id, "10003").forename == "James"
    notes = list(session.scalars(select(Notification.message).where(
        Notification.school_id == report.school_id)))
    assert any("Birth certificate says James" in m for m in notes)
    assert [t.rejected_reason for t in amendments.tasks_for_report(session, report.id)
            if t.status == "rejected"] == ["Birth certificate says James"]
    # A rejected task is settled: completing the rest closes the report.
    rest = [t.id for t in amendments.tasks_for_report(session, report.id) if t.status == "open"]
    assert amendments.complete_tasks(session, rest, officer).closed == [report.id]


def test_report_with_nothing_for_the_la_closes_on_receipt(session):
    report, staff, officer = published_seed_report(session)
    decide_all(session, report, staff, decisions={
        k: ("la", None) for k in SEED_DECISIONS})
    send_report(session, report, staff)
    result = receive_report(session, report, officer)
    assert result.tasks == 0 and result.closed and report.status == "closed"
    assert result.sims_items == 5


def test_sims_items_checked_after_the_next_school_import(session):
    report, staff, officer, _ = received_seed_report(session)
    laestab = report.school.laestab
    # The school fixes Emma's forename in SIMS, but not the postcode or the DOB.
    pupils = [dict(p) for p in SEED_PUPILS_SCHOOL]
    pupils[1]["forename"] = "Emily"
    import_ctf(session, laestab, pupils)  # the import checks the items itself
    by_field = {i.field_key: i.status for i in session.scalars(select(SimsItem))}
    assert by_field == {"forename": "amended", "dob": "not_amended",
                        "postcode": "not_amended"}
    waiting = sims_items_by_key(session, report.school_id)
    assert {k[1] for k in waiting} == {"dob", "postcode"}
    # Checking again records no new state change.
    n = session.scalar(select(func.count()).select_from(AuditEntry))
    counts = check_sims_items(session, report.school_id)
    assert counts["amended"] == 0 and counts["not_amended"] == 2
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == n


def test_assign_to_me(session):
    report, staff, officer, _ = received_seed_report(session)
    ids = list(session.scalars(select(AmendmentTask.id)))
    assert amendments.assign_tasks(session, ids[:2], officer) == ids[:2]
    assert amendments.assign_tasks(session, ids[:2], officer) == []  # already mine
    assert {t.assigned_to_id for t in session.scalars(select(AmendmentTask))
            if t.id in ids[:2]} == {officer.id}
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "task.assigned")) == 2


def test_bulk_complete_500_tasks_in_one_action(session):
    report, officer = many_tasks(session, 500)
    ids = list(session.scalars(select(AmendmentTask.id)))
    assert len(ids) == 500
    result = amendments.complete_tasks(session, ids, officer)
    assert len(result.done) == 500 and result.closed == [report.id]
    forenames = set(session.scalars(select(PupilRecord.forename).where(
        PupilRecord.side == "la", PupilRecord.school_id == report.school_id)))
    assert forenames == {"Sam"}
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "task.done")) == 500


def test_two_officers_completing_the_same_task_at_once_amend_once(app, session):
    report, staff, officer, _ = received_seed_report(session)
    other = make_user(session, role="la_officer", email="second@la.test")
    task_id = session.scalar(select(AmendmentTask.id).where(AmendmentTask.new_value == "Joe"))
    officer_ids = [officer.id, other.id]
    session.close()
    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []

    def work(officer_id):
        try:
            with app.app_context():
                from sqlalchemy.orm import Session as SASession
                with SASession(db.engine, expire_on_commit=False) as s:
                    who = s.get(type(officer), officer_id)
                    s.commit()  # as a request would: the UPDATE starts the transaction
                    barrier.wait()
                    results.append(amendments.complete_task(s, task_id, who))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in officer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(len(r.done) for r in results) == [0, 1]
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "task.done")) == 1
    task = session.get(AmendmentTask, task_id)
    assert task.status == "done" and task.completed_by_id in officer_ids


def test_a_value_too_long_for_the_record_completes_without_writing_it(session):
    report, staff, officer, _ = received_seed_report(session)
    dob = session.scalar(select(AmendmentTask).where(AmendmentTask.field_key == "dob"))
    dob.new_value = "not a date at all, far too long"
    session.commit()
    result = amendments.complete_task(session, dob.id, officer)
    assert result.done == [dob.id]
    assert la_record(session, report.school_id, "10002").dob == "2007-09-26"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "task.done"))
    assert entry.after["note"] == "value does not fit the record held here"


def test_completing_an_attendance_task_writes_the_las_attendance_year(session):
    from webapp.models import AttendanceYear

    report, staff, officer, _ = received_seed_report(session)
    la = la_record(session, report.school_id, "10001")
    session.add(AttendanceYear(pupil_id=la.id, academic_year="2025/26", sessions_attended=100))
    task = session.scalar(select(AmendmentTask).where(AmendmentTask.new_value == "Joe"))
    task.field_key, task.la_value, task.new_value = (
        "attendance.2025/26.sessions_attended", "100", "120")
    session.commit()
    assert amendments.complete_task(session, task.id, officer).done == [task.id]
    session.expire_all()
    assert la_record(session, report.school_id, "10001").attendance[0].sessions_attended == 120
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "task.done"))
    assert entry.after["sessions_attended"] == [100, 120]


def test_a_value_written_by_a_task_names_the_task_as_its_source(session):
    from webapp.b2b.comparison.provenance import Amended, provenance_for

    report, staff, officer, _ = received_seed_report(session)
    dob = session.scalar(select(AmendmentTask).where(AmendmentTask.field_key == "dob"))
    amendments.complete_task(session, dob.id, officer)
    # SIMS still holds the old date until the school changes it: next week's report
    # shows the difference again, the LA side now from the amendment, not the extract.
    refresh_reports(session, YEAR, WEEK + 1, school_ids=[report.school_id])
    nxt = session.scalar(select(Report).where(Report.week == WEEK + 1))
    d = next(d for d in nxt.differences if d.field_key == "dob" and d.status == "open")
    assert d.la_value == "2007-09-23"
    p = provenance_for(session, nxt, [d])[d.id]
    assert isinstance(p.la, Amended) and p.la.task_id == dob.id
    assert p.la.describe().startswith(f"amended by Olive Officer (amendment task {dob.id}), ")
    assert p.school.file_name.endswith(".xml")  # the school's side: still its import
    # A later LA extract that changes the date takes over as the source.
    rec = la_record(session, report.school_id, "10002")
    import_csv(session, report.school.laestab,
               [{**p_, "upn": p_["upn"][:4] + "1111" + p_["upn"][8:],
                 **({"dob": "2007-09-24"} if p_["upn"].endswith("10002") else {})}
                for p_ in SEED_PUPILS_LA])
    session.refresh(rec)
    assert isinstance(rec.item_batches["dob"], int)
