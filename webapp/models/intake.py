"""How data arrives without an officer: API tokens, uploads, and weekly cycle runs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Model
from webapp.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.org import LocalAuthority, School


class ApiToken(Model):
    """A bearer token for a machine sender: one school's MIS export, or the LA's extract.

    Only a SHA-256 of the token is kept; ``prefix`` (its first characters) lets people
    tell tokens apart in lists.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authority.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(320))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    school: Mapped[School | None] = relationship("School")
    la: Mapped[LocalAuthority] = relationship("LocalAuthority")

    @property
    def side(self) -> str:
        return "school" if self.school_id is not None else "la"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Upload(Model):
    """A file received through the API or the drop folder, imported by the job queue."""

    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(8))  # api, drop
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"), index=True)
    # An officer's upload in the browser (no token): whose, and for which LA.
    la_id: Mapped[int | None] = mapped_column(ForeignKey("local_authority.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    side: Mapped[str] = mapped_column(String(6))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    # The file itself, until it has been imported or refused.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    summary: Mapped[dict[str, object] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # Tries at importing it, and when the latest began: an import that a dead worker or a
    # locked database left unfinished is tried again, and after several tries "failed".
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    token: Mapped[ApiToken | None] = relationship("ApiToken")


class CycleRun(Model):
    """One run of the weekly cycle: import what arrived, compare, publish or tell the LA."""

    __tablename__ = "cycle_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[int]
    week: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="running")
    trigger: Mapped[str] = mapped_column(String(20))
    steps: Mapped[dict[str, object] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
