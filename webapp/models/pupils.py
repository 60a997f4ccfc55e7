"""What each side (the school's MIS, the LA's ONE) holds about a pupil."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Model
from webapp.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.org import School

SIDES = ("school", "la")

class ImportBatch(Model):
    """One file taken in (or refused), from the school's MIS or the LA."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    side: Mapped[str] = mapped_column(String(6))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_format: Mapped[str] = mapped_column(String(24))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="imported")
    read_count: Mapped[int] = mapped_column(default=0)
    new_count: Mapped[int] = mapped_column(default=0)
    changed_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    refused_count: Mapped[int] = mapped_column(default=0)
    schools_created: Mapped[int] = mapped_column(default=0)
    errors: Mapped[str | None] = mapped_column(Text)


class PupilRecord(Model):
    """The latest snapshot of one pupil as one side holds it (items: ``b2b.records.items``)."""

    __tablename__ = "pupil_record"
    __table_args__ = (
        UniqueConstraint("side", "school_id", "record_key"),
        Index("ix_pupil_record_school_side", "school_id", "side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    side: Mapped[str] = mapped_column(String(6))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    # UPN, or UPN#n for the n-th repeat of a UPN in one school, or a name/DOB key when
    # the source gave no UPN at all: how an import finds the record again.
    record_key: Mapped[str] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(40))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Provenance: the batch that created the record, and for each item changed since,
    # the batch that last changed it ({"forename": 12, ...}).
    created_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    item_batches: Mapped[dict[str, int | str] | None] = mapped_column(JSON)
    # What is wrong with the record's own UPN and postcode (``checks.record_problems``),
    # kept up to date on every write (the importer sets it; ``webapp.b2b.records.upkeep``
    # does for the ORM): the comparison's screen reads it.
    problems: Mapped[str | None] = mapped_column(String(60))

    upn: Mapped[str | None] = mapped_column(String(20))
    former_upn: Mapped[str | None] = mapped_column(String(20))
    surname: Mapped[str | None] = mapped_column(String(100))
    forename: Mapped[str | None] = mapped_column(String(100))
    middle_names: Mapped[str | None] = mapped_column(String(200))
    preferred_surname: Mapped[str | None] = mapped_column(String(100))
    preferred_forename: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(1))
    dob: Mapped[str | None] = mapped_column(String(10))
    address_saon: Mapped[str | None] = mapped_column(String(200))
    address_paon: Mapped[str | None] = mapped_column(String(200))
    address_street: Mapped[str | None] = mapped_column(String(200))
    address_locality: Mapped[str | None] = mapped_column(String(200))
    address_town: Mapped[str | None] = mapped_column(String(200))
    address_county: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    uprn: Mapped[str | None] = mapped_column(String(12))
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    home_language: Mapped[str | None] = mapped_column(String(4))
    first_language: Mapped[str | None] = mapped_column(String(4))
    sen_provision: Mapped[str | None] = mapped_column(String(1))
    sen_needs: Mapped[str | None] = mapped_column(String(40))
    nc_year: Mapped[str | None] = mapped_column(String(3))
    religion: Mapped[str | None] = mapped_column(String(4))
    reg_group: Mapped[str | None] = mapped_column(String(20))
    connexions_assent: Mapped[str | None] = mapped_column(String(1))
    start_date: Mapped[str | None] = mapped_column(String(10))
    leave_date: Mapped[str | None] = mapped_column(String(10))
    enrol_status: Mapped[str | None] = mapped_column(String(2))
    eal: Mapped[str | None] = mapped_column(String(1))
    gifted_talented: Mapped[str | None] = mapped_column(String(1))
    service_child: Mapped[str | None] = mapped_column(String(1))
    traveller: Mapped[str | None] = mapped_column(String(1))

    school: Mapped[School] = relationship("School")
    import_batch: Mapped[ImportBatch | None] = relationship(
        "ImportBatch", foreign_keys=[import_batch_id])
    exclusions: Mapped[list[Exclusion]] = relationship(
        back_populates="pupil", cascade="all, delete-orphan", order_by="Exclusion.start_date"
    )
    attendance: Mapped[list[AttendanceYear]] = relationship(
        back_populates="pupil", cascade="all, delete-orphan",
        order_by="AttendanceYear.academic_year",
    )


def unkeyed(record: type[PupilRecord]) -> ColumnElement[bool]:
    """A record not keyed by its UPN: none given, a UPN given twice in a file (the second
    is keyed "UPN#2"), or one changed since. Few records are; they have an index."""
    return or_(record.upn.is_(None), record.record_key != record.upn)


Index("ix_pupil_record_unkeyed", PupilRecord.school_id,
      sqlite_where=unkeyed(PupilRecord), postgresql_where=unkeyed(PupilRecord))


class Exclusion(Model):
    """A permanent exclusion, suspension or lunchtime exclusion as one side holds it."""

    __tablename__ = "exclusion"
    __table_args__ = (UniqueConstraint("pupil_id", "category", "start_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil_record.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(4))
    start_date: Mapped[str] = mapped_column(String(10))
    end_date: Mapped[str | None] = mapped_column(String(10))
    sessions: Mapped[str | None] = mapped_column(String(6))
    reasons: Mapped[str | None] = mapped_column(String(20))  # up to three codes, comma-joined
    term: Mapped[str | None] = mapped_column(String(12))
    academic_year: Mapped[str | None] = mapped_column(String(7))

    pupil: Mapped[PupilRecord] = relationship(back_populates="exclusions")


class AttendanceYear(Model):
    """A pupil's attendance for one academic year as one side holds it."""

    __tablename__ = "attendance_year"
    __table_args__ = (UniqueConstraint("pupil_id", "academic_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil_record.id", ondelete="CASCADE"))
    academic_year: Mapped[str] = mapped_column(String(7))  # "2024/25"
    sessions_possible: Mapped[int | None]
    sessions_attended: Mapped[int | None]
    sessions_authorised: Mapped[int | None]
    sessions_unauthorised: Mapped[int | None]
    attendance_start_date: Mapped[str | None] = mapped_column(String(10))
    marks: Mapped[str | None] = mapped_column(Text)

    pupil: Mapped[PupilRecord] = relationship(back_populates="attendance")
