"""The local authority and its schools."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Model
from webapp.models.base import UTCDateTime, utcnow


class LocalAuthority(Model):
    __tablename__ = "local_authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    la_number: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    auto_publish: Mapped[bool] = mapped_column(default=False)
    # Which column of the LA's own extract is which item (TOML; webapp.b2b.formats.headings).
    extract_mapping: Mapped[str | None] = mapped_column(Text)

    schools: Mapped[list[School]] = relationship(back_populates="la")


class School(Model):
    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("la_id", "estab"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authority.id"))
    estab: Mapped[str] = mapped_column(String(4))
    laestab: Mapped[str] = mapped_column(String(7), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # True while the name is only a placeholder made from the LAESTAB (CSV imports).
    name_is_placeholder: Mapped[bool] = mapped_column(default=False)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    la: Mapped[LocalAuthority] = relationship(back_populates="schools")

    @property
    def la_number(self) -> str:
        return self.laestab[:3]

    @property
    def title(self) -> str:
        """How the report heads a school: establishment number and name, as in the seed."""
        return f"{self.estab} {self.name}"
