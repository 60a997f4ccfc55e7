"""`records_printed` counts every pupil the report prints, unmatched pupils included, and
says the same number in `b2b report --json`, on the school's page and in the PDF/.docx
(issue 17: the JSON said 14 where the page and the PDF said 16)."""

from __future__ import annotations

import io
import json
import re

import docx
from sqlalchemy import select

from tests.factories import JOE, import_csv, import_ctf, make_school, make_user, pupil
from tests.readback import flat, pdf_text
from webapp.b2b.review.lifecycle import publish_reports
from webapp.b2b.review.report_view import build_report_view
from webapp.exports.docx import report_docx
from webapp.exports.pdf import report_pdf
from webapp.exports.printed import printed_report
from webapp.models import Report

ANN = pupil("L886111110002", "Smith", "Ann", "2007-01-01", "F")  # only in SIMS
SAM = pupil("A886111110003", "Brookes", "Sam", "2012-12-14", "M")  # only in ONE


def test_json_page_pdf_and_docx_count_the_same_pupils(session, runner, client, login_as):
    school = make_school(session)
    import_ctf(session, "8861111", [JOE, ANN])
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}, SAM])
    assert runner.invoke(args=["b2b", "compare", "--week", "5", "--year", "2025"]).exit_code == 0
    out = runner.invoke(args=["b2b", "report", "8861111", "--week", "5", "--year", "2025",
                              "--json"]).output
    data = json.loads(out)
    assert len(data["pupils"]) == 1 and len(data["unmatched"]["school_only"]) == 1
    assert data["records_printed"] == 3  # Joe, and Ann and Sam held by one side only

    report = session.scalar(select(Report))
    view = build_report_view(session, report)
    assert view.records_printed == len(view.pupils) == 3

    printed = printed_report(session, report)
    pdf = flat(pdf_text(report_pdf(printed)))
    assert "Pupils 3 pupil data records" in pdf
    assert "For reference a total of 3 pupil data records were printed" in pdf
    body = "\n".join(p.text for p in docx.Document(io.BytesIO(report_docx(printed))).paragraphs)
    assert "For reference a total of 3 pupil data records were printed" in body

    publish_reports(session, [report], make_user(session, role="la_officer"))
    login_as(make_user(session, school=school))
    page = client.get(f"/school/reports/{report.id}").get_data(as_text=True)
    assert re.search(r"<strong>3 pupil data records</strong>\s+were printed", page)


def test_one_pupil_is_one_record_in_every_copy(session, runner):
    make_school(session)
    import_ctf(session, "8861111", [ANN])
    import_csv(session, "8861111", [])
    runner.invoke(args=["b2b", "compare", "--week", "5", "--year", "2025"])
    data = json.loads(runner.invoke(args=["b2b", "report", "8861111", "--week", "5",
                                          "--year", "2025", "--json"]).output)
    assert data["records_printed"] == 1  # 0 before: unmatched pupils were not counted
    report = session.scalar(select(Report))
    pdf = flat(pdf_text(report_pdf(printed_report(session, report))))
    assert "Pupils 1 pupil data record " in pdf
    assert "For reference a total of 1 pupil data record was printed" in pdf
