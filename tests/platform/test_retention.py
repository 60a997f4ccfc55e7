"""Retention: sent copies go after 30 days, old reports after the retention period,
the audit log stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.factories import JOE, import_csv, import_ctf, make_user
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.models import AuditEntry, Difference, Report, ReportSubmission
from webapp.platform.retention import purge


def test_purge_copies_old_reports_and_keeps_audit(session, runner):
    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}])
    refresh_reports(session, 2021, 10)
    refresh_reports(session, 2026, 10)
    user = make_user(session, school=session.scalar(select(Report)).school)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    recent = session.scalar(select(Report).where(Report.academic_year == 2026))
    session.add_all([
        ReportSubmission(report_id=recent.id, sent_by_id=user.id, snapshot="{}",
                         sent_at=now - timedelta(days=31)),
        ReportSubmission(report_id=recent.id, sent_by_id=user.id, snapshot="{}",
                         sent_at=now - timedelta(days=3)),
    ])
    session.commit()
    audit_before = session.scalar(select(func.count(AuditEntry.id)))
    r = purge(session, now=now)
    assert (r.copies, r.reports) == (1, 1)
    assert [y for (y,) in session.execute(select(Report.academic_year))] == [2026]
    assert session.scalar(select(func.count(Difference.id))) == 1  # the 2021 one went too
    kept = sorted(s.snapshot is not None for s in session.scalars(select(ReportSubmission)))
    assert kept == [False, True]
    assert session.scalar(select(func.count(AuditEntry.id))) == audit_before + 1


def test_purge_cli(runner):
    r = runner.invoke(args=["b2b", "purge"])
    assert r.exit_code == 0 and "copies" in r.output
