"""Appending to the audit log. Every state change calls :func:`record`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.models import AuditEntry


def record(
    session: Session,
    actor: object,
    action: str,
    obj: object | None = None,
    *,
    school_id: int | None = None,
    report_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry to the session's transaction (it commits with the change).

    ``actor`` is a user (with ``id`` and ``email``) or a label such as ``"system"``.
    """
    actor_id = getattr(actor, "id", None)
    label = getattr(actor, "email", None) or str(actor)
    entry = AuditEntry(
        actor_id=actor_id, actor=label, action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "none",
        object_id=getattr(obj, "id", None),
        school_id=school_id, report_id=report_id, before=before, after=after,
    )
    session.add(entry)
    return entry
