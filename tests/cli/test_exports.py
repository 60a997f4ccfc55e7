"""``flask b2b export`` and ``flask b2b pack``."""

from __future__ import annotations

import io

import docx
from pypdf import PdfReader

from tests.factories import decided_seed_report, import_csv, import_ctf
from tests.readback import docx_text, flat, pdf_text, png_of_page
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.demo.synth import make_school
from webapp.exports.printed import EMPTY, TICKED


def test_export_writes_pdf_and_docx(session, runner, tmp_path):
    decided_seed_report(session)
    pdf, word = tmp_path / "r.pdf", tmp_path / "r.docx"
    result = runner.invoke(args=["b2b", "export", "8861111", "--week", "17", "--year", "2025",
                                 "--pdf", str(pdf), "--docx", str(word)])
    assert result.exit_code == 0, result.output
    assert "4 pupil data records" in result.output
    text = flat(pdf_text(pdf.read_bytes()))
    assert f"{EMPTY} Joe {TICKED} Joseph" in text
    doc = docx.Document(str(word))
    assert any(docx_text(c) == f"{TICKED} Joseph" for t in doc.tables for r in t.rows
               for c in r.cells)


def test_export_refuses_unknown_school_and_week(session, runner, tmp_path):
    decided_seed_report(session, hard=False)
    out = str(tmp_path / "x.pdf")
    r = runner.invoke(args=["b2b", "export", "8869999", "--week", "17", "--pdf", out])
    assert r.exit_code != 0 and "No school with LAESTAB 8869999" in r.output
    r = runner.invoke(args=["b2b", "export", "8861111", "--week", "18", "--year", "2025",
                            "--pdf", out])
    assert r.exit_code != 0 and "No report for 8861111 in week 18" in r.output
    r = runner.invoke(args=["b2b", "export", "8861111", "--week", "17", "--year", "2025"])
    assert r.exit_code != 0 and "--pdf FILE" in r.output


def _second_school(session):
    data = make_school("8862222", "Łąka & St Ŵyn's <Primary>", 40, seed=7, differing=0.3)
    import_ctf(session, "8862222", data.school, name=data.name)
    import_csv(session, "8862222", data.la)
    from sqlalchemy import select

    from webapp.models import School
    school = session.scalar(select(School).where(School.laestab == "8862222"))
    school.name = data.name
    session.commit()
    refresh_reports(session, 2025, 17)


def test_pack_has_a_bookmark_per_school(session, runner, tmp_path, artifacts):
    decided_seed_report(session)
    _second_school(session)
    out = tmp_path / "pack.pdf"
    r = runner.invoke(args=["b2b", "pack", "--week", "17", "--year", "2025", "--pdf",
                            str(out)])
    assert r.exit_code == 0, r.output
    assert "2 reports" in r.output
    # The pack is written as it goes (webapp.exports.pdfstream): a strict reader takes it.
    reader = PdfReader(io.BytesIO(out.read_bytes()), strict=True)
    titles = [o["/Title"] for o in reader.outline if isinstance(o, dict)]
    assert titles == ["Contents", "1111 Green Abbey School", "2222 Łąka & St Ŵyn's <Primary>"]
    # Under each school, the report's own bookmarks (WeasyPrint's bookmark-level).
    assert [o["/Title"] for o in reader.outline[2]] == [
        "Instructions", "Pupil data differences", "Annex: decisions"]
    # Each bookmark lands on that school's front page.
    for o in reader.outline:
        if isinstance(o, dict) and o["/Title"] != "Contents":
            page = reader.get_destination_page_number(o)
            assert o["/Title"] in flat(reader.pages[page].extract_text())
    text = flat(pdf_text(out.read_bytes()))
    assert "B2B reports week 17, 2025/26" in text
    assert "1111 Green Abbey School (8861111) 17, 2025/26" in text
    assert "For reference a total of 4 pupil data records were printed" in text
    assert not out.with_name("pack.pdf.part").exists()
    assert png_of_page(out.read_bytes(), 1, artifacts / "pack-contents").startswith(b"\x89PNG")


def test_pack_of_one_schools_year_bookmarks_weeks(session, runner, tmp_path):
    decided_seed_report(session, hard=False)
    refresh_reports(session, 2025, 18)
    out = tmp_path / "year.pdf"
    r = runner.invoke(args=["b2b", "pack", "--school", "8861111", "--year", "2025", "--pdf",
                            str(out)])
    assert r.exit_code == 0, r.output
    titles = [o["/Title"] for o in PdfReader(str(out)).outline if isinstance(o, dict)]
    assert titles == ["Contents", "Week 17", "Week 18"]
    assert "B2B reports 2025/26: 1111 Green Abbey School" in flat(pdf_text(out.read_bytes()))


def test_pack_of_one_schools_year_as_docx(session, runner, tmp_path):
    decided_seed_report(session, hard=False)
    refresh_reports(session, 2025, 18)
    out = tmp_path / "year.docx"
    r = runner.invoke(args=["b2b", "pack", "--school", "8861111", "--year", "2025",
                            "--docx", str(out)])
    assert r.exit_code == 0, r.output
    doc = docx.Document(str(out))
    assert len(doc.sections) == 2
    heads = [s.header.paragraphs[0].text for s in doc.sections]
    assert "week 17" in heads[0] and "week 18" in heads[1]
    assert all("1111 Green Abbey School" in h for h in heads)
    for s in doc.sections:
        assert 'w:instr="SECTIONPAGES"' in s.footer.paragraphs[0]._p.xml
    body = "\n".join(p.text for p in doc.paragraphs)
    assert body.count("For reference a total of 3 pupil data records were printed") == 2
    assert any(docx_text(c) == f"{TICKED} Joseph" for t in doc.tables for row in t.rows
               for c in row.cells)


def test_pack_needs_a_week_or_a_school(session, runner, tmp_path):
    r = runner.invoke(args=["b2b", "pack", "--pdf", str(tmp_path / "p.pdf")])
    assert r.exit_code != 0 and "--week N" in r.output
    r = runner.invoke(args=["b2b", "pack", "--week", "17", "--docx", str(tmp_path / "p.docx")])
    assert r.exit_code != 0 and "for one school" in r.output
    r = runner.invoke(args=["b2b", "pack", "--week", "17"])
    assert r.exit_code != 0 and "--pdf FILE" in r.output
