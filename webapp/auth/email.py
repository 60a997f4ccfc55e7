"""The "forgotten password" email: a link only, never the password."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

from flask import current_app, url_for

from webapp.auth.passwords import RESET_MINUTES
from webapp.models import User


def _write_outbox(recipient: str, subject: str, body: str) -> None:
    """Until the mail module is there: the message as an .eml file in the outbox."""
    msg = EmailMessage()
    msg["To"] = recipient
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["Subject"] = subject
    msg.set_content(body)
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / f"reset-{uuid4().hex}.eml").write_bytes(bytes(msg))


try:
    from webapp.platform.mail import send_email  # Flask-Mail over SMTP, or the outbox folder
except ImportError:  # pragma: no cover
    send_email = _write_outbox


def send_reset_email(user: User, token: str) -> None:
    link = url_for("auth.reset_password", token=token, _external=True)
    la = current_app.config["B2B_LA_NAME"]
    body = (f"Dear {user.name},\n\n"
            f"Someone asked to reset the password of your {la} B2B account. To choose a "
            f"new password, open this link within {RESET_MINUTES} minutes:\n\n{link}\n\n"
            "The link works once. If you did not ask for this, you can ignore this email: "
            "your password has not changed.\n\n"
            f"{la} Management Information\n")
    send_email(user.email, f"Reset your {la} B2B password", body)
