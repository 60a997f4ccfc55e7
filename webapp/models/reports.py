"""Weekly reports, their differences (with the school's decision on each) and sends."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Model
from webapp.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.org import School
    from webapp.models.pupils import PupilRecord
    from webapp.models.users import User

# Report states, in the order a report normally passes through them.
# "superseded": a newer week's report was published before this one was sent; it is
# read-only and its decisions were carried into the newer one.
REPORT_STATES = ("draft", "published", "in_progress", "sent", "received", "closed",
                 "superseded")

# Kinds of item a report asks the school about.
DIFFERENCE_KINDS = ("field", "anomaly", "new_to_la", "not_at_school")


class Report(Model):
    """One school's report of differences for one week of an academic year."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("school_id", "academic_year", "week"),
                      Index("ix_report_school_week_start", "school_id", "week_start"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    academic_year: Mapped[int]  # the year the academic year starts: 2026 is 2026/27
    week: Mapped[int]  # the LA's number for it, kept for the name (B2BreportWeek02)
    # The Monday the week starts: what "earlier" and "latest" compare (webapp.b2b.weeks).
    week_start: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    compared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fingerprint of both sides' records at the last comparison: unchanged means skip.
    compared_fingerprint: Mapped[str | None] = mapped_column(String(40))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))

    school: Mapped[School] = relationship("School")
    differences: Mapped[list[Difference]] = relationship(
        back_populates="report", order_by="Difference.id"
    )
    published_by: Mapped[User | None] = relationship("User", foreign_keys=[published_by_id])
    opened_by: Mapped[User | None] = relationship("User", foreign_keys=[opened_by_id])
    sent_by: Mapped[User | None] = relationship("User", foreign_keys=[sent_by_id])
    received_by: Mapped[User | None] = relationship("User", foreign_keys=[received_by_id])
    superseded_by: Mapped[Report | None] = relationship(
        "Report", remote_side="Report.id", foreign_keys=[superseded_by_id])

    @property
    def academic_year_label(self) -> str:
        return f"{self.academic_year}/{(self.academic_year + 1) % 100:02d}"

    @property
    def document_name(self) -> str:
        """The name the portal gave the Word file, kept so schools recognise it."""
        return f"B2BreportWeek{self.week:02d}"


class Difference(Model):
    """One thing the school is asked to settle: a differing item, an anomaly, or a pupil
    held by only one side. Its identity (``subject_key`` + ``field_key``) is stable across
    re-runs of the comparison, so the decision on it is never lost or doubled."""

    __tablename__ = "difference"
    __table_args__ = (
        UniqueConstraint("report_id", "subject_key", "kind", "field_key"),
        Index("ix_difference_report_status", "report_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(14))
    subject_key: Mapped[str] = mapped_column(String(160))  # which pupil, within the school
    field_key: Mapped[str] = mapped_column(String(40))  # catalogue key or anomaly rule
    side: Mapped[str | None] = mapped_column(String(6))  # anomalies: school, la or both
    school_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("pupil_record.id", ondelete="SET NULL")
    )
    la_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("pupil_record.id", ondelete="SET NULL")
    )
    upn: Mapped[str | None] = mapped_column(String(20))
    surname: Mapped[str | None] = mapped_column(String(100))
    forename: Mapped[str | None] = mapped_column(String(100))
    school_value: Mapped[str | None] = mapped_column(Text)
    la_value: Mapped[str | None] = mapped_column(Text)
    instruction: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved_by_data
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The school's decision; ``version`` rises with every change so stale posts are refused.
    choice: Mapped[str | None] = mapped_column(String(16))
    correct_value: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=0)
    # The earlier week's decided difference this decision was carried from (not asked
    # again: the same item with the same values), if it was.
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("difference.id", ondelete="SET NULL"))

    report: Mapped[Report] = relationship(back_populates="differences")
    decided_by: Mapped[User | None] = relationship("User", foreign_keys=[decided_by_id])
    school_record: Mapped[PupilRecord | None] = relationship(
        "PupilRecord", foreign_keys=[school_record_id])
    la_record: Mapped[PupilRecord | None] = relationship(
        "PupilRecord", foreign_keys=[la_record_id])


class ReportSubmission(Model):
    """One sending of a report to the LA: the portal's "Files Previously Sent" row."""

    __tablename__ = "report_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recalled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # What was sent, frozen: the copy the school can download is rendered from this.
    snapshot: Mapped[str | None] = mapped_column(Text)

    report: Mapped[Report] = relationship()
    sent_by: Mapped[User] = relationship("User", foreign_keys=[sent_by_id])
    recalled_by: Mapped[User | None] = relationship("User", foreign_keys=[recalled_by_id])
    received_by: Mapped[User | None] = relationship("User", foreign_keys=[received_by_id])


class Notification(Model):
    """A message shown on a school's home page (and usually emailed too)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message: Mapped[str] = mapped_column(Text)
