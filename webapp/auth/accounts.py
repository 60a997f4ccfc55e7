"""Accounts the LA sets up: invitations by emailed single-use link, disabling.

No shared mailboxes: each person has their own account, so notifications reach named
people. An invited person sets their own password through the link (the same single-use,
expiring mechanism as a forgotten password, with a longer life).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.auth.passwords import start_reset
from webapp.b2b.records.normalise import unsafe_character
from webapp.models import LocalAuthority, School, User
from webapp.models.users import ROLES, new_session_token
from webapp.platform.audit import record

INVITE_MINUTES = 72 * 60


class AccountError(ValueError):
    """The account cannot be created as asked; the message says why."""


def invite_user(session: Session, *, email: str, name: str, role: str,
                la: LocalAuthority, school: School | None, actor: object) -> tuple[User, str]:
    """Create an account without a password and a link token to set one. Commits.

    Returns the user and the token for the invitation email (which is all that carries it).
    """
    email = email.strip().lower()
    problem = unsafe_character(email) or unsafe_character(name)
    if problem or any(c in name for c in "\t\r\n"):
        raise AccountError(f"the name or email address {problem or 'holds a line break'}")
    name = " ".join(name.split())
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if (role == "school") != (school is not None):
        raise AccountError("school staff need a school; LA accounts have none")
    if "@" not in email or len(email) > 320:
        raise AccountError("enter an email address, like name@school.sch.uk")
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise AccountError("there is already an account with this email address")
    user = User(email=email, name=name.strip()[:200] or email, role=role, la_id=la.id,
                school_id=school.id if school else None, password_hash=None)
    session.add(user)
    session.flush()
    record(session, actor, "user.invited", user, school_id=user.school_id,
           after={"email": email, "role": role})
    session.commit()
    return user, start_reset(session, user, minutes=INVITE_MINUTES)


def set_active(session: Session, user: User, active: bool, actor: object) -> bool:
    """Disable (ending every session of the user at once) or enable an account. Commits."""
    if user.active == active:
        return False
    user.active = active
    user.session_token = new_session_token()
    record(session, actor, "user.enabled" if active else "user.disabled", user,
           school_id=user.school_id, before={"active": not active}, after={"active": active})
    session.commit()
    return True
