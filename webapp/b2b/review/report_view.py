"""The report as the school reads it: one view model for the page, its printable copy,
the frozen copy of what was sent, and the PDF/.docx exports.

``build_report_view(session, report)`` returns a :class:`ReportView`. Field names here are
a contract shared with the exports; keep them stable:

ReportView
    report_id, document_name, week, academic_year_label, status, editable,
    school_title ("1111 Green Abbey School"), laestab, school_name, la_name,
    pupils (list[PupilView]), total, decided, records_printed, sims_tasks (list[SimsTask]),
    rejections (list[RejectionView]: the changes the LA did not make, with its reasons)
    and the properties ``all_decided``, ``progress_text``, ``summary`` (list[SummaryLine]),
    ``first_unanswered`` (NextItem or None).
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

Also: ``difference_row(d)`` (one row, what the htmx endpoint returns), ``answer_progress``,
``progress_text`` and ``next_unanswered`` (the counter and its "Next unanswered" link,
for the htmx answer too), ``records_printed`` (the pupils a report prints: the CLI's JSON
counts with it too),
``view_to_snapshot``/``view_from_snapshot`` (the frozen copy of what was sent) and the
school's lists ``school_documents``, ``school_notifications``, ``school_submissions``.

No Flask here: the CLI, the exports and tests call it the same way the views do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import case, select
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
from webapp.b2b.review.wording import (
    UNMATCHED_LABELS,
    RejectionView,
    item_label,
    plural,
    pupil_name,
    rejection_of,
)
from webapp.models import (
    AmendmentTask,
    Difference,
    ImportBatch,
    Notification,
    PupilRecord,
    Report,
    ReportSubmission,
    SimsItem,
)

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
    # Set once the school's next data shows the change made: "Done: shown by your data
    # of 11/12/2026 (sims-export.xml)".
    done: str | None = None


@dataclass
class SummaryLine:
    """One line of the summary at the top of the report: a count, linked to the first."""

    count: int
    text: str  # "5 differences"
    hint: str  # what they are, in a few words
    anchor: str  # the first of them


@dataclass
class NextItem:
    """The next item still to answer: where it is and what it is (for the link's words)."""

    anchor: str
    label: str
    pupil: str


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
    rejections: list[RejectionView] = field(default_factory=list)

    @property
    def all_decided(self) -> bool:
        return self.decided == self.total

    @property
    def progress_text(self) -> str:
        return progress_text(self.decided, self.total)

    @property
    def summary(self) -> list[SummaryLine]:
        """How many differences, anomalies and pupils held by one side only the report
        asks about, each linked to the first of them on the page."""
        first: dict[str, str] = {}
        counts: dict[str, int] = {}
        for p in self.pupils:
            for r in p.rows:
                if r.difference_id is None or r.kind is None:
                    continue
                group = _SUMMARY_GROUP.get(r.kind, "unmatched")
                # Unmatched pupils are counted as pupils, not rows.
                if group == "unmatched":
                    first.setdefault(group, p.anchor)
                else:
                    first.setdefault(group, r.anchor)
                counts[group] = counts.get(group, 0) + 1
        return [SummaryLine(counts[g], plural(counts[g], *nouns), hint, first[g])
                for g, nouns, hint in _SUMMARY_LINES if counts.get(g)]

    @property
    def first_unanswered(self) -> NextItem | None:
        for p in self.pupils:
            for r in p.rows:
                if r.difference_id is not None and r.choice is None:
                    return NextItem(r.anchor, r.label, p.name)
        return None

    def rows_by_difference(self) -> dict[int, tuple[PupilView, ReportRow]]:
        return {r.difference_id: (p, r) for p in self.pupils for r in p.rows
                if r.difference_id is not None}


# The summary's groups: what each kind of item counts as, and how each is worded.
_SUMMARY_GROUP = {"field": "differences", "anomaly": "anomalies"}
_SUMMARY_LINES: tuple[tuple[str, tuple[str, str], str], ...] = (
    ("differences", ("difference", "differences"), "between your data and the LA's"),
    ("anomalies", ("anomaly", "anomalies"), "(UPNs or postcodes to check)"),
    ("unmatched", ("pupil", "pupils"), "held in only your data or only the LA's"),
)


def progress_text(decided: int, total: int) -> str:
    """The counter: every kind of item (differences, anomalies, unmatched pupils)."""
    return f"{decided} of {total} answered"


def records_printed(diffs: Iterable[Difference]) -> int:
    """How many pupils a report prints: every pupil with an open item, those held by one
    side only included. The page, the PDF/.docx and the CLI's JSON all count with this."""
    return len({d.subject_key for d in diffs})


def _row_rank(kind: str, field_key: str) -> tuple[int, int]:
    """Where a pupil's item comes in their table (see ``_pupil_view``): the unmatched
    pupil's own row, then the seed's summary rows, the other fields, the anomalies."""
    if kind in UNMATCHED_LABELS:
        return 0, 0
    if kind == "field":
        if field_key in SUMMARY_FIELDS:
            return 1, SUMMARY_FIELDS.index(field_key)
        return 2, _FIELD_ORDER.get(field_key, 999)
    return 3, 0


def answer_progress(session: Session, report: Report, after_id: int | None = None
                    ) -> tuple[int, int, NextItem | None]:
    """(decided, total, the next unanswered item after ``after_id``): what the htmx
    answer to a choice shows beside the row, from one light query."""
    rows = session.execute(
        select(Difference.id, Difference.subject_key, Difference.kind, Difference.field_key,
               Difference.choice, Difference.forename, Difference.surname)
        .where(Difference.report_id == report.id, Difference.status == "open")
        .order_by(Difference.id)).all()
    pupil_order: dict[str, int] = {}
    for r in rows:
        pupil_order.setdefault(r.subject_key, len(pupil_order))
    ordered = sorted(rows, key=lambda r: (pupil_order[r.subject_key],
                                          _row_rank(r.kind, r.field_key), r.id))
    decided = sum(1 for r in rows if r.choice is not None)
    start = next((i + 1 for i, r in enumerate(ordered) if r.id == after_id), 0)
    for r in ordered[start:] + ordered[:start]:
        if r.choice is None:
            label = (_PUPIL_LABEL.get(r.kind, r.kind) if r.kind in UNMATCHED_LABELS
                     else item_label(r.kind, r.field_key))
            return decided, len(rows), NextItem(f"difference-{r.id}", label,
                                                pupil_name(r.forename, r.surname))
    return decided, len(rows), None


def next_unanswered(session: Session, report: Report, after_id: int | None = None
                    ) -> NextItem | None:
    """The first unanswered item after ``after_id`` in the page's order (wrapping round
    to the top), or ``None`` when every item is answered."""
    return answer_progress(session, report, after_id)[2]


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
    for d in sorted(by_field.values(), key=lambda d: (_row_rank(d.kind, d.field_key), d.id)):
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


def sims_changes_confirmed(session: Session, report_id: int) -> dict[int, str]:
    """For each difference of the report whose "SIMS to amend" item the school's next data
    settled, the words saying so and by which import (difference id -> text)."""
    out: dict[int, str] = {}
    for item, batch in session.execute(
            select(SimsItem, ImportBatch).outerjoin(
                ImportBatch, SimsItem.checked_batch_id == ImportBatch.id)
            .where(SimsItem.report_id == report_id, SimsItem.status == "amended")):
        when = (batch.imported_at if batch else item.closed_at or item.checked_at)
        source = f" ({batch.file_name})" if batch else ""
        out[item.difference_id] = (f"Done: shown by your data of {when:%d/%m/%Y}{source}"
                                   if when else "Done")
    return out


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
    confirmed = sims_changes_confirmed(session, report.id)
    tasks = [SimsTask(p.name, r.anchor, r.sims_instruction,
                      confirmed.get(r.difference_id) if r.difference_id else None)
             for p in pupils for r in p.rows if r.sims_instruction]
    rejected = session.scalars(select(AmendmentTask).where(
        AmendmentTask.report_id == report.id, AmendmentTask.status == "rejected")
        .order_by(AmendmentTask.id))
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
        records_printed=records_printed(diffs),
        sims_tasks=tasks,
        rejections=[rejection_of(t) for t in rejected],
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
    # Copies sent before rejections were kept in the view have none.
    rejections = [RejectionView(**r) for r in data.pop("rejections", [])]
    return ReportView(pupils=pupils, sims_tasks=tasks, rejections=rejections, **data)


# -- the school's lists: documents panel, notifications, files previously sent ---------

# The "Files Previously Sent" filters, in the portal's words.
SENT_FILTERS = {"all": "All", "waiting": "Sent and Not Yet Received", "received": "Received"}


def school_documents(session: Session, school_id: int, limit: int = 50) -> list[Report]:
    """The reports published to a school (drafts are the LA's alone): what needs doing
    first, then the rest, each newest week first."""
    to_do = case((Report.status.in_(("published", "in_progress")), 0), else_=1)
    return list(session.scalars(
        select(Report).where(Report.school_id == school_id, Report.status != "draft")
        .order_by(to_do, Report.week_start.desc(), Report.id.desc()).limit(limit)))


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
