"""PDF renderings (WeasyPrint over the print templates in ``templates/exports``)."""

from __future__ import annotations

import functools
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import weasyprint.html
from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from webapp.exports import printed as printing
from webapp.exports.printed import PrintedReport
from webapp.platform.gcpause import collector_paused

if TYPE_CHECKING:
    from webapp.exports.amendment_log import LogRow
    from webapp.exports.returns import SimsReturn

# Debian's fonts-dejavu: it has the ballot boxes (☐ ☒) and the Welsh and Polish letters.
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES = (("normal", "DejaVuSans.ttf"), ("bold", "DejaVuSans-Bold.ttf"))


def _fonts() -> list[dict[str, str]]:
    return [{"weight": w, "url": (_FONT_DIR / f).as_uri()} for w, f in _FONT_FILES
            if (_FONT_DIR / f).exists()]


class FontsOnly(URLFetcher):
    """WeasyPrint may load our font files and nothing else: no network, no other files,
    whatever a value in a report might look like."""

    def fetch(self, url, headers=None):
        if not url.startswith(_FONT_DIR.as_uri() + "/"):
            raise ValueError("only the fonts may be loaded")
        return super().fetch(url, headers)


_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, kept: a new one per document leaks a little
    native memory each time (measured over a 600-school pack)."""
    fonts = getattr(_local, "fonts", None)
    if fonts is None:
        fonts = _local.fonts = FontConfiguration()
    return fonts


# A whole rule on one line whose selector is a bare pseudo-element, "::name { ... }".
_UNIVERSAL_PSEUDO_RULE = re.compile(r"^\s*::(?P<name>[a-z-]+)\s*\{[^{}]*\}\s*$")


@functools.cache
def _lean_ua_stylesheet() -> CSS | None:
    """WeasyPrint's own HTML user-agent stylesheet less its rules for pseudo-elements of
    *every* element (``::footnote-call``, ``::footnote-marker``, ``::note-*``), with
    ``::marker`` kept for ``li`` only.

    Those rules give each element five or six pseudo-element styles that the cascade
    computes one by one: for a 300-pupil report (16,000 elements) that was two thirds
    of the time spent applying CSS, about 1.5 s of the 9.5. They only make boxes for
    footnotes and notes (``float: footnote``), which the print templates never use, and
    markers only for list items, which are ``li`` here. ``None`` (the stock stylesheet)
    if this WeasyPrint keeps its stylesheet elsewhere."""
    text = getattr(weasyprint.html, "UA", None)
    if not isinstance(text, str):
        return None
    lines = []
    for line in text.splitlines():
        rule = _UNIVERSAL_PSEUDO_RULE.match(line)
        if rule is None:
            lines.append(line)
        elif rule["name"] == "marker":
            lines.append("li" + line.strip())
    return CSS(string="\n".join(lines), counter_style=CounterStyle())


class PrintHTML(HTML):
    """``HTML`` with the lean user-agent stylesheet above. ``_ua_stylesheets`` is
    WeasyPrint's own hook (not public API): should a later version drop it, this is
    plain ``HTML`` again, only slower."""

    def _ua_stylesheets(self, forms=False):
        sheets = super()._ua_stylesheets(forms)
        lean = _lean_ua_stylesheet()
        stock = getattr(weasyprint.html, "UA_STYLESHEET", None)
        if lean is None or stock is None:
            return sheets
        return [lean if sheet is stock else sheet for sheet in sheets]


def html_to_pdf(html: str) -> bytes:
    """One HTML print page as PDF bytes, fonts embedded (WeasyPrint embeds subsets)."""
    fonts = _font_config()
    fetcher = FontsOnly(allowed_protocols=("file",))
    with collector_paused():
        return PrintHTML(string=html, url_fetcher=fetcher).write_pdf(font_config=fonts)


def render_print(template: str, **context) -> str:
    """A print template with what every print page needs (fonts, LA name, print time)."""
    context.setdefault("la_name", current_app.config["B2B_LA_NAME"])
    context.setdefault("printed_at", datetime.now(UTC))
    return render_template(template, fonts=_fonts(), **context)


def report_pdf(printed: PrintedReport) -> bytes:
    """The report as the school prints and files it, decisions marked."""
    return html_to_pdf(render_print(
        "exports/report.html", printed=printed, view=printed.view, ticks=printing.ticks,
        has_ticks=printing.has_ticks, message_below=printing.message_below,
        decision_text=printing.decision_text))


def sims_return_pdf(ret: SimsReturn) -> bytes:
    """The SIMS return as a printable list: what to change in SIMS, pupil by pupil."""
    return html_to_pdf(render_print("exports/sims_return.html", ret=ret, la_name=ret.la_name))


def amendment_log_pdf(rows: list[LogRow], *, title: str) -> bytes:
    """The amendment log as a landscape table, for the LA's files."""
    return html_to_pdf(render_print("exports/amendment_log.html", rows=rows, title=title))
