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


def png_of_page(data: bytes, page: int, out_stem) -> bytes:
    """One page as PNG through pdftoppm, kept in test-artifacts/ for a person to look at."""
    pdf = out_stem.with_suffix(".pdf")
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(pdf), str(out_stem)], check=True)
    return out_stem.with_suffix(".png").read_bytes()
