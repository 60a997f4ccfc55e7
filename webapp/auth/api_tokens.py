"""Upload API tokens: made, shown once, stored hashed, revoked; and the token a request presents.

No Flask request in here: the API views, the token pages and the CLI call these."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.b2b.records.normalise import BadValue, text
from webapp.models import ApiToken, LocalAuthority, School
from webapp.models.base import utcnow
from webapp.platform.audit import record

TOKEN_PREFIX = "b2b_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(session: Session, *, la: LocalAuthority, school: School | None, label: str,
                 actor: object) -> tuple[ApiToken, str]:
    """A new token, scoped to one school (or to the LA's own extract when ``school`` is
    ``None``). Returns the token row and the secret, which is shown once and not kept."""
    try:
        label = text(label)
    except BadValue as e:
        raise ValueError(f"the label {e}") from None
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(la_id=la.id, school_id=school.id if school else None,
                     label=label[:200] or ("LA extract" if school is None else school.title),
                     token_hash=_hash(raw), prefix=raw[:12],
                     created_by=getattr(actor, "email", None) or str(actor))
    session.add(token)
    session.flush()
    record(session, actor, "token.created", token, school_id=token.school_id,
           after={"label": token.label, "scope": token.side, "prefix": token.prefix})
    session.commit()
    return token, raw


def revoke_token(session: Session, token: ApiToken, actor: object) -> bool:
    """Revoke a token; ``False`` if it was already revoked. Commits."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    token.revoked_by = getattr(actor, "email", None) or str(actor)
    record(session, actor, "token.revoked", token, school_id=token.school_id,
           before={"active": True}, after={"active": False})
    session.commit()
    return True


def token_for(session: Session, raw: str | None) -> ApiToken | None:
    """The active token with this secret, or ``None`` (wrong, revoked or missing)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(raw)))
    if token is None or token.revoked_at is not None:
        return None
    return token
