"""Job-queue tasks for data arriving by itself: uploads, the drop folder, the weekly cycle.

Imported by ``webapp.worker`` so that the worker (``huey_consumer webapp.worker.huey``) knows
them. If the queue is down when an upload arrives, the upload stays queued in the database
and the every-minute sweep imports it.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

from flask import current_app
from huey import crontab

from webapp.extensions import db
from webapp.platform.jobs import app_context, huey, try_enqueue
from webapp.tasks.email import enqueue_emails

log = logging.getLogger(__name__)


def _cron() -> crontab:
    minute, hour, day, month, weekday = os.environ.get(
        "FLASK_B2B_CYCLE_CRON", "0 2 * * 0").split()
    return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday)


@huey.task()
def import_upload(upload_id: int) -> str | None:
    from webapp.b2b.intake.uploads import process_upload

    with app_context():
        u = process_upload(db.session, upload_id)
        return u.status if u else None


def enqueue_upload(upload_id: int) -> bool:
    """Hand an upload to the worker; ``False`` (and a log line) if the queue is down: the
    upload stays queued in the database and :func:`intake_sweep` imports it later."""
    return try_enqueue(import_upload, upload_id, what=f"upload {upload_id} left for the sweep")


@huey.periodic_task(crontab(minute="*"))
def intake_sweep() -> dict:
    """Every minute: uploads still queued, and the drop folder (``FLASK_B2B_DROP_DIR``)."""
    from webapp.b2b.intake.uploads import process_queued, scan_drop_folder

    with app_context() as app:
        done = {"uploads": process_queued(db.session)}
        drop = app.config.get("B2B_DROP_DIR")
        if drop:
            results = scan_drop_folder(db.session, Path(drop),
                                       min_age_seconds=app.config["B2B_DROP_MIN_AGE_SECONDS"])
            done["drop_folder"] = len(results)
        return done


def run_cycle_now(*, academic_year: int | None = None, week: int | None = None,
                  trigger: str = "schedule"):
    """The weekly cycle in the current app (the schedule, ``flask b2b cycle``)."""
    from sqlalchemy import select

    from webapp.b2b.intake.cycle import run_cycle
    from webapp.b2b.la_desk import publish, tell_la_team
    from webapp.b2b.weeks import week_of
    from webapp.models import LocalAuthority
    from webapp.platform.mail import batch_ids

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    today = date.today()
    this_year, this_week = week_of(today)
    year = academic_year if academic_year is not None else this_year
    week = week if week is not None else this_week

    def publish_and_mail(reports) -> int:
        result = publish(db.session, reports, "cycle")
        enqueue_emails(batch_ids(db.session, result.batch))
        return len(result.reports)

    def tell_la(n: int) -> None:
        for la_id in db.session.scalars(select(LocalAuthority.id)):
            batch = tell_la_team(
                db.session, la_id, kind="cycle",
                subject=f"B2B week {week}: {n} reports ready to publish",
                body=(f"The weekly comparison for week {week} has run. {n} school reports "
                      "are drafts waiting to be published (auto-publish is off).\n\n"
                      "Sign in to publish them."))
            db.session.commit()
            if batch:
                enqueue_emails(batch_ids(db.session, batch))

    drop = app.config.get("B2B_DROP_DIR")
    return run_cycle(db.session, academic_year=year, week=week, trigger=trigger,
                     drop_dir=Path(drop) if drop else None, publish=publish_and_mail,
                     tell_la=tell_la,
                     drop_min_age_seconds=app.config["B2B_DROP_MIN_AGE_SECONDS"])


@huey.periodic_task(_cron())
def weekly_cycle() -> str:
    with app_context():
        return run_cycle_now().status


@huey.periodic_task(crontab(minute="30", hour="3"))
def nightly_purge() -> dict:
    """Every night at 03:30: the retention periods (docs/security.md)."""
    from webapp.platform.retention import purge

    with app_context() as app:
        cfg = app.config
        return purge(db.session, copy_days=cfg["B2B_COPY_DAYS"],
                     report_years=cfg.get("B2B_RETENTION_YEARS", 2),
                     import_days=cfg.get("B2B_IMPORT_RETENTION_DAYS", 400)).__dict__


@huey.task()
def run_cycle_task() -> str:
    """The weekly cycle on request (an officer's "Run it now")."""
    with app_context():
        return run_cycle_now(trigger="officer").status
