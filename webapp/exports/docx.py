""".docx renderings (python-docx), from the same view model as the PDF and the page.

Table rows are built as WordprocessingML directly: python-docx's ``table.cell(r, c)``
recomputes the whole grid on every call, which turns a 300-pupil report into minutes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table

from webapp.b2b.review.report_view import ReportRow
from webapp.b2b.review.wording import plural
from webapp.exports.printed import (
    EMPTY,
    TICKED,
    PrintedReport,
    decision_text,
    has_ticks,
    message_below,
    ticks,
)
from webapp.exports.tickboxes import Control, RowMark, add_manifest, choice_lines, value_box

BODY_FONT = "Arial"
# Word on Windows has the ballot boxes in Segoe UI Symbol; LibreOffice falls back to DejaVu.
TICK_FONT = "Segoe UI Symbol"
# Widths of the pupil table's columns (A4 less 15 mm margins: 180 mm).
PUPIL_COLS_MM = (43, 45, 45, 47)
ANNEX_COLS_MM = (50, 27, 56, 24, 23)
REJECTION_COLS_MM = (40, 30, 55, 55)

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    tick: bool = False
    small: bool = False
    # A tick box, a typed value or a row's mark: the form a ticked copy is read back by.
    control: Control | None = None
    new_paragraph: bool = False


Cell = Sequence[Run] | str


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _run_xml(run: Run):
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    if run.tick:
        fonts = OxmlElement("w:rFonts")
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), TICK_FONT)
        rpr.append(fonts)
    if run.bold:
        rpr.append(OxmlElement("w:b"))
    if run.small:
        size = OxmlElement("w:sz")
        size.set(qn("w:val"), "15")  # half-points
        rpr.append(size)
        color = OxmlElement("w:color")
        color.set(qn("w:val"), "505A5F")
        rpr.append(color)
    if len(rpr):
        r.append(rpr)
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = _clean(run.text)
    r.append(t)
    return r


def _add_row(table: Table, cells: Sequence[tuple[Cell, int]], widths_mm: Sequence[int], *,
             header: bool = False, keep_with_next: bool = True) -> None:
    """Append one row: each cell is (runs or text, grid columns it spans)."""
    tr = OxmlElement("w:tr")
    trpr = OxmlElement("w:trPr")
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))
    tr.append(trpr)
    col = 0
    for content, span in cells:
        tc = OxmlElement("w:tc")
        tcpr = OxmlElement("w:tcPr")
        width = OxmlElement("w:tcW")
        width.set(qn("w:w"), str(int(sum(widths_mm[col:col + span]) * 56.7)))  # twips
        width.set(qn("w:type"), "dxa")
        tcpr.append(width)
        if span > 1:
            gs = OxmlElement("w:gridSpan")
            gs.set(qn("w:val"), str(span))
            tcpr.append(gs)
        if header:
            shd = OxmlElement("w:shd")
            shd.set(qn("w:val"), "clear")
            shd.set(qn("w:fill"), "F3F2F1")
            tcpr.append(shd)
        tc.append(tcpr)
        runs = [Run(content, bold=header)] if isinstance(content, str) else list(content)
        # A new paragraph for each small note, so it sits on its own line as in the PDF.
        paragraphs: list[list[Run]] = [[]]
        for run in runs:
            if (run.small or run.new_paragraph) and paragraphs[-1]:
                paragraphs.append([])
            paragraphs[-1].append(run)
        for runs_ in paragraphs:
            p = OxmlElement("w:p")
            if keep_with_next:
                ppr = OxmlElement("w:pPr")
                ppr.append(OxmlElement("w:keepNext"))
                p.append(ppr)
            for run in runs_:
                r = _run_xml(run)
                p.extend(run.control.wrap(r) if run.control else [r])
            tc.append(p)
        tr.append(tc)
        col += span
    table._tbl.append(tr)


def _new_table(doc, widths_mm: Sequence[int]) -> Table:
    table = doc.add_table(rows=0, cols=len(widths_mm))
    table.style = "Table Grid"
    table.autofit = False
    for gc, w in zip(table._tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
        gc.w = Mm(w)
    # A little room above and below the text in each cell, as in the PDF.
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 40), ("left", 85), ("bottom", 40), ("right", 85)):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(twips))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    table._tbl.tblPr.append(margins)
    return table


def _field(paragraph, instr: str) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "16")  # 8 pt, as the rest of the footer
    rpr.append(size)
    r.append(rpr)
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    paragraph._p.append(fld)


def _document():
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = BODY_FONT
    style.font.size = Pt(9.5)
    return doc


def _page_setup(section, printed: PrintedReport, *, pages_field: str) -> None:
    """A4, margins, and the header and footer: school, week, "Page X of Y"."""
    view = printed.view
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    section.header.is_linked_to_previous = False
    section.footer.is_linked_to_previous = False
    head = section.header.paragraphs[0]
    head.text = _clean(f"{view.school_title}\t\t{view.document_name} – week {view.week}, "
                       f"{view.academic_year_label}")
    foot = section.footer.paragraphs[0]
    foot.text = ""
    foot.add_run(_clean(f"{view.la_name} – Management Information – B2B\t\tPage "))
    _field(foot, "PAGE")
    foot.add_run(" of ")
    _field(foot, pages_field)
    for p in (head, foot):
        for r in p.runs:
            r.font.size = Pt(8)
            r.font.color.rgb = RGBColor(0x50, 0x5A, 0x5F)
    # Each report's pages are counted from 1, as if printed on its own.
    pg = section._sectPr.find(qn("w:pgNumType"))
    if pg is None:
        pg = OxmlElement("w:pgNumType")
        section._sectPr.append(pg)
    pg.set(qn("w:start"), "1")


def _when(dt: datetime | None) -> str:
    return dt.strftime("%d/%m/%Y %H:%M") if dt else ""


def _note(row: ReportRow) -> list[Run]:
    out: list[Run] = []
    if row.choice and (row.choice not in ("school", "la") or not has_ticks(row)):
        out.append(Run(decision_text(row), small=True))
    if row.choice:
        out.append(Run(f"Decided by {row.decided_by or 'unknown'}, {_when(row.decided_at)}",
                       small=True))
    return out


def _value(tick: str, value: str, bold: bool, box: Control | None = None) -> list[Run]:
    runs = [Run(tick, tick=True, control=box), Run(" ")] if tick else []
    return runs + [Run(value, bold=bold)]


def _choice_runs(row: ReportRow) -> list[Run]:
    """The answers printed as lines of their own, each with its box ("Neither", and every
    answer to an anomaly or an unmatched pupil), a value typed after the words."""
    runs: list[Run] = []
    for line in choice_lines(row):
        runs += [Run(TICKED if line.box.checked else EMPTY, tick=True, control=line.box,
                     new_paragraph=True), Run(f" {line.words}")]
        if line.value:
            runs += [Run(" "), Run(line.value_text, control=line.value)]
    return runs


def _pupil_header(table: Table) -> None:
    _add_row(table, [("Student Details", 1), ("School Data", 1), ("LA Data - ONE", 1),
                     ("Comment", 1)], PUPIL_COLS_MM, header=True)


def _pupil_rows(table: Table, rows: Sequence[ReportRow]) -> None:
    for i, row in enumerate(rows):
        last = i == len(rows) - 1
        below = message_below(row)
        school_tick, la_tick = ticks(row)
        comment = ([] if below or not row.instruction else [Run(row.instruction)]) + _note(row)
        provenance = " ".join(filter(None, [
            f"Before: {'; '.join(row.earlier)}." if row.earlier else None, row.sources]))
        if provenance:  # where the values came from, after the comment
            comment += [Run(("\n" if comment else "") + provenance)]
        # The tick boxes: on the values and in the comment, or under the instruction.
        boxed = has_ticks(row)
        choices = _choice_runs(row)
        mark = [Run("", control=RowMark(row.difference_id))] if (
            below and row.difference_id is not None) else []
        label = [Run(f"{row.label}:", bold=True)] + ([] if boxed else mark)
        cells = [(label, 1),
                 (_value(school_tick, row.school_value, row.differing,
                         value_box(row, "school")), 1),
                 (_value(la_tick, row.la_value, row.differing, value_box(row, "la")), 1),
                 ((comment + choices if boxed else comment) or "", 1)]
        _add_row(table, cells, PUPIL_COLS_MM, keep_with_next=not (last and not below))
        if below:
            _add_row(table, [(mark if boxed else "", 1),
                             ([Run(row.instruction or "")] + ([] if boxed else choices), 3)],
                     PUPIL_COLS_MM, keep_with_next=not last)


def _front_page(doc, printed: PrintedReport) -> None:
    view = printed.view
    doc.add_heading(_clean(view.school_title), level=0)
    p = doc.add_paragraph()
    p.add_run(view.document_name).bold = True
    p.add_run(f" – week {view.week}, {view.academic_year_label}")
    doc.add_paragraph(_clean(f"{view.la_name} – Management Information – B2B"))
    details = [("School", view.school_title), ("LAESTAB", view.laestab),
               ("Week", f"Week {view.week} of {view.academic_year_label}"),
               ("Status", printed.status_label)]
    for label, at, by in (("Sent", printed.sent_at, printed.sent_by),
                          ("Received", printed.received_at, printed.received_by)):
        if at:
            details.append((label, f"{_when(at)} by {by}" if by else _when(at)))
    details += [("Pupils", plural(view.records_printed, "pupil data record")),
                ("Decisions", view.progress_text),
                ("Printed", _when(printed.printed_at))]
    table = _new_table(doc, (40, 140))
    table.style = None
    for k, v in details:
        _add_row(table, [([Run(k, bold=True)], 1), (v, 1)], (40, 140), keep_with_next=False)
    doc.add_heading("Instructions", level=1)
    for line in printed.instructions:
        doc.add_paragraph(line, style="List Bullet")


def _annex(doc, printed: PrintedReport) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading("Annex: decisions", level=1)
    if printed.decisions:
        table = _new_table(doc, ANNEX_COLS_MM)
        _add_row(table, [(h, 1) for h in ("Pupil", "Item", "Decision", "Who", "When")],
                 ANNEX_COLS_MM, header=True, keep_with_next=False)
        for pupil, row in printed.decisions:
            _add_row(table, [(pupil, 1), (row.label, 1), (decision_text(row), 1),
                             (row.decided_by or "", 1), (_when(row.decided_at), 1)],
                     ANNEX_COLS_MM, keep_with_next=False)
    else:
        doc.add_paragraph("Nothing on this report needs a decision.")
    if printed.is_received:
        doc.add_heading("What the LA amended", level=1)
        if printed.amendments:
            table = _new_table(doc, ANNEX_COLS_MM)
            _add_row(table, [(h, 1) for h in ("Pupil", "Item", "ONE amended to", "Status",
                                              "By, when")],
                     ANNEX_COLS_MM, header=True, keep_with_next=False)
            for a in printed.amendments:
                by = f"{a.who or ''} {_when(a.when)}".strip()
                _add_row(table, [(a.pupil, 1), (a.label, 1), (a.value, 1), (a.status, 1),
                                 (by, 1)], ANNEX_COLS_MM, keep_with_next=False)
        else:
            doc.add_paragraph("No amendments to ONE were needed.")
    if printed.view.rejections:
        doc.add_heading("Changes the LA did not make", level=1)
        table = _new_table(doc, REJECTION_COLS_MM)
        _add_row(table, [(h, 1) for h in ("Pupil", "Item", "The LA's reason", "What to do")],
                 REJECTION_COLS_MM, header=True, keep_with_next=False)
        for r in printed.view.rejections:
            _add_row(table, [(r.pupil, 1), (r.label, 1), (r.reason, 1), (r.advice, 1)],
                     REJECTION_COLS_MM, keep_with_next=False)


def _report(doc, printed: PrintedReport) -> None:
    view = printed.view
    _front_page(doc, printed)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading("Pupil data differences", level=1)
    if not view.pupils:
        doc.add_paragraph("No differences were found for this school this week.")
    for pupil in view.pupils:
        table = _new_table(doc, PUPIL_COLS_MM)
        _pupil_header(table)
        _pupil_rows(table, pupil.rows)
        doc.add_paragraph()
    p = doc.add_paragraph("For reference a total of ")
    p.add_run(plural(view.records_printed, "pupil data record")).bold = True
    p.add_run(" was printed" if view.records_printed == 1 else " were printed")
    _annex(doc, printed)


def _save(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def report_docx(printed: PrintedReport) -> bytes:
    """The report as a Word document, laid out like the seed's B2BreportWeekXX.doc."""
    doc = _document()
    _page_setup(doc.sections[0], printed, pages_field="NUMPAGES")
    _report(doc, printed)
    add_manifest(doc, [printed])
    return _save(doc)


def reports_docx(printed: Iterable[PrintedReport]) -> bytes:
    """Several reports (one school's year) in one Word document: a section each, with its
    own header and its own "Page X of Y" (Word's SECTIONPAGES)."""
    doc = _document()
    done = []
    for i, p in enumerate(printed):
        section = doc.sections[0] if i == 0 else doc.add_section(WD_SECTION.NEW_PAGE)
        _page_setup(section, p, pages_field="SECTIONPAGES")
        _report(doc, p)
        done.append(p)
    add_manifest(doc, done)
    return _save(doc)
