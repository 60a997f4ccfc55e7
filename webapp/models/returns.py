"""Ticked .docx reports sent back by a school (issue 16): the file, kept for checking and
then for 30 days like a sent copy, and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Model
from webapp.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.reports import Report
    from webapp.models.users import User


class ReturnFile(Model):
    """One uploaded ticked .docx: read, shown for checking, then (once confirmed) its
    answers recorded as decisions. Only files that passed the checks are kept."""

    __tablename__ = "return_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # The file itself, for the retention period (webapp.platform.retention), then gone.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded: Mapped[int | None]  # how many answers were recorded from it

    report: Mapped[Report] = relationship("Report")
    uploaded_by: Mapped[User] = relationship("User", foreign_keys=[uploaded_by_id])
    recorded_by: Mapped[User | None] = relationship("User", foreign_keys=[recorded_by_id])
