"""An optional second factor for LA accounts: time-based one-time codes (TOTP, RFC 6238)
from an authenticator app, via pyotp. A code works once: the time-step it belongs to is
remembered, so a code seen over someone's shoulder cannot be used again."""

from __future__ import annotations

import io

import pyotp
from sqlalchemy import update
from sqlalchemy.orm import Session

from webapp.models import User
from webapp.platform.audit import record


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


def check_code(session: Session, user: User, code: str) -> bool:
    """Whether the code is right and not used before (the step is claimed atomically, so
    two posts of one code cannot both pass). Commits."""
    if not user.totp_secret:
        return False
    step = _step(user.totp_secret, code)
    if step is None:
        return False
    claimed = session.execute(
        update(User).where(User.id == user.id,
                           (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(claimed)
