"""Passwords and "forgotten password" links.

Passwords are hashed with scrypt (werkzeug). A reset link carries a random token; only
its SHA-256 is stored. It works once and expires after ``PASSWORD_RESET_MINUTES``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.auth.password_policy import KNOWN_DEFAULT_PASSWORDS
from webapp.models import PasswordReset, User
from webapp.models.base import utcnow
from webapp.models.users import new_session_token
from webapp.platform.audit import record

log = logging.getLogger(__name__)
RESET_MINUTES = 60
# Checked when no account matches, so that a wrong address takes as long as a wrong
# password and timing does not tell which addresses have accounts.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or ``None``."""
    user = find_user(session, email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    if password.casefold() in KNOWN_DEFAULT_PASSWORDS and current_app.config["B2B_PRODUCTION"]:
        # An account left with a published password (loaded before production mode was
        # turned on) is not signed in: its owner resets the password by email.
        log.warning("sign-in refused: account %s has a published default password", user.id)
        return None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_reset(session: Session, user: User, minutes: int = RESET_MINUTES) -> str:
    """A new single-use reset token for the user (earlier unused ones stop working).
    Commits. Returns the token, which only the email carries."""
    now = utcnow()
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                PasswordReset.used_at.is_(None))
                    .values(used_at=now))
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, token_hash=_digest(token), created_at=now,
                              expires_at=now + timedelta(minutes=minutes)))
    record(session, user, "password.reset_requested", user, school_id=user.school_id)
    session.commit()
    return token


def valid_reset(session: Session, token: str) -> PasswordReset | None:
    """The unused, unexpired reset for this token, or ``None``."""
    reset = session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == _digest(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    return reset


def finish_reset(session: Session, reset: PasswordReset, password: str) -> User:
    """Set the new password, use up the token and end every session of the user. Commits."""
    user = reset.user
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    reset.used_at = utcnow()
    record(session, user, "password.reset", user, school_id=user.school_id)
    session.commit()
    return user
