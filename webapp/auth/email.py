"""The "forgotten password" email: a link only, never the password."""

from __future__ import annotations

from flask import current_app, url_for

from webapp.auth.passwords import RESET_MINUTES
from webapp.models import User
from webapp.platform.mail import send_email  # Flask-Mail over SMTP, or the outbox folder


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
