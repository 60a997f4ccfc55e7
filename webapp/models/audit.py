"""The append-only audit log: who changed what, when, from what to what."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from sqlalchemy import JSON, Connection, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from webapp.extensions import Model
from webapp.models.base import UTCDateTime, utcnow


class AuditEntry(Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str] = mapped_column(String(320))  # email, or "system"/"cli:<user>"
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict[str, object] | None] = mapped_column(JSON)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper: Mapper[AuditEntry], _connection: Connection,
                   target: AuditEntry) -> NoReturn:
    raise RuntimeError("the audit log is append-only")
