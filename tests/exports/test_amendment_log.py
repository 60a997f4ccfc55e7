"""The week's amendment log as CSV (no spreadsheet formulas get through) and as PDF."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tests.factories import HARD_SURNAME, WHEN, decided_seed_report, make_user
from tests.readback import flat, pdf_text, png_of_page
from webapp.b2b.amendments.tasks import complete_tasks
from webapp.exports.amendment_log import neutralise
from webapp.models import AmendmentTask

URL = "/amendments/log.{}?week=17&year=2025"


def _received_and_done(session):
    report = decided_seed_report(session, status="received")
    officer = make_user(session, role="la_officer", email="second@la.test", name="Ms Second")
    tasks = session.scalars(select(AmendmentTask).where(AmendmentTask.report_id == report.id)
                            .order_by(AmendmentTask.id)).all()
    # A school can type anything into "Neither": here, what a spreadsheet would run.
    dob = next(t for t in tasks if t.field_key == "dob")
    dob.new_value = '=HYPERLINK("http://x.invalid","click")'
    session.commit()
    complete_tasks(session, [t.id for t in tasks if t.status == "open"], officer)
    for t in tasks:
        t.completed_at = WHEN
    session.commit()
    return report


def test_neutralise():
    assert neutralise("=1+2") == "'=1+2"
    assert neutralise("+44 1622") == "'+44 1622"
    assert neutralise("-5") == "'-5"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("\tx") == "'\tx"
    assert neutralise("O'Brien") == "O'Brien" and neutralise(None) == ""


def test_csv_lists_the_weeks_completed_amendments(session, client, login_as):
    _received_and_done(session)
    login_as(make_user(session, role="la_officer", email="viewer@la.test", school=None))
    r = client.get(URL.format("csv"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="B2BamendmentsWeek17-2025.csv"'
    assert r.headers["Cache-Control"] == "no-store"
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Completed", "Completed by", "LAESTAB", "School"]
    body = rows[1:]
    assert len(body) == 4  # Emma, Jamie, Siân-Łucja's forename and DOB
    emma = next(x for x in body if x[7] == "Emma")
    assert emma[1:5] == ["Mr Data Officer", "8861111", "Green Abbey School", "17"]
    assert emma[8:11] == ["Forename", "Emily", "Emma"]
    hard = [x for x in body if x[6] == HARD_SURNAME]
    assert {x[10] for x in hard} == {"Siân-Łucja", "'=HYPERLINK(\"http://x.invalid\",\"click\")"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for x in body for cell in x)


def test_pdf_table_and_access(session, client, login_as, artifacts):
    report = _received_and_done(session)
    login_as(make_user(session, role="la_officer", email="viewer@la.test", school=None))
    r = client.get(URL.format("pdf"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = flat(pdf_text(r.data))
    assert "Amendments to ONE – week 17, 2025/26" in text
    assert "4 amendments completed" in text
    assert "Emily Emma" in text and HARD_SURNAME in text
    assert png_of_page(r.data, 1, artifacts / "amendment-log").startswith(b"\x89PNG")
    assert client.get("/amendments/log.csv?week=99&year=2025").status_code == 400
    login_as(make_user(session, school=report.school, email="head@1111.test"))
    assert client.get(URL.format("csv")).status_code == 403
    assert client.get(URL.format("pdf")).status_code == 403


def test_other_weeks_and_open_tasks_are_left_out(session, client, login_as):
    decided_seed_report(session, status="received")  # only the first task is done
    login_as(make_user(session, role="la_officer", email="viewer@la.test", school=None))
    rows = list(csv.reader(io.StringIO(client.get(URL.format("csv")).data.decode("utf-8-sig"))))
    assert len(rows) == 2
    empty = client.get("/amendments/log.csv?week=18&year=2025").data.decode("utf-8-sig")
    assert empty.count("\r\n") == 1
