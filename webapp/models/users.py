"""People who sign in: school staff (one school each) and LA officers."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Model
from webapp.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.org import LocalAuthority, School

ROLES = ("school", "la_officer", "la_admin")


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, Model):  # type: ignore[misc]  # flask_login is untyped: UserMixin is Any
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authority.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the session cookie's user id: changing it ends every session of the user.
    session_token: Mapped[str] = mapped_column(String(40), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optional second factor (LA accounts): a TOTP secret, and the last time-step used
    # so that a code cannot be replayed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    # Wrong codes in a row, counted per account (not per sign-in): enough of them lock the
    # code step until ``code_locked_until``.
    code_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    code_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    school: Mapped[School | None] = relationship("School")
    la: Mapped[LocalAuthority] = relationship("LocalAuthority")

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def get_id(self) -> str:  # flask-login
        return f"{self.id}:{self.session_token}"

    @property
    def is_la(self) -> bool:
        return self.role in ("la_officer", "la_admin")


class PasswordReset(Model):
    """A single-use "forgotten password" link; only a hash of its token is kept."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
