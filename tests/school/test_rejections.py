"""A change the LA rejects is easy for the school to act on (issue 17): its notice, the
received and closed report page name the pupil, the item (the catalogue's label), the
LA's reason and what to do."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import received_seed_report
from webapp.b2b.amendments.tasks import complete_tasks, reject_task
from webapp.b2b.review.wording import REJECTION_ADVICE
from webapp.models import AmendmentTask, Notification

REASON = "The birth certificate says James"


def _jamie(session, report) -> AmendmentTask:
    return session.scalar(select(AmendmentTask).where(
        AmendmentTask.report_id == report.id, AmendmentTask.new_value == "Jamie"))


def _name(t: AmendmentTask) -> str:
    return f"{t.forename} {t.surname}"


def test_the_notice_names_pupil_item_reason_and_what_to_do(session, client, login_as):
    report, staff, officer, _ = received_seed_report(session)
    task = _jamie(session, report)
    reject_task(session, task.id, officer, REASON)
    notice = session.scalar(select(Notification.message).where(
        Notification.report_id == report.id, Notification.message.contains(REASON)))
    assert f"Forename for {_name(task)}" in notice
    assert f"The LA's reason: {REASON}" in notice
    assert notice.endswith(REJECTION_ADVICE)
    assert "forename:" not in notice.lower()  # not the old "Forename: <reason>"
    login_as(staff)
    home = client.get("/school/").get_data(as_text=True)
    assert f"Forename for {_name(task)}" in home and REJECTION_ADVICE in home


def test_received_and_closed_report_pages_list_the_rejections(session, client, login_as):
    report, staff, officer, _ = received_seed_report(session)
    task = _jamie(session, report)
    reject_task(session, task.id, officer, REASON)
    login_as(staff)
    received = client.get(f"/school/reports/{report.id}").get_data(as_text=True)
    assert report.status == "received"
    for page in (received,):
        assert "Changes the LA did not make" in page
    others = session.scalars(select(AmendmentTask.id).where(
        AmendmentTask.report_id == report.id, AmendmentTask.status == "open")).all()
    complete_tasks(session, others, officer)
    session.refresh(report)
    assert report.status == "closed"
    closed = client.get(f"/school/reports/{report.id}").get_data(as_text=True)
    table = closed[closed.index('id="rejections"'):]
    table = table[:table.index("</table>")]
    row = [c.strip() for c in table.split("<tbody")[1].split("<td")[1:]]
    assert [c.split(">", 1)[1].split("</td>")[0] for c in row] == [
        _name(task), "Forename", REASON, REJECTION_ADVICE.replace("'", "&#39;")]


def test_nothing_rejected_shows_no_rejections_section(session, client, login_as):
    report, staff, officer, _ = received_seed_report(session)
    login_as(staff)
    page = client.get(f"/school/reports/{report.id}").get_data(as_text=True)
    assert "Changes the LA did not make" not in page
