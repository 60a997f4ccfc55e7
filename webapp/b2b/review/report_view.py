"""The report as the school reads it: one view model for the page, its printable copy,
the frozen copy of what was sent, and the PDF/.docx exports.

``build_report_view(session, report)`` returns a :class:`ReportView`. Field names here are
a contract shared with the exports; keep them stable:

ReportView
    report_id, document_name, week, academic_year_label, status, editable,
    school_title ("1111 Green Abbey School"), laestab, school_name, la_name,
    pupils (list[PupilView]), total, decided, records_printed, sims_tasks (list[SimsTask])
    and the properties ``all_decided``, ``progress_text``.
PupilView
    anchor (e.g. "pupil-3", no names in it), name, kind ("matched", "new_to_la",
    "not_at_school"), rows (list[ReportRow]).
ReportRow
    label, school_value, la_value (as shown; "" when that side holds nothing), differing,
    difference_id, kind, instruction, choice, choice_label, correct_value (as shown),
    options (list[ChoiceOption]), sims_instruction, version, decided_by, decided_at,
    and the property ``anchor`` ("difference-<id>").
ChoiceOption
    value, label, needs (None, "text", "date"), value_label, hint.
SimsTask
    pupil, anchor, instruction.

Also: ``difference_row(d)`` (one row, what the htmx endpoint returns), ``progress_counts``,
``view_to_snapshot``/``view_from_snapshot`` (the frozen copy of what was sent) and the
school's lists ``school_documents``, ``school_notifications``, ``school_submissions``.

No Flask here: the CLI, the exports and tests call it the same way the views do.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.b2b.comparison.provenance import provenance_for
from webapp.b2b.records.catalogue import FIELDS, FIELDS_BY_KEY, SUMMARY_FIELDS
from webapp.b2b.records.items import RECORD_ITEMS
from webapp.b2b.review.decisions import (
    DECIDABLE_STATES,
    anomaly_label,
    choice_for,
    offered_choices,
    shown_value,
    sims_instruction,
)
from webapp.models import Difference, Notification, PupilRecord, Report, ReportSubmission

_FIELD_ORDER = {f.key: i for i, f in enumerate(FIELDS)}
_PUPIL_LABEL = {"new_to_la": "On roll", "not_at_school": "On roll"}


@dataclass
class ChoiceOption:
    value: str
    label: str
    needs: str | None = None
    value_label: str | None = None
    hint: str | None = None


@dataclass
class ReportRow:
    """One line of a pupil's table: a plain item, or a difference with its choice."""

    label: str
    school_value: str
    la_value: str
    differing: bool = False
    difference_id: int | None = None
    kind: str | None = None  # field, anomaly, new_to_la, not_at_school
    instruction: str | None = None
    choice: str | None = None
    choice_label: str | None = None
    correct_value: str | None = None
    options: list[ChoiceOption] = field(default_factory=list)
    sims_instruction: str | None = None
    version: int = 0
    decided_by: str | None = None
    decided_at: datetime | None = None
    # Where each side's value came from, and the school's earlier answers on the item.
    sources: str | None = None
    earlier: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"difference-{self.difference_id}"


@dataclass
class PupilView:
    anchor: str
    name: str
    kind: str  # matched, new_to_la, not_at_school
    rows: list[ReportRow] = field(default_factory=list)


@dataclass
class SimsTask:
    pupil: str
    anchor: str
    instruction: str


@dataclass
class ReportView:
    report_id: int
    document_name: str
    week: int
    academic_year_label: str
    status: str
    editable: bool
    school_title: str
    laestab: str
    school_name: str
    la_name: str
    pupils: list[PupilView] = field(default_factory=list)
    total: int = 0
    decided: int = 0
    records_printed: int = 0
    sims_tasks: list[SimsTask] = field(default_factory=list)

    @property
    def all_decided(self) -> bool:
        return self.decided == self.total

    @property
    def progress_text(self) -> str:
        noun = "difference" if self.total == 1 else "differences"
        return f"{self.decided} of {self.total} {noun} resolved"

    def rows_by_difference(self) -> dict[int, tuple[PupilView, ReportRow]]:
        return {r.difference_id: (p, r) for p in self.pupils for r in p.rows
                if r.difference_id is not None}


def _items(rec: PupilRecord | None) -> dict[str, str | None]:
    if rec is None:
        return {}
    return {k: getattr(rec, k) for k in RECORD_ITEMS}


def difference_row(d: Difference, label: str | None = None) -> ReportRow:
    """The row for one difference (the htmx endpoint renders just this)."""
    if d.kind == "field":
        f = FIELDS_BY_KEY.get(d.field_key)
        label = label or (f.label if f else d.field_key)
    elif d.kind == "anomaly":
        label = label or anomaly_label(d.field_key)
    else:
        label = label or _PUPIL_LABEL.get(d.kind, d.kind)
    chosen = choice_for(d, d.choice)
    return ReportRow(
        label=label,
        school_value=shown_value(d, d.school_value) or "",
        la_value=shown_value(d, d.la_value) or "",
        differing=True,
        difference_id=d.id,
        kind=d.kind,
        instruction=d.instruction,
        choice=d.choice,
        choice_label=chosen.label if chosen else None,
        correct_value=shown_value(d, d.correct_value),
        options=[ChoiceOption(**asdict(c)) for c in offered_choices(d)],
        sims_instruction=sims_instruction(d),
        version=d.version,
        decided_by=d.decided_by.name if d.decided_by is not None else None,
        decided_at=d.decided_at,
    )


def _pupil_view(anchor: str, diffs: list[Difference]) -> PupilView:
    first = diffs[0]
    school = _items(first.school_record)
    la = _items(first.la_record)
    kind = next((d.kind for d in diffs if d.kind in ("new_to_la", "not_at_school")),
                "matched")
    name = " ".join(p for p in (first.forename, first.surname) if p) or "Pupil"
    by_field = {d.field_key: d for d in diffs if d.kind == "field"}
    rows: list[ReportRow] = [difference_row(d) for d in diffs if d.kind == kind]
    for key in SUMMARY_FIELDS:
        d = by_field.pop(key, None)
        if d is not None:
            rows.append(difference_row(d))
            continue
        f = FIELDS_BY_KEY[key]
        rows.append(ReportRow(
            label=f.label,
            school_value=f.show(f.value(school)) if school else "",
            la_value=f.show(f.value(la)) if la else "",
        ))
    for d in sorted(by_field.values(), key=lambda d: _FIELD_ORDER.get(d.field_key, 999)):
        rows.append(difference_row(d))
    rows.extend(difference_row(d) for d in diffs if d.kind == "anomaly")
    return PupilView(anchor=anchor, name=name, kind=kind, rows=rows)


def load_differences(session: Session, report: Report) -> list[Difference]:
    """The report's open differences with both records and the decider, in few queries."""
    return list(session.scalars(
        select(Difference)
        .where(Difference.report_id == report.id, Difference.status == "open")
        .options(selectinload(Difference.school_record), selectinload(Difference.la_record),
                 selectinload(Difference.decided_by))
        .order_by(Difference.id)))


def build_report_view(session: Session, report: Report) -> ReportView:
    """The whole report as the school sees it: per pupil, the seed's rows, then any other
    differing items and anomalies, each difference with its offered choices."""
    school = report.school
    diffs = load_differences(session, report)
    groups: dict[str, list[Difference]] = {}
    for d in diffs:
        groups.setdefault(d.subject_key, []).append(d)
    pupils = [_pupil_view(f"pupil-{i}", ds) for i, ds in enumerate(groups.values(), 1)]
    add_provenance(session, report, diffs, [r for p in pupils for r in p.rows])
    tasks = [SimsTask(p.name, r.anchor, r.sims_instruction)
             for p in pupils for r in p.rows if r.sims_instruction]
    return ReportView(
        report_id=report.id,
        document_name=report.document_name,
        week=report.week,
        academic_year_label=report.academic_year_label,
        status=report.status,
        editable=report.status in DECIDABLE_STATES,
        school_title=school.title,
        laestab=school.laestab,
        school_name=school.name,
        la_name=school.la.name,
        pupils=pupils,
        total=len(diffs),
        decided=sum(1 for d in diffs if d.choice is not None),
        records_printed=len(pupils),
        sims_tasks=tasks,
    )


def add_provenance(session: Session, report: Report, diffs: list[Difference],
                   rows: list[ReportRow]) -> None:
    """Fill each difference row's ``sources`` and ``earlier`` (a few queries per report)."""
    prov = provenance_for(session, report, diffs)
    for row in rows:
        p = prov.get(row.difference_id) if row.difference_id else None
        if p is None:
            continue
        parts = [f"{side}: {src.describe()}" for side, src in
                 (("School data", p.school), ("LA data", p.la)) if src is not None]
        row.sources = "; ".join(parts) or None
        row.earlier = p.earlier


def progress_counts(session: Session, report: Report) -> tuple[int, int]:
    """(decided, total) open differences, without building the whole view."""
    rows = session.execute(
        select(Difference.choice).where(Difference.report_id == report.id,
                                        Difference.status == "open")).all()
    return sum(1 for (c,) in rows if c is not None), len(rows)


# -- the frozen copy of what was sent -------------------------------------------------

def view_to_snapshot(view: ReportView) -> str:
    """The view as JSON text, for ``ReportSubmission.snapshot``."""
    return json.dumps(asdict(view), default=lambda v: v.isoformat()
                      if isinstance(v, datetime) else str(v))


def view_from_snapshot(snapshot: str) -> ReportView:
    """A :class:`ReportView` back from ``ReportSubmission.snapshot``."""
    data = json.loads(snapshot)
    pupils = []
    for p in data.pop("pupils"):
        rows = []
        for r in p.pop("rows"):
            r["options"] = [ChoiceOption(**o) for o in r["options"]]
            if r.get("decided_at"):
                r["decided_at"] = datetime.fromisoformat(r["decided_at"])
            rows.append(ReportRow(**r))
        pupils.append(PupilView(rows=rows, **p))
    tasks = [SimsTask(**t) for t in data.pop("sims_tasks")]
    return ReportView(pupils=pupils, sims_tasks=tasks, **data)


# -- the school's lists: documents panel, notifications, files previously sent ---------

# The "Files Previously Sent" filters, in the portal's words.
SENT_FILTERS = {"all": "All", "waiting": "Sent and Not Yet Received", "received": "Received"}


def school_documents(session: Session, school_id: int, limit: int = 50) -> list[Report]:
    """The reports published to a school, newest first (drafts are the LA's alone)."""
    return list(session.scalars(
        select(Report).where(Report.school_id == school_id, Report.status != "draft")
        .order_by(Report.published_at.desc(), Report.id.desc()).limit(limit)))


def school_notifications(session: Session, school_id: int,
                         limit: int = 10) -> list[Notification]:
    return list(session.scalars(
        select(Notification).where(Notification.school_id == school_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def school_submissions(session: Session, school_id: int,
                       show: str = "all") -> list[ReportSubmission]:
    """A school's sendings, newest first: all (recalled ones too), those the LA has not
    yet received, or those it has."""
    q = (select(ReportSubmission).join(Report)
         .where(Report.school_id == school_id)
         .order_by(ReportSubmission.sent_at.desc(), ReportSubmission.id.desc()))
    if show == "waiting":
        q = q.where(ReportSubmission.received_at.is_(None),
                    ReportSubmission.recalled_at.is_(None))
    elif show == "received":
        q = q.where(ReportSubmission.received_at.is_not(None))
    return list(session.scalars(q))
