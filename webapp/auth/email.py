"""The account emails: "forgotten password" and the invitation to set one. A link only,
never a password, built on the configured base URL (never the request's Host).

Both are queued in ``outbound_email`` and sent by the job worker, never inside the
request: a forgotten-password request then takes the same time whether or not the
address has an account, and a slow mail server never slows a page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.auth.passwords import RESET_MINUTES, find_user, start_reset
from webapp.models import PasswordReset, User
from webapp.models.base import utcnow
from webapp.platform.audit import record
from webapp.platform.mail import external_url, new_batch, queue_email

# Reset emails one address may be sent in an hour: more requests are answered the same
# but send nothing (someone is flooding a colleague's mailbox).
RESETS_PER_HOUR = 3


def request_password_reset(session: Session, email: str) -> str | None:
    """Queue a reset email for the account with this address, if there is one, it is
    active and it has not had ``RESETS_PER_HOUR`` already. Returns the email batch (or
    ``None``: nothing to send). Commits."""
    user = find_user(session, email)
    if user is None or not user.active:
        return None
    # One request at a time per account, so that two worker threads cannot both count 2
    # and both send (PostgreSQL locks the row; SQLite's write lock is taken at BEGIN).
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    since = utcnow() - timedelta(hours=1)
    recent = session.scalar(select(func.count(PasswordReset.id)).where(
        PasswordReset.user_id == user.id, PasswordReset.created_at >= since)) or 0
    if recent >= RESETS_PER_HOUR:
        record(session, "system", "password.reset_throttled", user, school_id=user.school_id)
        session.commit()
        return None
    token = start_reset(session, user)
    la = current_app.config["B2B_LA_NAME"]
    link = external_url("auth.reset_password", token=token)
    batch = new_batch()
    queue_email(session, recipients=[user.email], kind="password_reset", batch=batch,
                subject=f"Reset your {la} B2B password", body=(
                    f"Dear {user.name},\n\n"
                    f"Someone asked to reset the password of your {la} B2B account. To "
                    f"choose a new password, open this link within {RESET_MINUTES} "
                    f"minutes:\n\n{link}\n\n"
                    "The link works once. If you did not ask for this, you can ignore this "
                    "email: your password has not changed.\n\n"
                    f"{la} Management Information\n"))
    session.commit()
    return batch


def queue_invitation(session: Session, user: User, token: str) -> str:
    """Queue the invitation to choose a password (the link works once, for 3 days).
    Returns the email batch; the caller commits and hands it to the job queue."""
    la = current_app.config["B2B_LA_NAME"]
    link = external_url("auth.reset_password", token=token)
    batch = new_batch()
    queue_email(session, recipients=[user.email], kind="invitation", batch=batch,
                subject=f"Your {la} B2B account", body=(
                    f"Dear {user.name},\n\nAn account has been set up for you on {la}'s "
                    "B2B pupil data service. Choose your password with this link within 3 "
                    f"days:\n\n{link}\n\n"
                    "The link works once. If you were not expecting this, ignore this "
                    "email.\n"))
    return batch
