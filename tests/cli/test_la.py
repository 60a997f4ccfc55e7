"""``flask b2b publish``, ``remind`` and ``tasks``."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from tests.factories import WEEK, YEAR, make_school, received_seed_report
from webapp.models import AmendmentTask, AuditEntry, OutboundEmail, Report
from webapp.models.base import utcnow


def _drafts(session, n=2):
    for i in range(n):
        s = make_school(session, estab=f"70{i:02d}", name=f"School 70{i:02d}")
        s.contact_email = f"head@70{i:02d}.test"
        session.add(Report(school_id=s.id, academic_year=YEAR, week=WEEK))
    session.commit()


def test_publish_command_publishes_and_queues_emails(runner, session):
    _drafts(session)
    r = runner.invoke(args=["b2b", "publish", "--week", str(WEEK), "--year", str(YEAR)])
    assert r.exit_code == 0, r.output
    assert "Published 2 of 2 reports" in r.output and "2 emails queued" in r.output
    assert "2 handed to the job worker" in r.output
    assert set(session.scalars(select(Report.status))) == {"published"}
    assert session.scalar(select(func.count()).select_from(OutboundEmail)) == 2
    assert set(session.scalars(select(AuditEntry.actor).where(
        AuditEntry.action == "report.published"))) == {"cli"}
    again = runner.invoke(args=["b2b", "publish", "--week", str(WEEK), "--year", str(YEAR)])
    assert "Published 0 of 2 reports for week 17 (2 already published)" in again.output
    missing = runner.invoke(args=["b2b", "publish", "--week", "3", "--year", str(YEAR)])
    assert missing.exit_code != 0 and "No reports for week 3" in missing.output


def test_publish_command_for_one_school(runner, session):
    _drafts(session)
    r = runner.invoke(args=["b2b", "publish", "--week", str(WEEK), "--year", str(YEAR),
                            "--school", "8867001"])
    assert r.exit_code == 0 and "Published 1 of 1" in r.output
    assert sorted(session.scalars(select(Report.status))) == ["draft", "published"]


def test_remind_command_only_chases_old_ones(runner, session):
    _drafts(session)
    runner.invoke(args=["b2b", "publish", "--week", str(WEEK), "--year", str(YEAR)])
    old = session.scalars(select(Report).order_by(Report.id)).first()
    old.published_at = utcnow() - timedelta(days=8)
    session.commit()
    r = runner.invoke(args=["b2b", "remind", "--week", str(WEEK), "--year", str(YEAR),
                            "--older-than", "7"])
    assert r.exit_code == 0, r.output
    assert "Reminded 1 school; 1 email queued" in r.output
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "report.reminder")) == 1
    none = runner.invoke(args=["b2b", "remind", "--week", str(WEEK), "--year", str(YEAR),
                               "--older-than", "30"])
    assert "No school has kept its week" in none.output


def test_tasks_command_lists_open_tasks_as_text_and_json(runner, session):
    received_seed_report(session)
    r = runner.invoke(args=["b2b", "tasks", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert len(rows) == 3 and {x["status"] for x in rows} == {"open"}
    assert {x["new_value"] for x in rows} == {"Joe", "Jamie", "2007-09-23"}
    assert rows == sorted(rows, key=lambda x: (x["created_at"], x["id"]))
    text = runner.invoke(args=["b2b", "tasks"])
    assert "'Joseph' -> 'Joe'" in text.output
    session.execute(AmendmentTask.__table__.update().values(status="done"))
    session.commit()
    assert "No amendment tasks." in runner.invoke(args=["b2b", "tasks"]).output
    done = json.loads(runner.invoke(args=["b2b", "tasks", "--status", "done", "--json"]).output)
    assert len(done) == 3
