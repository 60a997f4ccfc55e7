"""A report's .docx as a form: how its tick boxes are marked, and reading a ticked one back.

Each tick box the export prints is a Word checkbox content control (``w:sdt`` with
``w14:checkbox``, so Word and LibreOffice show a clickable ☐/☒) tagged
``b2b:d:<difference id>:<choice>``, holding a hidden bookmark ``_b2b_<id>_<choice>`` around
its glyph: Word keeps the tag, LibreOffice (7.4) drops tags but keeps bookmarks, so either
one names the box. Each row printed for a difference carries a hidden bookmark
``_b2br_<id>``. A custom XML part (:data:`MANIFEST_NS`) lists what was printed: the report,
each difference's identity, values and version, the text beside each box and the text of
its rows (to notice words typed in). Nothing is read from the table's layout.

A returned file is hostile input: :func:`open_docx` refuses anything but a plain .docx
(size, entry count and unpacked size limits against zip bombs; no macros, ActiveX or
embedded objects; XML without DTDs or entities, never from the network) with the reason,
as :class:`ReturnRefused`. :func:`scan_body` then finds every box and what it says.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from posixpath import normpath

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
MANIFEST_NS = "urn:b2b-sync:return:1"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_OFFICE_DOCUMENT = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                    "officeDocument")
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

# Limits: a 300-pupil report's .docx is about 0.3 MB, 3 MB unpacked, 20 parts.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ENTRIES = 400
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_PART_BYTES = 60 * 1024 * 1024
MAX_RATIO = 200  # unpacked / packed size of one part over 1 MB: deflated XML is ~10-40
_MAX_CUSTOM_PARTS = 20  # custom XML parts looked at for the manifest

EMPTY_BOX = "\u2610"  # ☐
TICKED_BOX = "\u2612"  # ☒
# What counts as a tick in or next to a box: ☒ ☑ ✓ ✔ ✗ ✘ × and a typed X or x.
TICK_MARKS = frozenset("\u2612\u2611\u2713\u2714\u2717\u2718\u00d7xX")
# Wingdings glyphs Word's Insert Symbol puts in (w:sym): boxes ticked, crossed and empty.
_WINGDINGS = {0xFE: "\u2611", 0xFD: "\u2612", 0x78: "\u2612", 0xFB: "\u2717",
              0xFC: "\u2713", 0xA8: EMPTY_BOX, 0x6F: EMPTY_BOX}

_TAG = re.compile(r"b2b:d:(\d{1,10}):([a-z_]{1,20})\Z")
_BOX_MARK = re.compile(r"_b2b_(\d{1,10})_([a-z_]{1,20})\Z")
_ROW_MARK = re.compile(r"_b2br_(\d{1,10})\Z")
_SPACE = re.compile(r"\s+")

BoxKey = tuple[int, str]  # (difference id, choice)


class ReturnRefused(Exception):
    """A returned file that cannot be read; ``message`` says why, safe to show the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def box_tag(difference_id: int, choice: str) -> str:
    """The content control's tag for one box: ``b2b:d:<difference id>:<choice>``."""
    return f"b2b:d:{difference_id}:{choice}"


def box_bookmark(difference_id: int, choice: str) -> str:
    """The hidden bookmark round one box's glyph (Word hides names starting ``_``)."""
    return f"_b2b_{difference_id}_{choice}"


def row_bookmark(difference_id: int) -> str:
    """The hidden bookmark in each table row printed for a difference."""
    return f"_b2br_{difference_id}"


def squeeze(text: str) -> str:
    """Text with no white space at all: what two renderings of a row must agree on."""
    return _SPACE.sub("", text)


def flat(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


# -- the file: a .docx, nothing else ------------------------------------------------------

@dataclass
class ReturnDocument:
    """The parts of a returned .docx that are read: the body and the manifest, if kept."""

    body: etree._Element
    manifest: etree._Element | None


def parse_xml(data: bytes, what: str) -> etree._Element:
    """One part's XML: entities never resolved, no DTD, nothing from the network."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReturnRefused(f"The file's {what} declares a DTD or entities, which Word never "
                            "writes: it has been tampered with, so it is refused.")
    try:
        root = etree.fromstring(data, etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
            huge_tree=False, remove_pis=True))
    except etree.XMLSyntaxError as e:
        raise ReturnRefused(f"The file's {what} is damaged (not well-formed XML), so it "
                            "cannot be read.") from e
    if root.getroottree().docinfo.doctype:
        raise ReturnRefused(f"The file's {what} declares a DTD, which Word never writes.")
    return root


def check_file_name(name: str) -> None:
    """Refuse by its name a file that is plainly not a .docx (the content is checked too)."""
    lower = name.lower().strip()
    if lower.endswith((".docm", ".dotm")):
        raise ReturnRefused("This is a macro-enabled Word file (.docm). Save it in Word as "
                            "a Word Document (.docx) and upload that.")
    if lower.endswith(".doc"):
        raise ReturnRefused("This is an older Word file (.doc). Save it in Word as a Word "
                            "Document (.docx) and upload that.")
    if lower and not lower.endswith(".docx"):
        raise ReturnRefused("Upload the report as a Word Document (.docx).")


_ALLOWED_TOP = ("[content_types].xml", "_rels/", "docprops/", "word/", "customxml/")
_CODE_PARTS = ("vbaproject.bin", "vbadata.xml")
_CODE_FOLDERS = ("word/activex/", "word/embeddings/")


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise ReturnRefused(f"The file holds more than {MAX_ENTRIES} parts, which no "
                            "report does: it is refused.")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        lower = name.lower()
        if lower in seen or name.startswith("/") or "\\" in name or (
                normpath(name) != name.rstrip("/") and not name.endswith("/")):
            raise ReturnRefused("The file is not a plain .docx (its parts are named "
                                "oddly): it is refused.")
        seen.add(lower)
        if info.flag_bits & 0x1:
            raise ReturnRefused("The file is encrypted. Save it in Word without a password "
                                "and upload that.")
        if lower.endswith(_CODE_PARTS) or lower.startswith(_CODE_FOLDERS):
            raise ReturnRefused("The file contains macros or embedded programs, which a "
                                "report never has: it is refused. Save it in Word as a Word "
                                "Document (.docx) and upload that.")
        if not lower.startswith(_ALLOWED_TOP):
            raise ReturnRefused("The file holds parts a Word document does not, so it is "
                                "refused. Upload the .docx downloaded from this service.")
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(
                info.compress_size, 1):
            raise ReturnRefused("The file unpacks to far more than its size (a zip bomb): "
                                "it is refused.")
    if total > MAX_UNPACKED_BYTES:
        raise ReturnRefused(f"The file unpacks to more than "
                            f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB, which no report "
                            "does: it is refused.")


@dataclass
class _Budget:
    """What may still be unpacked, across every part read: headers can lie."""

    left: int = MAX_UNPACKED_BYTES


_BOMB = "The file unpacks to far more than its size (a zip bomb): it is refused."


def _read_part(zf: zipfile.ZipFile, name: str, budget: _Budget) -> bytes:
    """One part, never more than the limits however its header lies."""
    limit = min(MAX_PART_BYTES, budget.left)
    try:
        with zf.open(name) as f:
            data = f.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as e:
        raise ReturnRefused("The file is damaged or incomplete (perhaps cut short while "
                            "downloading or emailing). Save it again and upload that.") from e
    if len(data) > limit:
        raise ReturnRefused(_BOMB)
    budget.left -= len(data)
    return data


def _main_part(zf: zipfile.ZipFile, names: set[str], budget: _Budget) -> str:
    types = parse_xml(_read_part(zf, "[Content_Types].xml", budget), "list of parts")
    rels = parse_xml(_read_part(zf, "_rels/.rels", budget), "list of parts")
    target = next((r.get("Target", "") for r in rels.iter(f"{{{_REL_NS}}}Relationship")
                   if r.get("Type") == _OFFICE_DOCUMENT), "")
    part = normpath(target.lstrip("/"))
    if part not in names:
        raise ReturnRefused("The file has no document in it: it is not a Word .docx.")
    content_type = next((o.get("ContentType", "") for o in types.iter(f"{{{_CT_NS}}}Override")
                         if (o.get("PartName") or "").lstrip("/") == part), "")
    if "macroenabled" in content_type.lower():
        raise ReturnRefused("This is a macro-enabled Word file (.docm). Save it in Word as a "
                            "Word Document (.docx) and upload that.")
    if content_type != DOCX_MAIN:
        raise ReturnRefused("The file is not a Word Document (.docx) (a template or another "
                            "kind of file). Save it in Word as a Word Document and upload "
                            "that.")
    return part


def open_docx(data: bytes) -> ReturnDocument:
    """The returned file's document body and manifest, after every check: raises
    :class:`ReturnRefused` with the reason for anything but a plain, small .docx."""
    if len(data) > MAX_FILE_BYTES:
        raise ReturnRefused(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
                            "a report's .docx is far smaller. Upload the .docx downloaded "
                            "from this service.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReturnRefused("This is an older Word file (.doc) or a password-protected one. "
                            "Save it in Word as a Word Document (.docx), without a password, "
                            "and upload that.")
    if not data.startswith(b"PK"):
        raise ReturnRefused("This is not a Word .docx file.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as e:
        raise ReturnRefused("The file is damaged or incomplete (perhaps cut short while "
                            "downloading or emailing), or not a .docx at all.") from e
    with zf:
        _check_entries(infos)
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names or "_rels/.rels" not in names:
            raise ReturnRefused("This is not a Word .docx file (a zip without a document).")
        budget = _Budget()
        body_part = _main_part(zf, names, budget)
        document = parse_xml(_read_part(zf, body_part, budget), "document")
        body = document.find(f"{{{W}}}body")
        if "purl.oclc.org/ooxml" in str(document.tag):
            raise ReturnRefused("The file was saved as Strict Open XML. Save it in Word as a "
                                "Word Document (.docx) and upload that.")
        if document.tag != f"{{{W}}}document" or body is None:
            raise ReturnRefused("The file's document is not a Word document.")
        manifest = None
        items = sorted(n for n in names if re.fullmatch(r"customXml/item\d{1,3}\.xml", n))
        for name in items[:_MAX_CUSTOM_PARTS]:
            root = parse_xml(_read_part(zf, name, budget), "custom data")
            if root.tag == f"{{{MANIFEST_NS}}}return":
                manifest = root
                break
    return ReturnDocument(body=body, manifest=manifest)


# -- the boxes ----------------------------------------------------------------------------

@dataclass
class FoundBox:
    """One tick box as the file has it."""

    difference_id: int
    choice: str
    checked: bool | None = None  # the content control's own state, where there is one
    text: str = ""  # what the box holds: ☐, ☒, a typed X, nothing
    before: str = ""  # its paragraph's text before it
    after: str = ""  # its paragraph's text after it, up to the next box
    copies: int = 1  # more than one: the box was copied (a row pasted twice)
    # The words printed after the box, when known: a value that is itself "X" is then
    # not taken for a mark typed beside the box.
    printed_after: str | None = None

    @property
    def ticked(self) -> bool:
        """Checked, or ☒ ☑ X x in the box, or such a mark typed just before or after it."""
        if self.checked or any(c in TICK_MARKS for c in self.text):
            return True
        return self.mark_after or _last_word(self.before) in TICK_MARKS

    @property
    def mark_after(self) -> bool:
        first = _first_word(self.after)
        if first not in TICK_MARKS:
            return False
        return self.printed_after is None or _first_word(self.printed_after) != first

    @property
    def after_text(self) -> str:
        """The words after the box without a mark typed there."""
        words = flat(self.after)
        if self.mark_after:
            words = words[1:].strip()
        return words


def _first_word(text: str) -> str:
    parts = text.split(None, 1)
    return parts[0] if parts else ""


def _last_word(text: str) -> str:
    parts = text.rsplit(None, 1)
    return parts[-1] if parts else ""


@dataclass
class Scan:
    """Every box the body holds, and the text of the rows printed for each difference."""

    boxes: dict[BoxKey, FoundBox] = field(default_factory=dict)
    # Table row number -> the text of its paragraphs that hold no box.
    row_texts: dict[int, list[str]] = field(default_factory=dict)
    rows_of: dict[int, set[int]] = field(default_factory=dict)  # difference id -> rows

    def boxes_of(self, difference_id: int) -> dict[str, FoundBox]:
        return {c: b for (d, c), b in self.boxes.items() if d == difference_id}

    def row_text(self, difference_id: int) -> str:
        """The text of the rows printed for a difference, outside its boxes' paragraphs."""
        rows = sorted(self.rows_of.get(difference_id, ()))
        return " ".join(t for r in rows for t in self.row_texts.get(r, []) if t)

    @property
    def difference_ids(self) -> set[int]:
        return {d for d, _c in self.boxes}


@dataclass
class _Sdt:
    key: BoxKey | None  # from its tag
    checked: bool | None
    found: list[BoxKey] = field(default_factory=list)  # our bookmarks inside it


@dataclass
class _Para:
    text: list[str] = field(default_factory=list)
    length: int = 0
    spans: dict[BoxKey, list[int]] = field(default_factory=dict)  # key -> [start, end]
    checked: dict[BoxKey, bool] = field(default_factory=dict)
    order: list[BoxKey] = field(default_factory=list)
    row: int | None = None


_T, _TAB, _BR, _CR = f"{{{W}}}t", f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}cr"
_SYM, _NBH = f"{{{W}}}sym", f"{{{W}}}noBreakHyphen"
_P, _TR, _SDT, _SDTPR = f"{{{W}}}p", f"{{{W}}}tr", f"{{{W}}}sdt", f"{{{W}}}sdtPr"
_BM_START, _BM_END = f"{{{W}}}bookmarkStart", f"{{{W}}}bookmarkEnd"
_ID, _NAME, _VAL = f"{{{W}}}id", f"{{{W}}}name", f"{{{W}}}val"
# Never text of the paragraph they sit in: drawings and text boxes, alternatives, and the
# properties of runs, paragraphs and controls (read separately).
_SKIP = {f"{{{W}}}{t}" for t in ("drawing", "pict", "object", "rPr", "pPr", "delText",
                                 "instrText", "moveFrom", "del")}
_SKIP.add(f"{{{MC}}}AlternateContent")


def _sym_text(el: etree._Element) -> str:
    font = (el.get(f"{{{W}}}font") or "").lower()
    try:
        code = int(el.get(f"{{{W}}}char") or "", 16)
    except ValueError:
        return ""
    if font.startswith("wingdings"):
        return _WINGDINGS.get(code & 0xFF, "")
    if 0xF000 <= code <= 0xF0FF:  # a symbol font's private-use code: unknown glyph
        return ""
    return chr(code) if 0 < code < 0x110000 else ""


def _sdt_properties(pr: etree._Element | None) -> _Sdt:
    if pr is None:
        return _Sdt(None, None)
    tag = pr.find(f"{{{W}}}tag")
    m = _TAG.match(tag.get(_VAL) or "") if tag is not None else None
    checked = None
    box = pr.find(f"{{{W14}}}checkbox")
    if box is not None:
        state = box.find(f"{{{W14}}}checked")
        value = (state.get(f"{{{W14}}}val") if state is not None else None) or "0"
        checked = value.lower() in ("1", "true", "on")
    return _Sdt((int(m[1]), m[2]) if m else None, checked)


def scan_body(body: etree._Element) -> Scan:
    """Every box in the body (by its tag or its bookmark, wherever it now sits), whether it
    is ticked, the words beside it, and the rows printed for each difference."""
    out = Scan()
    sdts: list[_Sdt] = []
    ranges: dict[str, BoxKey] = {}  # open bookmark id -> box
    rows: list[int] = []
    row_count = 0
    para: _Para | None = None

    def open_key(key: BoxKey) -> None:
        if para is not None and key not in para.spans:
            para.spans[key] = [para.length, para.length]
            para.order.append(key)

    def active() -> Iterable[BoxKey]:
        for s in sdts:
            if s.key is not None:
                yield s.key
            yield from s.found
        yield from ranges.values()

    walker = etree.iterwalk(body, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if tag in _SKIP:
                walker.skip_subtree()
            elif tag == _T or tag in (_TAB, _BR, _CR, _SYM, _NBH):
                if para is None:
                    continue
                text = (el.text or "") if tag == _T else (
                    _sym_text(el) if tag == _SYM else "-" if tag == _NBH else " ")
                if not text:
                    continue
                para.text.append(text)
                para.length += len(text)
                for key in active():
                    open_key(key)
                    para.spans[key][1] = para.length
            elif tag == _P:
                para = _Para(row=rows[-1] if rows else None)
            elif tag == _TR:
                row_count += 1
                rows.append(row_count)
            elif tag == _SDT:
                sdt = _sdt_properties(el.find(_SDTPR))
                sdts.append(sdt)
                if sdt.key is not None:
                    open_key(sdt.key)
            elif tag == _SDTPR:
                walker.skip_subtree()
            elif tag == _BM_START:
                name = el.get(_NAME) or ""
                m = _BOX_MARK.match(name)
                if m:
                    key = (int(m[1]), m[2])
                    ranges[el.get(_ID) or name] = key
                    if sdts:
                        sdts[-1].found.append(key)
                    open_key(key)
                else:
                    r = _ROW_MARK.match(name)
                    if r and rows:
                        out.rows_of.setdefault(int(r[1]), set()).add(rows[-1])
            elif tag == _BM_END:
                ranges.pop(el.get(_ID) or "", None)
        else:  # end
            if tag == _P and para is not None:
                _end_paragraph(out, para)
                para = None
                ranges.clear()  # a box never runs on into the next paragraph
            elif tag == _TR and rows:
                rows.pop()
            elif tag == _SDT and sdts:
                sdt = sdts.pop()
                keys = ([sdt.key] if sdt.key else []) + sdt.found
                if not keys and sdt.checked is not None and para is not None:
                    # A checkbox whose bookmark the editor moved just outside it.
                    keys = [k for k in para.order if para.spans[k][1] == para.length][-1:]
                if para is not None and sdt.checked is not None:
                    for key in keys:
                        para.checked[key] = para.checked.get(key, False) or sdt.checked
    return out


def _end_paragraph(out: Scan, para: _Para) -> None:
    text = "".join(para.text)
    if not para.order:
        if para.row is not None:
            out.row_texts.setdefault(para.row, []).append(text)
        return
    starts = sorted(para.spans[k][0] for k in para.order)
    for key in para.order:
        start, end = para.spans[key]
        following = [s for s in starts if s > start]
        box = FoundBox(key[0], key[1], checked=para.checked.get(key), text=text[start:end],
                       before=text[:start], after=text[end:following[0] if following
                                                       else len(text)])
        if para.row is not None:
            out.rows_of.setdefault(key[0], set()).add(para.row)
        seen = out.boxes.get(key)
        if seen is not None:
            seen.copies += 1
        else:
            out.boxes[key] = box


# -- the manifest: what was printed --------------------------------------------------------

@dataclass
class PrintedBox:
    choice: str
    after: str  # the words printed after the box (the value; "Neither – correct value:")
    needs: str | None = None  # "text" or "date": a value is typed after the words


@dataclass
class PrintedDifference:
    """One difference as the file printed it (from the manifest: the user can edit it, so
    it is only compared with what the database holds, never trusted for access)."""

    id: int
    report_id: int
    kind: str
    label: str
    pupil: str
    version: int
    subject_key: str | None = None
    field_key: str | None = None
    school_value: str | None = None
    la_value: str | None = None
    choice: str | None = None
    row_text: str = ""
    boxes: dict[str, PrintedBox] = field(default_factory=dict)


@dataclass
class PrintedFile:
    """A manifest: the reports the file printed, by id, and their differences."""

    reports: dict[int, dict[str, str]] = field(default_factory=dict)
    differences: dict[int, PrintedDifference] = field(default_factory=dict)


def _m(tag: str) -> str:
    return f"{{{MANIFEST_NS}}}{tag}"


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() \
        and len(value) <= 10 else None


def read_manifest(root: etree._Element | None) -> PrintedFile | None:
    """The manifest's contents, or ``None`` if the file lost it (malformed entries are
    left out: the boxes are still read by their tags and bookmarks)."""
    if root is None:
        return None
    out = PrintedFile()
    for rep in root.iter(_m("report")):
        rid = _int(rep.get("id"))
        if rid is None:
            continue
        out.reports[rid] = {k: v for k, v in rep.attrib.items() if isinstance(k, str)
                            and isinstance(v, str)}
        for el in rep.iter(_m("difference")):
            did, version = _int(el.get("id")), _int(el.get("version"))
            if did is None or version is None:
                continue
            d = PrintedDifference(
                id=did, report_id=rid, kind=el.get("kind") or "", label=el.get("label") or "",
                pupil=el.get("pupil") or "", version=version,
                subject_key=el.get("subject"), field_key=el.get("field"),
                school_value=el.get("school-value"), la_value=el.get("la-value"),
                choice=el.get("choice") or None)
            row = el.find(_m("row"))
            d.row_text = (row.text or "") if row is not None else ""
            for b in el.iter(_m("box")):
                choice = b.get("choice") or ""
                if choice:
                    d.boxes[choice] = PrintedBox(choice, b.get("after") or "",
                                                 b.get("needs") or None)
            out.differences[did] = d
    return out


def manifest_xml(reports: list[dict[str, str]], differences: list[PrintedDifference]) -> bytes:
    """The custom XML part listing what a file printed (the export writes it)."""
    root = etree.Element(_m("return"), nsmap={"b2b": MANIFEST_NS})
    root.set("version", "1")
    by_report: dict[str, etree._Element] = {}
    for rep in reports:
        el = etree.SubElement(root, _m("report"))
        for k, v in rep.items():
            el.set(k, v)
        by_report[rep["id"]] = el
    for d in differences:
        el = etree.SubElement(by_report[str(d.report_id)], _m("difference"))
        attrs: dict[str, str | None] = {
            "id": str(d.id), "kind": d.kind, "label": d.label, "pupil": d.pupil,
            "version": str(d.version), "subject": d.subject_key, "field": d.field_key,
            "school-value": d.school_value, "la-value": d.la_value, "choice": d.choice}
        for name, value in attrs.items():
            if value is not None:
                el.set(name, _xml_safe(value))
        for b in d.boxes.values():
            box = etree.SubElement(el, _m("box"))
            box.set("choice", b.choice)
            box.set("after", _xml_safe(b.after))
            if b.needs:
                box.set("needs", b.needs)
        etree.SubElement(el, _m("row")).text = _xml_safe(d.row_text)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                standalone=True))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)
