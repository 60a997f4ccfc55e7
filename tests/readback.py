"""Reading the exports back: a PDF's text, text with its white space evened out, and a
page rendered to PNG (kept in test-artifacts/ for a person to look at)."""

from __future__ import annotations

import io
import re
import subprocess

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages)


def flat(text: str) -> str:
    """Text with every run of white space made one space (lines wrap in table cells)."""
    return re.sub(r"\s+", " ", text)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def docx_text(cell) -> str:
    """A .docx table cell's text as Word shows it. python-docx's ``cell.text`` leaves out
    what sits inside content controls, and each tick box is a checkbox control."""
    from docx.oxml.ns import qn

    return "\n".join("".join(t.text or "" for t in p._p.iter(qn("w:t")))
                     for p in cell.paragraphs)


def png_of_page(data: bytes, page: int, out_stem) -> bytes:
    """One page as PNG through pdftoppm, kept in test-artifacts/ for a person to look at."""
    pdf = out_stem.with_suffix(".pdf")
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(pdf), str(out_stem)], check=True)
    return out_stem.with_suffix(".png").read_bytes()


# -- a .docx report ticked as a school would tick it (issue 16) --------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"


def docx_part(data: bytes, name: str = "word/document.xml") -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def replace_parts(data: bytes, parts: dict[str, bytes | None]) -> bytes:
    """The .docx with some parts replaced (``None``: left out), others as they were."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in parts:
                if parts[info.filename] is not None:
                    dst.writestr(info.filename, parts[info.filename])
            else:
                dst.writestr(info, src.read(info.filename))
        for name, content in parts.items():
            if content is not None and name not in src.namelist():
                dst.writestr(name, content)
    return out.getvalue()


def tick_docx(data: bytes, ticks=(), *, untick=(), values=None, typed_x=(),
              comments=None) -> bytes:
    """Tick boxes as Word does when one is clicked (the control checked, its glyph ☒),
    untick others, type values after "Neither" (``{(difference id, choice): text}``),
    type an X over a box's glyph without clicking it (``typed_x``), and type words into
    the comment column of a difference's row (``{difference id: text}``).
    Boxes are ``(difference id, choice)``."""
    from lxml import etree

    w = f"{{{W_NS}}}"
    root = etree.fromstring(docx_part(data))
    sdts = {}
    for sdt in root.iter(f"{w}sdt"):
        tag = sdt.find(f"{w}sdtPr/{w}tag")
        if tag is not None:
            sdts[tag.get(f"{w}val")] = sdt

    def box(key):
        return sdts[f"b2b:d:{key[0]}:{key[1]}"]

    for key, on in [(k, True) for k in ticks] + [(k, False) for k in untick]:
        sdt = box(key)
        sdt.find(f"{w}sdtPr/{{{W14_NS}}}checkbox/{{{W14_NS}}}checked").set(
            f"{{{W14_NS}}}val", "1" if on else "0")
        sdt.find(f".//{w}t").text = "\u2612" if on else "\u2610"
    for key in typed_x:
        box(key).find(f".//{w}t").text = "X"
    for (did, choice), text in (values or {}).items():
        sdt = sdts[f"b2b:v:{did}:{choice}"]
        placeholder = sdt.find(f"{w}sdtPr/{w}showingPlcHdr")
        if placeholder is not None:
            placeholder.getparent().remove(placeholder)
        sdt.find(f".//{w}t").text = text
    for did, text in (comments or {}).items():
        row = next(iter(sdts[k] for k in sdts if k.startswith(f"b2b:d:{did}:"))).iterancestors(
            f"{w}tr")
        cell = list(next(row).iter(f"{w}tc"))[-1]
        p = etree.SubElement(cell, f"{w}p")
        etree.SubElement(etree.SubElement(p, f"{w}r"), f"{w}t").text = text
    return replace_parts(data, {"word/document.xml": etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", standalone=True)})
