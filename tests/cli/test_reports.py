"""Re-running the comparison: identities kept, gone differences resolved by data."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.factories import JOE, import_csv, import_ctf, pupil
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.models import AuditEntry, Difference


def test_gone_difference_is_resolved_not_deleted(session):
    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}])
    refresh_reports(session, 2025, 10)
    (d,) = session.scalars(select(Difference)).all()
    assert (d.field_key, d.status) == ("forename", "open")
    import_csv(session, "8861111", [JOE])  # the LA corrected ONE
    s = refresh_reports(session, 2025, 10)
    assert s.items_resolved == 1
    session.refresh(d)
    assert d.status == "resolved_by_data" and d.resolved_at is not None
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}])
    refresh_reports(session, 2025, 10)
    session.refresh(d)
    assert d.status == "open"
    assert session.query(Difference).count() == 1


def test_decision_kept_when_values_same_and_cleared_with_audit_when_they_change(session):
    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}])
    refresh_reports(session, 2025, 10)
    d = session.scalar(select(Difference))
    d.choice = "la"
    session.commit()
    import_ctf(session, "8861111", [{**JOE, "surname": "Bloggs "}])  # same after folding
    refresh_reports(session, 2025, 10)
    session.refresh(d)
    assert d.choice == "la"
    import_ctf(session, "8861111", [{**JOE, "forename": "Jo"}])
    refresh_reports(session, 2025, 10)
    session.refresh(d)
    assert d.choice is None and d.school_value == "Jo"
    assert session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "decision.cleared_by_data")) is not None


def test_reports_json_lists_counts(session, runner):
    import_ctf(session, "8861111", [JOE, pupil("L886111110002", "Smith", "Ann", "2007-01-01",
                                               "F")])
    import_csv(session, "8861111", [{**JOE, "dob": "2006-01-27"}])
    assert runner.invoke(args=["b2b", "compare", "--week", "5", "--year", "2025"]).exit_code == 0
    r = runner.invoke(args=["b2b", "reports", "--week", "5", "--year", "2025", "--json"])
    (row,) = json.loads(r.output)
    # Both pupils are printed (Ann only in the school's data): the page and PDF say 2 too.
    assert (row["laestab"], row["differences"], row["unmatched"], row["records_printed"]) == \
        ("8861111", 1, 1, 2)
    report = json.loads(runner.invoke(args=["b2b", "report", "8861111", "--week", "5",
                                            "--year", "2025", "--json"]).output)
    assert report["unmatched"]["school_only"][0]["upn"] == "L886111110002"
    assert report["unmatched"]["la_only"] == []


def test_report_for_unknown_school_is_a_clear_error(runner):
    r = runner.invoke(args=["b2b", "report", "9999999", "--week", "5"])
    assert r.exit_code != 0 and "No school with LAESTAB 9999999" in r.output
