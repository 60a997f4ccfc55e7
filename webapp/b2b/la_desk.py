"""The LA team's side: publishing with email, the week's progress dashboard, reminders,
the amendment queue's filters and a report's history. No Flask request in here: the
views and the CLI both call these."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlalchemy import Row, Select, and_, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.b2b.amendments.tasks import open_task_counts
from webapp.b2b.review.emails import queue_report_emails, recipients_by_school
from webapp.b2b.review.history import actor_name
from webapp.b2b.review.lifecycle import publish_reports
from webapp.b2b.review.queries import report_counts
from webapp.b2b.weeks import week_of
from webapp.models import (
    AmendmentTask,
    AuditEntry,
    Notification,
    Report,
    ReportSubmission,
    School,
    SimsItem,
    User,
)
from webapp.models.base import utcnow
from webapp.platform.audit import record
from webapp.platform.mail import new_batch, queue_email

# -- publishing --------------------------------------------------------------------------

@dataclass
class SendResult:
    reports: list[Report]
    batch: str
    emails: int


def publish(session: Session, reports: Iterable[Report], officer: object) -> SendResult:
    """Publish draft reports and queue an email to every named contact of each school,
    in one transaction (so a published report always has its emails). Commits.

    The caller hands the batch to the job queue (``webapp.tasks.email.enqueue_emails``).
    """
    drafts = [r for r in reports if r.status == "draft"]
    batch = new_batch()
    emails = queue_report_emails(session, drafts, "published", batch)
    published = publish_reports(session, drafts, officer)
    return SendResult(published, batch, emails)


def reports_for_week(session: Session, la_id: int | None, academic_year: int, week: int,
                     school_ids: Sequence[int] | None = None,
                     laestabs: Sequence[str] | None = None) -> list[Report]:
    q = (select(Report).join(School).options(joinedload(Report.school))
         .where(Report.academic_year == academic_year, Report.week == week)
         .order_by(School.laestab))
    if la_id is not None:
        q = q.where(School.la_id == la_id)
    if school_ids is not None:
        q = q.where(School.id.in_(list(school_ids)))
    if laestabs is not None:
        q = q.where(School.laestab.in_(list(laestabs)))
    return list(session.scalars(q))


# -- reminders ---------------------------------------------------------------------------

REMINDABLE = ("published", "in_progress")


def is_overdue(report: Report, now: datetime, chase_days: int) -> bool:
    """Published this many days ago and not yet sent back."""
    return (report.status in REMINDABLE and report.published_at is not None
            and report.published_at <= now - timedelta(days=chase_days))


def send_reminders(session: Session, reports: Iterable[Report], officer: object
                   ) -> SendResult:
    """Email a reminder to each school whose report is waiting, note it on the school's
    panel and in the log. Commits."""
    waiting = [r for r in reports if r.status in REMINDABLE]
    batch = new_batch()
    emails = 0
    recipients = recipients_by_school(session, [r.school for r in waiting])
    for r in waiting:
        n = len(recipients[r.school_id])
        emails += n
        session.add(Notification(school_id=r.school_id, report_id=r.id,
                                 message=f"Reminder: {r.document_name} (week {r.week}) is "
                                         "waiting for you to check and send back."))
        record(session, officer, "report.reminder", r, school_id=r.school_id, report_id=r.id,
               after={"emails": n})
    queue_report_emails(session, waiting, "reminder", batch, recipients)
    session.commit()
    return SendResult(waiting, batch, emails)


# -- the dashboard -------------------------------------------------------------------------

STATES: tuple[tuple[str, str], ...] = (
    ("not_published", "Not published"),
    ("published", "Published"),
    ("opened", "Opened"),
    ("in_progress", "In progress"),
    ("sent", "Sent"),
    ("received", "Received"),
    ("amendments", "Amendments outstanding"),
    ("closed", "Closed"),
    ("superseded", "Superseded by a newer week"),
    ("no_report", "No report"),
)
STATE_LABELS = dict(STATES)
# GOV.UK tag colours per state.
STATE_COLOURS = {"not_published": "grey", "published": "blue", "opened": "light-blue",
                 "in_progress": "yellow", "sent": "purple", "received": "turquoise",
                 "amendments": "orange", "closed": "green", "superseded": "grey",
                 "no_report": "grey"}


@dataclass
class SchoolRow:
    school: School
    report: Report | None
    state: str
    label: str
    changed_at: datetime | None
    actor: str | None
    overdue: bool
    decided: int = 0
    items: int = 0
    open_tasks: int = 0
    sims_waiting: int = 0
    reminded_at: datetime | None = None

    @property
    def colour(self) -> str:
        return STATE_COLOURS[self.state]


@dataclass
class Dashboard:
    academic_year: int
    week: int
    rows: list[SchoolRow]
    counts: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    total: int = 0


def state_of(report: Report | None, decided: int, items: int, open_tasks: int
             ) -> tuple[str, str]:
    """A school's state for the week and how the dashboard words it."""
    if report is None:
        return "no_report", STATE_LABELS["no_report"]
    s = report.status
    if s == "draft":
        return "not_published", STATE_LABELS["not_published"]
    if s == "published":
        return ("opened", "Opened") if report.opened_at else ("published", "Published")
    if s == "in_progress":
        return "in_progress", f"In progress {decided} of {items}"
    if s == "received":
        if open_tasks:
            return "amendments", f"Amendments outstanding ({open_tasks})"
        return "received", "Received"
    return s, STATE_LABELS.get(s, s)


def dashboard(session: Session, la_id: int, academic_year: int, week: int, *,
              state: str | None = None, chase_days: int = 5,
              now: datetime | None = None) -> Dashboard:
    """Every school of the LA with its state for the week, in a handful of queries."""
    now = now or utcnow()
    pairs = session.execute(
        select(School, Report)
        .outerjoin(Report, and_(Report.school_id == School.id,
                                Report.academic_year == academic_year, Report.week == week))
        .where(School.la_id == la_id).order_by(School.laestab)).all()
    report_ids = [r.id for _s, r in pairs if r is not None]
    counts = report_counts(session, report_ids) if report_ids else {}
    tasks = open_task_counts(session, report_ids)
    sims = dict(session.execute(select(SimsItem.report_id, func.count()).where(
        SimsItem.report_id.in_(report_ids), SimsItem.status == "not_amended")
        .group_by(SimsItem.report_id)).tuples().all()) if report_ids else {}
    last: dict[int | None, str] = {}
    if report_ids:
        latest = (select(func.max(AuditEntry.id)).where(AuditEntry.report_id.in_(report_ids))
                  .group_by(AuditEntry.report_id))
        # Who acted last, by name where a person did (the log keeps their email).
        actors = session.execute(
            select(AuditEntry.report_id, AuditEntry.actor, AuditEntry.actor_id, User.name)
            .outerjoin(User, User.id == AuditEntry.actor_id)
            .where(AuditEntry.id.in_(latest))).all()
        last = {rid: actor_name(label, {uid: name} if uid is not None and name else {}, uid)
                for rid, label, uid, name in actors}
    reminded = dict(session.execute(
        select(AuditEntry.report_id, func.max(AuditEntry.at)).where(
            AuditEntry.report_id.in_(report_ids), AuditEntry.action == "report.reminder")
        .group_by(AuditEntry.report_id)).tuples().all()) if report_ids else {}
    rows = []
    for school, report in pairs:
        c = counts.get(report.id, {}) if report is not None else {}
        n_tasks = tasks.get(report.id, 0) if report is not None else 0
        key, label = state_of(report, c.get("decided", 0), c.get("items", 0), n_tasks)
        rows.append(SchoolRow(
            school=school, report=report, state=key, label=label,
            changed_at=report.state_changed_at if report is not None else None,
            actor=last.get(report.id) if report is not None else None,
            overdue=report is not None and is_overdue(report, now, chase_days),
            decided=c.get("decided", 0), items=c.get("items", 0), open_tasks=n_tasks,
            sims_waiting=sims.get(report.id, 0) if report is not None else 0,
            reminded_at=reminded.get(report.id) if report is not None else None))
    board = Dashboard(academic_year, week, rows, total=len(rows))
    board.counts = dict(Counter(r.state for r in rows))
    board.overdue = sum(r.overdue for r in rows)
    if state == "overdue":
        board.rows = [r for r in rows if r.overdue]
    elif state:
        board.rows = [r for r in rows if r.state == state]
    return board


# -- the amendment queue -------------------------------------------------------------------

@dataclass
class TaskFilters:
    school_id: int | None = None
    field_key: str | None = None
    academic_year: int | None = None
    week: int | None = None
    status: str | None = "open"
    assignee: str | None = None  # "me", "none" or a user id as text


def task_query(f: TaskFilters, la_id: int | None, me_id: int | None
               ) -> Select[tuple[AmendmentTask]]:
    """The queue, filtered, oldest first (``la_id=None``: every LA's, for the CLI)."""
    q = select(AmendmentTask).join(School, School.id == AmendmentTask.school_id)
    if la_id is not None:
        q = q.where(School.la_id == la_id)
    if f.week is not None or f.academic_year is not None:
        q = q.join(Report, Report.id == AmendmentTask.report_id)
        if f.week is not None:
            q = q.where(Report.week == f.week)
        if f.academic_year is not None:
            q = q.where(Report.academic_year == f.academic_year)
    if f.school_id is not None:
        q = q.where(AmendmentTask.school_id == f.school_id)
    if f.field_key:
        q = q.where(AmendmentTask.field_key == f.field_key)
    if f.status:
        q = q.where(AmendmentTask.status == f.status)
    if f.assignee == "me":
        q = q.where(AmendmentTask.assigned_to_id == me_id)
    elif f.assignee == "none":
        q = q.where(AmendmentTask.assigned_to_id.is_(None))
    elif f.assignee and f.assignee.isascii() and f.assignee.isdigit() \
            and int(f.assignee) <= 2**31 - 1:
        q = q.where(AmendmentTask.assigned_to_id == int(f.assignee))
    return q.order_by(AmendmentTask.created_at, AmendmentTask.id)


@dataclass
class TaskPage:
    tasks: list[AmendmentTask]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def task_count(session: Session, f: TaskFilters, la_id: int | None, me_id: int | None
               ) -> int:
    q = task_query(f, la_id, me_id).order_by(None).with_only_columns(AmendmentTask.id)
    return session.scalar(select(func.count()).select_from(q.subquery())) or 0


def task_page(session: Session, f: TaskFilters, la_id: int, me_id: int | None,
              page: int = 1, per_page: int = 50) -> TaskPage:
    total = task_count(session, f, la_id, me_id)
    page = max(1, min(page, max(1, -(-total // per_page))))
    # The page's rows first (ordered, limited), then what they show in a query or two:
    # joining all of that before the LIMIT makes the database sort far more.
    tasks = list(session.scalars(
        task_query(f, la_id, me_id)
        .options(selectinload(AmendmentTask.school), selectinload(AmendmentTask.report),
                 selectinload(AmendmentTask.assigned_to),
                 selectinload(AmendmentTask.decided_by),
                 selectinload(AmendmentTask.completed_by))
        .limit(per_page).offset((page - 1) * per_page)))
    return TaskPage(tasks, total, page, per_page)


class FilterChoices(TypedDict):
    schools: Sequence[Row[tuple[int, str, str]]]  # id, estab, name
    fields: list[str]
    officers: Sequence[Row[tuple[int, str]]]  # id, name


def task_filter_choices(session: Session, la_id: int) -> FilterChoices:
    """What the queue's filter menus offer: schools and fields that have tasks, officers."""
    schools = session.execute(
        select(School.id, School.estab, School.name).where(
            School.la_id == la_id, School.id.in_(select(AmendmentTask.school_id).distinct()))
        .order_by(School.estab)).all()
    fields = list(session.scalars(select(AmendmentTask.field_key).distinct()
                                  .order_by(AmendmentTask.field_key)))
    officers = session.execute(select(User.id, User.name).where(
        User.la_id == la_id, User.role.in_(("la_officer", "la_admin")))
        .order_by(User.name)).all()
    return {"schools": schools, "fields": fields, "officers": officers}


# -- a report's page and history -----------------------------------------------------------

def latest_submission(session: Session, report_id: int) -> ReportSubmission | None:
    return session.scalar(select(ReportSubmission).where(
        ReportSubmission.report_id == report_id, ReportSubmission.recalled_at.is_(None))
        .order_by(ReportSubmission.sent_at.desc(), ReportSubmission.id.desc()).limit(1))


def sims_items_for_report(session: Session, report_id: int) -> list[SimsItem]:
    return list(session.scalars(select(SimsItem).where(SimsItem.report_id == report_id)
                                .order_by(SimsItem.id)))


def la_team(session: Session, la_id: int) -> list[str]:
    """The addresses of the LA's active officers and admins."""
    return list(session.scalars(select(User.email).where(
        User.la_id == la_id, User.role.in_(("la_officer", "la_admin")),
        User.active.is_(True)).order_by(User.id)))


def tell_la_team(session: Session, la_id: int, *, kind: str, subject: str, body: str
                 ) -> str | None:
    """Queue an email to the LA team (no pupil data: a link or a count). Returns the
    batch, or ``None`` if the LA has nobody to tell; the caller commits and hands the
    batch to the job queue (else the outbox sweep sends it within the minute)."""
    recipients = la_team(session, la_id)
    if not recipients:
        return None
    batch = new_batch()
    queue_email(session, recipients=recipients, kind=kind, batch=batch, subject=subject,
                body=body)
    return batch


def current_week(session: Session, la_id: int, today: date) -> tuple[int, int]:
    """The week the LA's pages open on: the latest week, by date, that has reports and
    has begun (a draft compared for a later week does not move it); failing that, the
    week today is in."""
    row = session.execute(
        select(Report.academic_year, Report.week).join(School)
        .where(School.la_id == la_id, Report.week_start <= today)
        .order_by(Report.week_start.desc()).limit(1)).first()
    return (row[0], row[1]) if row is not None else week_of(today)


def report_weeks(session: Session, la_id: int, academic_year: int) -> list[int]:
    """The weeks of the academic year that have reports, in the order they fall (week 50
    of December before week 2 of January)."""
    return list(session.scalars(
        select(Report.week).join(School)
        .where(School.la_id == la_id, Report.academic_year == academic_year)
        .group_by(Report.week).order_by(func.min(Report.week_start))))
