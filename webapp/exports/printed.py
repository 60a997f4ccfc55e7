"""What a printed report adds to the one report view model.

The rows, values, instructions and decisions come from
:func:`webapp.b2b.review.report_view.build_report_view`, the same object the school's page
renders, so the page, the PDF and the .docx cannot disagree. This module only adds what
paper needs: the tick boxes, the front page (status, who sent and received it), the
annex of decisions and, once received, what the LA amended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.b2b.review.report_view import (
    PupilView,
    ReportRow,
    ReportView,
    build_report_view,
    view_from_snapshot,
)
from webapp.b2b.review.wording import pupil_name, task_label, task_values
from webapp.models import AmendmentTask, Difference, Report, ReportSubmission

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

# Rows whose message reads as a sentence under the values (the seed's "LA Address" row)
# rather than in the comment column.
_MESSAGE_BELOW_LABELS = {FIELDS_BY_KEY["postcode"].label, FIELDS_BY_KEY["address"].label}
AMENDMENT_STATUS = {"done": "Amended", "open": "To do", "rejected": "Not amended"}


def has_ticks(row: ReportRow) -> bool:
    """Only a differing field has the two tick boxes; other kinds answer in words."""
    return row.difference_id is not None and row.kind == "field"


def ticks(row: ReportRow) -> tuple[str, str]:
    """(school side, LA side): ☒ against the chosen side, ☐ against the other."""
    if not has_ticks(row):
        return "", ""
    return (TICKED if row.choice == "school" else EMPTY,
            TICKED if row.choice == "la" else EMPTY)


def message_below(row: ReportRow) -> bool:
    return row.difference_id is not None and (
        row.kind != "field" or row.label in _MESSAGE_BELOW_LABELS)


def decision_text(row: ReportRow) -> str:
    """The decision in words, as the annex prints it."""
    if row.choice is None:
        return "Not yet decided"
    if row.kind == "field" and row.choice == "school":
        return f"School Data: {row.school_value}"
    if row.kind == "field" and row.choice == "la":
        return f"LA Data - ONE: {row.la_value}"
    label = row.choice_label or row.choice.replace("_", " ")
    if row.kind == "field":
        label = "Neither"
    return f"{label}: {row.correct_value}" if row.correct_value else label


def pupil_label(p: PupilView) -> str:
    """The pupil's name with their UPN, as the annex names them."""
    upn = next((r.school_value or r.la_value for r in p.rows if r.label == "UPN"), "")
    return f"{p.name} ({upn})" if upn else p.name


@dataclass
class AmendmentView:
    """One change the LA made (or is to make) in ONE after the school returned the report."""

    pupil: str
    label: str
    value: str
    status: str
    who: str | None
    when: datetime | None


@dataclass
class PrintedReport:
    """The report view and what only paper needs."""

    view: ReportView
    status_label: str
    sent_at: datetime | None = None
    sent_by: str | None = None
    received_at: datetime | None = None
    received_by: str | None = None
    amendments: list[AmendmentView] = field(default_factory=list)
    printed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    instructions: tuple[str, ...] = INSTRUCTIONS
    # Each difference's identity and stored values, by id: (subject_key, kind, field_key,
    # school_value, la_value), for the .docx's list of what it printed (a copy printed
    # from a frozen snapshot has none).
    identities: dict[int, tuple[str, str, str, str | None, str | None]] = field(
        default_factory=dict)

    @property
    def is_received(self) -> bool:
        return self.view.status in ("received", "closed")

    @property
    def decisions(self) -> list[tuple[str, ReportRow]]:
        """Every item the school is asked to settle, with the pupil it belongs to."""
        return [(pupil_label(p), r) for p in self.view.pupils for r in p.rows
                if r.difference_id is not None]

    @property
    def file_stem(self) -> str:
        """The download's name: the portal's document name and the LAESTAB, never a pupil."""
        return f"{self.view.document_name}-{self.view.laestab}"


def printed_report(session: Session, report: Report) -> PrintedReport:
    """The report ready to print, decisions marked. A report the school has sent prints
    where each value came from as it was when sent (the frozen copy's), not the source
    of an import made since."""
    view = build_report_view(session, report)
    if report.status in ("sent", "received", "closed"):
        _sources_as_sent(session, report, view)
    out = PrintedReport(
        view, STATUS_LABELS.get(report.status, report.status),
        sent_at=report.sent_at, sent_by=report.sent_by.name if report.sent_by else None,
        received_at=report.received_at,
        received_by=report.received_by.name if report.received_by else None)
    if out.is_received:
        out.amendments = amendments_of(session, report)
    out.identities = {
        r.id: (r.subject_key, r.kind, r.field_key, r.school_value, r.la_value)
        for r in session.execute(
            select(Difference.id, Difference.subject_key, Difference.kind,
                   Difference.field_key, Difference.school_value, Difference.la_value)
            .where(Difference.report_id == report.id, Difference.status == "open"))}
    return out


def _sources_as_sent(session: Session, report: Report, view: ReportView) -> None:
    sent = session.scalar(select(ReportSubmission.snapshot).where(
        ReportSubmission.report_id == report.id, ReportSubmission.recalled_at.is_(None))
        .order_by(ReportSubmission.sent_at.desc(), ReportSubmission.id.desc()).limit(1))
    if not sent:
        return
    frozen = {r.difference_id: r.sources for p in view_from_snapshot(sent).pupils
              for r in p.rows if r.difference_id is not None}
    for p in view.pupils:
        for r in p.rows:
            if r.difference_id in frozen:
                r.sources = frozen[r.difference_id]


def amendments_of(session: Session, report: Report) -> list[AmendmentView]:
    """What the LA amended in ONE for this report (its amendment tasks)."""
    tasks = session.scalars(
        select(AmendmentTask).where(AmendmentTask.report_id == report.id)
        .options(selectinload(AmendmentTask.completed_by))
        .order_by(AmendmentTask.id))
    out = []
    for t in tasks:
        # What ONE should hold, in the report's words (a leaver's date, a new pupil's
        # start, an anomaly corrected by hand), labelled from the catalogue.
        value = task_values(t)[1]
        if t.status == "rejected" and t.rejected_reason:
            value = f"{value} (not amended: {t.rejected_reason})"
        name = pupil_name(t.forename, t.surname)
        out.append(AmendmentView(
            f"{name} ({t.upn})" if t.upn else name, task_label(t.kind, t.field_key), value,
            AMENDMENT_STATUS.get(t.status, t.status),
            t.completed_by.name if t.completed_by else None, t.completed_at))
    return out
