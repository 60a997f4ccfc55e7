"""Email: Flask-Mail over SMTP, or an outbox folder of ``.eml`` files in development.

Every message is first written to the ``outbound_email`` table (:func:`queue_email`) and
only then handed to the job queue, so none is silently dropped: a message that cannot be
sent stays ``failed`` with its error, is retried, and is shown to the LA team.

Configuration comes from the environment the Flask way: ``FLASK_MAIL_SERVER``,
``FLASK_MAIL_PORT``, ``FLASK_MAIL_USE_TLS``, ``FLASK_MAIL_USERNAME``,
``FLASK_MAIL_PASSWORD``, ``FLASK_MAIL_DEFAULT_SENDER``. Without ``MAIL_SERVER`` messages
are written to ``MAIL_OUTBOX_DIR``. Emails never carry pupil data, only a link.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_mail import Mail, Message
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from webapp.models import OutboundEmail
from webapp.models.base import utcnow

log = logging.getLogger(__name__)
mail = Mail()

# Emails whose body holds a single-use link (a password reset, an invitation).
SINGLE_USE_LINK_KINDS = ("password_reset", "invitation")
MAX_ATTEMPTS = 6  # then the message waits for an officer's "Retry" (it is never dropped)
STALE_SENDING = timedelta(minutes=15)


def init_app(app: Flask) -> None:
    """Attach Flask-Mail (done on first use, so the app factory need not know)."""
    if "mail" not in app.extensions:
        mail.init_app(app)


def smtp_configured(app: Flask) -> bool:
    return bool(app.config.get("MAIL_SERVER"))


def new_batch() -> str:
    """A name for one run of sending (a publish, a round of reminders)."""
    return uuid.uuid4().hex


# -- what is sent -----------------------------------------------------------------------

def _message(recipient: str, subject: str, body: str) -> Message:
    app = current_app
    return Message(subject=subject, recipients=[recipient], body=body,
                   sender=app.config.get("MAIL_DEFAULT_SENDER"),
                   extra_headers={"Auto-Submitted": "auto-generated"})


def send_email(recipient: str, subject: str, body: str) -> None:
    """Send one message now: over SMTP when ``MAIL_SERVER`` is set, else into the outbox
    folder. Raises on failure (the caller records it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    init_app(app)
    msg = _message(recipient, subject, body)
    if smtp_configured(app):
        mail.send(msg)
    else:
        _write_outbox(app, [msg])


def _write_outbox(app: Flask, messages: Iterable[Message]) -> None:
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    for msg in messages:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        (outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(msg.as_bytes())




def external_url(endpoint: str, **values: object) -> str:
    """An absolute link for an email, always on the configured ``B2B_BASE_URL``: never
    built from a request's ``Host`` or ``X-Forwarded-Host``, which whoever sends the
    request chooses (a reset link to their own site would hand them the token)."""
    base = urlsplit(current_app.config["B2B_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)




# -- the outbound table -----------------------------------------------------------------

# A UPN's shape: a check letter, 11 digits and a digit or letter.
_UPN_LIKE = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")


def email_rows(*, recipients: Iterable[str], subject: str, body: str, kind: str, batch: str,
               school_id: int | None = None, report_id: int | None = None) -> list[dict]:
    """Rows of the outbound table for one message to each recipient.

    Refuses a message that looks like it carries a UPN: emails carry a link, never pupil
    data.
    """
    if _UPN_LIKE.search(body) or _UPN_LIKE.search(subject):
        raise ValueError("an email must not carry pupil data")
    now = utcnow()
    return [{"batch": batch, "kind": kind, "school_id": school_id, "report_id": report_id,
             "recipient": r, "subject": subject, "body": body, "status": "queued",
             "attempts": 0, "created_at": now} for r in recipients]


def queue_email(session: Session, **message) -> int:
    """Record a message to send (one row per recipient); the caller commits and hands
    the batch to the job queue. Takes :func:`email_rows`'s arguments."""
    rows = email_rows(**message)
    if rows:
        session.execute(insert(OutboundEmail), rows)
    return len(rows)


def batch_ids(session: Session, batch: str) -> list[int]:
    return list(session.scalars(select(OutboundEmail.id).where(
        OutboundEmail.batch == batch, OutboundEmail.status == "queued")
        .order_by(OutboundEmail.id)))


def deliver(session: Session, ids: Iterable[int]) -> dict[str, list[int]]:
    """Send the given messages that are still waiting; each is claimed first, so two
    workers given the same id never both send it. Commits after each message.

    Returns ``{"sent": [...], "failed": [...]}``; failed ones keep their error and a time
    for the next attempt.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    init_app(app)
    ids = list(ids)
    result: dict[str, list[int]] = {"sent": [], "failed": []}
    if not ids:
        return result
    now = utcnow()
    claimed = list(session.scalars(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(ids), OutboundEmail.status.in_(("queued", "failed")))
        .values(status="sending", attempts=OutboundEmail.attempts + 1, next_attempt_at=now)
        .returning(OutboundEmail.id)))
    session.commit()
    if not claimed:
        return result
    rows = session.execute(select(OutboundEmail.id, OutboundEmail.recipient,
                                  OutboundEmail.subject, OutboundEmail.body, OutboundEmail.kind,
                                  OutboundEmail.attempts)
                           .where(OutboundEmail.id.in_(claimed))
                           .order_by(OutboundEmail.id)).all()
    # End the read before the writes: on SQLite a transaction that read and then writes
    # fails at once ("database is locked") if another worker wrote in between.
    session.commit()
    delay = timedelta(seconds=float(app.config.get("MAIL_RETRY_SECONDS", 60)))

    def failed(row, error: str) -> None:
        session.execute(update(OutboundEmail).where(OutboundEmail.id == row.id).values(
            status="failed", last_error=error[:1000],
            next_attempt_at=(utcnow() + delay * row.attempts
                             if row.attempts < MAX_ATTEMPTS else None)))
        session.commit()
        result["failed"].append(row.id)

    def sent(row) -> None:
        done = {"status": "sent", "sent_at": utcnow(), "last_error": None,
                "next_attempt_at": None}
        if row.kind in SINGLE_USE_LINK_KINDS:
            # The link works once and only the recipient should hold it: not kept here.
            done["body"] = "(sent; the single-use link in it is not kept)"
        session.execute(update(OutboundEmail).where(OutboundEmail.id == row.id).values(
            **done))
        session.commit()
        result["sent"].append(row.id)

    if not smtp_configured(app):
        for row in rows:
            _write_outbox(app, [_message(row.recipient, row.subject, row.body)])
            sent(row)
        return result
    try:
        conn = mail.connect()
        conn.__enter__()
    except Exception as e:  # noqa: BLE001  (any connection failure: keep them for later)
        log.warning("SMTP connection failed; %d messages will be retried: %s", len(rows), e)
        for row in rows:
            failed(row, f"connect: {e}")
        return result
    try:
        for row in rows:
            try:
                conn.send(_message(row.recipient, row.subject, row.body))
            except Exception as e:  # noqa: BLE001
                log.warning("SMTP send failed for message %d: %s", row.id, e)
                failed(row, str(e))
            else:
                sent(row)
    finally:
        try:
            conn.__exit__(None, None, None)
        except Exception:  # noqa: BLE001  (QUIT after a broken connection)
            pass
    return result


def due_ids(session: Session, limit: int = 5000) -> list[int]:
    """Messages waiting to be sent or retried now, including any left "sending" by a
    worker that died."""
    now = utcnow()
    session.execute(update(OutboundEmail).where(
        OutboundEmail.status == "sending",
        OutboundEmail.next_attempt_at < now - STALE_SENDING).values(status="failed"))
    session.commit()
    return list(session.scalars(select(OutboundEmail.id).where(
        (OutboundEmail.status == "queued")
        | ((OutboundEmail.status == "failed") & OutboundEmail.next_attempt_at.is_not(None)
           & (OutboundEmail.next_attempt_at <= now)))
        .order_by(OutboundEmail.id).limit(limit)))


def retry_failed(session: Session) -> int:
    """An officer's "Retry": messages that gave up are given fresh attempts. Commits."""
    n = session.execute(update(OutboundEmail).where(OutboundEmail.status == "failed")
                        .values(status="queued", attempts=0, next_attempt_at=None)).rowcount
    session.commit()
    return n


def progress(session: Session, batch: str | None = None, *, since: datetime | None = None
             ) -> dict[str, int]:
    """How many messages are queued, sending, sent and failed (for one batch, or all, or
    those queued since a time; anything not yet sent is always counted)."""
    q = select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status)
    if batch is not None:
        q = q.where(OutboundEmail.batch == batch)
    if since is not None:
        q = q.where((OutboundEmail.created_at >= since) | (OutboundEmail.status != "sent"))
    counts = {s: 0 for s in ("queued", "sending", "sent", "failed")}
    for status, n in session.execute(q):
        counts[status] = n
    counts["total"] = sum(counts.values())
    return counts











