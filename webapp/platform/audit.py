"""Appending to the audit log. Every state change calls :func:`record`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from webapp.models import AuditEntry


def _who(actor: object) -> tuple[int | None, str]:
    """An actor as the log names it: the user's id and email, or a label."""
    return getattr(actor, "id", None), getattr(actor, "email", None) or str(actor)


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
    actor_id, label = _who(actor)
    entry = AuditEntry(
        actor_id=actor_id, actor=label, action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "none",
        object_id=getattr(obj, "id", None),
        school_id=school_id, report_id=report_id, before=before, after=after,
    )
    session.add(entry)
    return entry


def record_many(session: Session, actor: object, action: str, object_type: str,
                entries: Iterable[dict]) -> int:
    """Many entries of one action at once, as :func:`record` would add them one by one
    but in one INSERT (a comparison that creates 600 reports logs 600 entries). Each
    entry gives ``object_id`` and any of ``school_id``, ``report_id``, ``before`` and
    ``after``. Returns how many were added."""
    actor_id, label = _who(actor)
    rows = [{"actor_id": actor_id, "actor": label, "action": action,
             "object_type": object_type, "object_id": e["object_id"],
             "school_id": e.get("school_id"), "report_id": e.get("report_id"),
             "before": e.get("before"), "after": e.get("after")} for e in entries]
    if rows:
        session.flush()
        session.connection().execute(insert(AuditEntry.__table__), rows)
    return len(rows)
