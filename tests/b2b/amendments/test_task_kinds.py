"""Each kind of amendment task does what its decision asked: an address taken from the
school or typed, a pupil added to the LA's records, an anomaly corrected by hand in ONE;
rejecting needs a reason; a task is worked once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import (
    JOE,
    WEEK,
    YEAR,
    import_csv,
    import_ctf,
    make_school,
    make_user,
    pupil,
)
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.amendments.tasks import (
    assign_tasks,
    complete_task,
    complete_tasks,
    open_task_counts,
    reject_task,
    tasks_for_report,
)
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.records.items import ADDRESS_PARTS
from webapp.b2b.review.decisions import offered_choices, record_decision
from webapp.b2b.review.lifecycle import publish_reports, send_report
from webapp.models import AmendmentTask, AuditEntry, Difference, PupilRecord, Report

HOME = {"address_paon": "1", "address_street": "High Street", "address_town": "Ashford",
        "postcode": "TN23 1AA"}
JOE_SCHOOL = {**JOE, **HOME}
JOE_LA = {**JOE, **HOME, "address_paon": "12", "address_street": "Low Street"}
DAN = pupil("D886111110005", "Green", "Dan", "2009-05-05", "M", **HOME)
DAN_LA = {**DAN, "address_paon": "7", "address_street": "Mill Lane"}
ANN = pupil("A886111110002", "Smith", "Ann", "2007-01-01", "F")  # the school's only
CAT = pupil("C886111110004", "Brown", "Cat", "2009-03-03", "F", postcode="TN23 1AA")
CAT_LA = {**CAT, "postcode": "TN23"}  # malformed in ONE
TYPED_ADDRESS = "Flat 3, 4 New Road, Ashford TN23 2BB"


def _received(session):
    """A report with an address difference of each kind, a pupil new to the LA and an
    anomaly of the LA's own, decided so that every one is a task, sent and received."""
    school = make_school(session)
    staff = make_user(session, school=school, name="Office")
    officer = make_user(session, role="la_officer", name="Officer")
    import_ctf(session, school.laestab, [JOE_SCHOOL, DAN, ANN, CAT])
    import_csv(session, school.laestab, [JOE_LA, DAN_LA, CAT_LA])
    refresh_reports(session, YEAR, WEEK)
    report = session.scalar(select(Report))
    publish_reports(session, [report], officer)
    for d in session.scalars(select(Difference).where(Difference.report_id == report.id)):
        if (d.upn, d.field_key) == (JOE["upn"], "address"):
            choice, value = "school", None
        elif (d.upn, d.field_key) == (DAN["upn"], "address"):
            choice, value = "other", TYPED_ADDRESS
        elif d.kind == "new_to_la":
            choice, value = "on_roll", "01/09/2025"
        elif d.kind == "anomaly" and d.side == "la":
            choice, value = "la_to_fix", None
        elif d.kind == "field":
            choice, value = "school", None
        else:
            choice, value = "is_correct", None
        assert choice in [c.value for c in offered_choices(d)], (d.kind, d.field_key)
        record_decision(session, d, staff, choice, value, d.version)
    send_report(session, report, staff)
    receive_report(session, report, officer)
    return report, officer


def _task(session, report, upn, kind, field_key=None) -> AmendmentTask:
    q = select(AmendmentTask).where(AmendmentTask.report_id == report.id,
                                    AmendmentTask.upn == upn, AmendmentTask.kind == kind)
    if field_key:
        q = q.where(AmendmentTask.field_key == field_key)
    return session.scalars(q).one()


def _la(session, upn) -> PupilRecord | None:
    return session.scalar(select(PupilRecord).where(PupilRecord.side == "la",
                                                    PupilRecord.upn == upn))


def _audit_after(session, task_id) -> dict:
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "task.done")).all()
    (entry,) = [e for e in entries if (e.after or {}).get("task") == task_id]
    return entry.after


def test_each_kind_of_task_writes_what_its_decision_asked(session):
    report, officer = _received(session)
    tasks = tasks_for_report(session, report.id)
    assert [t.id for t in tasks] == sorted(t.id for t in tasks)
    assert open_task_counts(session, [report.id]) == {report.id: len(tasks)}

    # The school's address: every part (and the postcode) copied into the LA's record.
    joe = _task(session, report, JOE["upn"], "field", "address")
    assert complete_task(session, joe.id, officer).done == [joe.id]
    la = _la(session, JOE["upn"])
    session.refresh(la)
    school = session.scalar(select(PupilRecord).where(PupilRecord.side == "school",
                                                      PupilRecord.upn == JOE["upn"]))
    for part in (*ADDRESS_PARTS, "postcode"):
        assert getattr(la, part) == getattr(school, part)
    assert _audit_after(session, joe.id)["address_street"] == "High Street"

    # A typed address is kept whole, not split into parts it may not have.
    dan = _task(session, report, DAN["upn"], "field", "address")
    assert dan.new_value == TYPED_ADDRESS
    complete_task(session, dan.id, officer)
    la = _la(session, DAN["upn"])
    session.refresh(la)
    assert la.address_paon == TYPED_ADDRESS
    assert [getattr(la, p) for p in ADDRESS_PARTS if p != "address_paon"] == \
        [None] * (len(ADDRESS_PARTS) - 1)

    # A pupil new to the LA: added to the LA's records from the school's, with the start
    # date the school gave.
    assert _la(session, ANN["upn"]) is None
    ann = _task(session, report, ANN["upn"], "new_to_la")
    complete_task(session, ann.id, officer)
    added = _la(session, ANN["upn"])
    assert added is not None
    assert (added.surname, added.forename, added.dob, added.start_date) == \
        ("Smith", "Ann", "2007-01-01", "2025-09-01")
    session.refresh(ann)
    assert ann.la_record_id == added.id
    assert _audit_after(session, ann.id)["added"] is True

    # An anomaly in ONE is corrected there by hand: nothing here changes.
    cat = _task(session, report, CAT["upn"], "anomaly")
    held = _la(session, CAT["upn"]).postcode
    complete_task(session, cat.id, officer)
    assert _la(session, CAT["upn"]).postcode == held
    assert _audit_after(session, cat.id)["note"] == "corrected in ONE"

    # The rest done: the report closes, and the next week finds nothing of the above.
    rest = [t.id for t in tasks if t.id not in (joe.id, dan.id, ann.id, cat.id)]
    result = complete_tasks(session, rest, officer)
    assert result.done == sorted(rest) and result.closed == [report.id]
    assert open_task_counts(session, [report.id]) == {}
    session.refresh(report)
    assert report.status == "closed"
    refresh_reports(session, YEAR, WEEK + 1)
    nxt = session.scalar(select(Report).where(Report.week == WEEK + 1))
    left = {(d.upn, d.kind, d.field_key) for d in nxt.differences if d.status == "open"}
    assert (JOE["upn"], "field", "address") not in left
    assert not any(kind == "new_to_la" for _, kind, _ in left)


def test_a_task_is_worked_once_and_rejecting_needs_a_reason(session):
    report, officer = _received(session)
    first, second, *_ = tasks_for_report(session, report.id)
    other = make_user(session, role="la_officer", email="other@la.test", name="Other")

    assert assign_tasks(session, [], officer) == []
    assert assign_tasks(session, [first.id], officer) == [first.id]
    assert assign_tasks(session, [first.id], officer) == []  # already theirs
    assert assign_tasks(session, [first.id], other) == [first.id]
    assert complete_tasks(session, [], officer).done == []

    for reason in ("", "   ", "a reason with a \x00 in it"):
        with pytest.raises(ValueError):
            reject_task(session, second.id, officer, reason)
    session.refresh(second)
    assert second.status == "open"
    assert reject_task(session, second.id, officer, "  Not in our records.  ").done == \
        [second.id]
    session.refresh(second)
    assert (second.status, second.rejected_reason) == ("rejected", "Not in our records.")

    assert complete_task(session, first.id, other).done == [first.id]
    again = complete_task(session, first.id, officer)
    assert (again.done, again.skipped) == ([], [first.id])
    late = reject_task(session, first.id, officer, "too late")
    assert (late.done, late.skipped) == ([], [first.id])
    session.refresh(first)
    assert (first.status, first.completed_by_id) == ("done", other.id)
    # Rejected and done tasks are not re-opened by assigning.
    assert assign_tasks(session, [first.id, second.id], officer) == []
