"""An optional second factor for LA accounts: time-based one-time codes (TOTP, RFC 6238)
from an authenticator app, via pyotp. A code works once: the time-step it belongs to is
remembered, so a code seen over someone's shoulder cannot be used again."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.models import User
from webapp.models.base import utcnow
from webapp.platform.audit import record
from webapp.platform.mail import new_batch, queue_email


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The setup link as an SVG QR code for the authenticator app to scan."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode()


def _step(secret: str, code: str) -> int | None:
    """The time-step a code is valid for (now, or one step either side), else ``None``."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(totp.timecode(__import__("datetime").datetime.now()))
    for step in (now, now - 1, now + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None




def turn_on(session: Session, user: User, secret: str, code: str) -> bool:
    """Save the secret once the person has shown a code from it works. Commits."""
    step = _step(secret, code)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_last_step = step
    record(session, user, "two_factor.on", user)
    session.commit()
    return True


def turn_off(session: Session, user: User, actor: object) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    record(session, actor, "two_factor.off", user)
    session.commit()


# Wrong codes in a row, per account however many sign-ins they come from, before the code
# step locks for CODE_LOCK (a 6-digit code is a million guesses: five is plenty for a
# person mistyping, and the LA admin hears of it).
CODE_ATTEMPTS = 5
CODE_LOCK = timedelta(minutes=15)


class CodeLocked(Exception):
    """Too many wrong codes: the account's code step is locked until ``until``."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"locked until {until:%H:%M}")


def check_code(session: Session, user: User, code: str) -> bool:
    """Whether the code is right and not used before (the step is claimed atomically, so
    two posts of one code cannot both pass). A wrong code counts against the account;
    the ``CODE_ATTEMPTS``-th in a row locks it (:class:`CodeLocked`) and tells the LA's
    admins. Commits."""
    now = utcnow()
    if user.code_locked_until is not None and user.code_locked_until > now:
        raise CodeLocked(user.code_locked_until)
    if not user.totp_secret:
        return False
    step = _step(user.totp_secret, code)
    claimed = step is not None and session.execute(
        update(User).where(User.id == user.id,
                           (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step, code_failures=0)
        .execution_options(synchronize_session=False)).rowcount == 1
    if claimed:
        session.commit()
        return True
    failures = session.execute(
        update(User).where(User.id == user.id).values(code_failures=User.code_failures + 1)
        .returning(User.code_failures)).scalar_one()
    if failures >= CODE_ATTEMPTS:
        until = now + CODE_LOCK
        session.execute(update(User).where(User.id == user.id)
                        .values(code_failures=0, code_locked_until=until))
        record(session, "system", "two_factor.locked", user, after={"until": until.isoformat()})
        _tell_admins(session, user, until)
    session.commit()
    session.refresh(user)
    if failures >= CODE_ATTEMPTS:
        raise CodeLocked(until)
    return False


def _tell_admins(session: Session, user: User, until: datetime) -> None:
    admins = list(session.scalars(select(User.email).where(
        User.la_id == user.la_id, User.role == "la_admin", User.active.is_(True))))
    if admins:
        queue_email(session, recipients=admins, kind="two_factor_locked", batch=new_batch(),
                    subject="B2B: an account's sign-in code step was locked",
                    body=(f"{CODE_ATTEMPTS} wrong sign-in codes in a row were given for "
                          f"{user.name} ({user.email}), so the code step of the account is "
                          f"locked until {until:%H:%M} UTC.\n\nIf that person did not "
                          "mistype their codes, someone knows their password: ask them to "
                          "change it, or disable the account on the People page.\n"))
