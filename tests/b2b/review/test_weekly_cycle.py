"""Three weeks of the cycle across a New Year, walked as the LA and a school walk it.

Week 49 is published and left unsent; week 50 supersedes it (its decision carried), is
decided, sent, received and worked; ONE's next extract shows one task was not really
made in ONE and the school's SIMS not yet changed: the decisions carry into week 51, so
the school is asked nothing again, and the task goes back to the LA's queue. Then both
sides' fixes arrive; January's week 2 follows week 51 by date, and the leaver whose
leaving date ONE now holds is not asked about again.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import import_csv, import_ctf, make_school, make_user, pupil
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.amendments.tasks import complete_task
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.la_desk import current_week, report_weeks
from webapp.b2b.review.decisions import ReportLocked, record_decision
from webapp.b2b.review.lifecycle import publish_reports, send_report
from webapp.b2b.review.report_view import build_report_view
from webapp.b2b.weeks import week_of, week_start
from webapp.demo.synth import make_upn
from webapp.models import AmendmentTask, AuditEntry, Difference, Report, SimsItem

YEAR = 2025  # 2025/26: week 49 is December 2025, week 2 is January 2026
UA, UB, UC = (make_upn("886", "1111", 15, n) for n in (1, 2, 3))
AMY = pupil(UA, "Able", "Amy", "2015-01-02", "F")
BEN = pupil(UB, "Baker", "Ben", "2015-03-04", "M")
CAL = pupil(UC, "Cole", "Cal", "2015-05-06", "M")


def test_weeks_are_ordered_by_date_across_new_year():
    assert week_start(YEAR, 50) < week_start(YEAR, 51) < week_start(YEAR, 2)
    assert week_start(YEAR, 2) == date(2026, 1, 5)
    assert week_of(date(2026, 1, 7)) == (YEAR, 2)
    assert week_of(date(2025, 12, 10)) == (YEAR, 50)
    assert week_of(date(2025, 12, 29)) == (YEAR, 1)  # ISO week 1 of 2026 starts in December
    with pytest.raises(ValueError):
        week_start(YEAR, 54)


def _report(session, week: int) -> Report:
    return session.scalar(select(Report).where(Report.academic_year == YEAR,
                                               Report.week == week))


def _diff(session, report: Report, upn: str, kind: str, field: str) -> Difference:
    return session.scalar(select(Difference).where(
        Difference.report_id == report.id, Difference.upn == upn, Difference.kind == kind,
        Difference.field_key == field, Difference.status == "open"))


def _decide(session, d: Difference, staff, choice: str, value: str | None = None) -> None:
    record_decision(session, d, staff, choice, value, d.version)


def _open(session, week: int) -> tuple[int, int]:
    view = build_report_view(session, _report(session, week))
    return view.decided, view.total


def test_three_weeks_across_new_year(session):
    school = make_school(session)
    staff = make_user(session, school=school, name="Office Manager")
    officer = make_user(session, role="la_officer", name="Olive Officer")
    import_ctf(session, school.laestab, [{**AMY, "forename": "Amie"}, BEN])
    import_csv(session, school.laestab, [AMY, {**BEN, "dob": "2015-03-05"}, CAL])

    # Week 49: published, one answer given, never sent.
    refresh_reports(session, YEAR, 49)
    publish_reports(session, [_report(session, 49)], officer)
    w49 = _report(session, 49)
    _decide(session, _diff(session, w49, UA, "field", "forename"), staff, "school")

    # Week 50 supersedes it: read-only, says which, and its answer carries over.
    refresh_reports(session, YEAR, 50)
    publish_reports(session, [_report(session, 50)], officer)
    session.refresh(w49)
    w50 = _report(session, 50)
    assert w49.status == "superseded" and w49.superseded_by_id == w50.id
    with pytest.raises(ReportLocked):
        _decide(session, _diff(session, w49, UB, "field", "dob"), staff, "la")
    assert _diff(session, w50, UA, "field", "forename").choice == "school"
    assert _open(session, 50) == (1, 3)

    # The school answers the rest, sends; the LA receives and works the queue.
    _decide(session, _diff(session, w50, UB, "field", "dob"), staff, "la")
    _decide(session, _diff(session, w50, UC, "not_at_school", "pupil"), staff, "left",
            "18/12/2025")
    send_report(session, w50, staff)
    receive_report(session, w50, officer)
    tasks = session.scalars(select(AmendmentTask).order_by(AmendmentTask.id)).all()
    assert {(t.upn, t.field_key) for t in tasks} == {(UA, "forename"), (UC, "leave_date")}
    for t in tasks:
        complete_task(session, t.id, officer)

    # ONE's next extract has neither change (the officer did not really make them) and
    # SIMS has not changed either: both tasks go back to the LA's queue, saying why.
    import_csv(session, school.laestab, [{**AMY, "surname": "Able"},
                                         {**BEN, "dob": "2015-03-05"}, CAL])
    session.expire_all()
    reopened = session.scalars(select(AmendmentTask).order_by(AmendmentTask.id)).all()
    assert [t.status for t in reopened] == ["open", "open"]
    assert "still holds Amy" in reopened[0].reopened_note
    assert "still holds nothing" in reopened[1].reopened_note

    # Week 51: nothing changed in a new way, so nothing is asked again.
    s51 = refresh_reports(session, YEAR, 51)
    assert s51.decisions_carried == 3
    publish_reports(session, [_report(session, 51)], officer)
    assert _open(session, 51) == (3, 3)
    assert session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "decision.carried")) is not None

    # The fixes: the officer completes the tasks again, ONE's extract now holds them, and
    # the school has changed SIMS.
    for t in reopened:
        complete_task(session, t.id, officer)
    import_csv(session, school.laestab, [{**AMY, "forename": "Amie"},
                                         {**BEN, "dob": "2015-03-05"},
                                         {**CAL, "leave_date": "2025-12-18"}])
    import_ctf(session, school.laestab, [{**AMY, "forename": "Amie"},
                                         {**BEN, "dob": "2015-03-05"}])
    session.expire_all()
    assert all(t.verified_at is not None and t.status == "done"
               for t in session.scalars(select(AmendmentTask)))
    item = session.scalar(select(SimsItem))
    assert item.status == "amended" and item.checked_batch_id is not None
    sims = build_report_view(session, _report(session, 50)).sims_tasks
    assert [t.done for t in sims if t.done] and sims[0].done.startswith("Done: shown by")

    # January: week 2 follows week 51 by date; everything has settled, nobody is asked
    # about the leaver again.
    s2 = refresh_reports(session, YEAR, 2)
    assert s2.items_open == 0
    assert report_weeks(session, school.la_id, YEAR) == [49, 50, 51, 2]
    assert current_week(session, school.la_id, date(2026, 1, 8)) == (YEAR, 2)
    # A draft compared for a later week does not move where the LA's pages open.
    refresh_reports(session, YEAR, 30, school_ids=[school.id])
    assert current_week(session, school.la_id, date(2026, 1, 8)) == (YEAR, 2)


def test_an_item_whose_values_changed_is_asked_again(session):
    school = make_school(session)
    staff = make_user(session, school=school)
    officer = make_user(session, role="la_officer")
    import_ctf(session, school.laestab, [{**AMY, "forename": "Amie"}])
    import_csv(session, school.laestab, [AMY])
    refresh_reports(session, YEAR, 50)
    publish_reports(session, [_report(session, 50)], officer)
    _decide(session, _diff(session, _report(session, 50), UA, "field", "forename"), staff,
            "school")
    import_ctf(session, school.laestab, [{**AMY, "forename": "Aimee"}])  # changed again
    s = refresh_reports(session, YEAR, 51)
    assert s.decisions_carried == 0
    d = _diff(session, _report(session, 51), UA, "field", "forename")
    assert d.choice is None and d.school_value == "Aimee"


def test_a_duplicate_upn_the_la_says_it_corrected_is_checked_by_the_next_extract(session):
    school = make_school(session)
    staff = make_user(session, school=school)
    officer = make_user(session, role="la_officer")
    import_ctf(session, school.laestab, [AMY, BEN])
    twin = {**BEN, "upn": UA}  # ONE holds Ben under Amy's UPN as well
    import_csv(session, school.laestab, [AMY, twin])
    refresh_reports(session, YEAR, 50)
    report = _report(session, 50)
    publish_reports(session, [report], officer)
    dup = session.scalar(select(Difference).where(
        Difference.report_id == report.id, Difference.kind == "anomaly",
        Difference.field_key.like("upn_duplicate%")))
    assert dup is not None and dup.side == "la"
    for d in session.scalars(select(Difference).where(Difference.report_id == report.id,
                                                      Difference.status == "open")).all():
        choice = {"anomaly": "la_to_fix", "new_to_la": "not_on_roll",
                  "not_at_school": "still_on_roll"}.get(d.kind, "la")
        _decide(session, d, staff, choice)
    send_report(session, report, staff)
    receive_report(session, report, officer)
    task = session.scalar(select(AmendmentTask).where(AmendmentTask.kind == "anomaly"))
    complete_task(session, task.id, officer)
    import_csv(session, school.laestab, [AMY, {**twin, "surname": "Bakers"}])  # still two
    session.refresh(task)
    assert task.status == "open" and "on 2 pupils" in task.reopened_note
    assert "still holds" in task.reopened_note  # back to the LA, not asked of the school
