"""The drop folder and the weekly cycle, end to end with real SMTP on loopback."""

from __future__ import annotations

import os
import time

from sqlalchemy import func, select

from tests.factories import JOE, make_school, make_user, wait_for
from webapp.auth.api_tokens import create_token, token_for
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.uploads import receive_upload, scan_drop_folder
from webapp.models import CycleRun, OutboundEmail, PupilRecord, Report, Upload
from webapp.tasks.intake import run_cycle_now

XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hosts">]><x>&e;</x>'


def test_drop_folder_good_duplicate_and_hostile(session, tmp_path):
    tmp_path = tmp_path / "drop"
    good = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
    (tmp_path / "school").mkdir(parents=True)
    (tmp_path / "la").mkdir()
    (tmp_path / "school" / "green-abbey.xml").write_bytes(good)
    (tmp_path / "la" / "extract.csv").write_bytes(
        write_pupils_csv([{**JOE, "laestab": "8861111", "forename": "Joseph"}]))
    (tmp_path / "evil.xml").write_bytes(XXE)
    results = {r.file: r for r in scan_drop_folder(session, tmp_path, min_age_seconds=0)}
    assert results["green-abbey.xml"].outcome == "imported"
    assert results["extract.csv"].outcome == "imported"
    assert results["evil.xml"].outcome == "refused"
    assert (tmp_path / "processed" / "green-abbey.xml").exists()
    reason = (tmp_path / "refused" / "evil.xml.reason.txt").read_text()
    assert "DOCTYPE" in reason
    assert session.scalar(select(func.count(PupilRecord.id))) == 2
    # The same file dropped again is recognised and not imported twice.
    (tmp_path / "school" / "again.xml").write_bytes(good)
    (again,) = scan_drop_folder(session, tmp_path, min_age_seconds=0)
    assert again.outcome == "duplicate" and (tmp_path / "processed" / "again.xml").exists()


def test_drop_folder_waits_for_files_still_being_written(session, tmp_path):
    tmp_path = tmp_path / "drop"
    tmp_path.mkdir()
    (tmp_path / "new.xml").write_bytes(b"<CTfile>")
    assert scan_drop_folder(session, tmp_path, min_age_seconds=60) == []
    old = time.time() - 120
    os.utime(tmp_path / "new.xml", (old, old))
    (r,) = scan_drop_folder(session, tmp_path, min_age_seconds=60)
    assert r.outcome == "refused"


def _setup(session, auto_publish: bool):
    school = make_school(session)
    school.la.auto_publish = auto_publish
    school.contact_email = "office@1111.test"
    make_user(session, role="la_officer", email="officer@la.test")
    session.commit()
    sch_token = token_for(session, create_token(session, la=school.la, school=school,
                                                label="SIMS", actor="t")[1])
    la_token = token_for(session, create_token(session, la=school.la, school=None,
                                               label="ONE", actor="t")[1])
    receive_upload(session, sch_token, write_ctf(laestab="8861111", school_name="Green Abbey",
                                                 pupils=[JOE]), "sims.xml")
    receive_upload(session, la_token, write_pupils_csv(
        [{**JOE, "laestab": "8861111", "forename": "Joseph"}]), "one.csv")
    return school


def test_full_cycle_upload_to_published_report_and_email(session, app, smtp, consumer):
    smtp.start()
    _setup(session, auto_publish=True)
    run = run_cycle_now(academic_year=2025, week=20, trigger="test")
    assert run.status == "done"
    assert run.steps["uploads_imported"] == 2 and run.steps["published"] == 1
    report = session.scalar(select(Report).where(Report.week == 20))
    assert report.status == "published"
    assert wait_for(lambda: len(smtp.inbox.messages) >= 1)
    rcpts, msg = smtp.inbox.messages[0]
    assert rcpts == ["office@1111.test"]
    assert "Bloggs" not in msg.get_body().get_content()
    # Run again after (say) a failure: nothing doubles.
    again = run_cycle_now(academic_year=2025, week=20, trigger="test")
    assert again.steps.get("published") == 0
    session.rollback()
    assert session.scalar(select(func.count(Report.id))) == 1
    assert session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "published")) == 1
    assert session.scalar(select(func.count(CycleRun.id))) == 2
    assert set(session.scalars(select(Upload.status))) == {"imported"}


def test_cycle_without_auto_publish_leaves_drafts_and_tells_the_la(session, app, smtp, consumer):
    smtp.start()
    _setup(session, auto_publish=False)
    run = run_cycle_now(academic_year=2025, week=21, trigger="test")
    assert run.steps["drafts_waiting"] == 1
    assert session.scalar(select(Report.status)) == "draft"
    assert wait_for(lambda: any(r == ["officer@la.test"] for r, _ in smtp.inbox.messages))
    subject = next(m["Subject"] for r, m in smtp.inbox.messages if r == ["officer@la.test"])
    assert "week 21" in subject and "ready to publish" in subject


def test_cli_token_create_list_revoke(runner, session):
    make_school(session)
    r = runner.invoke(args=["b2b", "token", "create", "8861111", "--label", "SIMS job"])
    assert r.exit_code == 0, r.output
    raw = [line for line in r.output.splitlines() if line.startswith("b2b_")][0]
    assert token_for(session, raw) is not None
    assert "b2b_" not in runner.invoke(args=["b2b", "token", "list"]).output.replace(
        raw[:12], "")
    assert runner.invoke(args=["b2b", "token", "create", "--la"]).exit_code == 0
    assert runner.invoke(args=["b2b", "token", "create"]).exit_code != 0
    assert runner.invoke(args=["b2b", "token", "revoke", "1"]).exit_code == 0
    session.expire_all()
    assert token_for(session, raw) is None
