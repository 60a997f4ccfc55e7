"""Where each side's value came from, and what the school decided before.

For every difference: which import (and which upload, if it came through the API or the
drop folder) supplied each side's value and when that value last changed, or, for an LA
value written by an amendment task, which task and officer; and the school's earlier
decisions on the same item of the same pupil ("school confirmed Joseph, week 12").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.b2b.records.items import ADDRESS_PARTS
from webapp.models import AmendmentTask, Difference, ImportBatch, PupilRecord, Report, Upload

AMENDED_BY = "task:"  # an item_batches entry naming an amendment task (see amendments/tasks.py)


@dataclass(frozen=True)
class Source:
    """The import that last changed a value."""

    batch_id: int
    file_name: str
    via: str  # "API upload 12", "drop folder", "import"
    at: datetime

    def describe(self) -> str:
        return f"{self.via} of {self.file_name}, {self.at.strftime('%d/%m/%Y %H:%M')}"


@dataclass(frozen=True)
class Amended:
    """The amendment task that last wrote a value into the LA's record."""

    task_id: int
    officer: str
    at: datetime | None

    def describe(self) -> str:
        when = f", {self.at.strftime('%d/%m/%Y %H:%M')}" if self.at else ""
        return f"amended by {self.officer} (amendment task {self.task_id}){when}"


@dataclass
class Provenance:
    school: Source | Amended | None = None
    la: Source | Amended | None = None
    earlier: list[str] = field(default_factory=list)


def _items_of(field_key: str) -> tuple[str, ...] | None:
    if field_key == "address":
        return ADDRESS_PARTS + ("postcode",)
    if field_key in FIELDS_BY_KEY and "." not in field_key:
        return (field_key,)
    return None  # anomalies, exclusions, attendance: the record's latest change


def _batch_for(rec: PupilRecord, items: tuple[str, ...] | None) -> int | str | None:
    """The batch id (or ``"task:<id>"``) that last changed these items of the record."""
    if items is None:
        return rec.import_batch_id
    changed = rec.item_batches or {}
    found = [changed.get(i) for i in items]
    batches = [v for v in found if isinstance(v, int)]
    tasks = [v for v in found if isinstance(v, str) and v.startswith(AMENDED_BY)]
    if tasks and not batches:
        return max(tasks, key=lambda v: int(v[len(AMENDED_BY):]))
    # An import changing part of an amended address replaced that part's note: it is later.
    return max(batches) if batches else (rec.created_batch_id or rec.import_batch_id)


def _sources(session: Session, keys: set[int | str]) -> dict[int | str, Source | Amended]:
    batch_ids = {k for k in keys if isinstance(k, int)}
    task_ids = {int(k[len(AMENDED_BY):]) for k in keys
                if isinstance(k, str) and k[len(AMENDED_BY):].isdigit()}
    out: dict[int | str, Source | Amended] = {}
    if task_ids:
        for t in session.scalars(select(AmendmentTask).where(AmendmentTask.id.in_(task_ids))):
            officer = t.completed_by.name if t.completed_by is not None else "the LA"
            out[f"{AMENDED_BY}{t.id}"] = Amended(t.id, officer, t.completed_at)
    if not batch_ids:
        return out
    uploads = {u.import_batch_id: u for u in session.scalars(
        select(Upload).where(Upload.import_batch_id.in_(batch_ids)))}
    for b in session.scalars(select(ImportBatch).where(ImportBatch.id.in_(batch_ids))):
        u = uploads.get(b.id)
        via = (f"API upload {u.id}" if u.source == "api" else "drop folder") if u else "import"
        out[b.id] = Source(b.id, b.file_name, via, b.imported_at)
    return out


def _earlier_text(d: Difference, report: Report) -> str:
    f = FIELDS_BY_KEY.get(d.field_key)
    show = f.show if f is not None else (lambda v: v or "")
    if d.choice == "school":
        what = f"school confirmed {show(d.school_value)}"
    elif d.choice == "la":
        what = f"school accepted the LA's {show(d.la_value)}"
    elif d.choice == "other":
        what = f"school gave {show(d.correct_value)}"
    else:
        assert d.choice is not None  # only decided differences are looked back on
        what = f"school answered {d.choice.replace('_', ' ')}"
    return f"{what}, week {report.week} {report.academic_year_label}"


def provenance_for(session: Session, report: Report, diffs: Iterable[Difference]
                   ) -> dict[int, Provenance]:
    """Provenance for each of a report's differences, by difference id (few queries)."""
    diffs = list(diffs)
    wanted: dict[int, tuple[int | str | None, int | str | None]] = {}
    for d in diffs:
        items = _items_of(d.field_key) if d.kind == "field" else None
        # The differences come with their records loaded (report_view.load_differences).
        s, la = d.school_record, d.la_record
        wanted[d.id] = (_batch_for(s, items) if s else None, _batch_for(la, items) if la else None)
    sources = _sources(session, {b for pair in wanted.values() for b in pair if b})

    def source(batch: int | str | None) -> Source | Amended | None:
        return None if batch is None else sources.get(batch)

    out = {d.id: Provenance(source(wanted[d.id][0]), source(wanted[d.id][1])) for d in diffs}
    keys = {(d.subject_key, d.field_key) for d in diffs}
    if keys:
        earlier = session.execute(
            select(Difference, Report).join(Report, Difference.report_id == Report.id)
            .where(Report.school_id == report.school_id, Report.id != report.id,
                   Difference.choice.is_not(None),
                   Difference.subject_key.in_({k[0] for k in keys}))
            .order_by(Report.week_start.desc())).all()
        by_key: dict[tuple[str, str], list[str]] = {}
        for d, r in earlier:
            if r.week_start < report.week_start:
                by_key.setdefault((d.subject_key, d.field_key), []).append(_earlier_text(d, r))
        for d in diffs:
            out[d.id].earlier = by_key.get((d.subject_key, d.field_key), [])[:3]
    return out
