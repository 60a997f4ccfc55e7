"""``flask b2b import|compare|reports|report``: the data commands. Keep them stable."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.formats.headings import NO_MAPPING, load_mapping
from webapp.b2b.intake.importing import import_file
from webapp.b2b.intake.uploads import saved_mapping
from webapp.b2b.review.queries import report_as_dict, report_counts
from webapp.cli.common import academic_year, report_for, year_option
from webapp.extensions import db
from webapp.models import PupilRecord, Report, School


@click.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", type=click.Choice(["school", "la"]), required=True,
              help="Whose data the file holds: the school's MIS or the LA's ONE.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--mapping", "mapping_path", type=click.Path(exists=True, dir_okay=False,
                                                           path_type=Path),
              help="A TOML file saying which column of the LA's own extract is which item "
                   "(and the format of its date columns). Default: the LA's saved mapping; "
                   "common headings are recognised without one.")
def import_command(files: tuple[Path, ...], source: str, as_json: bool,
                   mapping_path: Path | None) -> None:
    """Import CTF XML or CSV files (the format is taken from the content)."""
    mapping = NO_MAPPING
    if mapping_path is not None:
        try:
            mapping = load_mapping(mapping_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise click.ClickException(f"{mapping_path.name}: {e}") from None
    elif source == "la":
        mapping = saved_mapping(db.session)
    results = []
    failed = False
    for path in files:
        data = path.read_bytes()
        show_bar = not as_json and len(data) > 1_000_000 and sys.stderr.isatty()
        with click.progressbar(length=len(data), label=f"Importing {path.name}",
                               file=sys.stderr, hidden=not show_bar) as bar:
            summary = import_file(db.session, data, side=source, file_name=path.name,
                                  actor="cli", progress=bar.update, mapping=mapping)
        results.append(summary.as_dict())
        if summary.error:
            failed = True
        if as_json:
            continue
        if summary.error:
            click.echo(f"{path.name}: refused, nothing imported. {summary.error}", err=True)
        else:
            click.echo(
                f"{path.name}: read {summary.read}, new {summary.new}, changed "
                f"{summary.changed}, unchanged {summary.unchanged}, refused {summary.refused}"
                f" ({summary.file_format}, {source} side)")
            if summary.duplicate_of:
                click.echo(f"  the same file was imported before (batch {summary.duplicate_of})")
            for laestab in summary.schools_created:
                click.echo(f"  new school created from the file: {laestab}")
            for warning in summary.warnings:
                click.echo(f"  warning: {warning}")
            for line in summary.not_read_lines():
                click.echo(f"  {line}")
    if as_json:
        click.echo(json.dumps(results if len(results) > 1 else results[0], indent=2))
    if failed:
        sys.exit(1)


@click.command("compare")
@click.option("--week", type=click.IntRange(1, 53), required=True)
@year_option
@click.option("--school", "laestabs", multiple=True, help="Only this LAESTAB (repeatable).")
@click.option("--full", is_flag=True,
              help="Compare every school afresh, not only pupils changed since.")
def compare_command(week: int, year: int | None, laestabs: tuple[str, ...], full: bool) -> None:
    """Build or refresh every school's report for the week."""
    school_ids = None
    if laestabs:
        school_ids = list(db.session.scalars(select(School.id).where(
            School.laestab.in_(laestabs))))
    n = db.session.query(PupilRecord.school_id).distinct().count()
    with click.progressbar(length=n, label="Comparing schools", file=sys.stderr,
                           hidden=not sys.stderr.isatty()) as bar:
        s = refresh_reports(db.session, academic_year(year), week, school_ids=school_ids,
                            actor="cli", progress=bar.update, full=full)
    click.echo(
        f"Week {week} of {s.academic_year}/{(s.academic_year + 1) % 100:02d}: "
        f"{s.schools} schools, {s.compared} compared, {s.unchanged} unchanged since last run, "
        f"{s.frozen} already sent (left as sent); {s.reports_created} new reports; "
        f"{s.pupils_examined} pupil records examined by the rules (the rest are held "
        f"alike on both sides, or unchanged); "
        f"items: {s.items_new} new, {s.items_kept} still present, {s.items_resolved} resolved "
        f"by data; {s.items_open} open in all.")


def _reports_query(week: int | None, year: int | None):
    q = select(Report).join(School).order_by(Report.academic_year, Report.week, School.laestab)
    if week is not None:
        q = q.where(Report.week == week, Report.academic_year == academic_year(year))
    elif year is not None:
        q = q.where(Report.academic_year == year)
    return q


@click.command("reports")
@click.option("--week", type=click.IntRange(1, 53), default=None)
@year_option
@click.option("--json", "as_json", is_flag=True)
def reports_command(week: int | None, year: int | None, as_json: bool) -> None:
    """List reports with their counts."""
    reports = db.session.scalars(_reports_query(week, year)).all()
    counts = report_counts(db.session, [r.id for r in reports])
    rows = []
    for r in reports:
        data = report_as_dict(db.session, r)
        c = counts[r.id]
        rows.append({
            "laestab": r.school.laestab, "school": r.school.name,
            "academic_year": r.academic_year_label, "week": r.week, "status": r.status,
            "records_printed": data["records_printed"], "differences": c["differences"],
            "anomalies": c["anomalies"], "unmatched": c["unmatched"],
            "decided": c["decided"], "items": c["items"],
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No reports. Run `flask b2b compare --week N` first.")
        return
    click.echo(f"{'LAESTAB':8} {'Year':7} {'Wk':>3} {'Status':12} {'Pupils':>6} {'Diffs':>5} "
               f"{'Anom':>5} {'Unm':>4}  School")
    for x in rows:
        click.echo(f"{x['laestab']:8} {x['academic_year']:7} {x['week']:>3} {x['status']:12} "
                   f"{x['records_printed']:>6} {x['differences']:>5} {x['anomalies']:>5} "
                   f"{x['unmatched']:>4}  {x['school']}")


@click.command("report")
@click.argument("laestab")
@click.option("--week", type=click.IntRange(1, 53), required=True)
@year_option
@click.option("--json", "as_json", is_flag=True)
def report_command(laestab: str, week: int, year: int | None, as_json: bool) -> None:
    """Show one school's report for a week."""
    report = report_for(laestab, week, year)
    school = report.school
    data = report_as_dict(db.session, report)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"{school.estab} {school.name} ({school.laestab}), week {week} "
               f"{data['academic_year']}, {data['status']}")
    for p in data["pupils"]:
        click.echo(f"\n{p['forename']} {p['surname']}  UPN {p['upn'] or '-'}")
        for d in p["differences"]:
            click.echo(f"  {d['label']}: school {d['school']!r} / LA {d['la']!r}")
            click.echo(f"    {d['instruction']}")
        for a in p["anomalies"]:
            click.echo(f"  ! {a['message']}")
    for kind, label in (("school_only", "New to the LA"), ("la_only", "No longer at school")):
        if data["unmatched"][kind]:
            click.echo(f"\n{label}:")
            for u in data["unmatched"][kind]:
                click.echo(f"  {u['forename']} {u['surname']}  UPN {u['upn'] or '-'}")
    click.echo(f"\nFor reference a total of {data['records_printed']} pupil data records "
               "were printed")

