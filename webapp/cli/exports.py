"""``flask b2b export`` and ``flask b2b pack``: the printable audit packs from the shell."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from webapp.b2b.review.wording import plural
from webapp.cli import common
from webapp.exports.docx import report_docx, reports_docx
from webapp.exports.packs import build_pack, pack_report_ids, pack_title
from webapp.exports.pdf import report_pdf
from webapp.exports.printed import printed_report
from webapp.exports.returns import sims_return, sims_return_ctf
from webapp.extensions import db
from webapp.models import Report

_out = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.command("export")
@click.argument("laestab")
@click.option("--week", type=click.IntRange(1, 53), required=True)
@common.year_option
@click.option("--pdf", "pdf_path", type=_out, help="Write the report as PDF here.")
@click.option("--docx", "docx_path", type=_out, help="Write the report as .docx here.")
@click.option("--ctf", "ctf_path", type=_out,
              help="Write the return file for SIMS (a CTF of what SIMS must change) here.")
def export_command(laestab: str, week: int, year: int | None, pdf_path: Path | None,
                   docx_path: Path | None, ctf_path: Path | None) -> None:
    """Print one school's report for a week, decisions marked, as PDF and/or .docx; and
    the return file for SIMS, as the school's "Changes to make in SIMS" page offers it."""
    if pdf_path is None and docx_path is None and ctf_path is None:
        raise click.UsageError("Give --pdf FILE, --docx FILE, --ctf FILE or several.")
    report = common.report_for(laestab, week, year)
    if ctf_path is not None:
        ret = sims_return(db.session, report)
        ctf_path.write_bytes(sims_return_ctf(ret))
        click.echo(f"{ctf_path}: return file for SIMS for {ret.school_title} "
                   f"({plural(len(ret.pupils), 'pupil')})")
    printed = printed_report(db.session, report)
    view = printed.view
    for path, render in ((pdf_path, report_pdf), (docx_path, report_docx)):
        if path is None:
            continue
        path.write_bytes(render(printed))
        click.echo(f"{path}: {view.document_name} for {view.school_title} "
                   f"({plural(view.records_printed, 'pupil data record')})")


@click.command("pack")
@click.option("--week", type=click.IntRange(1, 53), default=None,
              help="Every school's report for this week.")
@common.year_option
@click.option("--school", "laestab", default=None,
              help="Only this LAESTAB; without --week, its whole year.")
@click.option("--pdf", "pdf_path", type=_out, help="Write the pack here as PDF.")
@click.option("--docx", "docx_path", type=_out,
              help="Write one school's reports here as one .docx (needs --school).")
def pack_command(week: int | None, year: int | None, laestab: str | None,
                 pdf_path: Path | None, docx_path: Path | None) -> None:
    """Print an LA-wide pack: one PDF, a bookmark per school (or per week)."""
    if week is None and laestab is None:
        raise click.UsageError("Give --week N (every school) or --school LAESTAB (its year).")
    if pdf_path is None and docx_path is None:
        raise click.UsageError("Give --pdf FILE, --docx FILE or both.")
    if docx_path is not None and laestab is None:
        raise click.UsageError("A .docx pack is for one school: give --school LAESTAB.")
    school = common.school_by_laestab(laestab) if laestab else None
    academic_year = common.academic_year(year)
    ids = pack_report_ids(db.session, academic_year=academic_year, week=week,
                          school_id=school.id if school else None)
    if not ids:
        raise click.ClickException("No reports to print. Run `flask b2b compare` first.")
    title = pack_title(academic_year=academic_year, week=week, school=school)
    if docx_path is not None:
        docx_path.write_bytes(reports_docx(
            printed_report(db.session, db.session.get(Report, i)) for i in ids))
        click.echo(f"{docx_path}: {title}: {plural(len(ids), 'report')}.")
    if pdf_path is None:
        return
    tmp = pdf_path.with_name(pdf_path.name + ".part")
    with click.progressbar(length=len(ids), label="Printing reports", file=sys.stderr,
                           hidden=not sys.stderr.isatty()) as bar, tmp.open("wb") as out:
        summary = build_pack(db.session, ids, out, title=title, by_week=week is None,
                             progress=bar.update)
    tmp.replace(pdf_path)  # never leave half a pack under the real name
    click.echo(f"{pdf_path}: {title}: {plural(len(summary.entries), 'report')}, "
               f"{plural(summary.pages, 'page')} (and the contents).")


commands: list = [export_command, pack_command]
