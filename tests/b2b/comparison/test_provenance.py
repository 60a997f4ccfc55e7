"""Each side's value names the import (or upload) that supplied it, and earlier decisions
on the same item are shown beside a new difference."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import JOE, import_csv, import_ctf, make_school
from webapp.auth.api_tokens import create_token, token_for
from webapp.b2b.comparison.provenance import provenance_for
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.formats.writers import write_ctf
from webapp.b2b.intake.uploads import process_queued, receive_upload
from webapp.models import Difference, Report


def _diff(session, week, field="forename"):
    report = session.scalar(select(Report).where(Report.week == week))
    d = session.scalar(select(Difference).where(Difference.report_id == report.id,
                                                Difference.field_key == field))
    return report, d


def test_sources_per_value_and_earlier_decisions(session):
    school = make_school(session)
    token = token_for(session, create_token(session, la=school.la, school=school,
                                            label="SIMS", actor="t")[1])
    receive_upload(session, token, write_ctf(laestab="8861111", school_name="Green Abbey",
                                             pupils=[JOE]), "sims-week11.xml")
    process_queued(session)
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}])
    refresh_reports(session, 2025, 11)
    report, d = _diff(session, 11)
    p = provenance_for(session, report, [d])[d.id]
    assert p.school.via.startswith("API upload") and p.school.file_name == "sims-week11.xml"
    assert p.la.via == "import" and p.la.file_name == "la-8861111.csv"
    assert p.earlier == []

    d.choice = "school"
    session.commit()
    # Next week the school's DOB changes, the forename difference is still there.
    import_ctf(session, "8861111", [{**JOE, "dob": "2006-01-27"}])
    refresh_reports(session, 2025, 12)
    report12, d12 = _diff(session, 12)
    p12 = provenance_for(session, report12, [d12])[d12.id]
    assert p12.earlier == ["school confirmed Joe, week 11 2025/26"]
    # The forename was not changed by the new file: still from the first upload.
    assert p12.school.file_name == "sims-week11.xml"
    _, dob = _diff(session, 12, "dob")
    assert provenance_for(session, report12, [dob])[dob.id].school.file_name == \
        "school-8861111.xml"


def test_report_page_shows_sources_and_earlier_answers(client, session, login_as):
    from tests.factories import make_user
    from webapp.b2b.review.lifecycle import publish_reports

    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}])
    refresh_reports(session, 2025, 11)
    report, d = _diff(session, 11)
    d.choice = "la"
    session.commit()
    import_ctf(session, "8861111", [{**JOE, "dob": "2006-01-27"}])
    refresh_reports(session, 2025, 12)
    report12 = session.scalar(select(Report).where(Report.week == 12))
    publish_reports(session, [report12], "t")
    login_as(make_user(session, school=report12.school))
    html = client.get(f"/school/reports/{report12.id}").get_data(as_text=True)
    assert "School data: import of school-8861111.xml" in html
    assert "LA data: import of la-8861111.csv" in html
    assert "school accepted the LA&#39;s Joseph, week 11 2025/26" in html


def test_exports_carry_the_sources(session):
    import io

    from docx import Document
    from pypdf import PdfReader

    from webapp.exports.docx import report_docx
    from webapp.exports.pdf import report_pdf
    from webapp.exports.printed import printed_report

    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}])
    refresh_reports(session, 2025, 11)
    report, _ = _diff(session, 11)
    printed = printed_report(session, report)
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        report_pdf(printed))).pages)
    assert "School data: import of school-8861111.xml" in " ".join(pdf_text.split())
    doc = Document(io.BytesIO(report_docx(printed)))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any("LA data: import of la-8861111.csv" in c for c in cells)
