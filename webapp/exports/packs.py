"""LA-wide audit packs: many reports in one PDF, a bookmark per school.

Each report is laid out by WeasyPrint on its own (so "page X of Y" counts that school's
pages, and memory for layout never holds more than one report), then appended to the
pack with pypdf, which keeps the bookmark WeasyPrint made from the report's heading.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.exports.pdf import html_to_pdf, render_print, report_pdf
from webapp.exports.view import printed_report
from webapp.models import Report, School


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _bookmark_first(writer: PdfWriter, title: str, page: int) -> None:
    """A top-level bookmark put before the others (pypdf's ``before=`` cannot do first)."""
    root = writer.get_outline_root()
    old_first = root.get("/First")
    ref = writer.add_outline_item(title=title, page_number=page)
    if old_first is None:
        return
    new = ref.get_object()
    prev = new["/Prev"].get_object()
    del prev[NameObject("/Next")]
    root[NameObject("/Last")] = prev.indirect_reference
    del new[NameObject("/Prev")]
    new[NameObject("/Next")] = old_first.get_object().indirect_reference
    old_first.get_object()[NameObject("/Prev")] = ref
    root[NameObject("/First")] = ref


@dataclass
class PackEntry:
    laestab: str
    school: str
    week: int
    academic_year: str
    status: str
    pupils: int
    decided: int
    items: int
    first_page: int = 0
    pages: int = 0


@dataclass
class PackSummary:
    title: str
    entries: list[PackEntry] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(e.pages for e in self.entries)


def pack_report_ids(session: Session, *, academic_year: int, week: int | None = None,
                    school_id: int | None = None, la_id: int | None = None) -> list[int]:
    """The reports a pack holds: a week's for every school (by LAESTAB), or one school's
    whole year (by week). Drafts are included: the pack is the LA's own record."""
    q = (select(Report.id).join(School).where(Report.academic_year == academic_year)
         .order_by(Report.week, School.laestab))
    if week is not None:
        q = q.where(Report.week == week)
    if school_id is not None:
        q = q.where(Report.school_id == school_id)
    if la_id is not None:
        q = q.where(School.la_id == la_id)
    return list(session.scalars(q))


def pack_title(*, academic_year: int, week: int | None, school: School | None) -> str:
    year = f"{academic_year}/{(academic_year + 1) % 100:02d}"
    if school is not None and week is None:
        return f"B2B reports {year}: {school.title}"
    return f"B2B reports week {week}, {year}" + (f": {school.title}" if school else "")


def build_pack(session: Session, report_ids: Sequence[int], out: BinaryIO, *, title: str,
               by_week: bool = False, progress: Callable[[int], None] | None = None,
               ) -> PackSummary:
    """Write the pack PDF to ``out``: a contents page, then every report in order.

    ``by_week`` (one school's year) bookmarks each report by its week instead of by the
    school's name. ``progress`` is called with 1 after each report.
    """
    writer = PdfWriter()
    summary = PackSummary(title)
    page = 0
    for report_id in report_ids:
        report = session.get(Report, report_id)
        if report is None:
            continue
        printed = printed_report(session, report)
        view = printed.view
        pdf = report_pdf(printed)
        entry = PackEntry(view.laestab, view.school_title, view.week, view.academic_year_label,
                          printed.status_label, view.records_printed, view.decided,
                          view.total, first_page=page)
        before = len(writer.pages)
        if by_week:
            writer.append(io.BytesIO(pdf), outline_item=f"Week {view.week}",
                          import_outline=False)
        else:
            writer.append(io.BytesIO(pdf))  # keeps the school bookmark WeasyPrint made
        entry.pages = len(writer.pages) - before
        page += entry.pages
        summary.entries.append(entry)
        # The view and the rendering are done with: let them go before the next report (the
        # session's identity map holds rows weakly, so they go too).
        del printed, view, pdf, report
        if progress:
            progress(1)
    # The contents page gives each report's first page, which depends on the length of
    # the contents itself: lay it out once to count its pages, then with the numbers.
    cover_pages = _pages(html_to_pdf(render_print("exports/pack_cover.html", summary=summary,
                                                  offset=1)))
    cover = html_to_pdf(render_print("exports/pack_cover.html", summary=summary,
                                     offset=cover_pages + 1))
    writer.merge(0, io.BytesIO(cover), import_outline=False)
    _bookmark_first(writer, "Contents", 0)
    writer.write(out)
    writer.close()
    return summary
