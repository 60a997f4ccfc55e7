"""The LA pages: access, the dashboard, publishing, reminders, receiving, the queue (with
and without htmx) and a report's history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import (
    HX,
    WEEK,
    YEAR,
    la_record,
    make_school,
    make_user,
    many_tasks,
    published_seed_report,
    received_seed_report,
    sent_seed_report,
)
from webapp.models import (
    AmendmentTask,
    AuditEntry,
    OutboundEmail,
    Report,
    ReportSubmission,
)
from webapp.models.base import utcnow


def csrf_token(client) -> str:
    page = client.get("/la/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _la_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("la."):
            values = {a: 1 for a in rule.arguments}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, values


def test_every_la_route_refuses_anonymous_and_school_users(app, client, session, login_as):
    from flask import url_for

    school = make_school(session)
    staff = make_user(session, school=school)
    with app.test_request_context():
        urls = [(m, url_for(r.endpoint, **v)) for r, m, v in _la_rules(app)]
    assert len(urls) >= 14
    app.config["WTF_CSRF_ENABLED"] = False  # the refusal, not the CSRF check, is tested
    for method, url in urls:
        r = client.open(url, method=method)
        assert r.status_code in (302, 401), (method, url, r.status_code)
        if r.status_code == 302:
            assert "/la" not in r.headers["Location"].split("?")[0]
    login_as(staff)
    for method, url in urls:
        r = client.open(url, method=method)
        assert r.status_code in (403, 404), (method, url, r.status_code)


def test_an_officer_of_another_la_cannot_see_a_report(client, session, login_as):
    report, staff, officer, _ = received_seed_report(session)
    other = make_school(session, estab="5555", name="Elsewhere", la_number="887")
    outsider = make_user(session, role="la_officer", school=None, email="x@887.test")
    outsider.la_id = other.la_id
    session.commit()
    login_as(outsider)
    assert client.get(f"/la/reports/{report.id}").status_code == 404
    task_id = session.scalar(select(AmendmentTask.id))
    token = csrf_token(client)
    r = client.post(f"/la/tasks/{task_id}/complete", data={"csrf_token": token})
    assert r.status_code == 404
    assert session.get(AmendmentTask, task_id).status == "open"


def test_dashboard_shows_states_counts_and_overdue_with_reminder(client, session, login_as):
    report, staff, officer = published_seed_report(session)
    draft_school = make_school(session, estab="4444", name="Draft School")
    session.add(Report(school_id=draft_school.id, academic_year=YEAR, week=WEEK))
    report.published_at = utcnow() - timedelta(days=9)
    session.commit()
    login_as(officer)
    page = client.get(f"/la/?year={YEAR}&week={WEEK}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1111 Green Abbey School" in html and "4444 Draft School" in html
    assert "Not published <strong>1</strong>" in html
    assert "Published <strong>1</strong>" in html
    assert "app-row--overdue" in html and "Send reminder" in html
    only = client.get(f"/la/?year={YEAR}&week={WEEK}&state=not_published").get_data(
        as_text=True)
    assert "4444 Draft School" in only and "1111 Green Abbey School" not in only
    overdue = client.get(f"/la/?year={YEAR}&week={WEEK}&state=overdue").get_data(as_text=True)
    assert "1111 Green Abbey School" in overdue and "4444 Draft School" not in overdue

    r = client.post("/la/remind", data={"csrf_token": csrf_token(client),
                                        "report_id": report.id, "year": YEAR, "week": WEEK})
    assert r.status_code == 302
    emails = session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "reminder"))
    assert {e.recipient for e in emails} == {"headteacher@1111.test", "office@1111.test"}
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "report.reminder", AuditEntry.actor_id == officer.id)) == 1
    assert "Reminded " in client.get(f"/la/?year={YEAR}&week={WEEK}").get_data(as_text=True)


def test_publish_chosen_schools_from_the_web_queues_emails(client, session, login_as):
    officer = make_user(session, role="la_officer")
    ids = []
    for estab in ("6001", "6002", "6003"):
        s = make_school(session, estab=estab, name=f"School {estab}")
        s.contact_email = f"head@{estab}.test"
        session.add(Report(school_id=s.id, academic_year=YEAR, week=WEEK))
        ids.append(s.id)
    session.commit()
    login_as(officer)
    token = csrf_token(client)
    r = client.post("/la/publish", data={"csrf_token": token, "year": YEAR, "week": WEEK,
                                         "school_id": ids[:2]})
    assert r.status_code == 302
    statuses = dict(session.execute(select(Report.school_id, Report.status)).all())
    assert [statuses[i] for i in ids] == ["published", "published", "draft"]
    assert sorted(session.scalars(select(OutboundEmail.recipient))) == [
        "head@6001.test", "head@6002.test"]
    page = client.get(f"/la/?year={YEAR}&week={WEEK}").get_data(as_text=True)
    assert "Published 2 reports" in page
    assert 'id="mail-progress"' in page and 'hx-trigger="every 2s"' in page
    frag = client.get("/la/mail", headers=HX)
    assert "<html" not in frag.get_data(as_text=True) and "0</strong> of 2 sent" in \
        frag.get_data(as_text=True)
    r = client.post("/la/publish", data={"csrf_token": token, "year": YEAR, "week": WEEK,
                                         "all": "1"})
    assert session.scalar(select(func.count()).select_from(Report).where(
        Report.status == "published")) == 3


def test_receive_from_the_report_page_and_the_school_sees_it(client, session, login_as):
    report, staff, officer = sent_seed_report(session)
    login_as(officer)
    page = client.get(f"/la/reports/{report.id}").get_data(as_text=True)
    assert "Mark as received" in page
    r = client.post(f"/la/reports/{report.id}/receive",
                    data={"csrf_token": csrf_token(client)})
    assert r.status_code == 303
    session.expire_all()
    sub = session.scalar(select(ReportSubmission))
    assert sub.received_by_id == officer.id and report.status == "received"
    page = client.get(f"/la/reports/{report.id}").get_data(as_text=True)
    assert "Mark as received" not in page and "Olive Officer" in page
    pdf = re.search(r'href="([^"]+report\.pdf)"', page).group(1)
    r = client.get(pdf)
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert "Amendment tasks (3 open of 3)" in page
    # Receiving twice is refused politely.
    r = client.post(f"/la/reports/{report.id}/receive",
                    data={"csrf_token": csrf_token(client)}, follow_redirects=True)
    assert "can be marked as received" in r.get_data(as_text=True)
    history = client.get(f"/la/reports/{report.id}/history").get_data(as_text=True)
    for action in ("Published to the school", "Sent to the LA by the school",
                   "Received by the LA"):
        assert action in history
    assert "Forename, Joe Bloggs" in history  # what each decision was about


def test_queue_lists_oldest_first_and_filters(client, session, login_as):
    report, staff, officer, _ = received_seed_report(session)
    login_as(officer)
    html = client.get("/la/tasks").get_data(as_text=True)
    assert "3 open tasks" in html
    assert html.index("Joseph") < html.index("James")  # in the order they were made
    only_dob = client.get("/la/tasks?field=dob").get_data(as_text=True)
    assert "23/09/2007" in only_dob and "Joseph" not in only_dob
    assert "No tasks match" in client.get("/la/tasks?assignee=me").get_data(as_text=True)
    assert "No tasks match" in client.get(f"/la/tasks?week={WEEK + 1}").get_data(as_text=True)


def test_complete_one_with_htmx_returns_the_row_and_the_counter(client, session, login_as):
    report, staff, officer, _ = received_seed_report(session)
    login_as(officer)
    token = csrf_token(client)
    joe = session.scalar(select(AmendmentTask).where(AmendmentTask.new_value == "Joe"))
    r = client.post(f"/la/tasks/{joe.id}/complete", data={"csrf_token": token}, headers=HX)
    assert r.status_code == 200 and "HX-Request" in r.headers["Vary"]
    html = r.get_data(as_text=True)
    assert "<html" not in html and f'id="task-{joe.id}"' in html and "Done" in html
    assert 'id="open-count" hx-swap-oob="true">2 open tasks' in html
    assert la_record(session, report.school_id, "10001").forename == "Joe"
    # Without htmx: the same action redirects back to the queue.
    other = session.scalar(select(AmendmentTask).where(AmendmentTask.status == "open"))
    r = client.post(f"/la/tasks/{other.id}/complete", data={"csrf_token": token})
    assert r.status_code == 303 and "/la/tasks" in r.headers["Location"]


def test_assign_and_bulk_complete_with_htmx_close_the_report(client, session, login_as):
    report, staff, officer, _ = received_seed_report(session)
    login_as(officer)
    token = csrf_token(client)
    ids = list(session.scalars(select(AmendmentTask.id)))
    r = client.post(f"/la/tasks/{ids[0]}/assign", data={"csrf_token": token}, headers=HX)
    assert r.status_code == 200 and "You" in r.get_data(as_text=True)
    mine = client.get("/la/tasks?assignee=me").get_data(as_text=True)
    assert "1 task" in mine
    r = client.post("/la/tasks/complete", data={"csrf_token": token, "task_id": ids,
                                                "status": "open"}, headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert 'id="task-rows"' in html and "3 amendments made in ONE" in html
    assert "No tasks match" in html and 'hx-swap-oob="true">0 open tasks' in html
    session.expire_all()
    assert session.get(Report, report.id).status == "closed"


def test_reject_needs_a_reason_and_the_school_sees_it(client, session, login_as):
    report, staff, officer, _ = received_seed_report(session)
    login_as(officer)
    token = csrf_token(client)
    task = session.scalar(select(AmendmentTask).where(AmendmentTask.new_value == "Jamie"))
    form = client.get(f"/la/tasks/{task.id}/reject", headers=HX)
    assert form.status_code == 200 and "<textarea" in form.get_data(as_text=True)
    r = client.post(f"/la/tasks/{task.id}/reject", data={"csrf_token": token, "reason": ""},
                    headers=HX)
    assert r.status_code == 422
    assert "Enter why the LA is not making this change" in r.get_data(as_text=True)
    r = client.post(f"/la/tasks/{task.id}/reject",
                    data={"csrf_token": token, "reason": "Certificate says James"},
                    headers=HX)
    assert r.status_code == 200 and "Rejected" in r.get_data(as_text=True)
    session.expire_all()
    assert session.get(AmendmentTask, task.id).rejected_reason == "Certificate says James"
    # Without JavaScript: the full page, with the GOV.UK error summary.
    other = session.scalar(select(AmendmentTask).where(AmendmentTask.status == "open"))
    page = client.post(f"/la/tasks/{other.id}/reject", data={"csrf_token": token})
    assert page.status_code == 422
    assert "There is a problem" in page.get_data(as_text=True)
    assert "<title>Error:" in page.get_data(as_text=True)


@pytest.mark.parametrize("n", [120])
def test_queue_paginates(client, session, login_as, n):
    report, officer = many_tasks(session, n)
    login_as(officer)
    first = client.get("/la/tasks").get_data(as_text=True)
    assert f"{n} tasks, page 1 of 3" in first and 'rel="next"' in first
    last = client.get("/la/tasks?page=3").get_data(as_text=True)
    assert last.count('class="govuk-table__row app-task"') == n - 100


def test_school_sees_the_receipt_at_once_in_previously_sent(app, session, login_as):
    report, staff, officer = sent_seed_report(session)
    la_client, school_client = app.test_client(), app.test_client()
    with school_client.session_transaction() as s:
        s["_user_id"] = staff.get_id()
    before = school_client.get("/school/sent").get_data(as_text=True)
    assert "Not yet received" in before and "Recall" in before
    with la_client.session_transaction() as s:
        s["_user_id"] = officer.get_id()
    la_client.post(f"/la/reports/{report.id}/receive", data={"csrf_token": csrf_token(la_client)})
    after = school_client.get("/school/sent").get_data(as_text=True)
    assert "Not yet received" not in after and "by Olive Officer" in after
    assert ">Recall" not in after


def test_two_officers_posting_complete_at_once_make_one_amendment(app, session):
    import threading

    report, staff, officer, _ = received_seed_report(session)
    second = make_user(session, role="la_officer", email="second@la.test", name="Second")
    task_id = session.scalar(select(AmendmentTask.id).where(AmendmentTask.new_value == "Joe"))
    clients = []
    for user in (officer, second):
        c = app.test_client()
        with c.session_transaction() as s:
            s["_user_id"] = user.get_id()
        clients.append((c, csrf_token(c)))
    session.close()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post(c, token):
        barrier.wait()
        r = c.post(f"/la/tasks/{task_id}/complete", data={"csrf_token": token}, headers=HX)
        statuses.append(r.status_code)

    threads = [threading.Thread(target=post, args=ct) for ct in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [200, 200]
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "task.done")) == 1
    assert la_record(session, report.school_id, "10001").forename == "Joe"


def test_bulk_complete_500_from_the_queue_in_one_request(client, session, login_as):
    report, officer = many_tasks(session, 500)
    login_as(officer)
    ids = list(session.scalars(select(AmendmentTask.id)))
    r = client.post("/la/tasks/complete", data={"csrf_token": csrf_token(client),
                                                "task_id": ids, "status": "open"}, headers=HX)
    assert r.status_code == 200 and "500 amendments made in ONE" in r.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(AmendmentTask).where(
        AmendmentTask.status == "done")) == 500
    session.expire_all()
    assert session.get(Report, report.id).status == "closed"


def test_bulk_action_with_a_task_it_cannot_see_is_refused_whole(client, session, login_as):
    report, staff, officer, _ = received_seed_report(session)
    mine = list(session.scalars(select(AmendmentTask.id)))
    login_as(officer)
    r = client.post("/la/tasks/complete", data={"csrf_token": csrf_token(client),
                                                "task_id": mine + [999999]})
    assert r.status_code == 404
    assert set(session.scalars(select(AmendmentTask.status))) == {"open"}


def test_retry_gives_unsent_emails_fresh_attempts(client, session, login_as):
    officer = make_user(session, role="la_officer")
    session.add(OutboundEmail(batch="b", kind="published", recipient="a@b.test", subject="s",
                              body="b", status="failed", attempts=6, last_error="refused"))
    session.commit()
    login_as(officer)
    assert "1 not sent yet" in client.get("/la/").get_data(as_text=True)
    r = client.post("/la/mail/retry", data={"csrf_token": csrf_token(client)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/la/")
    email = session.scalar(select(OutboundEmail))
    assert email.status == "queued" and email.attempts == 0
