"""Email over real SMTP (aiosmtpd on loopback) through the real huey queue, run by a
consumer thread: recipients, subject, link, no pupil data, outages and recovery."""

from __future__ import annotations

import email
import time
from collections import Counter
from email.policy import default as default_policy

import pytest
from huey.storage import RedisStorage
from sqlalchemy import select

from tests.factories import WEEK, YEAR, import_ctf, make_school, make_user, wait_for
from webapp.b2b.la_desk import publish, reports_for_week, send_reminders
from webapp.demo.synth import SEED_PUPILS_SCHOOL
from webapp.models import OutboundEmail, Report
from webapp.platform import jobs
from webapp.platform.mail import batch_ids, deliver, progress
from webapp.tasks import email as email_tasks

PUPIL_WORDS = ("Bloggs", "Joseph", "Davids", "R886111110001")


def _schools(session, n: int):
    """``n`` schools with a contact address, two staff accounts each (one inactive), and
    a draft report for the week."""
    officer = make_user(session, role="la_officer", email="officer@la.test")
    for i in range(n):
        estab = f"{3000 + i}"
        school = make_school(session, estab=estab, name=f"School {estab}")
        school.contact_email = f"headteacher@{estab}.test"
        make_user(session, school=school, email=f"office@{estab}.test")
        gone = make_user(session, school=school, email=f"left@{estab}.test")
        gone.active = False
        session.add(Report(school_id=school.id, academic_year=YEAR, week=WEEK))
    session.commit()
    return officer


def _publish_all(session, officer):
    reports = reports_for_week(session, None, YEAR, WEEK)
    result = publish(session, reports, officer)
    return result, email_tasks.enqueue_emails(batch_ids(session, result.batch))


def test_publishing_emails_every_contact_a_link_and_no_pupil_data(session, smtp, consumer):
    smtp.start()
    officer = _schools(session, 3)
    # School 3001 holds the guidance's pupils: none of them may reach an email.
    import_ctf(session, "8863001", SEED_PUPILS_SCHOOL, name="School 3001")
    result, handed = _publish_all(session, officer)
    assert len(result.reports) == 3 and result.emails == 6 and handed == 6
    assert wait_for(lambda: progress(session, result.batch)["sent"] == 6)
    assert wait_for(lambda: len(smtp.inbox.messages) == 6)
    recipients = sorted(r for rcpts, _ in smtp.inbox.messages for r in rcpts)
    assert recipients == sorted([f"headteacher@{e}.test" for e in (3000, 3001, 3002)]
                                + [f"office@{e}.test" for e in (3000, 3001, 3002)])
    by_to = {rcpts[0]: msg for rcpts, msg in smtp.inbox.messages}
    msg = by_to["office@3001.test"]
    assert msg["Subject"] == "New B2B document for 3001 School 3001: B2BreportWeek17"
    assert msg["From"] == "management.information@example.org"
    body = msg.get_content()
    report = session.scalar(select(Report).join(Report.school).where(
        Report.school.has(estab="3001")))
    assert f"https://b2b.example.test/school/reports/{report.id}" in body
    for p in SEED_PUPILS_SCHOOL:
        for word in (p["upn"], p["surname"], p["forename"], p["dob"]):
            assert word not in body and word not in msg["Subject"]
    for word in PUPIL_WORDS:
        assert word not in body
    rows = session.scalars(select(OutboundEmail)).all()
    assert {r.status for r in rows} == {"sent"} and {r.attempts for r in rows} == {1}


def test_smtp_outage_then_recovery_delivers_every_message_exactly_once(session, smtp,
                                                                      consumer):
    officer = _schools(session, 4)  # the SMTP server is not running yet
    result, handed = _publish_all(session, officer)
    assert handed == 8
    assert wait_for(lambda: progress(session, result.batch)["failed"] == 8)
    failed = session.scalars(select(OutboundEmail)).all()
    assert all(r.last_error and r.attempts >= 1 for r in failed)
    smtp.start()  # the mail server comes back; the scheduled retries go out
    assert wait_for(lambda: progress(session, result.batch)["sent"] == 8, timeout=30)
    time.sleep(1.5)  # any duplicate would have arrived by now
    counts = Counter(r for rcpts, _ in smtp.inbox.messages for r in rcpts)
    assert len(counts) == 8 and set(counts.values()) == {1}
    assert all(r.sent_at is not None for r in session.scalars(select(OutboundEmail)))


def test_queue_outage_leaves_messages_queued_and_the_sweep_sends_them_once(
        app, session, smtp, runner):
    smtp.start()
    officer = _schools(session, 2)
    jobs.use_app(app)
    jobs.bind_storage(app)
    working = jobs.huey.storage
    jobs.huey.storage = RedisStorage(jobs.NAME, url="redis://127.0.0.1:1/0")  # nothing there
    try:
        result, handed = _publish_all(session, officer)
        # Publishing still worked; nothing was lost, only not handed over.
        assert len(result.reports) == 2 and handed == 0
        assert progress(session, result.batch)["queued"] == 4
        reminded = send_reminders(session, result.reports, officer)
        assert email_tasks.enqueue_emails(batch_ids(session, reminded.batch)) == 0
    finally:
        jobs.huey.storage = working
    # The queue is back: the sweep hands over everything waiting and a worker sends it.
    c = jobs.huey.create_consumer(workers=1, worker_type="thread", periodic=False,
                                  initial_delay=0.05, max_delay=0.2,
                                  check_worker_health=False)
    c._set_signal_handlers = lambda: None
    c.start()
    try:
        assert email_tasks.requeue_due() == 8
        assert wait_for(lambda: progress(session)["sent"] == 8)
    finally:
        c.stop(graceful=True)
        jobs.use_app(None)
    counts = Counter((r, m["Subject"]) for rcpts, m in smtp.inbox.messages for r in rcpts)
    assert len(counts) == 8 and set(counts.values()) == {1}
    # Sending the same ids again (a duplicate job) sends nothing more.
    ids = list(session.scalars(select(OutboundEmail.id)))
    assert deliver(session, ids) == {"sent": [], "failed": []}
    assert len(smtp.inbox.messages) == 8


def test_task_function_called_directly_sends_over_smtp(session, smtp):
    smtp.start()
    officer = _schools(session, 1)
    result = publish(session, reports_for_week(session, None, YEAR, WEEK), officer)
    ids = batch_ids(session, result.batch)
    assert email_tasks.send_emails.call_local(ids) is None  # huey keeps no result
    assert progress(session, result.batch)["sent"] == 2
    assert email_tasks.send_now(ids) == {"sent": [], "failed": []}  # nothing sent twice
    assert sorted(r for rcpts, _ in smtp.inbox.messages for r in rcpts) == [
        "headteacher@3000.test", "office@3000.test"]


def test_without_a_mail_server_messages_go_to_the_outbox_folder(app, session, tmp_path):
    officer = _schools(session, 1)
    result = publish(session, reports_for_week(session, None, YEAR, WEEK), officer)
    out = deliver(session, batch_ids(session, result.batch))
    assert len(out["sent"]) == 2
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    msg = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert "B2BreportWeek17" in msg["Subject"]


def test_redis_url_selects_redis_storage_and_a_consumer_drains_it(app, session, smtp,
                                                                  monkeypatch, worker_id):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    made = jobs._make_huey()
    assert type(made).__name__ == "RedisHuey"
    smtp.start()
    officer = _schools(session, 1)
    jobs.use_app(app)
    original = jobs.huey.storage
    jobs.huey.storage = RedisStorage(f"b2b-test-{worker_id}-{time.time_ns()}",
                                     url="redis://127.0.0.1:6379/0")
    c = jobs.huey.create_consumer(workers=1, worker_type="thread", periodic=False,
                                  initial_delay=0.05, max_delay=0.2,
                                  check_worker_health=False)
    c._set_signal_handlers = lambda: None
    c.start()
    try:
        result, handed = _publish_all(session, officer)
        assert handed == 2
        assert wait_for(lambda: progress(session, result.batch)["sent"] == 2)
    finally:
        c.stop(graceful=True)
        jobs.huey.storage.flush_all()
        jobs.huey.storage = original
        jobs.use_app(None)
    assert len(smtp.inbox.messages) == 2


def test_an_email_carrying_a_upn_is_refused(session):
    from webapp.platform.mail import queue_email

    with pytest.raises(ValueError):
        queue_email(session, recipients=["a@b.test"], subject="x",
                    body="Pupil X886111110001 has changed", kind="published", batch="b")
