"""What schools are told about their reports, and who is told: each email's words and its
recipients. A link, never pupil data; the sending is ``webapp.platform.mail``'s."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from webapp.b2b.review.wording import closing_lead
from webapp.models import AmendmentTask, OutboundEmail, Report, School, User
from webapp.platform.mail import email_rows, external_url


def school_link(report_id: int | None = None) -> str:
    """Where a school's email points: the report, or the school's documents."""
    if report_id is not None:
        return external_url("school.report", report_id=report_id)
    return external_url("school.home")


def report_email(report: Report, kind: str, la_name: str, link: str,
                 outcome: tuple[int, int] = (0, 0)) -> tuple[str, str]:
    """Subject and body of a notification about a report. A link, never pupil data:
    a closed report's email says how many changes were made in ONE and how many were not
    (``outcome``: amended, rejected), and the report itself says which and why."""
    school = report.school
    doc = report.document_name
    where = f"{school.estab} {school.name}"
    if kind == "published":
        subject = f"New B2B document for {where}: {doc}"
        lead = (f"A new document has been made available for your school by {la_name}'s "
                f"Management Information team:\n\n  {doc} (week {report.week}, "
                f"{report.academic_year_label})\n\nPlease check it and send it back.")
    elif kind == "reminder":
        subject = f"Reminder: {doc} for {where} is waiting for you"
        lead = (f"{doc} (week {report.week}, {report.academic_year_label}) has not yet been "
                f"sent back to {la_name}. Please check it and send it back as soon as you "
                "can.")
    elif kind == "closed":
        subject = f"{doc} for {where} is closed"
        lead = closing_lead(la_name, f"{doc} (week {report.week}, "
                                     f"{report.academic_year_label})", *outcome)
    else:
        raise ValueError(f"unknown email kind {kind!r}")
    body = (f"{lead}\n\nSign in to see it:\n{link}\n\n"
            "This email does not contain pupil data. If it reached you through a shared "
            "mailbox, please forward it to the colleague who handles B2B reports.\n\n"
            f"Management Information, {la_name}\n")
    return subject, body


def report_email_rows(report: Report, kind: str, batch: str, recipients: list[str],
                      outcome: tuple[int, int] = (0, 0)) -> list[dict[str, object]]:
    la_name: str = current_app.config.get("B2B_LA_NAME") or report.school.la.name
    subject, body = report_email(report, kind, la_name, school_link(report.id), outcome)
    return email_rows(recipients=recipients, subject=subject, body=body, kind=kind,
                      batch=batch, school_id=report.school_id, report_id=report.id)


def queue_report_email(session: Session, report: Report, kind: str, batch: str,
                       recipients: list[str] | None = None) -> int:
    """Queue a notification about ``report`` to every named contact of its school."""
    return queue_report_emails(session, [report], kind, batch,
                               None if recipients is None else {report.school_id: recipients})


def queue_report_emails(session: Session, reports: Iterable[Report], kind: str, batch: str,
                        recipients: dict[int, list[str]] | None = None) -> int:
    """:func:`queue_report_email` for many reports, in one insert."""
    reports = list(reports)
    if recipients is None:
        recipients = recipients_by_school(session, [r.school for r in reports])
    outcomes = task_outcomes(session, [r.id for r in reports]) if kind == "closed" else {}
    rows = [row for r in reports
            for row in report_email_rows(r, kind, batch, recipients.get(r.school_id, []),
                                         outcomes.get(r.id, (0, 0)))]
    if rows:
        session.execute(insert(OutboundEmail), rows)
    return len(rows)


def task_outcomes(session: Session, report_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(amended, rejected) amendment tasks per report, in one query."""
    out: dict[int, tuple[int, int]] = {}
    if not report_ids:
        return out
    for rid, status, n in session.execute(
            select(AmendmentTask.report_id, AmendmentTask.status, func.count())
            .where(AmendmentTask.report_id.in_(report_ids),
                   AmendmentTask.status.in_(("done", "rejected")))
            .group_by(AmendmentTask.report_id, AmendmentTask.status)).tuples():
        amended, rejected = out.get(rid, (0, 0))
        out[rid] = (amended + n, rejected) if status == "done" else (amended, rejected + n)
    return out


def recipients_by_school(session: Session, schools: Iterable[School]) -> dict[int, list[str]]:
    """Every named contact of each school, in one query: its contact address and each
    active school user, compared case-insensitively so nobody gets the same email twice."""
    schools = list(schools)
    out: dict[int, dict[str, str]] = {}
    for s in schools:
        out[s.id] = {}
        if s.contact_email:
            out[s.id][s.contact_email.strip().lower()] = s.contact_email.strip()
    if schools:
        for sid, email in session.execute(select(User.school_id, User.email).where(
                User.school_id.in_([s.id for s in schools]), User.role == "school",
                User.active.is_(True)).order_by(User.id)):
            out[sid].setdefault(email.strip().lower(), email.strip())
    return {sid: list(v.values()) for sid, v in out.items()}
