"""The .docx's tick boxes as a form the school can send back (issue 16).

Every box is a Word checkbox content control, tagged and bookmarked as
:mod:`webapp.b2b.review.ticked_docx` reads them; a typed value (the "Neither" value, a
leaving date) sits after its box's words in a plain text control. The finished document
gets a custom XML part listing what was printed, built from the document itself by the
reader's own scan, so the export and the reader cannot disagree on what a box said.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from webapp.b2b.review.report_view import ReportRow
from webapp.b2b.review.ticked_docx import (
    EMPTY_BOX,
    TICKED_BOX,
    W14,
    PrintedBox,
    PrintedDifference,
    box_bookmark,
    box_tag,
    manifest_xml,
    row_bookmark,
    scan_body,
)
from webapp.exports.printed import PrintedReport

VALUE_PLACEHOLDER = "__________"
_PROPS_TYPE = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
_DS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"


def _w14(tag: str) -> str:
    return f"{{{W14}}}{tag}"


def _bookmark(bid: int, name: str) -> tuple[etree._Element, etree._Element]:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bid))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bid))
    return start, end


def _bookmark_id(difference_id: int, index: int) -> int:
    """Unique in any document: each difference prints in one report only."""
    return difference_id * 32 + index


@dataclass(frozen=True)
class BoxControl:
    """A tick box: the glyph's run inside a locked checkbox content control."""

    difference_id: int
    choice: str
    index: int  # the choice's place among the difference's boxes
    checked: bool
    title: str  # shown by Word as the control's name

    def wrap(self, run: etree._Element) -> list[etree._Element]:
        bid = _bookmark_id(self.difference_id, self.index)
        sdt = OxmlElement("w:sdt")
        pr = etree.SubElement(sdt, qn("w:sdtPr"))
        for tag, value in (("w:alias", self.title),
                           ("w:tag", box_tag(self.difference_id, self.choice)),
                           ("w:id", str(bid)), ("w:lock", "sdtLocked")):
            etree.SubElement(pr, qn(tag)).set(qn("w:val"), value)
        box = etree.SubElement(pr, _w14("checkbox"))
        etree.SubElement(box, _w14("checked")).set(_w14("val"), "1" if self.checked else "0")
        for state, glyph in (("checkedState", TICKED_BOX), ("uncheckedState", EMPTY_BOX)):
            el = etree.SubElement(box, _w14(state))
            el.set(_w14("val"), f"{ord(glyph):04X}")
            el.set(_w14("font"), "Segoe UI Symbol")
        content = etree.SubElement(sdt, qn("w:sdtContent"))
        start, end = _bookmark(bid, box_bookmark(self.difference_id, self.choice))
        content.extend([start, run, end])
        return [sdt]


@dataclass(frozen=True)
class ValueControl:
    """Where the correct value is typed: a plain text control, its placeholder a line."""

    difference_id: int
    choice: str
    empty: bool

    def wrap(self, run: etree._Element) -> list[etree._Element]:
        sdt = OxmlElement("w:sdt")
        pr = etree.SubElement(sdt, qn("w:sdtPr"))
        etree.SubElement(pr, qn("w:alias")).set(qn("w:val"), "Correct value")
        etree.SubElement(pr, qn("w:tag")).set(
            qn("w:val"), f"b2b:v:{self.difference_id}:{self.choice}")
        if self.empty:
            etree.SubElement(pr, qn("w:showingPlcHdr"))
        etree.SubElement(pr, qn("w:text"))
        etree.SubElement(sdt, qn("w:sdtContent")).append(run)
        return [sdt]


@dataclass(frozen=True)
class RowMark:
    """A hidden bookmark in a row printed for a difference that holds none of its boxes
    (the message under an address, an unmatched pupil's values): text typed there is
    noticed too."""

    difference_id: int

    def wrap(self, run: etree._Element) -> list[etree._Element]:
        return list(_bookmark(_bookmark_id(self.difference_id, 31),
                              row_bookmark(self.difference_id)))


Control = BoxControl | ValueControl | RowMark


def value_box(row: ReportRow, side: str) -> BoxControl | None:
    """The box printed before the school's or the LA's value, on a differing item."""
    if row.difference_id is None or row.kind != "field":
        return None
    index = 0 if side == "school" else 1
    return BoxControl(row.difference_id, side, index, row.choice == side,
                      "School Data" if side == "school" else "LA Data - ONE")


@dataclass(frozen=True)
class ChoiceLine:
    """One more answer printed as a line of its own: its box, its words and, where the
    answer needs one, the value typed after them."""

    box: BoxControl
    words: str
    value: ValueControl | None
    value_text: str


def choice_lines(row: ReportRow) -> list[ChoiceLine]:
    """The answers not printed as the two value boxes: "Neither" for a differing item,
    every answer for an anomaly or a pupil held by one side only."""
    if row.difference_id is None:
        return []
    out = []
    for index, option in enumerate(row.options):
        if row.kind == "field" and option.value in ("school", "la"):
            continue
        short = option.label.split(":")[0]
        chosen = row.choice == option.value
        words = short
        value = None
        value_text = ""
        if option.needs:
            words = f"{short} – {(option.value_label or 'value').lower()}:"
            value_text = (row.correct_value or "") if chosen else ""
            value = ValueControl(row.difference_id, option.value, not value_text)
        out.append(ChoiceLine(BoxControl(row.difference_id, option.value, index, chosen,
                                         short), words, value,
                              value_text or VALUE_PLACEHOLDER))
    return out


def add_manifest(doc: Document, printed: Sequence[PrintedReport]) -> None:
    """Add the custom XML part saying what the document printed: each report, and each
    difference with its identity, values, version, boxes and the text of its rows."""
    scan = scan_body(doc.element.body)
    reports: list[dict[str, str]] = []
    differences: list[PrintedDifference] = []
    for p in printed:
        view = p.view
        reports.append({"id": str(view.report_id), "laestab": view.laestab,
                        "week": str(view.week), "year": view.academic_year_label,
                        "document": view.document_name, "printed": p.printed_at.isoformat()})
        for pupil in view.pupils:
            for row in pupil.rows:
                did = row.difference_id
                if did is None:
                    continue
                needs = {o.value: o.needs for o in row.options}
                ident = p.identities.get(did)
                differences.append(PrintedDifference(
                    id=did, report_id=view.report_id, kind=row.kind or "", label=row.label,
                    pupil=pupil.name, version=row.version,
                    subject_key=ident[0] if ident else None,
                    field_key=ident[2] if ident else None,
                    school_value=ident[3] if ident else None,
                    la_value=ident[4] if ident else None, choice=row.choice,
                    row_text=scan.row_text(did),
                    boxes={c: PrintedBox(c, b.after_text, needs.get(c))
                           for c, b in scan.boxes_of(did).items()}))
    package = doc.part.package
    item = Part(package.next_partname("/customXml/item%d.xml"), "application/xml",
                manifest_xml(reports, differences), package)
    props = Part(PackURI(str(item.partname).replace("/item", "/itemProps")), _PROPS_TYPE,
                 _props_xml(), package)
    item.relate_to(props, RT.CUSTOM_XML_PROPS)
    doc.part.relate_to(item, RT.CUSTOM_XML)


def _props_xml() -> bytes:
    root = etree.Element(f"{{{_DS}}}datastoreItem", nsmap={"ds": _DS})
    root.set(f"{{{_DS}}}itemID", "{" + str(uuid.uuid4()).upper() + "}")
    refs = etree.SubElement(root, f"{{{_DS}}}schemaRefs")
    etree.SubElement(refs, f"{{{_DS}}}schemaRef").set(
        f"{{{_DS}}}uri", "urn:b2b-sync:return:1")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                standalone=False))
