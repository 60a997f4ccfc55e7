"""Per-report PDF and .docx, read back: what the school files must say what was decided."""

from __future__ import annotations

import io
import re

import docx
import pytest
from pypdf import PdfReader

from tests.factories import (
    HARD_FORENAME_LA,
    HARD_FORENAME_SCHOOL,
    HARD_PUPIL,
    HARD_SURNAME,
    decided_seed_report,
)
from tests.readback import docx_text, flat, pdf_text, png_of_page, squeezed
from webapp.exports.docx import report_docx
from webapp.exports.pdf import report_pdf
from webapp.exports.printed import EMPTY, TICKED, printed_report, ticks

SEED_TICKS = [  # (school side, LA side) as the seed's sample report marks them
    (f"{EMPTY} Joe", f"{TICKED} Joseph"),
    (f"{TICKED} Emma", f"{EMPTY} Emily"),
    (f"{EMPTY} 21/09/2007", f"{TICKED} 26/09/2007"),
    (f"{TICKED} Jamie", f"{EMPTY} James"),
]


@pytest.fixture
def report(session):
    return decided_seed_report(session)


def test_pdf_reads_back_with_the_decisions_marked(session, report, artifacts):
    data = report_pdf(printed_report(session, report))
    text = flat(pdf_text(data))
    assert "1111 Green Abbey School" in text
    assert "B2BreportWeek17" in text and "week 17, 2025/26" in text
    assert "Published: waiting for the school" in text
    for school_side, la_side in SEED_TICKS:
        assert f"{school_side} {la_side}" in text
    # The address row: the LA's postcode ticked, the message under it.
    assert f"LA Address: {EMPTY} PA2 9NF {TICKED} PA3 9NF" in text
    assert ("The postcode you have provided is PA2 9NF which does not appear to be correct "
            "for the above address.") in text
    assert "Please tick which is the correct legal forename." in text
    assert "Please confirm which date of birth is correct." in text
    # Case alone is no difference: DAVIDS and Davids shown, without tick boxes.
    assert "Surname: DAVIDS Davids" in text
    assert "For reference a total of 4 pupil data records were printed" in text
    assert re.search(r"Page 1 of (\d+)", text)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert f"Page {pages} of {pages}" in text
    # Annex: who decided what, when.
    assert "Annex: decisions" in text
    assert "LA Data - ONE: Joseph Mrs Ann Office 01/12/2025 09:30" in text
    assert png_of_page(data, 2, artifacts / "report-page2").startswith(b"\x89PNG")


def test_pdf_embeds_its_fonts_and_bookmarks_the_school(session, report):
    reader = PdfReader(io.BytesIO(report_pdf(printed_report(session, report))))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            desc = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in desc  # the TrueType program itself is in the file
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Sans" in f for f in fonts)
    assert reader.outline[0]["/Title"] == "1111 Green Abbey School"


def test_hard_names_and_long_address_survive_the_pdf(session, report):
    text = pdf_text(report_pdf(printed_report(session, report)))
    assert HARD_SURNAME in flat(text)
    assert f"{TICKED} {HARD_FORENAME_SCHOOL} {EMPTY} {HARD_FORENAME_LA}" in flat(text)
    assert squeezed(HARD_PUPIL["address_locality"]) in squeezed(text)
    assert squeezed(HARD_PUPIL["address_street"]) in squeezed(text)
    assert "Flat 12 & 14 'Tŷ Gwyn' <rear>" in flat(text)
    assert "Flat 12 'Tŷ Gwyn' <rear> & garden" in flat(text)
    # "Neither": both boxes empty and the value the school gave instead.
    assert f"{EMPTY} 04/03/2010 {EMPTY} 03/04/2010" in flat(text)
    assert "Neither: 05/03/2010" in flat(text)


def test_undecided_items_show_two_empty_boxes(session):
    report = decided_seed_report(session, hard=False)
    for d in report.differences:
        d.choice = d.decided_by_id = d.decided_at = None
    session.commit()
    text = flat(pdf_text(report_pdf(printed_report(session, report))))
    assert f"{EMPTY} Joe {EMPTY} Joseph" in text
    assert TICKED + " " not in text.split("Pupil data differences")[1]
    assert "0 of 8 answered" in text
    assert "For reference a total of 3 pupil data records were printed" in text


def test_received_report_lists_what_the_la_amended(session):
    report = decided_seed_report(session, status="received")
    text = flat(pdf_text(report_pdf(printed_report(session, report))))
    amended = text.split("What the LA amended")[1]
    assert "Forename Emma Amended Mr Data Officer 01/12/2025 09:30" in amended
    assert "Forename Jamie To do" in amended
    assert "DOB 05/03/2010 To do" in amended  # the "Neither" value the school gave
    assert "Status Received by the LA" in text
    assert re.search(r"Sent \d\d/\d\d/\d{4} \d\d:\d\d by Mrs Ann Office", text)
    assert re.search(r"Received \d\d/\d\d/\d{4} \d\d:\d\d by Mr Data Officer", text)
    assert "Joseph" not in amended  # the LA was right there: nothing to amend
    doc = docx.Document(io.BytesIO(report_docx(printed_report(session, report))))
    table = next(t for t in doc.tables
                 if [c.text for c in t.rows[0].cells][2:3] == ["ONE amended to"])
    assert ["Emma DAVIDS (U886111110002)", "Forename", "Emma", "Amended",
            "Mr Data Officer 01/12/2025 09:30"] in _cells(table)


def _cells(table) -> list[list[str]]:
    return [[docx_text(c) for c in row.cells] for row in table.rows]


def _bold_texts(cell) -> list[str]:
    return [r.text for p in cell.paragraphs for r in p.runs if r.bold and r.text.strip()]


def test_docx_reads_back_with_ticks_and_bold_differences(session, report, artifacts):
    data = report_docx(printed_report(session, report))
    (artifacts / "report.docx").write_bytes(data)
    doc = docx.Document(io.BytesIO(data))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "1111 Green Abbey School" in body
    assert "For reference a total of 4 pupil data records were printed" in body
    pupil_tables = [t for t in doc.tables if t.rows[0].cells[0].text == "Student Details"]
    assert len(pupil_tables) == 4
    joe = pupil_tables[0]
    rows = _cells(joe)
    assert rows[0] == ["Student Details", "School Data", "LA Data - ONE", "Comment"]
    assert rows[1][:3] == ["Forename:", f"{EMPTY} Joe", f"{TICKED} Joseph"]
    assert rows[1][3].startswith("Please tick which is the correct legal forename.")
    assert rows[2][:3] == ["Surname:", "Bloggs", "Bloggs"]
    forename = joe.rows[1].cells
    assert _bold_texts(forename[1]) == ["Joe"] and _bold_texts(forename[2]) == ["Joseph"]
    assert _bold_texts(joe.rows[2].cells[1]) == []  # not differing: not bold
    emma = _cells(pupil_tables[1])
    assert [f"{TICKED} Emma", f"{EMPTY} Emily"] == emma[1][1:3]
    assert ["DOB:", f"{EMPTY} 21/09/2007", f"{TICKED} 26/09/2007"] == emma[3][:3]
    assert ["Surname:", "DAVIDS", "Davids"] == emma[2][:3]
    jamie = _cells(pupil_tables[2])
    address = next(r for r in jamie if r[0] == "LA Address:")
    assert address[1:3] == [f"{EMPTY} PA2 9NF", f"{TICKED} PA3 9NF"]
    message = jamie[jamie.index(address) + 1]
    assert message[1].startswith("The postcode you have provided is PA2 9NF")
    # The header and footer carry school, week and the page fields.
    section = doc.sections[0]
    assert "1111 Green Abbey School" in section.header.paragraphs[0].text
    assert "week 17" in section.header.paragraphs[0].text
    footer_xml = section.footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer_xml and 'w:instr="NUMPAGES"' in footer_xml
    annex = next(t for t in doc.tables if t.rows[0].cells[0].text == "Pupil")
    assert ["Joe Bloggs (R886111110001)", "Forename", "LA Data - ONE: Joseph",
            "Mrs Ann Office", "01/12/2025 09:30"] in _cells(annex)


def test_hard_names_and_long_address_survive_the_docx(session, report):
    data = report_docx(printed_report(session, report))
    doc = docx.Document(io.BytesIO(data))
    hard = [t for t in doc.tables if t.rows[0].cells[0].text == "Student Details"][3]
    rows = _cells(hard)
    assert rows[1][1:3] == [f"{TICKED} {HARD_FORENAME_SCHOOL}", f"{EMPTY} {HARD_FORENAME_LA}"]
    assert rows[2][1:3] == [HARD_SURNAME, HARD_SURNAME]
    address = next(r for r in rows if r[0] == "Address:")
    assert HARD_PUPIL["address_locality"] in address[1]
    assert address[1].startswith(f"{EMPTY} Flat 12 & 14 'Tŷ Gwyn' <rear>, ")
    assert address[2].startswith(f"{EMPTY} Flat 12 'Tŷ Gwyn' <rear> & garden, ")
    dob = next(r for r in rows if r[0] == "DOB:")
    assert "Neither: 05/03/2010" in dob[3]


def test_pdf_and_docx_come_from_one_view(session, report):
    """Same rows in both: the two renderings cannot disagree on a value or a tick."""
    printed = printed_report(session, report)
    text = flat(pdf_text(report_pdf(printed)))
    doc = docx.Document(io.BytesIO(report_docx(printed)))
    tables = [t for t in doc.tables if t.rows[0].cells[0].text == "Student Details"]
    for pupil, table in zip(printed.view.pupils, tables, strict=True):
        labels = [r[0] for r in _cells(table)[1:] if r[0]]
        assert labels == [f"{r.label}:" for r in pupil.rows]
        for row in pupil.rows:
            school_tick, la_tick = ticks(row)
            if school_tick and row.label != "Address":
                assert f"{row.label}: {school_tick} {row.school_value} {la_tick}" in text


def test_printing_loads_nothing_but_the_fonts(app):
    from webapp.exports.pdf import FontsOnly, html_to_pdf

    fetcher = FontsOnly(allowed_protocols=("file",))
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(ValueError):
        fetcher.fetch("http://127.0.0.1:9/x.png")
    # An image a template (or anything) might name is simply not loaded.
    pdf = html_to_pdf('<p>x</p><img src="file:///etc/hostname">')
    assert pdf.startswith(b"%PDF")


def test_pdf_rendering_keeps_its_two_speed_measures():
    """The lean user-agent stylesheet is the one used (a WeasyPrint upgrade that moved its
    hook would silently double the time), and the garbage collector paused during a
    rendering is running again afterwards."""
    import gc

    import weasyprint.html

    from webapp.exports.pdf import PrintHTML, _lean_ua_stylesheet, html_to_pdf

    lean = _lean_ua_stylesheet()
    assert lean is not None
    sheets = PrintHTML(string="<p>x</p>")._ua_stylesheets()
    assert lean in sheets and weasyprint.html.UA_STYLESHEET not in sheets
    assert gc.isenabled()
    assert html_to_pdf("<ol><li>one</li></ol>").startswith(b"%PDF")
    assert gc.isenabled()
