"""The amendment log: a week's completed amendments to ONE, as CSV and as a PDF table.

Values come from pupils' records and schools' typing, so every cell that a spreadsheet
would read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) is neutralised
with a leading apostrophe, as OWASP advises for CSV injection.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.models import AmendmentTask, Report, School

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell as text that no spreadsheet evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass
class LogRow:
    completed_at: str
    completed_by: str
    laestab: str
    school: str
    week: str
    upn: str
    surname: str
    forename: str
    item: str
    one_held: str
    amended_to: str
    decided_by: str
    decided_at: str
    task: str


HEADINGS = ("Completed", "Completed by", "LAESTAB", "School", "Week", "UPN", "Surname",
            "Forename", "Item", "ONE held", "Amended to", "Decided by (school)",
            "Decided", "Task")
assert len(HEADINGS) == len(fields(LogRow))


def _when(dt) -> str:
    return dt.strftime("%d/%m/%Y %H:%M") if dt else ""


def amendment_log(session: Session, *, la_id: int, academic_year: int, week: int
                  ) -> list[LogRow]:
    """The completed amendment tasks of the week's reports, in the order completed."""
    tasks = session.scalars(
        select(AmendmentTask).join(Report, AmendmentTask.report_id == Report.id)
        .join(School, AmendmentTask.school_id == School.id)
        .where(School.la_id == la_id, Report.academic_year == academic_year,
               Report.week == week, AmendmentTask.status == "done")
        .options(selectinload(AmendmentTask.completed_by),
                 selectinload(AmendmentTask.decided_by), selectinload(AmendmentTask.school),
                 selectinload(AmendmentTask.report))
        .order_by(AmendmentTask.completed_at, AmendmentTask.id))
    out = []
    for t in tasks:
        f = FIELDS_BY_KEY.get(t.field_key)

        def show(v: str | None, f=f) -> str:
            return f.show(v) if f and v is not None else (v or "")

        out.append(LogRow(
            _when(t.completed_at), t.completed_by.name if t.completed_by else "",
            t.school.laestab, t.school.name, str(t.report.week), t.upn or "",
            t.surname or "", t.forename or "", f.label if f else t.field_key,
            show(t.la_value), show(t.new_value),
            t.decided_by.name if t.decided_by else "", _when(t.decided_at), str(t.id)))
    return out


def amendment_log_csv(rows: list[LogRow]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows ŵ, ł and ż as they are."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(HEADINGS)
    for r in rows:
        w.writerow([neutralise(v) for v in astuple(r)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
