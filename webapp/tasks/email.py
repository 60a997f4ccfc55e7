"""Email tasks: send what ``outbound_email`` holds, retry with back-off, sweep what waits.

The table, not the queue, is the record of what must be sent: if the queue is down when a
message is queued, :func:`sweep_outbox` sends it once the worker is back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from huey import crontab
from sqlalchemy import select

from webapp.extensions import db
from webapp.platform.jobs import app_context, huey, try_enqueue

log = logging.getLogger(__name__)

CHUNK = 50  # messages per job: one SMTP connection each

@huey.task()
def send_emails(ids: Sequence[int]) -> None:
    """Send these outbound emails; failures are scheduled again after a back-off.

    Returns nothing, so that huey keeps no result for it (the table is the record)."""
    send_now(ids)


def send_now(ids: Sequence[int]) -> dict[str, list[int]]:
    """What :func:`send_emails` does, returning which messages went and which failed."""
    from webapp.models import OutboundEmail
    from webapp.platform.mail import MAX_ATTEMPTS, deliver

    with app_context() as app:
        result = deliver(db.session, ids)
        if result["failed"]:
            retry = list(db.session.scalars(select(OutboundEmail.id).where(
                OutboundEmail.id.in_(result["failed"]),
                OutboundEmail.attempts < MAX_ATTEMPTS)))
            if retry:
                _schedule(retry, delay=float(app.config.get("MAIL_RETRY_SECONDS", 60)))
        return result


def _schedule(ids: list[int], delay: float) -> None:
    try_enqueue(lambda: send_emails.schedule((ids,), delay=delay),
                what=f"a retry of {len(ids)} emails left for the sweep")


def enqueue_emails(ids: Sequence[int]) -> int:
    """Hand messages to the worker in chunks. Never raises: if the queue is down the
    messages stay queued in the table and :func:`sweep_outbox` sends them later.

    Returns how many were handed over.
    """
    handed = 0
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        if not try_enqueue(send_emails, chunk,
                           what=f"{len(ids) - handed} emails left for the sweep"):
            break
        handed += len(chunk)
    return handed


def requeue_due() -> int:
    """Enqueue every message waiting or due for a retry (the sweep, or an officer)."""
    from webapp.platform.mail import due_ids

    with app_context():
        return enqueue_emails(due_ids(db.session))


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: anything still waiting (the queue was down, a worker died) goes out."""
    from webapp.platform.mail import deliver, due_ids

    with app_context():
        ids = due_ids(db.session)
        for i in range(0, len(ids), CHUNK):
            deliver(db.session, ids[i:i + CHUNK])
        if ids:
            log.info("the sweep sent %d waiting emails", len(ids))


@huey.task(retries=3, retry_delay=5)
def send_password_reset(email: str) -> None:
    """Off the request: look the address up and, if it has an account, send its reset
    link. The request that asked did only this enqueue, whatever the address."""
    from webapp.auth.email import request_password_reset
    from webapp.platform.mail import batch_ids

    with app_context():
        batch = request_password_reset(db.session, email)
        if batch:
            send_now(batch_ids(db.session, batch))


def ask_for_password_reset(email: str) -> None:
    """Hand the request to the worker; if the queue is down, do it here (the email then
    waits in the table for the sweep, as every email does when the worker is away)."""
    if not try_enqueue(send_password_reset, email, what="a password reset done in the request"):
        from webapp.auth.email import request_password_reset

        with app_context():
            request_password_reset(db.session, email)
