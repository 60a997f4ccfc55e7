"""The printed report says which changes the LA did not make and why, and what the school
should do (issue 17): the PDF and the .docx, from the one view model the page renders;
the annex names every task by the catalogue's label, never an internal key."""

from __future__ import annotations

import io

import docx
from sqlalchemy import select

from tests.factories import (
    WEEK,
    YEAR,
    import_csv,
    import_ctf,
    make_school,
    make_user,
    pupil,
    received_seed_report,
)
from tests.readback import flat, pdf_text
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.amendments.tasks import reject_task
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.decisions import record_decision
from webapp.b2b.review.lifecycle import publish_reports, send_report
from webapp.b2b.review.report_view import build_report_view
from webapp.b2b.review.wording import REJECTION_ADVICE
from webapp.exports.docx import report_docx
from webapp.exports.pdf import report_pdf
from webapp.exports.printed import printed_report
from webapp.models import AmendmentTask, Difference, Report

REASON = "The birth certificate says James"


def _rejected(session):
    report, staff, officer, _ = received_seed_report(session)
    task = session.scalar(select(AmendmentTask).where(
        AmendmentTask.report_id == report.id, AmendmentTask.new_value == "Jamie"))
    reject_task(session, task.id, officer, REASON)
    return report, f"{task.forename} {task.surname}"


def test_the_view_model_carries_each_rejection(session):
    report, name = _rejected(session)
    (r,) = build_report_view(session, report).rejections
    assert (r.pupil, r.label, r.reason, r.advice) == (name, "Forename", REASON,
                                                      REJECTION_ADVICE)


def test_pdf_lists_the_changes_not_made_with_reasons(session):
    report, name = _rejected(session)
    text = flat(pdf_text(report_pdf(printed_report(session, report))))
    section = text.split("Changes the LA did not make")[1]
    assert f"{name} Forename {REASON}" in section
    assert flat(REJECTION_ADVICE) in section


def test_docx_lists_the_changes_not_made_with_reasons(session):
    report, name = _rejected(session)
    doc = docx.Document(io.BytesIO(report_docx(printed_report(session, report))))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Changes the LA did not make" in headings
    table = next(t for t in doc.tables
                 if [c.text for c in t.rows[0].cells] == ["Pupil", "Item", "The LA's reason",
                                                           "What to do"])
    assert [[c.text for c in row.cells] for row in table.rows[1:]] == [
        [name, "Forename", REASON, REJECTION_ADVICE]]


def test_no_section_when_nothing_was_rejected(session):
    report, staff, officer, _ = received_seed_report(session)
    printed = printed_report(session, report)
    assert "Changes the LA did not make" not in pdf_text(report_pdf(printed))
    doc = docx.Document(io.BytesIO(report_docx(printed)))
    assert "Changes the LA did not make" not in [p.text for p in doc.paragraphs]


def test_the_amendments_annex_names_tasks_by_their_labels(session):
    """A leaver's task reads "Leaving date" with the date, a new pupil's "New pupil:
    start date", an anomaly's the rule's label: never "leave_date", "pupil" or
    "upn_duplicate.la", and no ISO date."""
    school = make_school(session)
    staff = make_user(session, school=school)
    officer = make_user(session, role="la_officer", name="Olive Officer")
    ann = pupil("L886111110002", "Smith", "Ann", "2007-01-01", "F")
    sam = pupil("A886111110003", "Brookes", "Sam", "2012-12-14", "M")
    import_ctf(session, "8861111", [ann])
    import_csv(session, "8861111", [sam])
    refresh_reports(session, YEAR, WEEK)
    report = session.scalar(select(Report))
    publish_reports(session, [report], officer)
    for d in session.scalars(select(Difference).where(Difference.report_id == report.id)):
        choice = {"new_to_la": "on_roll", "not_at_school": "left"}.get(d.kind)
        if choice:
            record_decision(session, d, staff, choice, "20/11/2025", d.version)
        else:
            record_decision(session, d, staff, "is_correct", None, d.version)
    send_report(session, report, staff)
    receive_report(session, report, officer)
    text = flat(pdf_text(report_pdf(printed_report(session, report))))
    amended = text.split("What the LA amended")[1]
    assert "Sam Brookes (A886111110003) Leaving date 20/11/2025 To do" in amended
    assert "Ann Smith (L886111110002) New pupil: start date On roll from 20/11/2025" in amended
    for internal in ("leave_date", " pupil ", "2025-11-20"):
        assert internal not in amended
