"""``flask b2b read-return FILE.docx``: what a ticked Word report says, from the shell;
``--record --as EMAIL`` records its clear answers as that person (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import func, select

from webapp.b2b.review.ticked_docx import MAX_FILE_BYTES
from webapp.b2b.review.ticked_return import (
    ReturnReading,
    ReturnRefused,
    read_return,
    record_return,
    report_of_file,
    store_return,
)
from webapp.b2b.review.wording import plural
from webapp.extensions import db
from webapp.models import Report, User

_HEADINGS = (("clear", "Clear answers"), ("unclear", "For a person to decide"),
             ("unanswered", "No box ticked"), ("not_recordable", "Not recorded"),
             ("unchanged", "Already recorded"))


def _as_json(reading: ReturnReading, path: Path) -> dict[str, object]:
    r = reading.report
    return {
        "file": {"name": path.name, "sha256": reading.sha256},
        "report": {"id": r.id, "laestab": r.school.laestab, "school": r.school.title,
                   "week": r.week, "year": r.academic_year_label, "status": r.status},
        "weeks_in_file": reading.weeks,
        "answers": [{"difference_id": a.difference_id, "pupil": a.pupil, "item": a.label,
                     "status": a.status, "choice": a.choice, "value": a.value,
                     "says": a.says if a.choice else None, "problems": a.problems,
                     "from_week": a.from_week} for a in reading.answers],
        "counts": {status: len([a for a in reading.answers if a.status == status])
                   for status, _ in _HEADINGS},
        "not_in_file": reading.not_in_file,
        "notes": reading.notes,
    }


def _print(reading: ReturnReading, path: Path) -> None:
    r = reading.report
    click.echo(f"{path.name}: {r.school.title}, {r.document_name} (week {r.week}, "
               f"{r.academic_year_label}), {r.status.replace('_', ' ')}")
    for note in reading.notes:
        click.echo(f"  {note}")
    for status, heading in _HEADINGS:
        answers = [a for a in reading.answers if a.status == status]
        if not answers:
            continue
        click.echo(f"{heading} ({len(answers)}):")
        for a in answers:
            line = f"  {a.heading}: {a.says}" if a.choice else f"  {a.heading}"
            if a.problems:
                line += f" – {'; '.join(a.problems)}"
            click.echo(line)
    if reading.not_in_file:
        click.echo(f"Not in the file: {plural(reading.not_in_file, 'unanswered item')}")


def _user(email: str, report: Report) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None or not user.active:
        raise click.ClickException(f"No active user {email}.")
    school = report.school
    if not (user.school_id == school.id or (user.is_la and user.la_id == school.la_id)):
        raise click.ClickException(
            f"{email} is neither a user of {school.title} nor an LA officer of its LA.")
    return user


@click.command("read-return")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print what was read as JSON.")
@click.option("--record", is_flag=True,
              help="Record the clear answers (the rest are listed, for the report page).")
@click.option("--as", "as_email", metavar="EMAIL",
              help="With --record: whose answers they are (a user of the report's school, "
                   "or an LA officer of its LA).")
def read_return_command(file: Path, as_json: bool, record: bool, as_email: str | None
                        ) -> None:
    """Read a ticked Word report (.docx) sent back by a school and print what each box
    says, without recording anything; with --record --as EMAIL, record its clear answers
    as that person, exactly as if they had clicked them (the file is kept 30 days)."""
    if record and not as_email:
        raise click.UsageError("--record needs --as EMAIL: whose answers they are.")
    if as_email and not record:
        raise click.UsageError("--as is for --record.")
    data = file.read_bytes()[:MAX_FILE_BYTES + 1]
    try:
        report = report_of_file(db.session, data, file.name)
        reading = read_return(db.session, report, data, file.name)
    except ReturnRefused as e:
        raise click.ClickException(f"{file.name}: refused: {e.message}") from e
    user = _user(as_email, report) if record and as_email else None
    if as_json:
        click.echo(json.dumps(_as_json(reading, file), indent=2, ensure_ascii=False))
    else:
        _print(reading, file)
    if user is None:
        return
    if not reading.editable:
        raise click.ClickException(f"{report.document_name} has been sent to the LA and can "
                                   "no longer be changed: nothing recorded.")
    rf = store_return(db.session, report, user, data, file.name)
    outcome = record_return(db.session, reading, user, return_file=rf)
    message = (f"Recorded {plural(outcome.recorded, 'answer')} as {user.email}"
               + (f"; {plural(len(reading.unclear), 'answer needs', 'answers need')} a "
                  "person: answer them on the report page" if reading.unclear else "") + ".")
    click.echo(message, err=as_json)
    for heading, reason in outcome.failed:
        click.echo(f"Not recorded: {heading} – {reason}", err=True)
    if outcome.failed:
        raise SystemExit(1)


commands: list = [read_return_command]
