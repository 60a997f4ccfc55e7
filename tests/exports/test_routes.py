"""Download routes: only the report's own school (and the LA) get them, never cached."""

from __future__ import annotations

import io

import docx
import pytest
from lxml import etree

from tests.factories import decided_seed_report, make_school, make_user
from tests.readback import docx_text, flat, pdf_text, squeezed
from webapp.b2b.formats.ctf import read_ctf
from webapp.exports.printed import EMPTY, TICKED

ROUTES = {  # endpoint suffix -> (mimetype, file name)
    "report.pdf": ("application/pdf", "B2BreportWeek17-8861111.pdf"),
    "report.docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "B2BreportWeek17-8861111.docx"),
    "sims-return.xml": ("application/xml", "B2BreportWeek17-8861111-SIMS-return.xml"),
    "sims-return.pdf": ("application/pdf", "B2BreportWeek17-8861111-SIMS-return.pdf"),
}


def url(report, suffix: str) -> str:
    return f"/reports/{report.id}/{suffix}"


@pytest.fixture
def report(session):
    return decided_seed_report(session)


@pytest.mark.parametrize("suffix", list(ROUTES))
def test_own_school_downloads_an_attachment(session, client, login_as, report, suffix):
    login_as(make_user(session, school=report.school, email="head@1111.test"))
    r = client.get(url(report, suffix))
    assert r.status_code == 200
    mimetype, name = ROUTES[suffix]
    assert r.mimetype == mimetype
    assert r.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert r.headers["Cache-Control"] == "no-store"
    assert "Bloggs" not in r.headers["Content-Disposition"]
    if suffix == "report.pdf":
        assert f"{EMPTY} Joe {TICKED} Joseph" in flat(pdf_text(r.data))
    elif suffix == "report.docx":
        doc = docx.Document(io.BytesIO(r.data))
        assert any(docx_text(c) == f"{TICKED} Joseph" for t in doc.tables for row in t.rows
                   for c in row.cells)
    elif suffix == "sims-return.xml":
        assert {p.items["upn"] for p in read_ctf(io.BytesIO(r.data))} == {
            "R886111110001", "U886111110002", "P886111110003"}
        root = etree.fromstring(r.data, etree.XMLParser(resolve_entities=False))
        assert root.findtext("Header/DestSchool/Estab") == "1111"
    else:
        assert "Return for SIMS" in flat(pdf_text(r.data))


@pytest.mark.parametrize("suffix", list(ROUTES))
def test_other_school_gets_404(session, client, login_as, report, suffix):
    other = make_school(session, estab="2222", name="Other School")
    login_as(make_user(session, school=other))
    assert client.get(url(report, suffix)).status_code == 404


@pytest.mark.parametrize("suffix", list(ROUTES))
def test_la_officer_gets_any_report(session, client, login_as, report, suffix):
    login_as(make_user(session, role="la_officer", school=None))
    assert client.get(url(report, suffix)).status_code == 200


def test_school_never_gets_a_draft_and_unknown_ids_are_404(session, client, login_as):
    report = decided_seed_report(session, hard=False, status="draft")
    login_as(make_user(session, school=report.school, email="head@1111.test"))
    for suffix in ROUTES:
        assert client.get(url(report, suffix)).status_code == 404
        assert client.get(f"/reports/99999/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", list(ROUTES))
def test_anonymous_is_sent_to_sign_in(client, report, suffix):
    r = client.get(url(report, suffix))
    assert r.status_code in (302, 401)
    assert r.status_code != 200 and b"%PDF" not in r.data


def test_page_pdf_and_docx_show_the_same_rows(session, client, login_as, report):
    """The school's page and both downloads render one view model: same values."""
    import html as html_lib
    import re

    from webapp.b2b.review.report_view import build_report_view

    login_as(make_user(session, school=report.school, email="head@1111.test"))
    page = client.get(f"/school/reports/{report.id}")
    assert page.status_code == 200
    page_text = flat(html_lib.unescape(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))))
    pdf = flat(pdf_text(client.get(url(report, "report.pdf")).data))
    doc = docx.Document(io.BytesIO(client.get(url(report, "report.docx")).data))
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    view = build_report_view(session, report)
    for pupil in view.pupils:
        for row in pupil.rows:
            for value in (row.school_value, row.la_value):
                if value:
                    assert value in page_text, value
                    # Long words wrap mid-word in the PDF's narrow cells.
                    assert squeezed(value) in squeezed(pdf), value
                    assert any(value in c for c in cells), value
