"""What the LA does with a school's returned report: amendment tasks (the LA's value was
wrong), "SIMS to amend" items (the school's was) and every email sent about it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from webapp.extensions import Model
from webapp.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.org import School
    from webapp.models.reports import Difference, Report
    from webapp.models.users import User

TASK_STATES = ("open", "done", "rejected")
SIMS_ITEM_STATES = ("open", "amended", "not_amended", "gone")
EMAIL_STATES = ("queued", "sending", "sent", "failed")


class DecidedDifference:
    """What a task and a SIMS item keep of the decided difference they were made from:
    the pupil and the values as they stood when the report was received, so the queue and
    the school's list read the same after the next import has changed the records."""

    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    difference_id: Mapped[int] = mapped_column(
        ForeignKey("difference.id", ondelete="CASCADE"), unique=True)
    school_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("pupil_record.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(14))  # the difference's kind
    upn: Mapped[str | None] = mapped_column(String(20))
    surname: Mapped[str | None] = mapped_column(String(100))
    forename: Mapped[str | None] = mapped_column(String(100))
    school_value: Mapped[str | None] = mapped_column(Text)  # what SIMS held when decided

    @declared_attr
    def report(cls) -> Mapped[Report]:
        return relationship("Report")

    @declared_attr
    def school(cls) -> Mapped[School]:
        return relationship("School")


class AmendmentTask(DecidedDifference, Model):
    """One change the LA must make in ONE because a school showed its value was wrong.

    Made from one decided :class:`Difference` when the report is received (one task per
    difference, never two).
    """

    __tablename__ = "amendment_task"
    __table_args__ = (
        Index("ix_amendment_task_status_created", "status", "created_at"),
        Index("ix_amendment_task_school_status", "school_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    la_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("pupil_record.id", ondelete="SET NULL"))
    field_key: Mapped[str] = mapped_column(String(40), index=True)
    la_value: Mapped[str | None] = mapped_column(Text)  # what ONE holds
    new_value: Mapped[str | None] = mapped_column(Text)  # what ONE should hold
    choice: Mapped[str] = mapped_column(String(16))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"),
                                                       index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    # Checked by the next extract of ONE: confirmed (ONE holds the new value), or the task
    # went back to the queue with why ("completed on 04/12 but the extract of 11/12 ...").
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    reopened_note: Mapped[str | None] = mapped_column(Text)

    difference: Mapped[Difference] = relationship("Difference")
    decided_by: Mapped[User | None] = relationship("User", foreign_keys=[decided_by_id])
    assigned_to: Mapped[User | None] = relationship("User", foreign_keys=[assigned_to_id])
    completed_by: Mapped[User | None] = relationship("User", foreign_keys=[completed_by_id])


class SimsItem(DecidedDifference, Model):
    """A "SIMS to amend" item: the school said the LA's value is right (or neither was),
    so SIMS must change. The next import of the school's data checks it."""

    __tablename__ = "sims_item"
    __table_args__ = (Index("ix_sims_item_school_status", "school_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(160))
    field_key: Mapped[str] = mapped_column(String(40))
    expected_value: Mapped[str | None] = mapped_column(Text)  # what SIMS should hold
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The import of the school's data that showed the change made in SIMS.
    checked_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))


class OutboundEmail(Model):
    """Every email the service sends, kept until sent so that none is silently dropped.

    Holds only addresses, a subject and a body with a link: never pupil data.
    """

    __tablename__ = "outbound_email"
    __table_args__ = (Index("ix_outbound_email_status", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(40), index=True)  # one publish/reminder run
    kind: Mapped[str] = mapped_column(String(20))  # published, reminder, closed, rejected
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
