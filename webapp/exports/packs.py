"""LA-wide audit packs: many reports in one PDF, a bookmark per school.

Each report is laid out by WeasyPrint on its own (so "page X of Y" counts that school's
pages, and memory for layout never holds more than one report), then appended to the
pack with pypdf, which keeps the bookmark WeasyPrint made from the report's heading.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.exports.pdf import html_to_pdf, render_print, report_pdf
from webapp.exports.pdfstream import StreamingPdf
from webapp.exports.printed import printed_report
from webapp.models import Report, School

log = logging.getLogger(__name__)


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


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

    Each report is laid out alone and its pages copied to ``out`` at once
    (:class:`StreamingPdf`), so memory does not grow with the number of schools.
    ``by_week`` (one school's year) bookmarks each report by its week instead of by the
    school's name. ``progress`` is called with 1 after each report.
    """
    pdf_out = StreamingPdf(out)
    summary = PackSummary(title)
    for report_id in report_ids:
        report = session.get(Report, report_id)
        if report is None:
            continue
        printed = printed_report(session, report)
        view = printed.view
        entry = PackEntry(view.laestab, view.school_title, view.week, view.academic_year_label,
                          printed.status_label, view.records_printed, view.decided,
                          view.total, first_page=pdf_out.page_count)
        entry.pages = pdf_out.add(
            report_pdf(printed), bookmark=f"Week {view.week}" if by_week else view.school_title,
            keep_outline=not by_week)
        summary.entries.append(entry)
        # Done with this report: let it go before the next (the session's identity map
        # holds rows weakly, so they go too).
        del printed, view, report
        session.expire_all()
        if progress:
            progress(1)
    # The contents page gives each report's first page, which depends on the length of
    # the contents itself: lay it out once to count its pages, then with the numbers.
    cover_pages = _pages(html_to_pdf(render_print("exports/pack_cover.html", summary=summary,
                                                  offset=1)))
    cover = html_to_pdf(render_print("exports/pack_cover.html", summary=summary,
                                     offset=cover_pages + 1))
    pdf_out.add(cover, bookmark="Contents", keep_outline=False, front=True)
    pdf_out.close()
    return summary


# -- the pack as a background job ------------------------------------------------------
#
# A pack of a 600-school week takes minutes, so the LA page starts a job and shows its
# progress. The job's state is a small JSON file beside the PDF in the pack folder (the
# worker and the web process share it), named by a random token: no pupil data in it,
# none in the URL.

@dataclass
class PackJob:
    token: str
    la_id: int
    requested_by: int | None
    title: str
    file_name: str
    academic_year: int
    week: int | None = None
    school_id: int | None = None
    total: int = 0
    done: int = 0
    status: str = "queued"  # queued, running, done, failed
    error: str | None = None
    created_at: str = ""
    finished_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def pack_dir() -> Path:
    folder = Path(current_app.config.get("B2B_PACK_DIR")
                  or Path(current_app.instance_path) / "packs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _job_path(token: str) -> Path:
    return pack_dir() / f"{token}.json"


def pack_path(job: PackJob) -> Path:
    return pack_dir() / f"{job.token}.pdf"


def save_job(job: PackJob) -> None:
    path = _job_path(job.token)
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(asdict(job)))
    tmp.replace(path)  # readers never see half a file


def load_job(token: str) -> PackJob | None:
    if not _TOKEN.match(token):
        return None
    try:
        return PackJob(**json.loads(_job_path(token).read_text()))
    except FileNotFoundError:
        return None


def new_pack_job(session: Session, *, la_id: int, requested_by: int | None,
                 academic_year: int, week: int | None, school: School | None) -> PackJob:
    """Record a pack to build (not yet queued)."""
    year = f"{academic_year}-{(academic_year + 1) % 100:02d}"
    if week is not None:
        name = f"B2BpackWeek{week:02d}-{year}" + (f"-{school.laestab}" if school else "")
    else:
        name = f"B2Bpack-{year}-{school.laestab}"  # type: ignore[union-attr]
    job = PackJob(
        token=secrets.token_hex(16), la_id=la_id, requested_by=requested_by,
        title=pack_title(academic_year=academic_year, week=week, school=school),
        file_name=f"{name}.pdf", academic_year=academic_year, week=week,
        school_id=school.id if school else None,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"))
    job.total = len(pack_report_ids(session, academic_year=academic_year, week=week,
                                    school_id=job.school_id, la_id=la_id))
    save_job(job)
    return job


def run_pack_job(session: Session, token: str) -> PackJob | None:
    """Build the pack a job asks for, saving progress after each report."""
    job = load_job(token)
    if job is None or job.finished:
        return job
    ids = pack_report_ids(session, academic_year=job.academic_year, week=job.week,
                          school_id=job.school_id, la_id=job.la_id)
    job.status, job.total, job.done = "running", len(ids), 0
    save_job(job)

    def step(n: int) -> None:
        job.done += n
        save_job(job)

    out = pack_path(job)
    tmp = out.with_suffix(".pdf.part")
    try:
        with tmp.open("wb") as f:
            build_pack(session, ids, f, title=job.title, by_week=job.week is None,
                       progress=step)
        tmp.replace(out)
        job.status = "done"
    except Exception as e:
        log.exception("pack %s failed", token)
        tmp.unlink(missing_ok=True)
        job.status, job.error = "failed", type(e).__name__
    job.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    save_job(job)
    return job


class PackRequestError(Exception):
    """What is wrong with a pack request, per form field (GOV.UK error messages)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_pack_request(session: Session, form, la_id: int) -> dict:
    """The week, year and school a pack form asks for, checked against the LA's data."""
    errors: dict[str, str] = {}
    week_raw = (form.get("week") or "").strip()
    year_raw = (form.get("year") or "").strip()
    laestab = (form.get("school") or "").strip()
    week = int(week_raw) if week_raw.isdigit() else None
    if week_raw and (week is None or not 1 <= week <= 53):
        errors["week"] = "The week must be a number from 1 to 53"
    year = int(year_raw) if year_raw.isdigit() and len(year_raw) == 4 else None
    if year is None:
        errors["year"] = "Enter the academic year by its first year, like 2025"
    school = None
    if laestab:
        school = session.scalar(select(School).where(School.laestab == laestab,
                                                     School.la_id == la_id))
        if school is None:
            errors["school"] = "There is no school with this LAESTAB in your LA"
    if not week_raw and not laestab and "week" not in errors:
        errors["week"] = "Enter a week, or a school's LAESTAB for its whole year"
    if not errors and not pack_report_ids(session, academic_year=year, week=week,
                                          school_id=school.id if school else None,
                                          la_id=la_id):
        errors["week"] = "There are no reports for this week and year"
    if errors:
        raise PackRequestError(errors)
    return {"academic_year": year, "week": week, "school": school}
