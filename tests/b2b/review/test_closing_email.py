"""The email that tells a school its report is closed (issue 17): how many changes were
made in ONE and how many were not, with the link; never which pupils (emails carry no
pupil data: the report page and the PDF say which, and why)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import received_seed_report, sent_seed_report
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.amendments.tasks import complete_tasks, reject_task
from webapp.b2b.review.wording import closing_lead
from webapp.models import AmendmentTask, Difference, OutboundEmail


def _closed_email(session, report) -> OutboundEmail:
    """The closing email (one row per recipient, all alike)."""
    emails = session.scalars(select(OutboundEmail).where(
        OutboundEmail.report_id == report.id, OutboundEmail.kind == "closed")).all()
    assert emails and len({e.body for e in emails}) == 1
    return emails[0]


def _pupil_words(session, report) -> set[str]:
    return {w for d in session.scalars(select(Difference).where(
        Difference.report_id == report.id))
        for w in (d.forename, d.surname, d.upn) if w}


def test_some_rejected_says_how_many_and_points_to_the_report(session):
    report, staff, officer, _ = received_seed_report(session)
    tasks = session.scalars(select(AmendmentTask).where(
        AmendmentTask.report_id == report.id).order_by(AmendmentTask.id)).all()
    reject_task(session, tasks[0].id, officer, "The birth certificate says otherwise")
    complete_tasks(session, [t.id for t in tasks[1:]], officer)
    body = _closed_email(session, report).body
    assert "2 changes were made in ONE; 1 was not: see the report for the reasons." in body
    assert "dealt with everything" not in body
    assert f"/school/reports/{report.id}" in body
    for word in _pupil_words(session, report):
        assert word not in body
    assert "birth certificate" not in body  # the reason is on the report, not in email


def test_everything_amended_says_so_with_the_count(session):
    report, staff, officer, _ = received_seed_report(session)
    ids = session.scalars(select(AmendmentTask.id).where(
        AmendmentTask.report_id == report.id)).all()
    complete_tasks(session, ids, officer)
    body = _closed_email(session, report).body
    assert "has dealt with everything in B2BreportWeek17" in body
    assert "3 changes were made in ONE." in body and "were not" not in body


def test_nothing_to_amend_says_nothing_changed(session):
    report, staff, officer = sent_seed_report(session)
    for t in session.scalars(select(Difference).where(Difference.report_id == report.id)):
        assert t.choice is not None
    # Every answer agreeing with ONE: no task, the report closes when received.
    session.execute(Difference.__table__.update().where(
        Difference.report_id == report.id, Difference.kind == "field").values(choice="la"))
    session.commit()
    result = receive_report(session, report, officer)
    assert result.closed
    body = _closed_email(session, report).body
    assert "there was nothing to change in ONE" in body


@pytest.mark.parametrize(("amended", "rejected", "words"), [
    (1, 0, "1 change was made in ONE."),
    (0, 1, "0 changes were made in ONE; 1 was not:"),
    (1, 2, "1 change was made in ONE; 2 were not:"),
])
def test_closing_lead_counts_in_words(amended, rejected, words):
    assert words in closing_lead("Kent", "B2BreportWeek17 (week 17, 2025/26)", amended,
                                 rejected)
