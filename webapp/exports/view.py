"""What the printed report shows, built once and rendered as PDF and .docx alike.

A thin adapter over the report's ``Difference`` rows, in the shape the school pages'
view model (``webapp.b2b.report_view``) is being written to: when that lands, the
exporters switch to it and this module goes. Nothing here formats for one output only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.b2b.catalogue import FIELDS_BY_KEY, SUMMARY_FIELDS, Field
from webapp.b2b.items import RECORD_ITEMS
from webapp.models import AmendmentTask, Difference, PupilRecord, Report

TICKED = "\u2612"  # ☒
EMPTY = "\u2610"  # ☐

STATUS_LABELS = {
    "draft": "Draft (not yet published to the school)",
    "published": "Published: waiting for the school",
    "in_progress": "In progress at the school",
    "sent": "Sent to the LA",
    "received": "Received by the LA",
    "closed": "Closed",
}

INSTRUCTIONS = (
    "For any differences identified the data item(s) are printed in bold text together "
    "with an instructional comment and tick boxes.",
    "The tick boxes show which information the school has marked as correct: \u2612 against "
    "the correct side, \u2610 against the other. Both boxes are empty while undecided.",
    "It is important that you verify from your paper records any pupil data differences. "
    "Where SIMS is incorrect please amend your data on your system.",
    "Where ONE is incorrect, on return of the report, the LA will amend its data to match "
    "yours.",
)

CHOICE_WORDS = {"school": "School data", "la": "LA data (ONE)", "neither": "Neither"}


@dataclass
class RowView:
    """One line of a pupil's table: a catalogue field, or a message spanning the table."""

    label: str
    school_value: str = ""
    la_value: str = ""
    differing: bool = False
    instruction: str = ""
    # A message printed in its own full-width line under the values (the seed's address
    # row), instead of in the comment column.
    message_below: bool = False
    kind: str = "field"
    field_key: str | None = None
    difference_id: int | None = None
    choice: str | None = None
    correct_value: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def has_ticks(self) -> bool:
        return self.differing and self.kind == "field"

    @property
    def school_tick(self) -> str:
        return (TICKED if self.choice == "school" else EMPTY) if self.has_ticks else ""

    @property
    def la_tick(self) -> str:
        return (TICKED if self.choice == "la" else EMPTY) if self.has_ticks else ""

    @property
    def decided(self) -> bool:
        return self.choice is not None

    @property
    def decision_text(self) -> str:
        """The decision in words, as the annex and the "Neither" line print it."""
        if self.choice is None:
            return "Not yet decided"
        if self.choice == "school":
            return f"School data: {self.school_value}"
        if self.choice == "la":
            return f"LA data (ONE): {self.la_value}"
        if self.choice == "neither":
            return f"Neither; correct value: {self.correct_value or '(not given)'}"
        words = self.choice.replace("_", " ")
        return f"{words}: {self.correct_value}" if self.correct_value else words


@dataclass
class PupilView:
    heading: str
    upn: str | None
    rows: list[RowView] = field(default_factory=list)

    @property
    def decidable(self) -> list[RowView]:
        return [r for r in self.rows if r.difference_id is not None]


@dataclass
class UnmatchedView:
    heading: str
    side: str  # "school_only" or "la_only"
    description: str
    row: RowView


@dataclass
class AmendmentView:
    """One change the LA made (or is to make) in ONE after the school returned the report."""

    pupil: str
    label: str
    value: str
    status: str  # "done", "open" (still to do) or "rejected"
    who: str | None
    when: datetime | None


@dataclass
class ReportView:
    report_id: int
    laestab: str
    school_name: str
    school_title: str
    week: int
    academic_year: str
    status: str
    status_label: str
    document_name: str
    pupils: list[PupilView] = field(default_factory=list)
    unmatched: list[UnmatchedView] = field(default_factory=list)
    amendments: list[AmendmentView] = field(default_factory=list)
    sent_at: datetime | None = None
    sent_by: str | None = None
    received_at: datetime | None = None
    received_by: str | None = None
    instructions: tuple[str, ...] = INSTRUCTIONS

    @property
    def records_printed(self) -> int:
        return len(self.pupils)

    @property
    def is_received(self) -> bool:
        return self.status in ("received", "closed")

    @property
    def decisions(self) -> list[tuple[str, RowView]]:
        """Every item the school is asked to settle, with the pupil it belongs to."""
        out = [(p.heading, r) for p in self.pupils for r in p.decidable]
        out += [(u.heading, u.row) for u in self.unmatched]
        return out

    @property
    def decided_count(self) -> int:
        return sum(1 for _p, r in self.decisions if r.decided)

    @property
    def file_stem(self) -> str:
        """The download's name: the portal's document name and the LAESTAB, never a pupil."""
        return f"{self.document_name}-{self.laestab}"


def _as_record(pr: PupilRecord | None) -> dict[str, str | None]:
    if pr is None:
        return {}
    return {k: getattr(pr, k) for k in RECORD_ITEMS}


def _who(d: Difference) -> str | None:
    return d.decided_by.name if d.decided_by is not None else None


def _name(forename: str | None, surname: str | None, upn: str | None) -> str:
    name = " ".join(x for x in (forename, surname) if x) or "(no name)"
    return f"{name} ({upn})" if upn else name


def _decision(row: RowView, d: Difference, f: Field | None = None) -> RowView:
    row.difference_id = d.id
    row.choice = d.choice
    row.correct_value = f.show(d.correct_value) if f and d.correct_value else d.correct_value
    row.decided_by = _who(d)
    row.decided_at = d.decided_at
    return row


def _field_row(f: Field, d: Difference, school: dict, la: dict) -> RowView:
    if f.key == "postcode":
        # The seed's "LA Address" line: the whole address each side holds, the message
        # under it.
        addr = FIELDS_BY_KEY["address"]
        return _decision(RowView(
            f.label, addr.show(addr.value(school)) if school else f.show(d.school_value),
            addr.show(addr.value(la)) if la else f.show(d.la_value), True, d.instruction,
            message_below=True, field_key=f.key), d, f)
    return _decision(RowView(f.label, f.show(d.school_value), f.show(d.la_value), True,
                             d.instruction, message_below=f.key == "address",
                             field_key=f.key), d, f)


def _pupil_view(diffs: list[Difference]) -> PupilView:
    first = diffs[0]
    school_rec = next((d.school_record for d in diffs if d.school_record is not None), None)
    la_rec = next((d.la_record for d in diffs if d.la_record is not None), None)
    school, la = _as_record(school_rec), _as_record(la_rec)
    by_field = {d.field_key: d for d in diffs if d.kind == "field"}
    pupil = PupilView(_name(first.forename, first.surname, first.upn), first.upn)
    fallback = {"upn": first.upn, "surname": first.surname, "forename": first.forename}
    for key in SUMMARY_FIELDS:
        f = FIELDS_BY_KEY[key]
        d = by_field.pop(key, None)
        if d is not None:
            pupil.rows.append(_field_row(f, d, school, la))
            continue
        s = school.get(key) if school else fallback.get(key)
        v = la.get(key) if la else fallback.get(key)
        pupil.rows.append(RowView(f.label, "" if s is None else f.show(s),
                                  "" if v is None else f.show(v), field_key=key))
    order = list(FIELDS_BY_KEY)
    for key in sorted(by_field, key=lambda k: order.index(k) if k in order else len(order)):
        d = by_field[key]
        f = FIELDS_BY_KEY.get(key) or Field(key, key, d.instruction)
        pupil.rows.append(_field_row(f, d, school, la))
    for d in diffs:
        if d.kind == "anomaly":
            pupil.rows.append(_decision(RowView(
                "Check", d.school_value or "", d.la_value or "", True, d.instruction,
                message_below=True, kind="anomaly", field_key=d.field_key), d))
    return pupil


def load_differences(session: Session, report: Report) -> list[Difference]:
    """The report's open items with what printing them needs, in a few queries."""
    return list(session.scalars(
        select(Difference)
        .where(Difference.report_id == report.id, Difference.status == "open")
        .options(selectinload(Difference.school_record), selectinload(Difference.la_record),
                 selectinload(Difference.decided_by))
        .order_by(Difference.id)))


def build_report_view(session: Session, report: Report) -> ReportView:
    """The printable report: pupils in the order the comparison found them."""
    school = report.school
    view = ReportView(
        report_id=report.id, laestab=school.laestab, school_name=school.name,
        school_title=school.title, week=report.week,
        academic_year=report.academic_year_label, status=report.status,
        status_label=STATUS_LABELS.get(report.status, report.status),
        document_name=report.document_name, sent_at=report.sent_at,
        sent_by=report.sent_by.name if report.sent_by else None,
        received_at=report.received_at,
        received_by=report.received_by.name if report.received_by else None)
    groups: dict[str, list[Difference]] = {}
    for d in load_differences(session, report):
        if d.kind in ("new_to_la", "not_at_school"):
            side = "school_only" if d.kind == "new_to_la" else "la_only"
            desc = d.school_value if side == "school_only" else d.la_value
            row = _decision(RowView("Pupil", d.school_value or "", d.la_value or "", True,
                                    d.instruction, message_below=True, kind=d.kind,
                                    field_key=d.field_key), d)
            view.unmatched.append(UnmatchedView(_name(d.forename, d.surname, d.upn), side,
                                                desc or "", row))
            continue
        groups.setdefault(d.subject_key, []).append(d)
    view.pupils = [_pupil_view(ds) for ds in groups.values()]
    if view.is_received:
        view.amendments = amendments_of(session, report)
    return view


AMENDMENT_STATUS = {"done": "Amended", "open": "To do", "rejected": "Not amended"}


def amendments_of(session: Session, report: Report) -> list[AmendmentView]:
    """What the LA amended in ONE for this report (its amendment tasks)."""
    tasks = session.scalars(
        select(AmendmentTask).where(AmendmentTask.report_id == report.id)
        .options(selectinload(AmendmentTask.completed_by))
        .order_by(AmendmentTask.id))
    out = []
    for t in tasks:
        f = FIELDS_BY_KEY.get(t.field_key)
        value = f.show(t.new_value) if f and t.new_value is not None else (t.new_value or "")
        if t.status == "rejected" and t.rejected_reason:
            value = f"{value} (not amended: {t.rejected_reason})"
        out.append(AmendmentView(
            _name(t.forename, t.surname, t.upn), f.label if f else t.field_key, value,
            AMENDMENT_STATUS.get(t.status, t.status),
            t.completed_by.name if t.completed_by else None, t.completed_at))
    return out
