"""``flask b2b publish``, ``remind`` and ``tasks``."""

from __future__ import annotations

import json

import click
from flask import current_app
from sqlalchemy.orm import joinedload

from webapp.b2b.la_desk import (
    TaskFilters,
    is_overdue,
    publish,
    reports_for_week,
    send_reminders,
    task_query,
)
from webapp.b2b.review.wording import plural
from webapp.cli.common import academic_year, year_option
from webapp.extensions import db
from webapp.models import AmendmentTask
from webapp.models.base import utcnow
from webapp.platform.mail import batch_ids
from webapp.tasks.email import enqueue_emails


def _hand_over(batch: str) -> str:
    ids = batch_ids(db.session, batch)
    handed = enqueue_emails(ids)
    if handed < len(ids):
        return (f"{len(ids) - handed} could not be handed to the job queue now; they stay "
                "queued and are sent when the worker runs")
    return f"{handed} handed to the job worker"


@click.command("publish")
@click.option("--week", type=click.IntRange(1, 53), required=True)
@year_option
@click.option("--school", "laestabs", multiple=True, help="Only this LAESTAB (repeatable).")
def publish_command(week: int, year: int | None, laestabs: tuple[str, ...]) -> None:
    """Publish the week's draft reports to the schools and email their contacts."""
    reports = reports_for_week(db.session, None, academic_year(year), week,
                               laestabs=list(laestabs) or None)
    if not reports:
        raise click.ClickException(
            f"No reports for week {week}. Run `flask b2b compare --week {week}` first.")
    result = publish(db.session, reports, "cli")
    click.echo(f"Published {len(result.reports)} of {len(reports)} reports for week {week} "
               f"({len(reports) - len(result.reports)} already published); "
               f"{plural(result.emails, 'email')} queued, {_hand_over(result.batch)}.")


@click.command("remind")
@click.option("--week", type=click.IntRange(1, 53), required=True)
@year_option
@click.option("--older-than", "days", type=click.IntRange(0, 365), default=None,
              help="Only reports published at least this many days ago "
                   "(default: B2B_CHASE_DAYS).")
def remind_command(week: int, year: int | None, days: int | None) -> None:
    """Email a reminder to every school that has not sent its report back."""
    days = current_app.config["B2B_CHASE_DAYS"] if days is None else days
    now = utcnow()
    waiting = [r for r in reports_for_week(db.session, None, academic_year(year), week)
               if is_overdue(r, now, days)]
    if not waiting:
        click.echo(f"No school has kept its week {week} report for "
                   f"{plural(days, 'day')} or more.")
        return
    result = send_reminders(db.session, waiting, "cli")
    click.echo(f"Reminded {plural(len(result.reports), 'school')}; "
               f"{plural(result.emails, 'email')} queued, "
               f"{_hand_over(result.batch)}.")


@click.command("tasks")
@click.option("--status", type=click.Choice(["open", "done", "rejected", "all"]),
              default="open", show_default=True)
@click.option("--week", type=click.IntRange(1, 53), default=None)
@year_option
@click.option("--json", "as_json", is_flag=True, help="Print the tasks as JSON.")
def tasks_command(status: str, week: int | None, year: int | None, as_json: bool) -> None:
    """List amendment tasks, oldest first."""
    f = TaskFilters(status=None if status == "all" else status, week=week,
                    academic_year=academic_year(year) if week is not None else year)
    q = task_query(f, None, None).options(joinedload(AmendmentTask.school),
                                          joinedload(AmendmentTask.assigned_to))
    tasks = db.session.scalars(q).all()
    rows = [{
        "id": t.id, "laestab": t.school.laestab, "school": t.school.name,
        "report_id": t.report_id, "field": t.field_key, "upn": t.upn,
        "la_value": t.la_value, "new_value": t.new_value, "status": t.status,
        "created_at": t.created_at.isoformat(),
        "assigned_to": t.assigned_to.email if t.assigned_to else None,
        "rejected_reason": t.rejected_reason,
    } for t in tasks]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No amendment tasks.")
        return
    click.echo(f"{'ID':>6} {'LAESTAB':8} {'Field':16} {'Status':9} {'Created':16} Change")
    for r in rows:
        click.echo(f"{r['id']:>6} {r['laestab']:8} {r['field']:16} {r['status']:9} "
                   f"{r['created_at'][:16]:16} {r['la_value']!r} -> {r['new_value']!r}")


commands: list = [publish_command, remind_command, tasks_command]
